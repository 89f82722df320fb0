import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { generatePatients, generateStaff, type GeneratorOptions, type SyntheticPatient, type SyntheticResource } from './generator.js';
import { OBSERVATIONS } from './reference-data.js';

/** Buffered, back-pressure aware text sink. */
class Sink {
  private buf: string[] = [];
  private size = 0;
  constructor(private readonly stream: WriteStream) {}
  static open(path: string): Sink {
    return new Sink(createWriteStream(path, { flags: 'w' }));
  }
  async write(s: string): Promise<void> {
    this.buf.push(s);
    this.size += s.length;
    if (this.size >= 1 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.buf.length === 0) return;
    const ok = this.stream.write(this.buf.join(''));
    this.buf = [];
    this.size = 0;
    if (!ok) await once(this.stream, 'drain');
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

export interface ExtractSummary {
  dir: string;
  patients: number;
  /** Resources (or CSV rows) written per file. */
  counts: Record<string, number>;
  total: number;
}

export interface NdjsonExtractOptions extends GeneratorOptions {
  /** Called with each patient after it is written (tests keep the planted identifiers). */
  onPatient?: (p: SyntheticPatient) => void;
}

/**
 * Write a FHIR Bulk Data style extract: one `<Type>.ndjson` per resource type (application/fhir+ndjson,
 * one resource per line), plus the shared Practitioner and Organization files. Streams: memory does
 * not grow with `count`.
 */
export async function writeFhirNdjsonExtract(
  dir: string,
  seed: number | string,
  count: number,
  options: NdjsonExtractOptions = {},
): Promise<ExtractSummary> {
  await mkdir(dir, { recursive: true });
  const sinks = new Map<string, Sink>();
  const counts: Record<string, number> = {};
  const put = async (r: SyntheticResource): Promise<void> => {
    let s = sinks.get(r.resourceType);
    if (!s) {
      s = Sink.open(join(dir, `${r.resourceType}.ndjson`));
      sinks.set(r.resourceType, s);
    }
    counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
    await s.write(`${JSON.stringify(r)}\n`);
  };
  for (const r of generateStaff(seed)) await put(r);
  let patients = 0;
  for (const p of generatePatients(seed, count, options)) {
    for (const r of p.resources) await put(r);
    options.onPatient?.(p);
    patients++;
  }
  for (const s of sinks.values()) await s.close();
  return { dir, patients, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
}

export interface BundleOptions extends NdjsonExtractOptions {
  /** transaction (entries with request, urn:uuid fullUrls) or collection. Default transaction. */
  type?: 'transaction' | 'collection';
  /** Patients per Bundle file (default 50). */
  patientsPerBundle?: number;
}

/**
 * Write Bundles (`bundle-0001.json`, …). Transaction bundles use `urn:uuid:` fullUrls and POST
 * requests, with every intra-bundle reference rewritten to the urn:uuid (FHIR R4 §2.36.4.1);
 * resources keep no id, as a client creating them would send them.
 */
export async function writeFhirBundles(
  dir: string,
  seed: number | string,
  count: number,
  options: BundleOptions = {},
): Promise<ExtractSummary> {
  await mkdir(dir, { recursive: true });
  const type = options.type ?? 'transaction';
  const per = options.patientsPerBundle ?? 50;
  const counts: Record<string, number> = {};
  const staff = generateStaff(seed);
  let batch: SyntheticPatient[] = [];
  let fileNo = 0;
  let patients = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    fileNo++;
    const resources = [...(fileNo === 1 ? staff : []), ...batch.flatMap((p) => p.resources)];
    const urn = new Map<string, string>();
    for (const r of resources) urn.set(`${r.resourceType}/${r.id}`, `urn:uuid:${r.id}`);
    const entries = resources.map((r) => {
      counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
      if (type === 'collection') return { fullUrl: `urn:uuid:${r.id}`, resource: r };
      const rewritten = JSON.parse(JSON.stringify(r), (k, v: unknown) =>
        k === 'reference' && typeof v === 'string' && urn.has(v) ? urn.get(v) : v,
      ) as SyntheticResource;
      const { id, ...withoutId } = rewritten;
      return { fullUrl: `urn:uuid:${id}`, resource: withoutId, request: { method: 'POST', url: r.resourceType } };
    });
    const sink = Sink.open(join(dir, `bundle-${String(fileNo).padStart(4, '0')}.json`));
    await sink.write(JSON.stringify({ resourceType: 'Bundle', type, entry: entries }, null, 1));
    await sink.close();
    batch = [];
  };
  for (const p of generatePatients(seed, count, options)) {
    batch.push(p);
    options.onPatient?.(p);
    patients++;
    if (batch.length >= per) await flush();
  }
  await flush();
  return { dir, patients, counts, total: Object.values(counts).reduce((a, b) => a + b, 0) };
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Write a flat CSV extract: `patients.csv` (nhs_number, dob, sex, postcode, given_name,
 * family_name, mrn, address_line_1, city, phone, email, ethnicity) and `events.csv` (nhs_number,
 * event_id, code_system, code, display, date, value, unit, free_text).
 */
export async function writeCsvExtract(
  dir: string,
  seed: number | string,
  count: number,
  options: NdjsonExtractOptions = {},
): Promise<ExtractSummary> {
  await mkdir(dir, { recursive: true });
  const pats = Sink.open(join(dir, 'patients.csv'));
  const events = Sink.open(join(dir, 'events.csv'));
  await pats.write('nhs_number,dob,sex,postcode,given_name,family_name,mrn,address_line_1,city,phone,email,ethnicity\r\n');
  await events.write('nhs_number,event_id,code_system,code,display,date,value,unit,free_text\r\n');
  let rows = 0;
  let patients = 0;
  for (const p of generatePatients(seed, count, options)) {
    const q = p.person;
    await pats.write(
      `${[q.nhsNumber, q.birthDate, q.gender === 'male' ? 'M' : 'F', q.postcode, q.given, q.family, q.mrn, q.line, q.city, q.phone, q.email, q.ethnicity].map(csvField).join(',')}\r\n`,
    );
    for (const r of p.resources) {
      let line: string[] | undefined;
      if (r.resourceType === 'Observation' && r.valueQuantity) {
        const code = (r.code as { coding: { code: string; display: string }[] }).coding[0]!;
        const vq = r.valueQuantity as { value: number; unit: string };
        line = [
          q.nhsNumber,
          r.id,
          'http://loinc.org',
          code.code,
          code.display,
          String(r.effectiveDateTime).slice(0, 10),
          String(vq.value),
          vq.unit,
          '',
        ];
      } else if (r.resourceType === 'Condition') {
        const code = (r.code as { coding: { code: string; display: string }[] }).coding[0]!;
        line = [
          q.nhsNumber,
          r.id,
          'http://snomed.info/sct',
          code.code,
          code.display,
          String(r.recordedDate),
          '',
          '',
          `Discussed with ${q.given} ${q.family}, tel ${q.phone}`,
        ];
      }
      if (line) {
        await events.write(`${line.map(csvField).join(',')}\r\n`);
        rows++;
      }
    }
    options.onPatient?.(p);
    patients++;
  }
  await pats.close();
  await events.close();
  return { dir, patients, counts: { 'patients.csv': patients, 'events.csv': rows }, total: patients + rows };
}

/** LOINC codes used for observations (exported for tests that check codes survive). */
export const OBSERVATION_CODES = OBSERVATIONS.map((o) => o[0]);
