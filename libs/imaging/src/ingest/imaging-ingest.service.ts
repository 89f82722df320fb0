import { createHmac, hkdfSync, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { AuditLog, type AuditActor } from '@harbour/audit';
import {
  deidentifyDicomBuffer,
  deidentifyDicomFile,
  DicomRejection,
  readDicomIndex,
  type DicomDeidContext,
  type DicomDeidOutcome,
  type DicomIndexEntry,
} from '@harbour/deid-dicom';
import { deriveProjectKeys, type ProjectKeys } from '@harbour/pseudonymisation';
import { canonicalNhsNumber } from '@harbour/nhs';
import { nhsBlindIndex, nhsBlindIndexKey, TrustKeyRing, VaultRepository } from '@harbour/vault';
import { PersonRepository } from '@harbour/consent';
import { BatchRepository } from '@harbour/ingestion';
import { ImagingRepository } from '../imaging.repository.js';
import { ImagingStore } from '../storage/imaging-store.js';
import type { InstanceStatus } from '../entities/imaging-instance.entity.js';
import { failureReasonFor, type IngestFailureCode } from './reason-codes.js';

/** What happened to one received file or STOW part. */
export type IngestOutcome =
  | {
      readonly kind: 'stored' | 'duplicate';
      readonly sopClassUid?: string;
      readonly sopInstanceUid: string;
      readonly status: InstanceStatus;
      readonly reason?: string;
    }
  | {
      readonly kind: 'failed';
      readonly sopClassUid?: string;
      readonly sopInstanceUid?: string;
      readonly code: IngestFailureCode;
      /** PS3.18 §10.5.3 / PS3.4 Annex B status for Failure Reason (0008,1197). */
      readonly failureReason: number;
      readonly message: string;
    };

export interface IngestSummary {
  batchId: string;
  received: number;
  stored: number;
  duplicates: number;
  held: number;
  quarantined: number;
  failed: number;
  bytes: number;
  byCode: Record<string, number>;
}

/** Instances up to this size are validated in memory; larger ones stream through temporary files. */
const IN_MEMORY_BYTES = 8 * 1024 * 1024;

/**
 * A valid NHS number (Modulus 11) handed to the validation pass when the file's patient is not
 * identified, so the pass still walks the whole file (truncation, encoding) and detects burned-in
 * text. Its output is discarded; it is never stored or associated with the instance.
 */
const VALIDATION_PLACEHOLDER_NHS = '9434765919';

/**
 * Ingest of DICOM instances into a trust's vault, shared by STOW-RS (PS3.18 §10.5) and the
 * `harbour ingest dicom` command. One file at a time:
 *
 * 1. read the header (PS3.10) without pixel data → index facts, or a rejection code;
 * 2. idempotency: the same SOP Instance UID in the same trust is stored once (a different file
 *    under a known UID fails with 0111 Duplicate SOP Instance, PS3.7 §C.4.2 / PS3.4 Annex B);
 * 3. identify the patient: a valid NHS number in the file, or the trust's local id (MRN) looked
 *    up in the vault; unidentified → held (`patient_unidentified`) for a guardian;
 * 4. a full de-identification pass with throw-away keys validates the whole file (truncated pixel
 *    data, bad encodings) and finds images that may carry burned-in text → quarantined;
 * 5. the original is sealed with the trust's data key and streamed to the object store; the index
 *    rows (study, series, instance) are written in one transaction.
 */
@Injectable()
export class ImagingIngestService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(KEY_MATERIAL) private readonly keys: KeyMaterial,
    @Inject(TrustKeyRing) private readonly keyRing: TrustKeyRing,
    @Inject(VaultRepository) private readonly vault: VaultRepository,
    @Inject(PersonRepository) private readonly persons: PersonRepository,
    @Inject(BatchRepository) private readonly batches: BatchRepository,
    @Inject(ImagingRepository) private readonly repo: ImagingRepository,
    @Inject(ImagingStore) private readonly store: ImagingStore,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  /** Open a session (one ingestion batch of kind `dicom`) for a trust. */
  async open(
    trustId: string,
    actor: AuditActor,
    channel: 'stow' | 'cli',
    source: string,
    submittedBy: string | null,
  ): Promise<IngestSession> {
    const batch = await this.batches.create(trustId, 'dicom', source, submittedBy);
    await this.batches.transition(trustId, batch.id, 'running');
    const master = this.keys.masterKey();
    return new IngestSession(this, {
      trustId,
      actor,
      channel,
      batchId: batch.id,
      encrypt: await this.keyRing.encrypter(trustId),
      bidxKey: nhsBlindIndexKey(master),
      macKey: Buffer.from(hkdfSync('sha256', master, Buffer.from('harbour-imaging-content-v1'), Buffer.from(`trust:${trustId}`), 32)),
      // Validation-only keys: nothing produced with them is kept.
      checkKeys: deriveProjectKeys(master, 'harbour-imaging-ingest-validation'),
    });
  }

  /** @internal used by IngestSession */
  get deps(): {
    db: Db;
    keyRing: TrustKeyRing;
    vault: VaultRepository;
    persons: PersonRepository;
    batches: BatchRepository;
    repo: ImagingRepository;
    store: ImagingStore;
    audit: AuditLog;
  } {
    return {
      db: this.db,
      keyRing: this.keyRing,
      vault: this.vault,
      persons: this.persons,
      batches: this.batches,
      repo: this.repo,
      store: this.store,
      audit: this.audit,
    };
  }
}

