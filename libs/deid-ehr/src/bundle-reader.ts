import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { FhirResource } from './fhir-types.js';
import type { RecordError } from './rejections.js';

/** Bundles are single JSON documents (FHIR R4 §2.36); they are read whole, up to this size. */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

/** Bundle.type values whose entries are independent resources we can de-identify (R4 ValueSet bundle-type). */
export const ACCEPTED_BUNDLE_TYPES: ReadonlySet<string> = new Set(['transaction', 'batch', 'collection', 'searchset', 'document']);

/** One entry of a Bundle, with the 1-based physical line on which the entry starts. */
export interface BundleEntryItem {
  line: number;
  /** 0-based position in Bundle.entry. */
  index: number;
  fullUrl?: string;
  resource?: FhirResource;
  error?: RecordError;
}

export interface BundleRead {
  /** Set when the whole file was refused (not JSON, not UTF-8, too large, unsupported type). */
  error?: RecordError & { line: number };
  bundleType?: string;
  entries: BundleEntryItem[];
  /**
   * fullUrl → relative `Type/id`, so `urn:uuid:` references (R4 §2.36.4.1 "Resolving references
   * in Bundles") can be turned into the same relative references the NDJSON path produces.
   */
  urlMap: Map<string, string>;
}

/**
 * Offsets (as 1-based line numbers) of each element of the root object's `entry` array, found by a
 * small JSON scanner so rejections can name a physical line, as they do for NDJSON.
 */
export function entryLineNumbers(text: string): number[] {
  const lines: number[] = [];
  let depth = 0;
  let line = 1;
  let inString = false;
  let stringStart = -1;
  let lastString = '';
  let keyAtDepth1 = '';
  let inEntryArray = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character (never a newline in valid JSON)
      else if (c === 34) {
        inString = false;
        if (depth === 1) lastString = text.slice(stringStart, i);
      }
      continue;
    }
    switch (c) {
      case 34:
        inString = true;
        stringStart = i + 1;
        break;
      case 58: // ':' after a key in the root object
        if (depth === 1) keyAtDepth1 = lastString;
        break;
      case 123: // '{'
      case 91: // '['
        depth++;
        if (c === 91 && depth === 2 && keyAtDepth1 === 'entry') inEntryArray = true;
        else if (c === 123 && depth === 3 && inEntryArray) lines.push(line);
        break;
      case 125:
      case 93:
        if (c === 93 && depth === 2 && inEntryArray) inEntryArray = false;
        depth--;
        break;
      default:
        break;
    }
  }
  return lines;
}

function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function idFromRequestUrl(url: unknown, type: string): string | undefined {
  if (typeof url !== 'string') return undefined;
  const m = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:[?/]|$)/.exec(url);
  return m && m[1] === type ? m[2] : undefined;
}

/**
 * An id for an entry that has none and nothing that names one (a transaction POST without a
 * fullUrl, as many hospital interfaces send): a digest of the resource, so the same resource sent
 * again gets the same id and re-ingestion stays idempotent.
 */
function contentId(resource: FhirResource): string {
  return `h${createHash('sha256').update(JSON.stringify(resource)).digest('hex').slice(0, 40)}`;
}

/**
 * The conditional references (FHIR R4 §3.1.0.4.3, "Type?identifier=system|value" in a
 * transaction) that name a resource by one of its identifiers, in the spellings senders use: the
 * bar raw or percent-encoded, the whole token encoded, or the value alone.
 */
function conditionalKeys(resource: FhirResource): string[] {
  const ids = Array.isArray(resource.identifier) ? (resource.identifier as unknown[]) : [];
  const keys: string[] = [];
  for (const raw of ids) {
    if (raw === null || typeof raw !== 'object') continue;
    const { system, value } = raw as { system?: unknown; value?: unknown };
    if (typeof value !== 'string' || value === '') continue;
    const values = new Set([value, value.replace(/[\s-]/g, '')]);
    for (const v of values) {
      const prefix = `${resource.resourceType}?identifier=`;
      keys.push(`${prefix}${v}`);
      if (typeof system === 'string' && system !== '') {
        keys.push(`${prefix}${system}|${v}`, `${prefix}${system}%7C${v}`, `${prefix}${system}%7c${v}`);
        keys.push(`${prefix}${encodeURIComponent(`${system}|${v}`)}`);
      }
    }
  }
  return keys;
}

