export * from './data-source.js';
export * from './in-memory-data-source.js';
export * from './job.types.js';
export { jobCodeSha256, prepareJobCode, MAX_CODE_BYTES, type PreparedJobCode } from './job-code.js';
export { isValidOutputName, materializeOutput, toCsv } from './outputs.js';
export { runJob } from './run-job.js';
export {
  checkOutput,
  checkTable,
  worstSeverity,
  DEFAULT_AIRLOCK_CONTEXT,
  type AirlockContext,
  type Finding,
  type FindingCode,
  type FindingSeverity,
} from './airlock/airlock-checks.js';
export { isPng, parsePngHeader, type PngHeader } from './airlock/png.js';
