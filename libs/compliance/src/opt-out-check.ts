import type { OptOutListRow } from './compliance.repository.js';

/** `trustId:kind:version` of a list version. */
export const listKey = (trustId: string, kind: string, version: number): string => `${trustId}:${kind}:${version}`;

/**
 * The opt-out list versions a `query.executed` entry names, whatever the payload's spelling:
 * an array of `trustId:kind:version` (current) or an object `{ "trustId:kind": version }`.
 */
export function recordedListVersions(payload: Readonly<Record<string, unknown>>): string[] | null {
  const v = payload['consentListVersions'];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string').sort();
  if (v && typeof v === 'object') {
    return Object.entries(v as Record<string, unknown>)
      .filter(([, n]) => typeof n === 'number')
      .map(([k, n]) => `${k}:${String(n)}`)
      .sort();
  }
  return null;
}

/**
 * The list versions in force at `at`, one per (trust, kind): the highest version uploaded at or
 * before that time (an upload's time is its transaction's start, as for releases).
 */
export function listsInForceAt(lists: readonly OptOutListRow[], at: Date): OptOutListRow[] {
  const best = new Map<string, OptOutListRow>();
  for (const l of lists) {
    if (l.created_at.getTime() > at.getTime()) continue;
    const k = `${l.trust_id}:${l.kind}`;
    const cur = best.get(k);
    if (!cur || l.version > cur.version) best.set(k, l);
  }
  return [...best.values()].sort((a, b) => (listKey(a.trust_id, a.kind, a.version) < listKey(b.trust_id, b.kind, b.version) ? -1 : 1));
}