/**
 * Read a Bundle (or a single resource) from a `.json` file. Each entry keeps its own line so one bad
 * entry is refused alone; an entry without `resource.id` gets the id named by its PUT request URL,
 * by its `urn:uuid:` fullUrl, or else a digest of its content, so references to it still resolve
 * after pseudonymisation. Conditional references to a resource of the same Bundle
 * (`Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919`) resolve to it.
 */
export async function readBundle(path: string, maxBytes = MAX_BUNDLE_BYTES): Promise<BundleRead> {
  const urlMap = new Map<string, string>();
  const size = (await stat(path)).size;
  if (size > maxBytes) {
    return { error: { line: 0, code: 'record_too_large', message: `Bundle exceeds the ${maxBytes}-byte limit` }, entries: [], urlMap };
  }
  const bytes = await readFile(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { error: { line: 0, code: 'invalid_utf8', message: 'File is not valid UTF-8' }, entries: [], urlMap };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    // V8 messages may quote the input; only the position is used.
    const pos = /position (\d+)/.exec(e instanceof Error ? e.message : '');
    const line = pos ? lineAtOffset(text, Number(pos[1])) : 1;
    return { error: { line, code: 'invalid_json', message: 'File is not valid JSON' }, entries: [], urlMap };
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || typeof (doc as FhirResource).resourceType !== 'string') {
    return { error: { line: 1, code: 'not_a_resource', message: 'File is not a FHIR resource' }, entries: [], urlMap };
  }
  const root = doc as FhirResource;
  if (root.resourceType !== 'Bundle') {
    return { entries: [{ line: 1, index: 0, resource: root }], urlMap };
  }
  const bundleType = typeof root.type === 'string' ? root.type : '';
  if (!ACCEPTED_BUNDLE_TYPES.has(bundleType)) {
    return {
      error: { line: 1, code: 'unsupported_bundle', message: 'Bundle type is not transaction, batch, collection, searchset or document' },
      bundleType,
      entries: [],
      urlMap,
    };
  }
  const rawEntries = Array.isArray(root.entry) ? (root.entry as unknown[]) : [];
  const lines = entryLineNumbers(text);
  const entries: BundleEntryItem[] = [];
  rawEntries.forEach((raw, index) => {
    const line = lines[index] ?? 1;
    if (raw === null || typeof raw !== 'object') {
      entries.push({ line, index, error: { code: 'unsupported_bundle', message: `Bundle entry ${index} is not an object` } });
      return;
    }
    const entry = raw as Record<string, unknown>;
    const fullUrl = typeof entry.fullUrl === 'string' ? entry.fullUrl : undefined;
    const res = entry.resource;
    if (res === null || typeof res !== 'object' || Array.isArray(res) || typeof (res as FhirResource).resourceType !== 'string') {
      entries.push({ line, index, fullUrl, error: { code: 'unsupported_bundle', message: `Bundle entry ${index} has no resource` } });
      return;
    }
    const resource = res as FhirResource;
    const request = entry.request as Record<string, unknown> | undefined;
    if (request && request.method === 'DELETE') {
      entries.push({ line, index, fullUrl, error: { code: 'unsupported_bundle', message: `Bundle entry ${index} is a DELETE` } });
      return;
    }
    if (typeof resource.id !== 'string' || resource.id === '') {
      const fromUrl = idFromRequestUrl(request?.url, resource.resourceType);
      const fromUuid = fullUrl?.startsWith('urn:uuid:') ? fullUrl.slice(9) : undefined;
      resource.id = fromUrl ?? fromUuid ?? contentId(resource);
    }
    if (fullUrl !== undefined && typeof resource.id === 'string') urlMap.set(fullUrl, `${resource.resourceType}/${resource.id}`);
    entries.push({ line, index, fullUrl, resource });
  });
  // Conditional references: an identifier shared by two resources of the Bundle is ambiguous and
  // resolves to neither (FHIR: "multiple matches" fails the transaction), so the referrer is refused.
  const conditional = new Map<string, string | null>();
  for (const e of entries) {
    if (!e.resource) continue;
    const target = `${e.resource.resourceType}/${String(e.resource.id)}`;
    for (const key of new Set(conditionalKeys(e.resource))) {
      const seen = conditional.get(key);
      conditional.set(key, seen === undefined || seen === target ? target : null);
    }
  }
  for (const [key, target] of conditional) if (target !== null && !urlMap.has(key)) urlMap.set(key, target);
  return { bundleType, entries, urlMap };
}
