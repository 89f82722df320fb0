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

// Jobs, runner and airlock (the station side).
import './jobs/audit-actions.js';
export * from './jobs/compute-entities.js';
export * from './jobs/job-workflow.js';
export * from './jobs/job-views.js';
export * from './jobs/compute-tokens.js';
export * from './jobs/compute.repository.js';
export * from './jobs/project-data.repository.js';
export * from './jobs/project-data-source.js';
export * from './jobs/compute-job.service.js';
export * from './jobs/compute-job.runner.js';
export * from './jobs/compute-jobs.js';
export * from './jobs/compute-metering.js';
export * from './jobs/compute.module.js';
export * from './airlock/airlock.service.js';
