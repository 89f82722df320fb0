import type { ProjectKeys } from '@harbour/pseudonymisation';
import { Scrubber } from './scrub.js';

/**
 * A bounded map that forgets its least recently refreshed half when full (two generations): cheap
 * enough to consult for every UID, and memory stays bounded however many files a run sees.
 */
class BoundedMemo<V> {
  private current = new Map<string, V>();
  private previous = new Map<string, V>();
  constructor(private readonly generationSize: number) {}

  get(key: string, compute: (key: string) => V): V {
    let v = this.current.get(key);
    if (v !== undefined) return v;
    v = this.previous.get(key) ?? compute(key);
    if (this.current.size >= this.generationSize) {
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(key, v);
    return v;
  }
}

/**
 * Memoised view of a project's keys for the DICOM engine. Every value is a pure function of
 * (project key, input), so results are identical to calling `keys` directly; the memo only saves
 * the HMACs that repeat from file to file: the same patient's pseudonym and date offset, and the
 * study, series and frame-of-reference UIDs shared by every slice of a series. The free-text
 * scrubber, compiled from the names and identifiers an instance carries, repeats the same way.
 *
 * The memo lives as long as the `ProjectKeys` object it belongs to (a WeakMap entry), so it holds
 * nothing beyond the lifetime of the caller's own key material, and it never crosses projects.
 */
export class CachedKeys {
  private readonly pseudonyms = new BoundedMemo<string>(1024);
  private readonly offsets = new BoundedMemo<number>(1024);
  private readonly uids = new BoundedMemo<string>(4096);
  private readonly scrubbers = new BoundedMemo<Scrubber>(64);

  constructor(readonly keys: ProjectKeys) {}

  pseudonym(nhs: string): string {
    return this.pseudonyms.get(nhs, (k) => this.keys.pseudonym(k));
  }
  dateOffsetDays(nhs: string): number {
    return this.offsets.get(nhs, (k) => this.keys.dateOffsetDays(k));
  }
  uid(original: string): string {
    return this.uids.get(original, (k) => this.keys.uid(k));
  }
  recordId(namespace: string, original: string): string {
    return this.keys.recordId(namespace, original);
  }
  /** Scrubber for this exact list of identifying phrases (JSON: an unambiguous key for any strings). */
  scrubber(phrases: readonly string[]): Scrubber {
    return this.scrubbers.get(JSON.stringify(phrases), () => new Scrubber(phrases));
  }
}

const memos = new WeakMap<ProjectKeys, CachedKeys>();

export function cachedKeys(keys: ProjectKeys): CachedKeys {
  let c = memos.get(keys);
  if (!c) {
    c = new CachedKeys(keys);
    memos.set(keys, c);
  }
  return c;
}
