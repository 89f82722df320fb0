import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { EXPORT_FILES, verifyAuditTrail, type AuditRecord, type CheckpointRecord, type TrailVerification } from '@harbour/audit';

/** Format of a compliance pack's manifest (bumped on an incompatible change). */
export const PACK_FORMAT = 'harbour.compliance.pack/v1';
/** JOSE `typ` of the manifest signature (RFC 7515 §4.1.9): no other station JWS can pass for it. */
export const MANIFEST_JWS_TYPE = 'harbour-compliance-manifest+jws';
/** JOSE `typ` of statements signed by the station key. */
export const STATEMENT_JWS_TYPE = 'harbour-ledger-statement+jws';

export const PACK_FILES = {
  manifest: 'manifest.json',
  signature: 'manifest.jws',
} as const;

export interface ManifestFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** `manifest.json`: every other file of the pack with its SHA-256; signed as `manifest.jws`. */
export interface PackManifest {
  readonly format: typeof PACK_FORMAT;
  readonly from: string;
  readonly to: string;
  readonly generatedAt: string;
  readonly files: readonly ManifestFile[];
}

/** The files of a pack in memory, by relative path with `/` separators. */
export type PackFiles = Map<string, Buffer>;

export const sha256Hex = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** Build the manifest over `files` (sorted by path; the manifest and its signature excluded). */
export function buildManifest(files: ReadonlyMap<string, Buffer>, meta: { from: string; to: string; generatedAt: string }): PackManifest {
  const list = [...files.entries()]
    .filter(([p]) => p !== PACK_FILES.manifest && p !== PACK_FILES.signature)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, data]) => ({ path, sha256: sha256Hex(data), bytes: data.length }));
  return { format: PACK_FORMAT, ...meta, files: list };
}

export type PackFailureKind =
  'format' | 'manifest_signature' | 'missing_file' | 'altered_file' | 'extra_file' | 'statement_signature' | 'audit_trail';

export interface PackVerification {
  readonly ok: boolean;
  /** Key id that signed the manifest (compare it with the station's published keys). */
  readonly kid: string | null;
  readonly filesChecked: number;
  readonly statementsChecked: number;
  readonly audit: TrailVerification | null;
  readonly failure: { readonly kind: PackFailureKind; readonly path: string | null; readonly message: string } | null;
}

function parseLines<T>(b: Buffer | undefined, name: string): T[] {
  if (!b) throw new Error(`${name} is missing`);
  return b
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as T;
      } catch {
        throw new Error(`${name}: line ${i + 1} is not valid JSON`);
      }
    });
}

/**
 * Verify a compliance pack offline (no database, no network): the manifest's station signature
 * (ES256, typ pinned, payload = the exact bytes of manifest.json), every file's SHA-256, no file
 * missing or added, each signed statement, and the audit trail inside the pack with the audit
 * export's own verifier. Returns the first problem. `trustedJwks` pins the station keys (else the
 * pack's `jwks.json` is used, and the signing `kid` is reported so it can be compared).
 */
