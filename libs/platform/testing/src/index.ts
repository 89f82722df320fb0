export * from './postgres.js';
export * from './runtime.js';
