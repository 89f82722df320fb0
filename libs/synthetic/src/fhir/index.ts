/** Synthetic FHIR R4 / CSV extracts for demos, tests and benchmarks (fictional people only). */
export * from './prng.js';
export * from './generator.js';
export * from './writers.js';
export * as referenceData from './reference-data.js';