interface SessionContext {
  trustId: string;
  actor: AuditActor;
  channel: 'stow' | 'cli';
  batchId: string;
  encrypt: (plain: Buffer) => Buffer;
  bidxKey: Buffer;
  macKey: Buffer;
  checkKeys: ProjectKeys;
}

/** One batch: call {@link ingestFile} per file (sequentially), then {@link finish}. */
export class IngestSession {
  private readonly summary: IngestSummary;
  private mrnIndex: Map<string, string | null> | undefined;

  constructor(
    private readonly svc: ImagingIngestService,
    private readonly ctx: SessionContext,
  ) {
    this.summary = {
      batchId: ctx.batchId,
      received: 0,
      stored: 0,
      duplicates: 0,
      held: 0,
      quarantined: 0,
      failed: 0,
      bytes: 0,
      byCode: {},
    };
  }

  get batchId(): string {
    return this.ctx.batchId;
  }

  /** Record a part that failed before it became a file (wrong media type, cut-off body). */
  fail(code: IngestFailureCode, message: string, ids: { sopInstanceUid?: string; sopClassUid?: string } = {}): IngestOutcome {
    this.summary.received++;
    return this.count({ kind: 'failed', code, failureReason: failureReasonFor(code), message, ...ids });
  }

  /** Ingest one file; never throws for a bad file (a failed outcome carries the reason code). */
  async ingestFile(path: string, opts: { expectedStudyUid?: string } = {}): Promise<IngestOutcome> {
    this.summary.received++;
    try {
      return this.count(await this.ingest(path, opts));
    } catch (e) {
      if (e instanceof DicomRejection)
        return this.count({ kind: 'failed', code: e.code, failureReason: failureReasonFor(e.code), message: e.message });
      const code = (e as { code?: unknown } | null)?.code;
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
        return this.count({
          kind: 'failed',
          code: 'io_error',
          failureReason: failureReasonFor('io_error'),
          message: `file system error ${code}`,
        });
      throw e; // database or storage outage: the caller's request fails as a whole
    }
  }

  private count(o: IngestOutcome): IngestOutcome {
    const s = this.summary;
    if (o.kind === 'failed') {
      s.failed++;
      s.byCode[o.code] = (s.byCode[o.code] ?? 0) + 1;
    } else if (o.kind === 'duplicate') s.duplicates++;
    else {
      s.stored++;
      if (o.status === 'held') s.held++;
      if (o.status === 'quarantined') s.quarantined++;
    }
    return o;
  }

