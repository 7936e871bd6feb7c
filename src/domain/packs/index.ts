export * from './schema';
export * from './render';
export * from './dag';
export * from './parse';
export * from './run';
