/**
 * @harbour/imaging: DICOM ingest (STOW-RS, folders), sealed storage of originals, the guardian's
 * quarantine review, and QIDO-RS / WADO-RS over each project's de-identified images. See README.md.
 */
import './audit-actions.js';
export * from './entities/imaging-study.entity.js';
export * from './entities/imaging-series.entity.js';
export * from './entities/imaging-instance.entity.js';
export * from './entities/project-instance.entity.js';
export * from './imaging.repository.js';
export * from './storage/imaging-store.js';
export * from './storage/sealed-stream.js';
export * from './dicomweb/multipart.js';
export * from './dicomweb/dicom-json.js';
export * from './dicomweb/qido-query.js';
export * from './deid-context.js';
export * from './ingest/reason-codes.js';
export * from './ingest/imaging-ingest.service.js';
export * from './ingest/stow.service.js';
export * from './retrieval/imaging-retrieval.service.js';
export * from './quarantine/instance-workflow.js';
export * from './quarantine/quarantine.service.js';
export * from './lifecycle/imaging-project.listener.js';
export * from './imaging.module.js';
export * from './imaging.factory.js';
import { ImagingStudy } from './entities/imaging-study.entity.js';
import { ImagingSeries } from './entities/imaging-series.entity.js';
import { ImagingInstance } from './entities/imaging-instance.entity.js';
import { ProjectInstance } from './entities/project-instance.entity.js';
export const IMAGING_ENTITIES = [ImagingStudy, ImagingSeries, ImagingInstance, ProjectInstance];
export * from './imaging-jobs.js';
