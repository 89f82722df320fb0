export * from './encoder.js';
export * from './generator.js';
