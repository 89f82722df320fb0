import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { acceptRecord, MemoryPatientIndex, type FhirResource, type ParsedConsent, type Rejection } from '@harbour/deid-ehr';
import { nhsBlindIndex, nhsBlindIndexKey, TrustKeyRing, VaultRepository, type SealedRecord } from '@harbour/vault';
import { PersonRepository, StudyConsentRepository, type StudyConsentUpsert } from '@harbour/consent';
import { projectEvents, projectPatient, ResearchRepository, type ProjectedEvent, type ProjectedPatient } from '@harbour/research';
import { listExtractFiles, readExtract, type ExtractItem } from './extract-walker.js';
import { BatchRepository } from './batch.repository.js';
import { PatientLinks } from './patient-links.js';
import { SerialWriter } from './serial-writer.js';

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

/**
 * Records per transaction. Each chunk costs a few round trips and a commit whatever its size, so
 * larger chunks amortise them; 2,000 records keep a chunk to a few MB of ciphertext.
 */
const CHUNK = 2000;
/**
 * Database connections writing at once. Each lane writes its own chunks one after another; a
 * record goes to the lane its key hashes to, so every write of one vault row stays in extract
 * order. One server backend per chunk is the bottleneck once the indexes outgrow memory; two keep
 * both cores of a small station busy from a single process.
 */
const LANES = 2;
/** Records processed between two turns of the event loop (a few milliseconds of work). */
const YIELD_EVERY = 64;
/** Vault patients read per query when a batch starts (bounded memory for any trust size). */
const PRELOAD_PAGE = 5000;

/** A patient ready for the vault but for sealing: the parsed resource is dropped, its payload kept as JSON. */
interface PatientRow {
  sourceId: string;
  nhsNumber: string;
  /** The first record of this NHS number (in the vault or this extract): its row is what records link to. */
  first: boolean;
  bidx: Buffer;
  json: string;
  facts: ProjectedPatient;
}

/** Any other record, likewise: nothing of the parsed resource is kept but its payload and projection. */
interface RecordRow {
  key: string;
  resourceType: string;
  sourceId: string;
  patientId: string | null;
  personId: string | undefined;
  json: string;
  events: ProjectedEvent[];
  consent?: Omit<StudyConsentUpsert, 'personId' | 'sourceId'>;
}

