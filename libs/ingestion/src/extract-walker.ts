import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  classifyCsvHeader,
  readBundle,
  readCsv,
  readNdjson,
  resourceTypeFromFileName,
  type FhirResource,
  type Rejection,
} from '@harbour/deid-ehr';
import { csvEventToFhir, csvPatientToFhir } from './csv-to-fhir.js';

/** A record read from an extract, with where it came from; `value` is raw text or a parsed resource. */
export interface ExtractItem {
  file: string;
  line: number;
  expectedType?: string;
  urlMap?: ReadonlyMap<string, string>;
  value?: string | FhirResource;
  rejection?: Rejection;
}

export interface ExtractFile {
  abs: string;
  rel: string;
  format: 'ndjson' | 'bundle' | 'csv' | 'unknown';
  type?: string;
}

export async function listExtractFiles(root: string): Promise<ExtractFile[]> {
  const out: ExtractFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const abs = join(dir, e.name);
      if (e.isDirectory()) await walk(abs);
      else if (e.isFile()) {
        const rel = relative(root, abs).split(sep).join('/');
        const lower = e.name.toLowerCase();
        if (/\.(ndjson|jsonl)(\.gz)?$/.test(lower)) out.push({ abs, rel, format: 'ndjson', type: resourceTypeFromFileName(e.name) });
        else if (lower.endsWith('.json')) out.push({ abs, rel, format: 'bundle' });
        else if (lower.endsWith('.csv')) out.push({ abs, rel, format: 'csv' });
        else out.push({ abs, rel, format: 'unknown' });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

/**
 * Stream the records of an extract in two phases: `patients` yields Patient records only
 * (Patient NDJSON files, patients CSV files, Patient entries of Bundles), `others` everything
 * else, so every resource meets its patient already indexed. Nothing is held whole but a Bundle.
 */
export async function* readExtract(files: readonly ExtractFile[], phase: 'patients' | 'others'): AsyncGenerator<ExtractItem> {
  for (const f of files) {
    if (f.format === 'unknown') {
      if (phase === 'others')
        yield {
          file: f.rel,
          line: 1,
          rejection: { file: f.rel, line: 1, code: 'unreadable_file', message: 'Not an NDJSON, Bundle or CSV file' },
        };
      continue;
    }
    if (f.format === 'ndjson') {
      const isPatient = f.type === 'Patient';
      if (phase === 'patients' ? !isPatient : isPatient) continue;
      if (!f.type) {
        yield {
          file: f.rel,
          line: 1,
          rejection: { file: f.rel, line: 1, code: 'unsupported_resource_type', message: 'File name names no resource type' },
        };
        continue;
      }
      for await (const item of readNdjson(f.abs)) {
        if (item.error) yield { file: f.rel, line: item.line, rejection: { file: f.rel, line: item.line, ...item.error } };
        else yield { file: f.rel, line: item.line, expectedType: f.type, value: item.raw };
      }
      continue;
    }
    if (f.format === 'bundle') {
      const b = await readBundle(f.abs);
      if (b.error) {
        if (phase === 'others')
          yield {
            file: f.rel,
            line: b.error.line,
            rejection: { file: f.rel, line: b.error.line, code: b.error.code, message: b.error.message },
          };
        continue;
      }
      for (const e of b.entries) {
        const isPatient = e.resource?.resourceType === 'Patient';
        if (e.error) {
          if (phase === 'others') yield { file: f.rel, line: e.line, rejection: { file: f.rel, line: e.line, ...e.error } };
          continue;
        }
        if (phase === 'patients' ? !isPatient : isPatient) continue;
        if (e.resource) yield { file: f.rel, line: e.line, urlMap: b.urlMap, value: e.resource };
      }
      continue;
    }
    // CSV: the header decides whether it is a patients or an events file.
    let header: string[] | undefined;
    let kind: 'patients' | 'events' | undefined;
    for await (const item of readCsv(f.abs)) {
      if (item.header) {
        header = item.header;
        kind = classifyCsvHeader(header, f.rel);
        if (!kind && phase === 'others') {
          yield {
            file: f.rel,
            line: item.line,
            rejection: {
              file: f.rel,
              line: item.line,
              code: 'invalid_csv_header',
              message: 'CSV header matches neither the patients nor the events layout',
            },
          };
        }
        if (!kind || (phase === 'patients') !== (kind === 'patients')) break;
        continue;
      }
      if (item.error) {
        yield { file: f.rel, line: item.line, rejection: { file: f.rel, line: item.line, ...item.error } };
        continue;
      }
      if (!header || !item.row) continue;
      const resource = kind === 'patients' ? csvPatientToFhir(header, item.row) : csvEventToFhir(header, item.row, item.line);
      yield { file: f.rel, line: item.line, value: resource, expectedType: resource.resourceType };
    }
  }
}
