import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { ProjectKeys } from '@harbour/pseudonymisation';
import { isObject, type FhirResource } from './fhir-types.js';
import { readNdjson } from './line-reader.js';
import { readBundle } from './bundle-reader.js';
import { readCsv, type CsvItem } from './csv-reader.js';
import { DEFAULT_EHR_PROFILE, EHR_DEID_PROFILE_VERSION, profileOptionsLabel, type DeidProfile } from './profile.js';
import { acceptRecord, type RecordLocation } from './pipeline.js';
import { MemoryPatientIndex } from './patient-index.js';
import { PatientKeyStore } from './patient-keys.js';
import { deidentifyResource, patientContext, withKeyCache, type DeidContext, type PatientContext } from './deidentify.js';
import { humanNameParts, makeScrubber } from './scrub.js';
import type { ParsedConsent } from './consent.js';
import {
  classifyCsvHeader,
  csvEventOutputHeader,
  csvLine,
  csvPatientOutputHeader,
  CSV_EVENT_COLUMNS,
  CSV_PATIENT_COLUMNS,
  deidentifyCsvEventRow,
  deidentifyCsvPatientRow,
  resolveColumns,
  type CsvKind,
} from './csv-deid.js';
import { planKAnonymity, QiClassCounts, type KAnonymityReport, type QuasiIdentifiers } from './k-anonymity.js';
import { BufferedFileWriter, RejectionSink } from './output-writers.js';
import type { RecordError, Rejection, RejectionCode } from './rejections.js';

export interface DeidProgress {
  /** 1: patients (and practitioners); 2: everything else; 3: k-anonymity rewrite. */
  pass: 1 | 2 | 3;
  file: string;
  records: number;
  accepted: number;
  rejected: number;
  excluded: number;
}

export interface DeidentifyDirectoryOptions {
  keys: ProjectKeys;
  /** Canonical NHS numbers whose records must never appear in the output. */
  optOuts?: ReadonlySet<string>;
  profile?: DeidProfile;
  onProgress?: (p: DeidProgress) => void;
  /** When set, Patient quasi-identifiers are generalised/suppressed until k ≥ targetK. */
  targetK?: number;
  /** Per-record byte limit for NDJSON/CSV (default 10 MiB). */
  maxRecordBytes?: number;
  /**
   * Called for each Consent found, with the patient's pseudonym (references inside the parsed
   * consent are the original ones, so it stays with the caller). Streamed rather than collected so
   * memory does not grow with the extract.
   */
  onConsent?: (pseudonym: string, consent: ParsedConsent) => void;
}

export interface FileReport {
  file: string;
  format: 'ndjson' | 'bundle' | 'csv';
  /** NDJSON: resource type from the file name; CSV: patients | events. */
  kind?: string;
  records: number;
  accepted: number;
  rejected: number;
  excluded: number;
}

export interface DeidentifyDirectoryResult {
  profileVersion: string;
  profileOptions: string;
  projectId: string;
  files: FileReport[];
  /** Files ignored (unknown extension). */
  skippedFiles: string[];
  /** Resources written per output type (NDJSON), and CSV rows per output file. */
  written: Record<string, number>;
  rejected: number;
  rejectionsByCode: Partial<Record<RejectionCode, number>>;
  /** Patients on the opt-out list found in the extract, and their records left out. */
  optedOutPatients: number;
  optedOutRecords: number;
  /** Consent resources found (each was passed to `onConsent`). */
  consents: number;
  /** k-anonymity of released patients over birth year, sex, postcode district (after targetK, if set). */
  kAnonymity: KAnonymityReport & { targetK?: number; level?: string };
  durationMs: number;
}

interface InputFile {
  rel: string;
  abs: string;
  format: 'ndjson' | 'bundle' | 'csv';
  type?: string;
}

const PASS1_TYPES = new Set(['Patient', 'Practitioner']);

/** Entries per memoised keyed function in a directory run (see withKeyCache). */
const KEY_CACHE_ENTRIES = 16_384;

/** `Patient.ndjson`, `Patient.000.ndjson`, `1.Observation.ndjson`, `Patient_2.ndjson.gz` → type. */
export function resourceTypeFromFileName(name: string): string | undefined {
  const base = name.replace(/\.gz$/i, '').replace(/\.(ndjson|jsonl)$/i, '');
  for (const seg of base.split(/[._\-\s]+/)) if (/^[A-Z][A-Za-z]+$/.test(seg)) return seg;
  return undefined;
}

