export * from './windows';
export * from './carbon';
export * from './retention';
