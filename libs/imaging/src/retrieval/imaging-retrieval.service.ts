import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { Inject, Injectable } from '@nestjs/common';
import dcmjs from 'dcmjs';
import { HARBOUR_CONFIG, KEY_MATERIAL, type HarbourConfig, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { notFound } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { actorOf, type Principal } from '@harbour/auth';
import { AccessService, type ProjectScope } from '@harbour/access';
import { MeteringService } from '@harbour/ledger';
import {
  deidentifyDicomBuffer,
  deidentifyDicomFile,
  type AnnexEOption,
  type DicomDeidContext,
  type DicomDeidOutcome,
  type DicomQuarantineReason,
} from '@harbour/deid-dicom';
import { deriveProjectKeys, type ProjectKeys } from '@harbour/pseudonymisation';
import { TrustKeyRing } from '@harbour/vault';
import {
  ImagingRepository,
  type EligibilityScope,
  type InstanceResult,
  type ProjectInstanceRow,
  type RetrievalRow,
} from '../imaging.repository.js';
import { ImagingStore } from '../storage/imaging-store.js';
import { projectDeidOptions, projectView } from '../deid-context.js';
import { closeDelimiter, newBoundary, partEnd, partHeader } from '../dicomweb/multipart.js';
import { dcmjsDictToJson, dj, TAG, type DicomJsonDataset } from '../dicomweb/dicom-json.js';
import { parseQidoQuery } from '../dicomweb/qido-query.js';

export type QidoLevel = 'study' | 'series' | 'instance';
export interface WadoTarget {
  readonly studyUid: string;
  readonly seriesUid?: string;
  readonly sopUid?: string;
}

/** A WADO-RS multipart/related response body (PS3.18 §10.4.3, §8.6.1.2). */
export interface WadoMultipart {
  readonly contentType: string;
  readonly body: AsyncIterable<Buffer>;
}

/** Instances disclosed by one WADO-RS call at most; larger studies are fetched series by series. */
const MAX_INSTANCES_PER_RETRIEVAL = 5000;
/** Originals up to this size are de-identified in memory; larger ones through temporary files. */
const IN_MEMORY_BYTES = 64 * 1024 * 1024;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

interface ProjectContext {
  readonly scope: EligibilityScope;
  readonly keys: ProjectKeys;
  readonly options: readonly AnnexEOption[];
}

/**
 * QIDO-RS and WADO-RS over a project's de-identified images (PS3.18 §10.6, §10.4). Every call
 * asks `AccessService.activeScope` first (so a revocation or expiry stops the next call), sees
 * only instances of trusts whose approval is in force, of approved modalities, available (never
 * quarantined or held), of patients not opted out at this moment; identifiers in responses are
 * the project's: de-identified UIDs, the pseudonym as Patient ID and Name, shifted dates.
 * Every search and retrieval is audited; each retrieval is billed per contributing trust
 * (`imaging.study_retrieved`) in the transaction of its audit entry.
 */
@Injectable()
export class ImagingRetrievalService {
  constructor(
    @Inject(HARBOUR_CONFIG) private readonly config: HarbourConfig,
    @Inject(KEY_MATERIAL) private readonly keyMaterial: KeyMaterial,
    @Inject(Db) private readonly db: Db,
    @Inject(AccessService) private readonly access: AccessService,
    @Inject(ImagingRepository) private readonly repo: ImagingRepository,
    @Inject(ImagingStore) private readonly store: ImagingStore,
    @Inject(TrustKeyRing) private readonly keyRing: TrustKeyRing,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(MeteringService) private readonly metering: MeteringService,
  ) {}

  /** QIDO-RS search at study, series or instance level (PS3.18 §10.6.1), within a study/series when given. */
  async search(
    p: Principal,
    projectId: string,
    level: QidoLevel,
    query: Readonly<Record<string, unknown>>,
    within: Partial<WadoTarget> = {},
  ): Promise<DicomJsonDataset[]> {
    const filter = parseQidoQuery(query);
    if (within.studyUid) filter.studyUids = [within.studyUid];
    if (within.seriesUid) filter.seriesUids = [within.seriesUid];
    const ctx = await this.context(p, projectId);
    let results: DicomJsonDataset[];
    if (level === 'study') {
      const rows = await this.repo.searchStudies(ctx.scope, filter);
      results = rows.map((r) => ({
        [TAG.StudyDate]: dj.str('DA', r.study_date),
        [TAG.ModalitiesInStudy]: dj.strs('CS', r.modalities.filter(Boolean)),
        [TAG.RetrieveURL]: dj.str('UR', this.url(projectId, { studyUid: r.deid_study_uid })),
        [TAG.PatientName]: dj.pn(r.pseudonym),
        [TAG.PatientID]: dj.str('LO', r.pseudonym),
        [TAG.StudyInstanceUID]: dj.str('UI', r.deid_study_uid),
        [TAG.NumberOfStudyRelatedSeries]: dj.int('IS', Number(r.series)),
        [TAG.NumberOfStudyRelatedInstances]: dj.int('IS', Number(r.instances)),
      }));
    } else if (level === 'series') {
      const rows = await this.repo.searchSeries(ctx.scope, filter);
      results = rows.map((r) => ({
        [TAG.StudyDate]: dj.str('DA', r.study_date),
        [TAG.Modality]: dj.str('CS', r.modality),
        [TAG.RetrieveURL]: dj.str('UR', this.url(projectId, { studyUid: r.deid_study_uid, seriesUid: r.deid_series_uid })),
        [TAG.PatientName]: dj.pn(r.pseudonym),
        [TAG.PatientID]: dj.str('LO', r.pseudonym),
        [TAG.StudyInstanceUID]: dj.str('UI', r.deid_study_uid),
        [TAG.SeriesInstanceUID]: dj.str('UI', r.deid_series_uid),
        [TAG.SeriesNumber]: dj.int('IS', r.series_number),
        [TAG.NumberOfSeriesRelatedInstances]: dj.int('IS', Number(r.instances)),
      }));
    } else {
      const rows = await this.repo.searchInstances(ctx.scope, filter);
      results = rows.map((r) => this.instanceJson(projectId, r));
    }
    await this.audit.append({
      action: 'imaging.studies_searched',
      actor: actorOf(p),
      target: { type: 'project', id: projectId },
      projectId,
      payload: { level, results: results.length },
    });
    return results;
  }

  /** WADO-RS retrieve of a study, series or instance as multipart/related application/dicom (PS3.18 §10.4.1.1.1). */
  async retrieve(p: Principal, projectId: string, target: WadoTarget): Promise<WadoMultipart> {
    const ctx = await this.context(p, projectId);
    const served = await this.prepare(p, ctx, target, false);
    const boundary = newBoundary();
    const store = this.store;
    async function* body(): AsyncGenerator<Buffer> {
      for (const s of served) {
        yield partHeader(boundary, `application/dicom; transfer-syntax=${s.row.transfer_syntax_uid}`);
        for await (const chunk of await store.getCache(s.key)) yield chunk as Buffer;
        yield partEnd();
      }
      yield closeDelimiter(boundary);
    }
    return { contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`, body: body() };
  }

  /** WADO-RS metadata (PS3.18 §10.4.1.1.2): the de-identified attributes as DICOM JSON, bulk data left out. */
  async metadata(p: Principal, projectId: string, target: WadoTarget): Promise<DicomJsonDataset[]> {
    const ctx = await this.context(p, projectId);
    const served = await this.prepare(p, ctx, target, true);
    const out: DicomJsonDataset[] = [];
    for (const s of served) {
      const buf = await this.store.getCacheBuffer(s.key);
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length) as ArrayBuffer;
      const parsed = (
        dcmjs as {
          data: { DicomMessage: { readFile(ab: ArrayBuffer, o: object): { dict: Record<string, { vr: string; Value?: unknown[] }> } } };
        }
      ).data.DicomMessage.readFile(ab, {
        ignoreErrors: true,
      });
      out.push(dcmjsDictToJson(parsed.dict));
    }
    return out;
  }

  /**
   * Build the de-identified view and cache of every instance a project may see now (the worker's
   * `imaging.deid` job: pre-warming after approval so partners do not wait on first retrieval).
   */
  async warm(p: Principal, projectId: string): Promise<{ instances: number; cached: number }> {
    const ctx = await this.context(p, projectId);
    let cached = 0;
    let instances = 0;
    const studies = await this.repo.searchStudies(ctx.scope, { limit: 1_000_000, offset: 0 });
    for (const s of studies) {
      const rows = await this.repo.forRetrieval(ctx.scope, { studyUids: [s.deid_study_uid] }, MAX_INSTANCES_PER_RETRIEVAL);
      for (const r of rows) {
        instances++;
        if (await this.ensureCached(ctx, r)) cached++;
      }
    }
    return { instances, cached };
  }

  /**
   * Compute jobs (run by the station for a project): every instance the project may see now,
   * de-identified (UIDs, pseudonym, shifted study date), for the job's `dicom.studies()`.
   * `p` is the station's own principal; the project's scope is checked as for any call.
   */
  async jobInstances(p: Principal, projectId: string, limit = 100_000): Promise<InstanceResult[]> {
    const ctx = await this.context(p, projectId);
    return this.repo.searchInstances(ctx.scope, { limit, offset: 0 });
  }

  /** One de-identified instance file for a compute job (audited and metered like a WADO-RS retrieval). */
  async jobInstanceFile(p: Principal, projectId: string, deidSopUid: string): Promise<Buffer | undefined> {
    const ctx = await this.context(p, projectId);
    const [row] = await this.repo.forRetrieval(ctx.scope, { sopUids: [deidSopUid] }, 1);
    if (!row) return undefined;
    const served = await this.prepare(
      p,
      ctx,
      { studyUid: row.deid_study_uid, seriesUid: row.deid_series_uid, sopUid: deidSopUid },
      false,
    ).catch(() => []);
    const first = served[0];
    return first ? this.store.getCacheBuffer(first.key) : undefined;
  }

  private async context(p: Principal, projectId: string): Promise<ProjectContext> {
    const scope = await this.access.activeScope(p, projectId);
    const eligibility = eligibilityOf(scope);
    const keys = deriveProjectKeys(this.keyMaterial.masterKey(), projectId);
    const options = projectDeidOptions(scope.dicomOptions);
    const ctx = { scope: eligibility, keys, options };
    await this.ensureMapped(ctx);
    return ctx;
  }

  /**
   * Give every available instance of the project's trusts its de-identified view (UIDs, pseudonym,
   * shifted study date), computed forward with the project's keys. Done once per instance and
   * project; later calls only add instances that arrived or were released since.
   */
  private async ensureMapped(ctx: ProjectContext): Promise<void> {
    const { scope, keys, options } = ctx;
    if (scope.trustIds.length === 0) return;
    const decrypters = new Map<string, ((b: Buffer) => Buffer) | null>();
    let after = NIL_UUID;
    for (;;) {
      const rows = await this.repo.unmapped(scope.projectId, scope.trustIds, after, 1000);
      if (rows.length === 0) return;
      const views: ProjectInstanceRow[] = [];
      for (const r of rows) {
        after = r.id;
        if (!decrypters.has(r.trust_id)) decrypters.set(r.trust_id, await this.keyRing.decrypter(r.trust_id).catch(() => null));
        const decrypt = decrypters.get(r.trust_id);
        if (!decrypt || !r.nhs_enc) continue;
        let nhs: string;
        try {
          nhs = decrypt(r.nhs_enc).toString('latin1');
        } catch {
          continue; // a revoked trust key: its images are unreadable, so not offered
        }
        const v = projectView(
          keys,
          options,
          { studyUid: r.study_uid, seriesUid: r.series_uid, sopUid: r.sop_instance_uid, studyDate: r.study_date },
          nhs,
        );
        views.push({ projectId: scope.projectId, instanceId: r.id, trustId: r.trust_id, ...v });
      }
      await this.repo.insertProjectInstances(views);
      if (rows.length < 1000) return;
    }
  }

  /** The eligible instances of a target, each de-identified into the cache; audits the disclosure per trust. */
  private async prepare(
    p: Principal,
    ctx: ProjectContext,
    target: WadoTarget,
    metadataOnly: boolean,
  ): Promise<{ row: RetrievalRow; key: string }[]> {
    const rows = await this.repo.forRetrieval(
      ctx.scope,
      {
        studyUids: [target.studyUid],
        ...(target.seriesUid ? { seriesUids: [target.seriesUid] } : {}),
        ...(target.sopUid ? { sopUids: [target.sopUid] } : {}),
      },
      MAX_INSTANCES_PER_RETRIEVAL,
    );
    const what = target.sopUid ? 'instance' : target.seriesUid ? 'series' : 'study';
    if (rows.length === 0) throw notFound(what);
    const served: { row: RetrievalRow; key: string }[] = [];
    const withheld = new Map<string, number>();
    for (const row of rows) {
      const key = await this.ensureCached(ctx, row);
      if (key) served.push({ row, key });
      else withheld.set(row.trust_id, (withheld.get(row.trust_id) ?? 0) + 1);
    }
    if (served.length === 0) throw notFound(what);
    const level = target.sopUid ? 'instance' : target.seriesUid ? 'series' : 'study';
    await this.db.run(async () => {
      for (const trustId of new Set(rows.map((r) => r.trust_id))) {
        const mine = served.filter((s) => s.row.trust_id === trustId).map((s) => s.row);
        const entry = await this.audit.append({
          action: 'imaging.study_retrieved',
          actor: actorOf(p),
          target: { type: 'imaging_study', id: target.studyUid },
          projectId: ctx.scope.projectId,
          trustId,
          payload: {
            level,
            metadataOnly,
            studies: new Set(mine.map((r) => r.deid_study_uid)).size,
            series: new Set(mine.map((r) => r.deid_series_uid)).size,
            instances: mine.length,
            bytes: mine.reduce((n, r) => n + Number(r.bytes), 0),
            withheld: withheld.get(trustId) ?? 0,
          },
        });
        if (mine.length > 0) await this.meter(ctx.scope.projectId, trustId, mine, entry.id);
      }
    });
    return served;
  }

  /**
   * Bill one trust's part of a retrieval once (key `imaging.study_retrieved:<audit entry id>`: every
   * WADO-RS call that disclosed instances is a billable retrieval), one unit per study disclosed,
   * the trust contributing the patients of those studies. Not billable without an agreement in
   * effect (as `ProjectQueryService` does for queries).
   */
  private async meter(projectId: string, trustId: string, rows: readonly RetrievalRow[], auditEntryId: number): Promise<void> {
    const occurredAt = new Date();
    await this.metering.recordIfBillable({
      idempotencyKey: `imaging.study_retrieved:${auditEntryId}`,
      projectId,
      kind: 'imaging.study_retrieved',
      quantity: new Set(rows.map((r) => r.deid_study_uid)).size,
      occurredAt,
      auditEntryId,
      contributions: [{ trustId, patients: new Set(rows.map((r) => r.pseudonym)).size }],
    });
  }

  /**
   * The de-identified instance in the project's cache, de-identifying it from the sealed original
   * on a miss. The output must match the indexed view (same de-identified UIDs); anything else is
   * withheld (fail closed) rather than served.
   */
  private async ensureCached(ctx: ProjectContext, row: RetrievalRow): Promise<string | undefined> {
    const key = ImagingStore.cacheKey(ctx.scope.projectId, row.trust_id, row.deid_sop_uid);
    if (await this.store.cached(key)) return key;
    if (!row.nhs_enc) return undefined;
    let nhs: string;
    try {
      nhs = (await this.keyRing.decrypter(row.trust_id))(row.nhs_enc).toString('latin1');
    } catch {
      return undefined;
    }
    const dctx: DicomDeidContext = {
      keys: ctx.keys,
      options: ctx.options,
      resolvePatient: () => Promise.resolve(nhs),
      // A guardian released it after review: the finding no longer holds it back.
      ...(row.quarantine_reason ? { clearedQuarantine: [row.quarantine_reason as DicomQuarantineReason] } : {}),
    };
    let outcome: DicomDeidOutcome;
    if (Number(row.bytes) <= IN_MEMORY_BYTES) {
      const original = await this.store.readOriginal(row.trust_id, row.object_key);
      const res = await deidentifyDicomBuffer(original, dctx);
      outcome = res.outcome;
      if (!this.matches(outcome, row) || !res.output) return undefined;
      await this.store.putCache(key, res.output);
      return key;
    }
    const dir = await mkdtemp(join(tmpdir(), 'harbour-wado-'));
    try {
      const inPath = join(dir, `${randomUUID()}.dcm`);
      const outPath = join(dir, `${randomUUID()}.deid.dcm`);
      await pipeline(await this.store.openOriginal(row.trust_id, row.object_key), createWriteStream(inPath, { mode: 0o600 }));
      outcome = await deidentifyDicomFile(inPath, outPath, dctx);
      if (!this.matches(outcome, row)) return undefined;
      await this.store.putCache(key, createReadStream(outPath));
      return key;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private matches(outcome: DicomDeidOutcome, row: RetrievalRow): boolean {
    return (
      outcome.status === 'released' &&
      outcome.deidentified.sopInstanceUid === row.deid_sop_uid &&
      outcome.deidentified.studyUid === row.deid_study_uid &&
      outcome.deidentified.seriesUid === row.deid_series_uid &&
      outcome.deidentified.pseudonym === row.pseudonym
    );
  }

  private instanceJson(projectId: string, r: InstanceResult): DicomJsonDataset {
    return {
      [TAG.SOPClassUID]: dj.str('UI', r.sop_class_uid),
      [TAG.SOPInstanceUID]: dj.str('UI', r.deid_sop_uid),
      [TAG.InstanceAvailability]: dj.str('CS', 'ONLINE'),
      [TAG.StudyDate]: dj.str('DA', r.study_date),
      [TAG.Modality]: dj.str('CS', r.modality),
      [TAG.RetrieveURL]: dj.str(
        'UR',
        this.url(projectId, { studyUid: r.deid_study_uid, seriesUid: r.deid_series_uid, sopUid: r.deid_sop_uid }),
      ),
      [TAG.PatientName]: dj.pn(r.pseudonym),
      [TAG.PatientID]: dj.str('LO', r.pseudonym),
      [TAG.StudyInstanceUID]: dj.str('UI', r.deid_study_uid),
      [TAG.SeriesInstanceUID]: dj.str('UI', r.deid_series_uid),
      [TAG.SeriesNumber]: dj.int('IS', r.series_number),
      [TAG.InstanceNumber]: dj.int('IS', r.instance_number),
      [TAG.NumberOfFrames]: dj.int('IS', r.number_of_frames),
    };
  }

  private url(projectId: string, t: Partial<WadoTarget> & { studyUid: string }): string {
    let u = `${this.config.http.publicUrl.replace(/\/+$/, '')}/projects/${projectId}/dicomweb/studies/${t.studyUid}`;
    if (t.seriesUid) u += `/series/${t.seriesUid}`;
    if (t.sopUid) u += `/instances/${t.sopUid}`;
    return u;
  }
}

/** The imaging part of a project's scope: trusts without a no-imaging condition, approved modalities. */
export function eligibilityOf(scope: ProjectScope): EligibilityScope {
  const trustIds = scope.trustIds.filter((t) => !scope.conditions[t]?.noImaging);
  return {
    projectId: scope.projectId,
    trustIds,
    modalities: scope.imagingModalities.map((m) => m.toUpperCase()),
    consentTrustIds: trustIds.filter((t) => scope.conditions[t]?.requireStudyConsent === true),
  };
}