async function listFiles(root: string, exclude: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = join(dir, e.name);
      if (abs === exclude || abs.startsWith(exclude + sep)) continue;
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) out.push(abs);
    }
  };
  await walk(root);
  return out.sort();
}

function classify(root: string, abs: string): InputFile | undefined {
  const rel = relative(root, abs).split(sep).join('/');
  const name = rel.split('/').pop()!;
  if (/\.(ndjson|jsonl)(\.gz)?$/i.test(name)) return { rel, abs, format: 'ndjson', type: resourceTypeFromFileName(name) };
  if (/\.json$/i.test(name)) return { rel, abs, format: 'bundle' };
  if (/\.csv(\.gz)?$/i.test(name)) return { rel, abs, format: 'csv' };
  return undefined;
}

const maybe = async (p: Promise<void> | undefined): Promise<void> => {
  if (p) await p;
};

/** Quasi-identifiers of a de-identified Patient, for k-anonymity. */
function patientQi(r: FhirResource): QuasiIdentifiers {
  const q: QuasiIdentifiers = {};
  if (typeof r.birthDate === 'string') q.birthYear = Number(r.birthDate.slice(0, 4));
  if (typeof r.gender === 'string') q.sex = r.gender;
  const addr = Array.isArray(r.address) ? r.address[0] : undefined;
  if (isObject(addr) && typeof addr.postalCode === 'string') q.district = addr.postalCode;
  return q;
}

/**
 * The de-identification run over one extract folder (NDJSON, Bundles, CSV). See the README for the
 * formats, profile and outputs. Two passes: pass 1 reads Patients (NDJSON, Bundle entries, CSV
 * patients) and Practitioners into a compact index; pass 2 streams everything else against it.
 */
class DirectoryRun {
  readonly profile: DeidProfile;
  readonly index = new MemoryPatientIndex();
  readonly practitionerNames = new Map<string, string[]>();
  readonly writers = new Map<string, BufferedFileWriter>();
  readonly written: Record<string, number> = {};
  readonly files: FileReport[] = [];
  consents = 0;
  /** Released patients' quasi-identifier classes: bounded by distinct values, not by patients. */
  readonly qiCounts = new QiClassCounts();
  readonly csvKinds = new Map<string, CsvKind>();
  optedOutRecords = 0;
  rejections!: RejectionSink;
  private readonly scrub: boolean;
  private lastProgress = 0;
  private readonly patientKeys: PatientKeyStore;
  private lastPatient: PatientContext | undefined;

  constructor(
    readonly outDir: string,
    readonly opts: DeidentifyDirectoryOptions,
  ) {
    this.profile = opts.profile ?? DEFAULT_EHR_PROFILE;
    this.scrub = this.profile.freeText === 'scrub';
    this.patientKeys = new PatientKeyStore(opts.keys);
  }

  private async writer(name: string): Promise<BufferedFileWriter> {
    let w = this.writers.get(name);
    if (!w) {
      const path = join(this.outDir, name);
      await mkdir(dirname(path), { recursive: true });
      w = await BufferedFileWriter.create(path);
      this.writers.set(name, w);
    }
    return w;
  }

  private async emit(resource: FhirResource): Promise<void> {
    const name = `${resource.resourceType}.ndjson`;
    const w = this.writers.get(name) ?? (await this.writer(name));
    this.written[resource.resourceType] = (this.written[resource.resourceType] ?? 0) + 1;
    await maybe(w.write(`${JSON.stringify(resource)}\n`));
  }

  private reject(report: FileReport, file: string, line: number, e: RecordError): Promise<void> | undefined {
    report.rejected++;
    const r: Rejection = { file, line, code: e.code, message: e.message };
    return this.rejections.add(r);
  }

  private progress(pass: 1 | 2 | 3, report: FileReport, force = false): void {
    if (!this.opts.onProgress) return;
    if (!force && report.records - this.lastProgress < 50_000) return;
    this.lastProgress = report.records;
    this.opts.onProgress({
      pass,
      file: report.file,
      records: report.records,
      accepted: report.accepted,
      rejected: report.rejected,
      excluded: report.excluded,
    });
  }

