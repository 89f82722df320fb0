import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JSONWebKeySet } from 'jose';
import type { AuditRecord, CheckpointRecord } from './audit-record.js';
import type { AuditExport } from './audit-trail.service.js';
import { toFhirAuditEvent } from './fhir/audit-event.js';

/** File names of an audit export folder (`harbour audit export`). */
export const EXPORT_FILES = {
  entries: 'entries.jsonl',
  checkpoints: 'checkpoints.jsonl',
  jwks: 'jwks.json',
  fhir: 'audit-events.ndjson',
} as const;

/** Write an export: one JSON object per line (JSON Lines), the station JWKS, and FHIR R4 AuditEvents (NDJSON). */
export function writeAuditExport(dir: string, x: AuditExport): void {
  mkdirSync(dir, { recursive: true });
  const lines = (xs: readonly unknown[]): string => xs.map((v) => `${JSON.stringify(v)}\n`).join('');
  writeFileSync(join(dir, EXPORT_FILES.entries), lines(x.entries));
  writeFileSync(join(dir, EXPORT_FILES.checkpoints), lines(x.checkpoints));
  writeFileSync(join(dir, EXPORT_FILES.jwks), `${JSON.stringify(x.jwks, null, 2)}\n`);
  writeFileSync(join(dir, EXPORT_FILES.fhir), lines(x.entries.map(toFhirAuditEvent)));
}

export class ExportFormatError extends Error {}

function readLines<T>(path: string): T[] {
  const out: T[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        throw new ExportFormatError(`${path}: line ${i + 1} is not valid JSON`);
      }
    });
  return out;
}

/** Read an export folder back (no database, no network): the input of `verifyAuditTrail`. */
export function readAuditExport(dir: string): { entries: AuditRecord[]; checkpoints: CheckpointRecord[]; jwks: JSONWebKeySet } {
  return {
    entries: readLines<AuditRecord>(join(dir, EXPORT_FILES.entries)),
    checkpoints: readLines<CheckpointRecord>(join(dir, EXPORT_FILES.checkpoints)),
    jwks: JSON.parse(readFileSync(join(dir, EXPORT_FILES.jwks), 'utf8')) as JSONWebKeySet,
  };
}
