import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { acceptRecord, MemoryPatientIndex, type FhirResource, type ParsedConsent, type Rejection } from '@harbour/deid-ehr';
import { nhsBlindIndex, nhsBlindIndexKey, TrustKeyRing, VaultRepository } from '@harbour/vault';
import { PersonRepository, StudyConsentRepository } from '@harbour/consent';
import { projectEvents, projectPatient, ResearchRepository } from '@harbour/research';
import { listExtractFiles, readExtract, type ExtractItem } from './extract-walker.js';
import { BatchRepository } from './batch.repository.js';

export interface IngestProgress {
  phase: 'patients' | 'records';
  seen: number;
  accepted: number;
  rejected: number;
}

export interface IngestSummary {
  batchId: string;
  seen: number;
  accepted: number;
  unchanged: number;
  rejected: number;
}

/** What the vault stores for a record: the resource as received and its patient's NHS number. */
export interface VaultPayload {
  nhsNumber?: string;
  resource: FhirResource;
}

const CHUNK = 500;

interface Pending {
  item: ExtractItem;
  resourceType: string;
  sourceId: string;
  nhsNumber?: string;
  resource: FhirResource;
  consent?: { decision: 'permit' | 'deny'; scope: string | null; periodStart: string | null; periodEnd: string | null; status: string };
}

/**
 * EHR ingestion: an extract folder (FHIR NDJSON, Bundles, CSV) of one trust into the vault and
 * the research store. Records are validated one by one (`@harbour/deid-ehr` acceptRecord); a bad
 * record is rejected with file and line and never sinks the batch. Records are written in chunks,
 * each chunk in one transaction, and every write is an idempotent upsert keyed by the trust's own
 * ids, so a batch interrupted half-way is finished by running it again, without duplicates.
 */