  private ctx(urlMap?: ReadonlyMap<string, string>): DeidContext {
    return {
      keys: this.opts.keys,
      profile: this.profile,
      resolvePatient: (id) => this.index.byId(id),
      urlMap,
      practitionerNames: (id) => this.practitionerNames.get(id),
    };
  }

  private patient(nhs: string): PatientContext {
    const known = this.scrub ? this.index.known(nhs) : undefined;
    // A patient's resources arrive together: reuse the context while the patient stays the same.
    const last = this.lastPatient;
    if (last && last.nhsNumber === nhs && last.known === known) return last;
    const entry = this.index.entryOf(nhs);
    const p: PatientContext =
      entry !== undefined ? { nhsNumber: nhs, ...this.patientKeys.get(entry, nhs), known } : patientContext(this.opts.keys, nhs, known);
    this.lastPatient = p;
    return p;
  }

  /** Validate, link, de-identify and write one parsed resource. */
  async handle(value: unknown, loc: RecordLocation, report: FileReport, extraIds: string[], ctx: DeidContext): Promise<void> {
    report.records++;
    const outcome = acceptRecord(value, loc, {
      index: this.index,
      profile: this.profile,
      optOuts: this.opts.optOuts,
      collectKnown: this.scrub,
    });
    if (outcome.kind === 'rejected') {
      if (isObject(value) && value.resourceType === 'Patient') {
        const ids = [...extraIds];
        if (typeof value.id === 'string') ids.push(value.id);
        this.index.reject(ids);
      }
      report.rejected++;
      await maybe(this.rejections.add(outcome.rejection));
      return;
    }
    if (outcome.kind === 'excluded') {
      report.excluded++;
      this.optedOutRecords++;
      if (outcome.resourceType === 'Patient') {
        const ids = [...extraIds];
        if (isObject(value) && typeof value.id === 'string') ids.push(value.id);
        this.index.add(outcome.nhsNumber, ids, true);
      }
      return;
    }
    const rec = outcome.record;
    let patient: PatientContext | undefined;
    if (rec.resourceType === 'Patient') {
      const ids = [...extraIds];
      if (rec.id !== undefined) ids.push(rec.id);
      if (!this.index.add(rec.nhsNumber!, ids, false, rec.known)) {
        this.index.link(rec.nhsNumber!, ids);
        await maybe(
          this.reject(report, loc.file, loc.line, {
            code: 'duplicate_patient',
            message: 'A Patient with the same NHS number was already read; ids linked to it',
          }),
        );
        return;
      }
    }
    if (rec.nhsNumber !== undefined) patient = this.patient(rec.nhsNumber);
    if (rec.resourceType === 'Practitioner' && this.scrub && rec.id !== undefined) {
      this.practitionerNames.set(rec.id, humanNameParts(rec.resource.name));
    }
    const res = deidentifyResource(rec.resource, patient, ctx);
    if (!res.ok) {
      await maybe(this.reject(report, loc.file, loc.line, res.error));
      return;
    }
    report.accepted++;
    if (rec.resourceType === 'Patient') this.qiCounts.add(patientQi(res.resource));
    if (rec.consent && patient) {
      this.consents++;
      this.opts.onConsent?.(patient.pseudonym, rec.consent);
    }
    await this.emit(res.resource);
  }

  private fileReport(f: InputFile, kind?: string): FileReport {
    let r = this.files.find((x) => x.file === f.rel);
    if (!r) {
      r = { file: f.rel, format: f.format, kind, records: 0, accepted: 0, rejected: 0, excluded: 0 };
      this.files.push(r);
    }
    if (kind !== undefined) r.kind = kind;
    return r;
  }

