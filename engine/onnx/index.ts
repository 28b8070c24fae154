export * from './attributes';
export * from './dtype';
export * from './graph-builder';
export * from './session';
export * from './shape';
export * from './tensor';
export * from './shape-inference';
