export * from './config.js';
export * from './key-material.js';
export * from './config.module.js';