  async ndjson(f: InputFile, pass: 1 | 2): Promise<void> {
    if (f.type !== undefined && PASS1_TYPES.has(f.type) !== (pass === 1)) return;
    const report = this.fileReport(f, f.type);
    const ctx = this.ctx();
    for await (const item of readNdjson(f.abs, { maxRecordBytes: this.opts.maxRecordBytes })) {
      if (item.error) {
        if (f.type !== undefined || pass === 2) {
          report.records++;
          await maybe(this.reject(report, f.rel, item.line, item.error));
        }
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(item.raw);
      } catch {
        if (f.type !== undefined || pass === 2) {
          report.records++;
          await maybe(this.reject(report, f.rel, item.line, { code: 'invalid_json', message: 'Record is not valid JSON' }));
        }
        continue;
      }
      if (f.type === undefined) {
        // A file whose name gives no type: each record goes to the pass of its own type.
        const t = isObject(value) ? value.resourceType : undefined;
        const isPass1 = typeof t === 'string' && PASS1_TYPES.has(t);
        if (isPass1 !== (pass === 1)) continue;
      }
      await this.handle(value, { file: f.rel, line: item.line, expectedType: f.type }, report, [], ctx);
      this.progress(pass, report);
    }
    this.progress(pass, report, true);
  }

  async bundle(f: InputFile, pass: 1 | 2): Promise<void> {
    const report = this.fileReport(f);
    const read = await readBundle(f.abs).catch(() => undefined);
    if (!read) {
      if (pass === 1) await maybe(this.reject(report, f.rel, 0, { code: 'unreadable_file', message: 'File could not be read' }));
      return;
    }
    if (read.error) {
      if (pass === 1) await maybe(this.reject(report, f.rel, read.error.line, read.error));
      return;
    }
    const ctx = this.ctx(read.urlMap);
    for (const entry of read.entries) {
      if (entry.error || !entry.resource) {
        if (pass === 2) {
          report.records++;
          await maybe(
            this.reject(
              report,
              f.rel,
              entry.line,
              entry.error ?? { code: 'unsupported_bundle', message: `Bundle entry ${entry.index} has no resource` },
            ),
          );
        }
        continue;
      }
      if (PASS1_TYPES.has(entry.resource.resourceType) !== (pass === 1)) continue;
      const extraIds = entry.fullUrl !== undefined ? [entry.fullUrl] : [];
      await this.handle(entry.resource, { file: f.rel, line: entry.line, urlMap: read.urlMap }, report, extraIds, ctx);
    }
    this.progress(pass, report, true);
  }