  private async ingest(path: string, opts: { expectedStudyUid?: string }): Promise<IngestOutcome> {
    const { repo, store, db, persons } = this.svc.deps;
    const size = (await stat(path)).size;
    if (size === 0) throw new DicomRejection('empty_file', 'the file is empty');
    const index = await readDicomIndex(path);
    const ids = {
      ...(index.sopClassUid ? { sopClassUid: index.sopClassUid } : {}),
      ...(index.sopInstanceUid ? { sopInstanceUid: index.sopInstanceUid } : {}),
    };
    if (!index.sopInstanceUid) throw new DicomRejection('missing_required_attribute', 'SOP Instance UID (0008,0018) is missing');
    if (!index.studyInstanceUid || !index.seriesInstanceUid)
      throw new DicomRejection('missing_required_attribute', 'Study or Series Instance UID is missing');
    if (opts.expectedStudyUid && index.studyInstanceUid !== opts.expectedStudyUid) {
      return {
        kind: 'failed',
        code: 'study_mismatch',
        failureReason: failureReasonFor('study_mismatch'),
        message: 'the instance belongs to another study than the request URL names',
        ...ids,
      };
    }
    const mac = await this.contentMac(path);
    const known = await this.known(index.sopInstanceUid, mac, ids);
    if (known) return known;

    const nhs = index.nhsNumber ?? (await this.resolveMrn(index));
    const check = await this.validate(path, size, nhs);
    let status: InstanceStatus = 'available';
    let statusReason: string | null = null;
    let quarantineReason: string | null = null;
    if (check.status === 'rejected') {
      if (check.code !== 'patient_conflict') {
        return { kind: 'failed', code: check.code, failureReason: failureReasonFor(check.code), message: check.message, ...ids };
      }
      [status, statusReason] = ['held', 'patient_conflict'];
    } else if (check.status === 'quarantined') {
      [status, statusReason, quarantineReason] = ['quarantined', check.reason, check.reason];
    }
    if (!nhs && status !== 'held') [status, statusReason] = ['held', 'patient_unidentified'];

    let personId: string | null = null;
    if (nhs && statusReason !== 'patient_conflict') {
      const bidx = nhsBlindIndex(this.ctx.bidxKey, nhs);
      personId = (await persons.ensure([bidx])).get(bidx.toString('hex')) ?? null;
    }
    const instanceId = randomUUID();
    const put = await store.putOriginal(this.ctx.trustId, instanceId, createReadStream(path));
    let inserted = false;
    try {
      inserted = await db.run(async () => {
        const studyId = await repo.upsertStudy(this.ctx.trustId, index.studyInstanceUid!, personId, index.studyDate ?? null);
        const seriesId = await repo.upsertSeries(
          this.ctx.trustId,
          studyId,
          index.seriesInstanceUid!,
          index.modality?.trim().toUpperCase() || null,
          index.seriesNumber ?? null,
        );
        return repo.insertInstance({
          id: instanceId,
          trustId: this.ctx.trustId,
          studyId,
          seriesId,
          sopInstanceUid: index.sopInstanceUid!,
          sopClassUid: index.sopClassUid ?? null,
          transferSyntaxUid: index.transferSyntaxUid,
          instanceNumber: index.instanceNumber ?? null,
          numberOfFrames: index.numberOfFrames ?? null,
          personId,
          nhsEnc: nhs && statusReason !== 'patient_conflict' ? this.ctx.encrypt(Buffer.from(nhs, 'latin1')) : null,
          status,
          statusReason,
          quarantineReason,
          objectKey: put.key,
          bytes: size,
          contentMac: mac,
          batchId: this.ctx.batchId,
        });
      });
    } finally {
      if (!inserted) await store.deleteObject(put.key).catch(() => undefined);
    }
    if (!inserted) {
      // Another request stored the same SOP instance between our check and our insert.
      return (
        (await this.known(index.sopInstanceUid, mac, ids)) ?? {
          kind: 'failed',
          code: 'internal_error',
          failureReason: 0x0110,
          message: 'the instance could not be stored',
          ...ids,
        }
      );
    }
    this.summary.bytes += size;
    return { kind: 'stored', sopInstanceUid: index.sopInstanceUid, ...ids, status, ...(statusReason ? { reason: statusReason } : {}) };
  }

  private async known(
    sopInstanceUid: string,
    mac: string,
    ids: { sopClassUid?: string; sopInstanceUid?: string },
  ): Promise<IngestOutcome | undefined> {
    const existing = await this.svc.deps.repo.findInstance(this.ctx.trustId, sopInstanceUid);
    if (!existing) return undefined;
    if (existing.status === 'rejected') {
      return {
        kind: 'failed',
        code: 'previously_rejected',
        failureReason: failureReasonFor('previously_rejected'),
        message: 'a guardian rejected this instance',
        ...ids,
      };
    }
    if (existing.content_mac !== mac) {
      return {
        kind: 'failed',
        code: 'duplicate_conflict',
        failureReason: failureReasonFor('duplicate_conflict'),
        message: 'a different file with this SOP Instance UID is already stored',
        ...ids,
      };
    }
    return { kind: 'duplicate', sopInstanceUid, ...ids, status: existing.status };
  }

