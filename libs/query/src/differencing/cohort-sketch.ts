/**
 * A compact, internal fingerprint of a released cohort's person set, for the differencing
 * defence (README "Differencing defence").
 *
 * Each person id is hashed to 64 bits (PostgreSQL `hashtextextended`); the low 11 bits pick one of
 * 2048 buckets, and each bucket keeps the number of persons and the XOR of their hashes
 * (24 KiB per release, whatever the cohort size). For two cohorts A and B, a bucket differs iff
 * it holds an element of the symmetric difference Δ (up to a 2^-64 XOR coincidence), so the
 * number D of differing buckets satisfies 1 ≤ D ≤ |Δ| whenever Δ is non-empty, and D = 0 when
 * A = B. Refusing when 0 < D < threshold therefore refuses every pair with 0 < |Δ| < threshold;
 * bucket collisions can only make D smaller, i.e. refuse more (a few percent of pairs with
 * |Δ| just above the threshold), never less. Person ids never leave the database and the
 * sketch is never returned to anyone.
 */
export const SKETCH_BUCKETS = 2048;
export const SKETCH_BUCKET_MASK = SKETCH_BUCKETS - 1;
const BYTES_PER_BUCKET = 12;

export interface SketchRow {
  readonly bucket: number;
  readonly n: number;
  /** XOR of the 64-bit hashes, as a decimal string (bigint in PostgreSQL). */
  readonly x: string;
}

/** Serialise bucket rows (from SQL) to the stored form: per bucket a uint32 count and a 64-bit XOR. */
export function encodeSketch(rows: readonly SketchRow[]): Buffer {
  const buf = Buffer.alloc(SKETCH_BUCKETS * BYTES_PER_BUCKET);
  for (const r of rows) {
    if (!Number.isInteger(r.bucket) || r.bucket < 0 || r.bucket >= SKETCH_BUCKETS) throw new Error('sketch bucket out of range');
    buf.writeUInt32LE(r.n, r.bucket * BYTES_PER_BUCKET);
    buf.writeBigInt64LE(BigInt(r.x), r.bucket * BYTES_PER_BUCKET + 4);
  }
  return buf;
}

/** Number of buckets in which two sketches differ: a lower bound on the symmetric difference. */
export function differingBuckets(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error('sketches of different sizes');
  let d = 0;
  for (let off = 0; off < a.length; off += BYTES_PER_BUCKET) {
    if (a.compare(b, off, off + BYTES_PER_BUCKET, off, off + BYTES_PER_BUCKET) !== 0) d++;
  }
  return d;
}

/** Whether releasing a cohort with sketch `a` after one with sketch `b` would isolate fewer than `threshold` persons. */
export function isDifferencingRisk(a: Buffer, b: Buffer, threshold: number): boolean {
  const d = differingBuckets(a, b);
  return d > 0 && d < threshold;
}