  async csv(f: InputFile, pass: 1 | 2): Promise<void> {
    let kind = this.csvKinds.get(f.rel);
    if (pass === 2 && kind !== 'events') return;
    const report = this.fileReport(f, kind);
    let header: string[] | undefined;
    let patientCols: ReturnType<typeof resolveColumns<typeof CSV_PATIENT_COLUMNS>> | undefined;
    let eventCols: ReturnType<typeof resolveColumns<typeof CSV_EVENT_COLUMNS>> | undefined;
    let out: BufferedFileWriter | undefined;
    const seen = new Set<string>();
    const iter: AsyncGenerator<CsvItem> = readCsv(f.abs, { maxRecordBytes: this.opts.maxRecordBytes });
    for await (const item of iter) {
      if (item.header) {
        header = item.header;
        kind = classifyCsvHeader(header, f.rel);
        if (!kind) {
          await maybe(this.reject(report, f.rel, item.line, { code: 'invalid_csv_header', message: 'Header has no nhs_number column' }));
          return;
        }
        this.csvKinds.set(f.rel, kind);
        report.kind = kind;
        if (kind === 'events' && pass === 1) return; // events wait for pass 2
        if (kind === 'patients') patientCols = resolveColumns(header, CSV_PATIENT_COLUMNS);
        else eventCols = resolveColumns(header, CSV_EVENT_COLUMNS);
        out = await this.writer(f.rel.replace(/\.gz$/i, ''));
        await maybe(out.write(csvLine(kind === 'patients' ? csvPatientOutputHeader(this.profile) : csvEventOutputHeader(this.profile))));
        continue;
      }
      report.records++;
      if (item.error) {
        await maybe(this.reject(report, f.rel, item.line, item.error));
        if (item.error.code === 'invalid_csv_header') return;
        continue;
      }
      if (!out || !header) continue;
      if (patientCols) {
        const r = deidentifyCsvPatientRow(item.row, patientCols, this.opts.keys, this.profile, this.scrub);
        if (!r.ok) {
          await maybe(this.reject(report, f.rel, item.line, r.error));
          continue;
        }
        if (this.opts.optOuts?.has(r.nhsNumber)) {
          this.index.add(r.nhsNumber, [], true);
          report.excluded++;
          this.optedOutRecords++;
          continue;
        }
        if (seen.has(r.nhsNumber)) {
          await maybe(
            this.reject(report, f.rel, item.line, { code: 'duplicate_patient', message: 'NHS number already appeared in this file' }),
          );
          continue;
        }
        seen.add(r.nhsNumber);
        const isNew = this.index.add(r.nhsNumber, [], false, r.known);
        if (isNew) this.qiCounts.add({ birthYear: r.birthYear, sex: r.sex || undefined, district: r.district || undefined });
        report.accepted++;
        this.written[f.rel] = (this.written[f.rel] ?? 0) + 1;
        await maybe(out.write(csvLine(r.values)));
      } else if (eventCols) {
        const raw = eventCols.nhs_number[0] !== undefined ? (item.row[eventCols.nhs_number[0]] ?? '') : '';
        const lookup = this.index.byNhs(raw.replace(/[\s\-.]/g, ''));
        if (raw.trim() === '') {
          await maybe(this.reject(report, f.rel, item.line, { code: 'missing_patient_reference', message: 'Row has no NHS number' }));
          continue;
        }
        if (!/^\d{10}$/.test(raw.replace(/[\s\-.]/g, '')) || lookup === undefined) {
          const invalid = !/^\d{10}$/.test(raw.replace(/[\s\-.]/g, ''));
          await maybe(
            this.reject(
              report,
              f.rel,
              item.line,
              invalid
                ? { code: 'invalid_nhs_number', message: 'NHS number fails the Modulus 11 check' }
                : { code: 'unknown_patient', message: 'Row references a patient not in the extract' },
            ),
          );
          continue;
        }
        if (lookup.status === 'rejected') {
          await maybe(
            this.reject(report, f.rel, item.line, {
              code: 'patient_rejected',
              message: 'Row references a patient whose record was rejected',
            }),
          );
          continue;
        }
        if (lookup.status === 'opted_out') {
          report.excluded++;
          this.optedOutRecords++;
          continue;
        }
        const patient = this.patient(lookup.nhsNumber);
        const r = deidentifyCsvEventRow(
          item.row,
          eventCols,
          patient,
          this.opts.keys,
          this.profile,
          this.scrub ? makeScrubber(patient.known) : undefined,
        );
        if (!r.ok) {
          await maybe(this.reject(report, f.rel, item.line, r.error));
          continue;
        }
        report.accepted++;
        this.written[f.rel] = (this.written[f.rel] ?? 0) + 1;
        await maybe(out.write(csvLine(r.values)));
      }
      this.progress(pass, report);
    }
    this.progress(pass, report, true);
  }

  /**
   * Rewrite released Patient quasi-identifiers so that k ≥ targetK (generalise, then suppress).
   * The level is chosen from the class counts; the written patients are then streamed back and
   * each rewritten from its own released values, so nothing per patient is held in memory. A CSV
   * row of a patient counted from another file (same NHS number) is rewritten from its own values;
   * if those fall in no counted class it is suppressed (fails safe).
   */
  async enforceK(targetK: number): Promise<{ report: KAnonymityReport; level: string }> {
    const plan = planKAnonymity(this.qiCounts, targetK);
    // Patient.ndjson
    if (this.writers.has('Patient.ndjson')) {
      const path = join(this.outDir, 'Patient.ndjson');
      const tmp = `${path}.tmp`;
      const w = await BufferedFileWriter.create(tmp);
      for await (const item of readNdjson(path)) {
        if (item.error) continue;
        const r = JSON.parse(item.raw) as FhirResource;
        const q = plan.apply(patientQi(r));
        delete r.birthDate;
        delete r.gender;
        delete r.address;
        if (q.sex !== undefined) r.gender = q.sex;
        if (q.birthYear !== undefined) r.birthDate = String(q.birthYear).padStart(4, '0');
        if (q.district !== undefined) r.address = [{ postalCode: q.district }];
        await maybe(w.write(`${JSON.stringify(r)}\n`));
      }
      await w.close();
      await rename(tmp, path);
    }
    // CSV patients files
    for (const [rel, kind] of this.csvKinds) {
      if (kind !== 'patients' || !this.writers.has(rel.replace(/\.gz$/i, ''))) continue;
      const path = join(this.outDir, rel.replace(/\.gz$/i, ''));
      const tmp = `${path}.tmp`;
      const w = await BufferedFileWriter.create(tmp);
      let cols: string[] = [];
      for await (const item of readCsv(path)) {
        if (item.header) {
          cols = item.header;
          await maybe(w.write(csvLine(cols)));
          continue;
        }
        if (!item.row) continue;
        const row = item.row;
        const by = row.birth_year ?? '';
        const q = plan.apply({
          birthYear: by === '' ? undefined : Number(by),
          sex: row.sex || undefined,
          district: row.postcode_district || undefined,
        });
        row.birth_year = q.birthYear !== undefined ? String(q.birthYear) : '';
        row.sex = q.sex ?? '';
        row.postcode_district = q.district ?? '';
        await maybe(w.write(csvLine(cols.map((c) => row[c] ?? ''))));
      }
      await w.close();
      await rename(tmp, path);
    }
    return { report: plan.report, level: `birthYear=${plan.level.birthYear};district=${plan.level.district}` };
  }

