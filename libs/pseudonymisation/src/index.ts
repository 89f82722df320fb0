export * from './project-keys.js';
export * from './dates.js';
