export * from './windows';
export * from './carbon';
export * from './retention';
export * from './forecast';
export * from './engagement';