  async closeAll(): Promise<void> {
    for (const w of this.writers.values()) await w.close();
    await this.rejections.close();
  }
}

/**
 * De-identify a folder of FHIR R4 NDJSON (Bulk Data), Bundles (`.json`) and CSV extracts into
 * `outDir`: `<ResourceType>.ndjson` per type, each CSV file under its own relative name with a
 * `pseudonym` column in place of `nhs_number`, `rejections.json` (array of `{file, line, code,
 * message}`), and `deid-summary.json` (this function's result). Opted-out patients are counted and
 * left out entirely. Memory is bounded by the compact patient index (tens of bytes per patient),
 * not by the number of resources.
 */
export async function deidentifyEhrDirectory(
  inDir: string,
  outDir: string,
  options: DeidentifyDirectoryOptions,
): Promise<DeidentifyDirectoryResult> {
  const started = Date.now();
  const inAbs = resolve(inDir);
  const outAbs = resolve(outDir);
  await mkdir(outAbs, { recursive: true });
  // Memoised keys: the same encounter/practitioner ids and patients recur, mostly close together
  // (Bulk Data files list a patient's resources together), so a small cache catches nearly every
  // repeat while its memory stays the same on any extract size.
  const run = new DirectoryRun(outAbs, { ...options, keys: withKeyCache(options.keys, KEY_CACHE_ENTRIES) });
  run.rejections = await RejectionSink.create(join(outAbs, 'rejections.json'));
  const skippedFiles: string[] = [];
  const inputs: InputFile[] = [];
  for (const abs of await listFiles(inAbs, outAbs)) {
    const f = classify(inAbs, abs);
    if (f) inputs.push(f);
    else skippedFiles.push(relative(inAbs, abs).split(sep).join('/'));
  }
  try {
    for (const pass of [1, 2] as const) {
      for (const f of inputs) {
        if (f.format === 'ndjson') await run.ndjson(f, pass);
        else if (f.format === 'bundle') await run.bundle(f, pass);
        else await run.csv(f, pass);
      }
    }
    for (const w of run.writers.values()) await w.flush();
    let kAnonymity: DeidentifyDirectoryResult['kAnonymity'] = run.qiCounts.report(options.targetK ?? 0);
    if (options.targetK && options.targetK > 1) {
      const { report, level } = await run.enforceK(options.targetK);
      kAnonymity = { ...report, targetK: options.targetK, level };
    }
    await run.closeAll();
    const result: DeidentifyDirectoryResult = {
      profileVersion: run.profile.version ?? EHR_DEID_PROFILE_VERSION,
      profileOptions: profileOptionsLabel(run.profile),
      projectId: options.keys.projectId,
      files: run.files,
      skippedFiles,
      written: run.written,
      rejected: run.rejections.count,
      rejectionsByCode: run.rejections.byCode,
      optedOutPatients: run.index.size.optedOut,
      optedOutRecords: run.optedOutRecords,
      consents: run.consents,
      kAnonymity,
      durationMs: Date.now() - started,
    };
    const summary = await BufferedFileWriter.create(join(outAbs, 'deid-summary.json'));
    await summary.write(`${JSON.stringify(result, null, 2)}\n`);
    await summary.close();
    return result;
  } catch (e) {
    await run.closeAll().catch(() => undefined);
    throw e;
  }
}
