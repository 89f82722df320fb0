/**
 * @harbour/deid-ehr: parse, validate and de-identify EHR extracts (FHIR R4 NDJSON and Bundles, flat
 * CSV). See README.md for formats, the profile table, reason codes and design.
 */
export * from './rejections.js';
export * from './fhir-types.js';
export { isValidFhirDate, findInvalidDate, normaliseCsvDate, shiftDate } from './fhir-dates.js';
export * from './line-reader.js';
export * from './bundle-reader.js';
export * from './csv-reader.js';
export * from './profile.js';
export * from './scrub.js';
export * from './deidentify.js';
export * from './validate.js';
export * from './patient-index.js';
export * from './pipeline.js';
export * from './consent.js';
export * from './opt-outs.js';
export * from './k-anonymity.js';
export * from './csv-deid.js';
export { deidentifyEhrDirectory, resourceTypeFromFileName } from './directory.js';
export type { DeidentifyDirectoryOptions, DeidentifyDirectoryResult, DeidProgress, FileReport } from './directory.js';
