export * from './adamw';
export * from './clip-grad';
export * from './schedule';
