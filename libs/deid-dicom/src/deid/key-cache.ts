import { shiftDicomDate, shiftDicomDateTime, type ProjectKeys } from '@harbour/pseudonymisation';
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
 * study, series and frame-of-reference UIDs shared by every slice of a series, and the shifted
 * dates of a study. The free-text scrubber, compiled from the names and identifiers an instance
 * carries, repeats the same way.
 *
 * The memo lives as long as the `ProjectKeys` object it belongs to (a WeakMap entry), so it holds
 * nothing beyond the lifetime of the caller's own key material, and it never crosses projects.
 */
export class CachedKeys {
  private readonly pseudonyms = new BoundedMemo<string>(1024);
  private readonly offsets = new BoundedMemo<number>(1024);
  private readonly uids = new BoundedMemo<string>(4096);
  private readonly uidValues = new BoundedMemo<{ readonly value: string; readonly count: number }>(4096);
  private readonly dates = new BoundedMemo<string | null>(1024);
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
  /** A UI value (backslash-separated, NUL-padded) with every UID replaced, and how many were. */
  uidValue(raw: string): { readonly value: string; readonly count: number } {
    return this.uidValues.get(raw, (v) => {
      let count = 0;
      const value = v
        .split('\\')
        .map((p) => {
          const u = p.replace(/\0/g, '').trim();
          if (!u) return '';
          count++;
          return this.uid(u);
        })
        .join('\\');
      return { value, count };
    });
  }
  /**
   * A DA or DT value with every date shifted by `days` (empty values stay empty), or null when one
   * of them is not a real date and so cannot be shifted.
   */
  shiftedDates(vr: 'DA' | 'DT', raw: string, days: number): string | null {
    return this.dates.get(`${vr}${days}|${raw}`, () => {
      const shift = vr === 'DA' ? shiftDicomDate : shiftDicomDateTime;
      const shifted = raw.split('\\').map((p) => (p.trim() === '' ? '' : shift(p.trim(), days)));
      return shifted.some((x) => x === undefined) ? null : shifted.join('\\');
    });
  }
  recordId(namespace: string, original: string): string {
    return this.keys.recordId(namespace, original);
  }
  /**
   * Scrubber for the identifying phrases `phrases()` derives. `key` must determine those phrases
   * exactly (e.g. the raw values they come from, with their lengths so no two lists share a key).
   */
  scrubber(key: string, phrases: () => readonly string[]): Scrubber {
    return this.scrubbers.get(key, () => new Scrubber(phrases()));
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
