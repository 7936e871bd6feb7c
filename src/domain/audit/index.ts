// Importing values from here pulls in node:crypto; workflow code may import only types.
export * from './canonical-json';
export * from './chain';
