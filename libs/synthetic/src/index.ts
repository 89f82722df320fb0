/**
 * The seeded synthetic data generator: FHIR R4 patients and extracts, and DICOM studies, all
 * deterministic for a seed. Used by the demo seed, the tests and the benchmarks. Only synthetic
 * data: NHS numbers in the 999 test range, invented names and places.
 */
export * from './fhir/index.js';
export * as dicom from './dicom/index.js';
