export * from './app';
export * from './origins';
