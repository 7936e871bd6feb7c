export * from './types';
export * from './ids';
export * from './steps';
export * from './validation';
export * from './failures';
