export * from './error-codes.js';
export * from './domain-error.js';
export * from './correlation.js';
export * from './http-exception.filter.js';
export * from './validation.js';
