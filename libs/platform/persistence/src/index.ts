export * from './embedded-postgres.js';
export * from './naming-strategy.js';
export * from './transaction.js';
export * from './database.js';