  /** Keyed MAC of the file (per trust), so equal files are recognised without storing a plain hash. */
  private async contentMac(path: string): Promise<string> {
    const h = createHmac('sha256', this.ctx.macKey);
    for await (const c of createReadStream(path)) h.update(c as Buffer);
    return h.digest('base64url');
  }

  /** Local identifiers (MRN) of the trust's vault patients → NHS number; ambiguous ids map to null. */
  private async resolveMrn(index: DicomIndexEntry): Promise<string | undefined> {
    const candidates = [index.patientId, ...index.otherPatientIds.map((o) => o.id)]
      .filter((x): x is string => !!x?.trim())
      .map((x) => x.trim());
    if (candidates.length === 0) return undefined;
    if (!this.mrnIndex) this.mrnIndex = await this.loadMrnIndex();
    const found = new Set<string>();
    for (const c of candidates) {
      const nhs = this.mrnIndex.get(c);
      if (nhs) found.add(nhs);
    }
    return found.size === 1 ? [...found][0] : undefined;
  }

  private async loadMrnIndex(): Promise<Map<string, string | null>> {
    const { vault, keyRing } = this.svc.deps;
    const decrypt = await keyRing.decrypter(this.ctx.trustId);
    const out = new Map<string, string | null>();
    const add = (id: unknown, nhs: string): void => {
      if (typeof id !== 'string' || !id.trim()) return;
      const k = id.trim();
      const prev = out.get(k);
      out.set(k, prev === undefined || prev === nhs ? nhs : null);
    };
    for (const p of await vault.patientIdentities(this.ctx.trustId)) {
      let payload: { nhsNumber?: string; resource?: { id?: unknown; identifier?: { value?: unknown }[] } };
      try {
        payload = JSON.parse(decrypt(p.identity_enc).toString('utf8')) as typeof payload;
      } catch {
        continue;
      }
      const nhs = payload.nhsNumber ? canonicalNhsNumber(payload.nhsNumber) : undefined;
      if (!nhs) continue;
      add(p.source_id, nhs);
      for (const ident of payload.resource?.identifier ?? []) add(ident.value, nhs);
    }
    return out;
  }

  /** The validation pass (step 4); its output is discarded. */
  private async validate(path: string, size: number, nhs: string | undefined): Promise<DicomDeidOutcome> {
    const ctx: DicomDeidContext = { keys: this.ctx.checkKeys, resolvePatient: () => Promise.resolve(nhs ?? VALIDATION_PLACEHOLDER_NHS) };
    if (size <= IN_MEMORY_BYTES) return (await deidentifyDicomBuffer(await readFile(path), ctx)).outcome;
    const out = `${path}.validation-${randomUUID()}`;
    try {
      return await deidentifyDicomFile(path, out, ctx);
    } finally {
      await rm(out, { force: true });
    }
  }

  /** Close the batch and audit the counts. */
  async finish(): Promise<IngestSummary> {
    const { batches, audit, db } = this.svc.deps;
    const s = this.summary;
    await db.run(async () => {
      await batches.transition(this.ctx.trustId, this.ctx.batchId, 'completed', {
        seen: s.received,
        accepted: s.stored,
        unchanged: s.duplicates,
        rejected: s.failed,
      });
      await audit.append({
        action: 'imaging.instances_stored',
        actor: this.ctx.actor,
        target: { type: 'ingestion_batch', id: this.ctx.batchId },
        trustId: this.ctx.trustId,
        payload: {
          batchId: this.ctx.batchId,
          channel: this.ctx.channel,
          received: s.received,
          stored: s.stored,
          duplicates: s.duplicates,
          held: s.held,
          quarantined: s.quarantined,
          failed: s.failed,
          bytes: s.bytes,
        },
      });
    });
    return { ...s, byCode: { ...s.byCode } };
  }

  /** Mark the batch failed (the request or run broke off); counts so far are kept. */
  async abort(): Promise<void> {
    await this.svc.deps.batches
      .transition(this.ctx.trustId, this.ctx.batchId, 'failed', { failureReason: 'processing_error' })
      .catch(() => undefined);
  }
}
