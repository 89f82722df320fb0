import type { CohortPatient, DicomStudyRecord, FhirResourceRecord, JobDataSource, PageRequest } from './data-source.js';

export interface InMemoryData {
  readonly patients?: readonly CohortPatient[];
  readonly resources?: readonly FhirResourceRecord[];
  readonly studies?: readonly DicomStudyRecord[];
  /** Pixel data by SOP Instance UID. */
  readonly pixels?: ReadonlyMap<string, Uint8Array>;
}

/**
 * A `JobDataSource` over arrays, for tests and benchmarks. It pages exactly like a database-backed
 * source would (slices of at most `pageSize`), so the sandbox's paging is exercised for real.
 */
export class InMemoryJobDataSource implements JobDataSource {
  constructor(private readonly data: InMemoryData) {}

  cohort(request: PageRequest): AsyncIterable<readonly CohortPatient[]> {
    return pagesOf(this.data.patients ?? [], request);
  }

  resources(resourceType: string, request: PageRequest): AsyncIterable<readonly FhirResourceRecord[]> {
    return pagesOf(
      (this.data.resources ?? []).filter((r) => r.resourceType === resourceType),
      request,
    );
  }

  dicomStudies(request: PageRequest): AsyncIterable<readonly DicomStudyRecord[]> {
    return pagesOf(this.data.studies ?? [], request);
  }

  dicomPixels(sopInstanceUid: string): Promise<Uint8Array | null> {
    // A copy, as a database read would return: the runner may transfer the buffer to the sandbox thread.
    const px = this.data.pixels?.get(sopInstanceUid);
    return Promise.resolve(px ? px.slice() : null);
  }
}

async function* pagesOf<T>(items: readonly T[], { pageSize, signal }: PageRequest): AsyncGenerator<readonly T[]> {
  const size = Math.max(1, Math.floor(pageSize));
  for (let i = 0; i < items.length; i += size) {
    if (signal.aborted) return;
    yield items.slice(i, i + size);
  }
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SEXES = ['female', 'male', 'female', 'male', 'other', 'unknown'] as const;
const TRUSTS = ['RR8', 'RWA', 'RCB', 'RAE'] as const;

/**
 * A deterministic synthetic cohort (no real person behind any record), shaped like the research
 * store's: pseudonyms in Harbour's `HBR-` format, birth years, postcode districts, trust codes.
 */
export function syntheticCohort(count: number, seed = 1): CohortPatient[] {
  // mulberry32: a small, fast, seedable PRNG; statistical quality is irrelevant for fixtures.
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const out: CohortPatient[] = [];
  for (let i = 0; i < count; i++) {
    let pseudo = 'HBR-';
    for (let k = 0; k < 16; k++) pseudo += BASE32[Math.floor(next() * 32)];
    out.push({
      pseudonym: pseudo,
      sex: pick(SEXES),
      birthYear: next() < 0.02 ? null : 1925 + Math.floor(next() * 99),
      district: next() < 0.03 ? null : `LS${1 + Math.floor(next() * 29)}`,
      trustCode: pick(TRUSTS),
    });
  }
  return out;
}