export async function verifyCompliancePack(
  files: ReadonlyMap<string, Buffer>,
  opts: { trustedJwks?: JSONWebKeySet } = {},
): Promise<PackVerification> {
  let kid: string | null = null;
  let filesChecked = 0;
  let statementsChecked = 0;
  const fail = (kind: PackFailureKind, path: string | null, message: string, audit: TrailVerification | null = null): PackVerification => ({
    ok: false,
    kid,
    filesChecked,
    statementsChecked,
    audit,
    failure: { kind, path, message },
  });

  const manifestBytes = files.get(PACK_FILES.manifest);
  const jws = files.get(PACK_FILES.signature)?.toString('utf8').trim();
  const jwksBytes = files.get(EXPORT_FILES.jwks);
  if (!manifestBytes || !jws || !jwksBytes)
    return fail('format', null, 'not a compliance pack: manifest.json, manifest.jws or jwks.json is missing');
  let jwks: JSONWebKeySet;
  let manifest: PackManifest;
  try {
    jwks = opts.trustedJwks ?? (JSON.parse(jwksBytes.toString('utf8')) as JSONWebKeySet);
    manifest = JSON.parse(manifestBytes.toString('utf8')) as PackManifest;
  } catch {
    return fail('format', PACK_FILES.manifest, 'manifest.json or jwks.json is not valid JSON');
  }
  const keys = createLocalJWKSet(jwks);

  // 1. The manifest signature, over manifest.json's exact bytes.
  try {
    const { payload, protectedHeader } = await compactVerify(jws, keys, { algorithms: ['ES256'] });
    kid = protectedHeader.kid ?? null;
    if (protectedHeader.typ !== MANIFEST_JWS_TYPE) throw new Error('typ');
    if (!Buffer.from(payload).equals(manifestBytes)) {
      return fail('manifest_signature', PACK_FILES.manifest, 'manifest.json differs from the signed manifest');
    }
  } catch {
    return fail('manifest_signature', PACK_FILES.signature, 'manifest.jws is not a valid station signature of manifest.json');
  }
  if (manifest.format !== PACK_FORMAT || !Array.isArray(manifest.files)) return fail('format', PACK_FILES.manifest, `unknown pack format`);

  // 2. Every file, as listed; nothing missing, nothing added.
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const data = files.get(f.path);
    if (!data) return fail('missing_file', f.path, `${f.path} is listed in the manifest but missing`);
    if (data.length !== f.bytes || sha256Hex(data) !== f.sha256)
      return fail('altered_file', f.path, `${f.path} was altered: its SHA-256 differs from the manifest`);
    filesChecked++;
  }
  for (const path of files.keys()) {
    if (path !== PACK_FILES.manifest && path !== PACK_FILES.signature && !listed.has(path)) {
      return fail('extra_file', path, `${path} is not in the signed manifest`);
    }
  }

  // 3. Signed statements (also covered by the manifest; checked so each stands on its own).
  for (const [path, data] of files) {
    if (!path.startsWith('statements/') || !path.endsWith('.jws')) continue;
    try {
      await compactVerify(data.toString('utf8').trim(), keys, { algorithms: ['ES256'] });
      statementsChecked++;
    } catch {
      return fail('statement_signature', path, `${path} is not a valid station signature`);
    }
  }

  // 4. The audit trail of the period, with the audit export's verifier.
  let audit: TrailVerification;
  try {
    audit = await verifyAuditTrail({
      entries: parseLines<AuditRecord>(files.get(EXPORT_FILES.entries), EXPORT_FILES.entries),
      checkpoints: parseLines<CheckpointRecord>(files.get(EXPORT_FILES.checkpoints), EXPORT_FILES.checkpoints),
      jwks,
    });
  } catch (err) {
    return fail('format', EXPORT_FILES.entries, err instanceof Error ? err.message : String(err));
  }
  if (!audit.ok)
    return fail(
      'audit_trail',
      EXPORT_FILES.entries,
      `audit trail: ${audit.failure?.kind} at entry ${audit.failure?.seq}: ${audit.failure?.message}`,
      audit,
    );
  return { ok: true, kid, filesChecked, statementsChecked, audit, failure: null };
}

/** Is `dir` a compliance pack (rather than a bare audit export)? */
export function isCompliancePackDir(dir: string): boolean {
  return existsSync(join(dir, PACK_FILES.manifest)) && existsSync(join(dir, PACK_FILES.signature));
}

/** Every file under `dir`, by relative path with `/` separators. */
export function readPackDir(dir: string): PackFiles {
  const out: PackFiles = new Map();
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

export function writePackDir(dir: string, files: ReadonlyMap<string, Buffer>): void {
  for (const [path, data] of files) {
    if (path.startsWith('/') || path.split('/').includes('..')) throw new Error(`unsafe path in pack: ${path}`);
    const target = join(dir, ...path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, data);
  }
}
