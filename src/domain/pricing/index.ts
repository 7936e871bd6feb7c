export * from './money';
export * from './schema';
export * from './table';
export * from './book';
export * from './match';
export * from './cost';