@Injectable()
export class EhrIngestionService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(KEY_MATERIAL) private readonly keys: KeyMaterial,
    @Inject(TrustKeyRing) private readonly keyRing: TrustKeyRing,
    @Inject(VaultRepository) private readonly vault: VaultRepository,
    @Inject(PersonRepository) private readonly persons: PersonRepository,
    @Inject(ResearchRepository) private readonly research: ResearchRepository,
    @Inject(StudyConsentRepository) private readonly consents: StudyConsentRepository,
    @Inject(BatchRepository) private readonly batches: BatchRepository,
  ) {}

  async ingestDirectory(trustId: string, batchId: string, dir: string, onProgress?: (p: IngestProgress) => void): Promise<IngestSummary> {
    const bidxKey = nhsBlindIndexKey(this.keys.masterKey());
    const bidx = (nhs: string): Buffer => nhsBlindIndex(bidxKey, nhs);
    const fingerprint = (json: string): string => createHmac('sha256', bidxKey).update(json).digest('base64url');
    const encrypt = await this.keyRing.encrypter(trustId);
    const decrypt = await this.keyRing.decrypter(trustId);

    // The patient index starts with what the vault already holds for this trust, so an
    // incremental extract may reference patients sent earlier.
    const index = new MemoryPatientIndex();
    const patientOf = new Map<string, { patientId: string; personId: string }>();
    for (const p of await this.vault.patientIdentities(trustId)) {
      const payload = JSON.parse(decrypt(p.identity_enc).toString('utf8')) as VaultPayload;
      if (!payload.nhsNumber) continue;
      index.add(payload.nhsNumber, [p.source_id, ...(payload.resource.id ? [payload.resource.id] : [])], false);
      if (!patientOf.has(payload.nhsNumber)) patientOf.set(payload.nhsNumber, { patientId: p.id, personId: p.person_id });
    }

    const files = await listExtractFiles(dir);
    const stats = { seen: 0, accepted: 0, unchanged: 0, rejected: 0 };
    const rejections: Rejection[] = [];
    let pending: Pending[] = [];

    const flushRejections = async (): Promise<void> => {
      if (rejections.length === 0) return;
      await this.batches.addRejections(trustId, batchId, rejections.splice(0));
    };

    const flushPatients = async (): Promise<void> => {
      const chunk = pending.splice(0);
      if (chunk.length === 0) return;
      await this.db.run(async () => {
        const personIds = await this.persons.ensure(chunk.map((c) => bidx(c.nhsNumber!)));
        const rows = chunk.map((c) => {
          const json = JSON.stringify({ nhsNumber: c.nhsNumber, resource: c.resource } satisfies VaultPayload);
          return {
            sourceId: c.sourceId,
            personId: personIds.get(bidx(c.nhsNumber!).toString('hex'))!,
            identityEnc: encrypt(Buffer.from(json)),
            contentHash: fingerprint(json),
          };
        });
        const stored = await this.vault.upsertPatients(trustId, batchId, rows);
        const optedOut = await this.persons.optedOut(rows.map((r) => r.personId));
        const research = [];
        for (const [i, c] of chunk.entries()) {
          const row = rows[i]!;
          const s = stored.get(c.sourceId)!;
          if (!patientOf.has(c.nhsNumber!)) patientOf.set(c.nhsNumber!, { patientId: s.id, personId: row.personId });
          if (s.changed) stats.accepted++;
          else stats.unchanged++;
          // Opted-out patients stay in their trust's vault but never reach the research store.
          if (s.changed && !optedOut.has(row.personId)) research.push({ personId: row.personId, ...projectPatient(c.resource) });
        }
        await this.research.upsertPatients(trustId, research);
      });
    };

    const flushRecords = async (): Promise<void> => {
      const chunk = pending.splice(0);
      if (chunk.length === 0) return;
      await this.db.run(async () => {
        const rows = chunk.map((c) => {
          const json = JSON.stringify({ nhsNumber: c.nhsNumber, resource: c.resource } satisfies VaultPayload);
          return {
            resourceType: c.resourceType,
            sourceId: c.sourceId,
            patientId: c.nhsNumber ? (patientOf.get(c.nhsNumber)?.patientId ?? null) : null,
            contentEnc: encrypt(Buffer.from(json)),
            contentHash: fingerprint(json),
          };
        });
        const stored = await this.vault.upsertRecords(trustId, batchId, rows);
        const personIds = [
          ...new Set(chunk.flatMap((c) => (c.nhsNumber ? [patientOf.get(c.nhsNumber)?.personId ?? ''] : [])).filter(Boolean)),
        ];
        const optedOut = await this.persons.optedOut(personIds);
        const events = [];
        const consents = [];
        for (const c of chunk) {
          const s = stored.get(`${c.resourceType}/${c.sourceId}`)!;
          if (s.changed) stats.accepted++;
          else stats.unchanged++;
          const personId = c.nhsNumber ? patientOf.get(c.nhsNumber)?.personId : undefined;
          if (!s.changed || !personId) continue;
          if (c.consent) consents.push({ personId, sourceId: c.sourceId, ...c.consent });
          if (!optedOut.has(personId)) events.push({ recordId: s.id, personId, events: projectEvents(c.resource) });
        }
        await this.research.replaceEvents(trustId, events);
        await this.consents.upsert(trustId, consents);
      });
    };

    for (const phase of ['patients', 'others'] as const) {
      for await (const item of readExtract(files, phase)) {
        stats.seen++;
        if (item.rejection) {
          stats.rejected++;
          rejections.push(item.rejection);
        } else {
          const outcome = acceptRecord(
            item.value,
            { file: item.file, line: item.line, expectedType: item.expectedType, urlMap: item.urlMap },
            { index },
          );
          if (outcome.kind === 'rejected') {
            stats.rejected++;
            rejections.push(outcome.rejection);
            if (phase === 'patients') {
              const id = typeof item.value === 'object' ? item.value.id : undefined;
              if (id) index.reject([id]);
            }
          } else if (outcome.kind === 'accepted') {
            const r = outcome.record;
            if (phase === 'patients') {
              const ids = [
                r.id,
                ...(typeof item.value === 'object' && item.urlMap
                  ? [...item.urlMap].filter(([, v]) => v === `Patient/${r.id}`).map(([k]) => k)
                  : []),
              ].filter((x): x is string => typeof x === 'string');
              if (!index.add(r.nhsNumber!, ids, false)) index.link(r.nhsNumber!, ids);
            }
            pending.push({
              item,
              resourceType: r.resourceType,
              sourceId: r.id ?? `nhs-${bidx(r.nhsNumber!).toString('hex').slice(0, 32)}`,
              nhsNumber: r.nhsNumber,
              resource: r.resource,
              consent: r.consent ? consentRow(r.consent) : undefined,
            });
          }
        }
        if (pending.length >= CHUNK) await (phase === 'patients' ? flushPatients() : flushRecords());
        if (rejections.length >= CHUNK) await flushRejections();
        if (stats.seen % 1000 === 0) onProgress?.({ phase: phase === 'patients' ? 'patients' : 'records', ...stats });
      }
      await (phase === 'patients' ? flushPatients() : flushRecords());
      pending = [];
    }
    await flushRejections();
    onProgress?.({ phase: 'records', ...stats });
    return { batchId, ...stats };
  }
}

/**
 * The enforceable summary of a FHIR R4 Consent: the root provision's decision and period, and
 * its scope as a project (policy URI or purpose code naming the project) or any research use.
 */
function consentRow(c: ParsedConsent): Pending['consent'] {
  const p = c.provision;
  const scope = c.policies.find((x) => x.uri)?.uri ?? p?.purposes.find((x) => x.code)?.code ?? null;
  return {
    decision: p?.type === 'permit' ? 'permit' : 'deny',
    scope,
    periodStart: p?.period?.start?.slice(0, 10) ?? null,
    periodEnd: p?.period?.end?.slice(0, 10) ?? null,
    status: c.active ? 'active' : c.status,
  };
}