/**
 * EHR ingestion: an extract folder (FHIR NDJSON, Bundles, CSV) of one trust into the vault and
 * the research store. Records are validated one by one (`@harbour/deid-ehr` acceptRecord); a bad
 * record is rejected with file and line and never sinks the batch. Records are written in chunks,
 * each chunk in one transaction (with the rejections found meanwhile), and every write is an
 * idempotent upsert keyed by the trust's own ids, so a batch interrupted half-way is finished by
 * running it again, without duplicates.
 *
 * Reading, validation and encryption of the next chunk run while the previous chunk is being
 * written (one chunk in flight, so writes stay in extract order): the process and PostgreSQL work
 * at the same time instead of taking turns.
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
    const decrypt = await this.keyRing.decrypter(trustId);
    // Encryption and the content fingerprint (keyed by the blind-index key, so a re-sent record is
    // recognised as unchanged) run on a worker thread for full chunks.
    const sealer = await this.keyRing.sealer(trustId, bidxKey);

    // The patient index starts with what the vault already holds for this trust, so an
    // incremental extract may reference patients sent earlier. Both structures are compact
    // (typed arrays, tens of bytes per patient).
    const index = new MemoryPatientIndex();
    const links = new PatientLinks();
    for (let after: string | null = null; ;) {
      const page = await this.vault.patientIdentitiesPage(trustId, after, PRELOAD_PAGE);
      for (const p of page) {
        const payload = JSON.parse(decrypt(p.identity_enc).toString('utf8')) as VaultPayload;
        if (!payload.nhsNumber) continue;
        index.add(payload.nhsNumber, [p.source_id, ...(payload.resource.id ? [payload.resource.id] : [])], false);
        const entry = index.entryOf(payload.nhsNumber)!;
        if (!links.has(entry)) links.set(entry, p.id, p.person_id);
      }
      if (page.length < PRELOAD_PAGE) break;
      after = page[page.length - 1]!.id;
    }

    const files = await listExtractFiles(dir);
    const stats = { seen: 0, accepted: 0, unchanged: 0, rejected: 0 };
    let rejections: Rejection[] = [];
    const lanes: Lane[] = Array.from({ length: LANES }, () => ({ writer: new SerialWriter(), patients: [], records: [], keys: new Set() }));
    const laneOf = (key: string): Lane => lanes[laneHash(key) % LANES]!;

    const writePatients = async (chunk: PatientRow[], sealing: Promise<SealedRecord[]>, rejected: Rejection[]): Promise<void> => {
      const sealed = await sealing;
      await this.db.run(async () => {
        await this.batches.deferCommitFlush();
        await this.batches.addRejections(trustId, batchId, rejected);
        if (chunk.length === 0) return;
        // Sorted, so concurrent chunks (another lane, another batch) that share a person take its
        // row lock in the same order and wait for each other instead of deadlocking.
        const personIds = await this.persons.ensure(chunk.map((c) => c.bidx).sort(Buffer.compare));
        const personOf = (c: PatientRow): string => personIds.get(c.bidx.toString('hex'))!;
        const stored = await this.vault.upsertPatients(
          trustId,
          batchId,
          chunk.map((c, i) => ({
            sourceId: c.sourceId,
            personId: personOf(c),
            identityEnc: sealed[i]!.ciphertext,
            contentHash: sealed[i]!.fingerprint,
          })),
        );
        const optedOut = await this.persons.optedOut([...new Set(chunk.map(personOf))]);
        const research = [];
        for (const c of chunk) {
          const personId = personOf(c);
          const s = stored.get(c.sourceId)!;
          if (c.first) links.set(index.entryOf(c.nhsNumber)!, s.id, personId);
          if (s.changed) stats.accepted++;
          else stats.unchanged++;
          // Opted-out patients stay in their trust's vault but never reach the research store.
          if (s.changed && !optedOut.has(personId)) research.push({ personId, ...c.facts });
        }
        research.sort((a, b) => (a.personId < b.personId ? -1 : a.personId > b.personId ? 1 : 0));
        await this.research.upsertPatients(trustId, research);
      });
    };

    const writeRecords = async (chunk: RecordRow[], sealing: Promise<SealedRecord[]>, rejected: Rejection[]): Promise<void> => {
      const sealed = await sealing;
      await this.db.run(async () => {
        await this.batches.deferCommitFlush();
        await this.batches.addRejections(trustId, batchId, rejected);
        if (chunk.length === 0) return;
        const stored = await this.vault.upsertRecords(
          trustId,
          batchId,
          chunk.map((c, i) => ({
            resourceType: c.resourceType,
            sourceId: c.sourceId,
            patientId: c.patientId,
            contentEnc: sealed[i]!.ciphertext,
            contentHash: sealed[i]!.fingerprint,
          })),
        );
        const changedPersons = new Set<string>();
        for (const c of chunk) if (c.personId !== undefined && stored.has(c.key)) changedPersons.add(c.personId);
        const optedOut = await this.persons.optedOut([...changedPersons]);
        const events = [];
        const consents: StudyConsentUpsert[] = [];
        for (const c of chunk) {
          const s = stored.get(c.key);
          if (s) stats.accepted++;
          else stats.unchanged++;
          if (!s || c.personId === undefined) continue;
          if (c.consent) consents.push({ personId: c.personId, sourceId: c.sourceId, ...c.consent });
          if (!optedOut.has(c.personId)) events.push({ recordId: s.id, personId: c.personId, events: c.events, recordIsNew: s.inserted });
        }
        await this.research.replaceEvents(trustId, events);
        await this.consents.upsert(trustId, consents);
      });
    };

    /** Write a lane's chunk (and the rejections found so far); waits only for that lane's previous chunk. */
    const flush = async (lane: Lane, phase: 'patients' | 'others'): Promise<void> => {
      lane.keys.clear();
      if (rejections.length === 0 && (phase === 'patients' ? lane.patients : lane.records).length === 0) return;
      const r = rejections;
      rejections = [];
      // Sealing starts now, on the sealer's thread, while the previous chunk is still being written.
      const seal = (rows: readonly { json: string }[]): Promise<SealedRecord[]> => {
        const p = sealer.seal(rows.map((c) => c.json));
        p.catch(() => undefined); // reported when the write awaits it
        return p;
      };
      if (phase === 'patients') {
        const chunk = lane.patients;
        lane.patients = [];
        const sealing = seal(chunk);
        await lane.writer.submit(() => writePatients(chunk, sealing, r));
      } else {
        const chunk = lane.records;
        lane.records = [];
        const sealing = seal(chunk);
        await lane.writer.submit(() => writeRecords(chunk, sealing, r));
      }
    };

    /** The vault payload as JSON. An NDJSON line is used as it came (it is that JSON already). */
    const payloadJson = (item: ExtractItem, nhsNumber: string | undefined, resource: FhirResource): string => {
      if (typeof item.value === 'string' && !item.urlMap) {
        return nhsNumber === undefined
          ? `{"resource":${item.value}}`
          : `{"nhsNumber":${JSON.stringify(nhsNumber)},"resource":${item.value}}`;
      }
      return JSON.stringify({ nhsNumber, resource } satisfies VaultPayload);
    };

    try {
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
                const nhs = r.nhsNumber!;
                const ids = [
                  r.id,
                  ...(typeof item.value === 'object' && item.urlMap
                    ? [...item.urlMap].filter(([, v]) => v === `Patient/${r.id}`).map(([k]) => k)
                    : []),
                ].filter((x): x is string => typeof x === 'string');
                const first = index.add(nhs, ids, false);
                if (!first) index.link(nhs, ids);
                const b = bidx(nhs);
                const sourceId = r.id ?? `nhs-${b.toString('hex').slice(0, 32)}`;
                const lane = laneOf(sourceId);
                if (lane.keys.has(sourceId)) await flush(lane, phase);
                lane.keys.add(sourceId);
                lane.patients.push({
                  sourceId,
                  nhsNumber: nhs,
                  first,
                  bidx: b,
                  json: payloadJson(item, nhs, r.resource),
                  facts: projectPatient(r.resource),
                });
              } else {
                const sourceId = r.id ?? `nhs-${bidx(r.nhsNumber!).toString('hex').slice(0, 32)}`;
                const key = `${r.resourceType}/${sourceId}`;
                const lane = laneOf(key);
                if (lane.keys.has(key)) await flush(lane, phase);
                lane.keys.add(key);
                const entry = r.nhsNumber !== undefined ? index.entryOf(r.nhsNumber) : undefined;
                const link = entry !== undefined ? links.get(entry) : undefined;
                lane.records.push({
                  key,
                  resourceType: r.resourceType,
                  sourceId,
                  patientId: link?.patientId ?? null,
                  personId: link?.personId,
                  json: payloadJson(item, r.nhsNumber, r.resource),
                  events: link ? projectEvents(r.resource) : [],
                  consent: r.consent ? consentRow(r.consent) : undefined,
                });
              }
            }
          }
          for (const lane of lanes) if (lane.patients.length >= CHUNK || lane.records.length >= CHUNK) await flush(lane, phase);
          if (rejections.length >= CHUNK) await flush(lanes[0]!, phase);
          // Reading a file chunk yields only to microtasks, so without this the database's replies
          // to the write in flight would wait for the next 1 MiB of input to be processed.
          if (stats.seen % YIELD_EVERY === 0) await yieldToEventLoop();
          if (stats.seen % 1000 === 0) onProgress?.({ phase: phase === 'patients' ? 'patients' : 'records', ...stats });
        }
        for (const lane of lanes) await flush(lane, phase);
        // Every patient is in the vault (and linked) before any record that references one.
        for (const lane of lanes) await lane.writer.drain();
      }
    } finally {
      // Never leave a write running behind a failure: the batch is only marked failed after it.
      for (const lane of lanes) await lane.writer.settle();
      await sealer.close();
    }
    onProgress?.({ phase: 'records', ...stats });
    return { batchId, ...stats };
  }
}

/** A database writer with the chunk it is filling (see LANES). */
interface Lane {
  writer: SerialWriter;
  patients: PatientRow[];
  records: RecordRow[];
  /** Keys in the chunk being filled: a repeat goes to the next chunk (one upsert per row per statement). */
  keys: Set<string>;
}

/** FNV-1a of a record key, to spread records over lanes (any stable spread will do). */
function laneHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The enforceable summary of a FHIR R4 Consent: the root provision's decision and period, and
 * its scope as a project (policy URI or purpose code naming the project) or any research use.
 */
function consentRow(c: ParsedConsent): RecordRow['consent'] {
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
