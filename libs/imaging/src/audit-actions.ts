/**
 * Audit actions of the imaging context (declaration merging into `@harbour/audit`'s catalogue,
 * as its header describes). Payloads carry counts, enumerated codes and ids only: never an
 * original UID, a patient identifier or the guardian's free-text reason.
 */
declare module '@harbour/audit' {
  interface AuditPayloads {
    /** One STOW-RS request or one `harbour ingest dicom` run (per-part outcomes are in the batch). */
    'imaging.instances_stored': {
      batchId: string;
      channel: 'stow' | 'cli';
      received: number;
      stored: number;
      duplicates: number;
      held: number;
      quarantined: number;
      failed: number;
      bytes: number;
    };
    /** A guardian released or rejected a quarantined or held instance of their trust. */
    'imaging.quarantine_decided': { decision: 'release' | 'reject'; previousStatus: string; reasonCode: string | null };
    /** A guardian downloaded a quarantined or held original to review it. */
    'imaging.quarantine_viewed': { status: string; reasonCode: string | null };
    /** QIDO-RS: a partner searched a project's de-identified images (results returned). */
    'imaging.studies_searched': { level: 'study' | 'series' | 'instance'; results: number };
    /** WADO-RS: de-identified instances disclosed to a partner, one entry per contributing trust (metered by the ledger). */
    'imaging.study_retrieved': {
      level: 'study' | 'series' | 'instance';
      metadataOnly: boolean;
      studies: number;
      series: number;
      instances: number;
      bytes: number;
      withheld: number;
    };
    /** A project's de-identified imaging view and cache were purged (revocation, expiry, closure). */
    'imaging.project_cache_purged': { trustIds: readonly string[]; projectEnded: boolean; reason: string; viewRows: number };
  }
}

export {};
