import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { availableParallelism } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { PSEUDONYMISATION_SCHEME_VERSION, type ProjectKeys } from '@harbour/pseudonymisation';
import {
  deidentifyDataset,
  HARBOUR_IMPLEMENTATION_CLASS_UID,
  HARBOUR_IMPLEMENTATION_VERSION_NAME,
  quarantineReason,
  type DeidCounts,
  type SafePrivateTag,
} from './deid/engine.js';
import { identifyPatient, patientLookup, type ResolvePatient } from './deid/identity.js';
import { DicomRejection, type DicomQuarantineReason, type DicomRejectionCode } from './errors.js';
import { BufferSink, DeflateSink, FileSink, type ByteSink } from './io/sink.js';
import { BufferSource, FileSource, type ByteSource } from './io/source.js';
import { readWholeFile, tmpName, writeFileAtomically } from './io/files.js';
import { EXPLICIT_LE, newDElement, type DElement } from './parse/model.js';
import {
  find,
  normaliseEncoding,
  parseDataset,
  readPart10Header,
  sniffDatasetEncoding,
  stringValue,
  type Part10Header,
} from './parse/part10.js';
import { datasetSize, Encoder, writeSegments } from './parse/writer.js';
import { canonicalNhsNumber } from '@harbour/nhs';
import { DeidThreadPool } from './pool/thread-pool.js';
import { isNhsIssuer } from './deid/identity.js';
import {
  ANNEX_E_EDITION,
  DEFAULT_ANNEX_E_OPTIONS,
  DICOM_DEID_PROFILE_ID,
  DICOM_DEID_PROFILE_VERSION,
  type AnnexEOption,
} from './profile/profile.js';

/** Everything one de-identification run needs. */
export interface DicomDeidContext {
  /** The project's keys: pseudonym, date offset and UID mapping (shared with the EHR side). */
  readonly keys: ProjectKeys;
  /** PS3.15 §E.3 options; default {@link DEFAULT_ANNEX_E_OPTIONS}. */
  readonly options?: Iterable<AnnexEOption>;
  /** Resolves local identifiers (MRN) to an NHS number when the file carries none. */
  readonly resolvePatient?: ResolvePatient;
  /** National data opt-out / project consent check; true refuses the instance. */
  readonly isOptedOut?: (nhsNumber: string) => boolean | Promise<boolean>;
  /** Private attributes kept under Retain Safe Private (PS3.15 §E.3.10); none by default. */
  readonly safePrivateTags?: readonly SafePrivateTag[];
  /**
   * Quarantine reasons a human reviewer has cleared for this instance (after looking at the
   * pixels): the instance is released despite them. The receipt still records the reason.
   */
  readonly clearedQuarantine?: readonly DicomQuarantineReason[];
}

/** Per-instance record of what was done; it never contains identifying values. */
export interface DicomDeidReceipt {
  readonly profileId: string;
  readonly profileVersion: string;
  readonly edition: string;
  readonly options: readonly AnnexEOption[];
  readonly pseudonymisationScheme: string;
  readonly projectId: string;
  readonly transferSyntaxUid: string;
  readonly sopClassUid?: string;
  readonly counts: DeidCounts;
  readonly quarantineReason?: DicomQuarantineReason;
}

/** What the released instance is, in pseudonymised terms (safe to index and to return). */
export interface DeidentifiedInstance {
  readonly studyUid?: string;
  readonly seriesUid?: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid?: string;
  readonly pseudonym: string;
  readonly modality?: string;
  readonly transferSyntaxUid: string;
  readonly numberOfFrames?: number;
}

export type DicomDeidOutcome =
  | { readonly status: 'released'; readonly receipt: DicomDeidReceipt; readonly deidentified: DeidentifiedInstance }
  | {
      readonly status: 'quarantined';
      readonly reason: DicomQuarantineReason;
      readonly receipt: DicomDeidReceipt;
      readonly deidentified: DeidentifiedInstance;
    }
  | { readonly status: 'rejected'; readonly code: DicomRejectionCode; readonly message: string };

const MAX_INFLATED_IN_MEMORY = 512 * 1024 * 1024;

interface Prepared {
  header: Part10Header;
  dsSrc: ByteSource;
  dsOffset: number;
  cleanup?: () => Promise<void>;
}

async function prepare(
  src: ByteSource,
  inflateToFile?: (offset: number) => Promise<{ src: ByteSource; cleanup: () => Promise<void> }>,
): Promise<Prepared> {
  const header = await readPart10Header(src);
  if (!header.ts.deflated) return { header, dsSrc: src, dsOffset: header.datasetOffset };
  if (inflateToFile) {
    const inflated = await inflateToFile(header.datasetOffset);
    return { header, dsSrc: inflated.src, dsOffset: 0, cleanup: inflated.cleanup };
  }
  const raw = await src.read(header.datasetOffset, src.size - header.datasetOffset);
  return { header, dsSrc: new BufferSource(inflateBuffer(raw)), dsOffset: 0 };
}

function inflateBuffer(raw: Buffer): Buffer {
  try {
    return inflateRawSync(raw, { maxOutputLength: MAX_INFLATED_IN_MEMORY });
  } catch (e) {
    throw inflateError(e);
  }
}

function inflateError(e: unknown): DicomRejection {
  const msg = e instanceof Error ? e.message : '';
  if (/unexpected end/i.test(msg)) return new DicomRejection('truncated', 'deflated dataset ends early');
  return new DicomRejection('invalid_encoding', 'deflated dataset does not inflate');
}

function optionList(ctx: DicomDeidContext): AnnexEOption[] {
  return [...new Set(ctx.options ?? DEFAULT_ANNEX_E_OPTIONS)].sort();
}

function buildMeta(header: Part10Header, dataset: readonly DElement[]): DElement[] {
  const ui = (tag: number, v: string): DElement => {
    const b = Buffer.from(v.length % 2 ? `${v}\0` : v, 'latin1');
    return newDElement(tag, 'UI', 'UI', false, b);
  };
  const sopClass = stringValue(find(dataset, 0x00080016)) ?? stringValue(find(header.meta, 0x00020002)) ?? '';
  const sopInstance = stringValue(find(dataset, 0x00080018)) ?? '';
  const version = HARBOUR_IMPLEMENTATION_VERSION_NAME;
  // PS3.10 §7.1: only these are written; Source/Sending/Receiving AE titles and presentation
  // addresses, and private information, are not carried over.
  const elements: DElement[] = [
    newDElement(0x00020001, 'OB', 'OB', false, Buffer.from([0, 1])),
    ui(0x00020002, sopClass),
    ui(0x00020003, sopInstance), // = the new SOP Instance UID (PS3.10 §7.1)
    ui(0x00020010, header.ts.uid),
    ui(0x00020012, HARBOUR_IMPLEMENTATION_CLASS_UID),
    newDElement(0x00020013, 'SH', 'SH', false, Buffer.from(version.length % 2 ? `${version} ` : version, 'latin1')),
  ];
  const len = Buffer.alloc(4);
  len.writeUInt32LE(datasetSize(elements, EXPLICIT_LE));
  return [newDElement(0x00020000, 'UL', 'UL', false, len), ...elements];
}

/** PS3.10 §7.1: preamble zeroed (it may hide a TIFF/ID header), then "DICM". */
const PREAMBLE = Buffer.alloc(132);
PREAMBLE.write('DICM', 128, 'latin1');

interface Done {
  outcome: DicomDeidOutcome;
  written: boolean;
}

async function run(
  src: ByteSource,
  ctx: DicomDeidContext,
  openSink: () => Promise<ByteSink>,
  inflateToFile?: Parameters<typeof prepare>[1],
): Promise<Done> {
  const prepared = await prepare(src, inflateToFile);
  try {
    const { header, dsSrc, dsOffset } = prepared;
    const enc = header.ts.encoding;
    const readEnc = await sniffDatasetEncoding(dsSrc, dsOffset, enc);
    const top = await parseDataset(dsSrc, dsOffset, readEnc);
    normaliseEncoding(top, readEnc, enc);
    if (find(top, 0x00041220) || stringValue(find(top, 0x00041130)) !== undefined) {
      // A DICOMDIR (PS3.10 §8, Media Storage Directory) is an index of a disc, not an image: its
      // directory records repeat patient names and ids. Refused, with its own code.
      throw new DicomRejection('unsupported_sop_class', 'DICOMDIR media directory files are not de-identified; send the image files');
    }
    if (!stringValue(find(top, 0x00080018))) {
      throw new DicomRejection('missing_required_attribute', 'SOP Instance UID (0008,0018) is missing');
    }
    if (find(top, 0x00280010) && !top.some((e) => e.tag === 0x7fe00010 || e.tag === 0x7fe00008 || e.tag === 0x7fe00009)) {
      // Image Pixel attributes without Pixel Data: almost always a file cut at an element boundary.
      throw new DicomRejection('truncated', 'image attributes present but Pixel Data is missing');
    }
    const nhs = await identifyPatient(top, ctx.resolvePatient);
    if (ctx.isOptedOut && (await ctx.isOptedOut(nhs))) {
      throw new DicomRejection('patient_opted_out', 'the patient has opted out');
    }
    const reason = quarantineReason(top);
    const options = optionList(ctx);
    const result = deidentifyDataset(top, enc, {
      keys: ctx.keys,
      options: new Set(options),
      nhsNumber: nhs,
      safePrivateTags: ctx.safePrivateTags ?? [],
    });
    const ds = result.dataset;
    const frames = Number(stringValue(find(ds, 0x00280008)));
    const deidentified: DeidentifiedInstance = {
      studyUid: stringValue(find(ds, 0x0020000d)),
      seriesUid: stringValue(find(ds, 0x0020000e)),
      sopInstanceUid: stringValue(find(ds, 0x00080018)) ?? '',
      sopClassUid: stringValue(find(ds, 0x00080016)),
      pseudonym: result.pseudonym,
      modality: stringValue(find(ds, 0x00080060)),
      transferSyntaxUid: header.ts.uid,
      ...(Number.isFinite(frames) && frames > 0 ? { numberOfFrames: frames } : {}),
    };
    const receipt: DicomDeidReceipt = {
      profileId: DICOM_DEID_PROFILE_ID,
      profileVersion: DICOM_DEID_PROFILE_VERSION,
      edition: ANNEX_E_EDITION,
      options,
      pseudonymisationScheme: PSEUDONYMISATION_SCHEME_VERSION,
      projectId: ctx.keys.projectId,
      transferSyntaxUid: header.ts.uid,
      sopClassUid: deidentified.sopClassUid,
      counts: result.counts,
      ...(reason ? { quarantineReason: reason } : {}),
    };
    if (reason && !ctx.clearedQuarantine?.includes(reason))
      return { outcome: { status: 'quarantined', reason, receipt, deidentified }, written: false };

    // Everything but bulk values is encoded into a few buffers before anything is written, so an
    // encoding failure leaves no output and the sink sees few, large writes.
    const head = new Encoder();
    head.raw(PREAMBLE);
    head.elements(buildMeta(header, ds), EXPLICIT_LE);
    let body = head;
    if (header.ts.deflated) body = new Encoder();
    body.elements(ds, enc);
    const sink = await openSink();
    if (header.ts.deflated) {
      await writeSegments(sink, src, head.finish());
      const deflate = new DeflateSink(sink);
      await writeSegments(deflate, dsSrc, body.finish());
      await deflate.finish();
    } else {
      await writeSegments(sink, dsSrc, body.finish());
      await sink.finish();
    }
    return { outcome: { status: 'released', receipt, deidentified }, written: true };
  } finally {
    await prepared.cleanup?.();
  }
}

function toRejected(e: unknown): DicomDeidOutcome {
  if (e instanceof DicomRejection) return { status: 'rejected', code: e.code, message: e.message };
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
    return { status: 'rejected', code: 'io_error', message: `file system error ${code}` };
  }
  // Unknown errors may quote values; only the error class is reported.
  return { status: 'rejected', code: 'internal_error', message: `unexpected ${(e as Error | null)?.name ?? 'error'}` };
}

/** De-identify an in-memory instance (HTTP STOW of small files). No output unless released. */
export async function deidentifyDicomBuffer(buf: Buffer, ctx: DicomDeidContext): Promise<{ outcome: DicomDeidOutcome; output?: Buffer }> {
  const sink = new BufferSink();
  try {
    const done = await run(new BufferSource(buf), ctx, () => Promise.resolve(sink));
    return done.written ? { outcome: done.outcome, output: Buffer.concat(sink.chunks) } : { outcome: done.outcome };
  } catch (e) {
    return { outcome: toRejected(e) };
  }
}

/**
 * De-identify one file. Instances up to {@link SMALL_FILE_BYTES} (a CT or MR slice, most
 * single-frame images) are read whole with one read and written with one gathered write of the
 * new header and a slice of the input holding the pixel data. Larger instances stream: element
 * headers are parsed through a 64 KiB window, small values rewritten in memory, and Pixel Data
 * (native or encapsulated fragments) copied from input to output in 1 MiB chunks without decoding,
 * so memory does not grow with pixel data. Either way output is written to a temporary file in the
 * target directory and renamed into place only when the instance is released, so nothing partial
 * appears.
 */
export async function deidentifyDicomFile(inPath: string, outPath: string, ctx: DicomDeidContext): Promise<DicomDeidOutcome> {
  return (await deidentifyFileAt(inPath, outPath, ctx, false)).outcome;
}

/**
 * {@link deidentifyDicomFile}, also giving the input size when it was read (directory totals).
 * `asyncIo`: read and write small files through the thread pool (worth it with several in flight).
 */
async function deidentifyFileAt(
  inPath: string,
  outPath: string,
  ctx: DicomDeidContext,
  asyncIo: boolean,
): Promise<{ outcome: DicomDeidOutcome; bytesIn?: number }> {
  let held: Awaited<ReturnType<typeof readWholeFile>>;
  try {
    held = await readWholeFile(inPath, SMALL_FILE_BYTES, asyncIo);
  } catch (e) {
    return { outcome: toRejected(e) };
  }
  if (!('buffer' in held)) return { outcome: await deidentifyLargeFile(inPath, outPath, ctx), bytesIn: held.size };
  try {
    return { outcome: await deidentifyHeldFile(held.buffer, outPath, ctx, asyncIo), bytesIn: held.buffer.length };
  } finally {
    // Every slice of the buffer (values, pixel data) is dead once the output is written.
    held.release();
  }
}

/**
 * Instances up to this size (a CT or MR slice, most single-frame images) are read whole and
 * written with one gathered write; memory stays bounded by this size times the concurrency.
 * Larger instances take the streaming path.
 */
export const SMALL_FILE_BYTES = 8 * 1024 * 1024;

async function deidentifyHeldFile(buf: Buffer, outPath: string, ctx: DicomDeidContext, asyncIo: boolean): Promise<DicomDeidOutcome> {
  // Collects the encoded header and slices of `buf` (pixel data): nothing is copied before the write.
  const sink = new BufferSink();
  let done: Done;
  try {
    done = await run(new BufferSource(buf), ctx, () => Promise.resolve(sink));
  } catch (e) {
    return toRejected(e);
  }
  if (!done.written) return done.outcome;
  try {
    await writeFileAtomically(outPath, sink.chunks, asyncIo);
    return done.outcome;
  } catch (e) {
    return toRejected(e);
  }
}

async function deidentifyLargeFile(inPath: string, outPath: string, ctx: DicomDeidContext): Promise<DicomDeidOutcome> {
  let inFh: FileHandle | undefined;
  let outFh: FileHandle | undefined;
  const tmpOut = tmpName(outPath, 'harbour-tmp');
  let created = false;
  try {
    inFh = await open(inPath, 'r');
    const size = (await inFh.stat()).size;
    const inflateToFile = async (offset: number): Promise<{ src: ByteSource; cleanup: () => Promise<void> }> => {
      await mkdir(dirname(outPath), { recursive: true });
      const tmp = tmpName(outPath, 'harbour-inflate');
      try {
        await pipeline(createReadStream(inPath, { start: offset }), createInflateRaw(), createWriteStream(tmp));
      } catch (e) {
        await rm(tmp, { force: true });
        throw inflateError(e);
      }
      const fh = await open(tmp, 'r');
      const st = await fh.stat();
      return {
        src: new FileSource(fh, st.size),
        cleanup: async () => {
          await fh.close();
          await rm(tmp, { force: true });
        },
      };
    };
    const done = await run(
      new FileSource(inFh, size),
      ctx,
      async () => {
        await mkdir(dirname(outPath), { recursive: true });
        outFh = await open(tmpOut, 'w');
        created = true;
        return new FileSink(outFh);
      },
      inflateToFile,
    );
    if (outFh) {
      await outFh.close();
      outFh = undefined;
    }
    if (done.written) {
      await rename(tmpOut, outPath);
      created = false;
    }
    return done.outcome;
  } catch (e) {
    return toRejected(e);
  } finally {
    await inFh?.close().catch(() => undefined);
    await outFh?.close().catch(() => undefined);
    if (created) await rm(tmpOut, { force: true }).catch(() => undefined);
  }
}

/** Minimal header metadata for indexing, read without touching pixel data. */
export interface DicomIndexEntry {
  readonly transferSyntaxUid: string;
  readonly sopClassUid?: string;
  readonly sopInstanceUid?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly modality?: string;
  readonly patientId?: string;
  readonly issuerOfPatientId?: string;
  readonly otherPatientIds: readonly { readonly id: string; readonly issuer?: string }[];
  /** A valid NHS number found in Patient ID or NHS-issued other IDs (identifying: vault side only). */
  readonly nhsNumber?: string;
  readonly numberOfFrames?: number;
  /** Study Date (0008,0020) as written (DA, YYYYMMDD), when present. */
  readonly studyDate?: string;
  /** Series Number (0020,0011) and Instance Number (0020,0013), when present and integral. */
  readonly seriesNumber?: number;
  readonly instanceNumber?: number;
  readonly hasPixelData: boolean;
}

/**
 * Read the header of a Part 10 file or buffer (stops at Pixel Data). Throws {@link DicomRejection}
 * with a reason code for input that is not a readable DICOM file.
 */
export async function readDicomIndex(input: string | Buffer): Promise<DicomIndexEntry> {
  let fh: FileHandle | undefined;
  try {
    let src: ByteSource;
    if (typeof input === 'string') {
      fh = await open(input, 'r');
      src = new FileSource(fh, (await fh.stat()).size);
    } else src = new BufferSource(input);
    const header = await readPart10Header(src);
    let dsSrc = src;
    let offset = header.datasetOffset;
    if (header.ts.deflated) {
      dsSrc = new BufferSource(inflateBuffer(await src.read(offset, src.size - offset)));
      offset = 0;
    }
    const top = await parseDataset(dsSrc, offset, await sniffDatasetEncoding(dsSrc, offset, header.ts.encoding), { stopAtPixelData: true });
    const s = (tag: number): string | undefined => stringValue(find(top, tag));
    const lookup = patientLookup(top);
    let nhs: string | undefined;
    if (lookup.patientId && (lookup.issuerOfPatientId === undefined || isNhsIssuer(lookup.issuerOfPatientId)))
      nhs = canonicalNhsNumber(lookup.patientId);
    for (const o of lookup.otherIds) if (!nhs && (o.issuer === undefined || isNhsIssuer(o.issuer))) nhs = canonicalNhsNumber(o.id);
    const frames = Number(s(0x00280008));
    const int = (tag: number): number | undefined => {
      const v = s(tag)?.trim();
      return v && /^[+-]?\d{1,9}$/.test(v) ? Number(v) : undefined;
    };
    const studyDate = s(0x00080020)?.trim();
    const seriesNumber = int(0x00200011);
    const instanceNumber = int(0x00200013);
    return {
      transferSyntaxUid: header.ts.uid,
      sopClassUid: s(0x00080016) ?? stringValue(find(header.meta, 0x00020002)),
      sopInstanceUid: s(0x00080018) ?? stringValue(find(header.meta, 0x00020003)),
      studyInstanceUid: s(0x0020000d),
      seriesInstanceUid: s(0x0020000e),
      modality: s(0x00080060),
      patientId: lookup.patientId,
      issuerOfPatientId: lookup.issuerOfPatientId,
      otherPatientIds: lookup.otherIds,
      ...(nhs ? { nhsNumber: nhs } : {}),
      ...(Number.isFinite(frames) && frames > 0 ? { numberOfFrames: frames } : {}),
      ...(studyDate && /^\d{8}$/.test(studyDate) ? { studyDate } : {}),
      ...(seriesNumber !== undefined ? { seriesNumber } : {}),
      ...(instanceNumber !== undefined ? { instanceNumber } : {}),
      hasPixelData: top.some((e) => e.tag === 0x7fe00010),
    };
  } finally {
    await fh?.close();
  }
}

/** Progress of a directory run, reported after each file (paths are relative, posix). */
export interface DicomDirectoryProgress {
  readonly done: number;
  readonly total: number;
  readonly path: string;
  readonly status: DicomDeidOutcome['status'];
}

export interface DicomDirectoryContext extends DicomDeidContext {
  readonly onProgress?: (p: DicomDirectoryProgress) => void;
  /** Files processed at once (default 4): overlaps I/O waits of one file with work on another. */
  readonly concurrency?: number;
  /**
   * Run the files on a pool of worker threads, so the CPU-bound per-file work uses every core.
   * Functions cannot cross threads: each worker re-derives the keys from the station master key
   * and `keys.projectId` (so `keys` must be `deriveProjectKeys(masterKey, projectId)`), opt-outs
   * are given as data (`optedOutNhsNumbers`), and `resolvePatient` / `isOptedOut` are refused.
   */
  readonly threads?: { readonly masterKey: Uint8Array; readonly count?: number; readonly optedOutNhsNumbers?: Iterable<string> };
}

/** Entry of `rejections.json`, keyed by the input's relative posix path. */
export interface DicomRejectionEntry {
  readonly code: DicomRejectionCode | `quarantined:${DicomQuarantineReason}`;
  readonly message: string;
  readonly quarantine?: true;
}

export interface DicomDirectorySummary {
  readonly total: number;
  readonly released: number;
  readonly quarantined: number;
  readonly rejected: number;
  /** Count per rejection code or `quarantined:<reason>`. */
  readonly byCode: Readonly<Record<string, number>>;
  readonly rejectionsPath: string;
  readonly bytesIn: number;
  readonly elapsedMs: number;
}

async function listFiles(root: string, exclude: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (resolve(p) === exclude) continue; // output inside input: never re-read our own output
        await walk(p);
      } else if (e.isFile()) out.push(p);
    }
  };
  await walk(root);
  return out;
}

/**
 * De-identify every regular file under `inDir` into `outDir` at the same relative path. Released
 * instances are written; quarantined and rejected ones are not, and are listed in
 * `outDir/rejections.json` ({ [relativePosixPath]: { code, message, quarantine? } }, quarantined
 * ones with code `quarantined:<reason>`). One bad file never stops the run.
 */
export async function deidentifyDicomDirectory(inDir: string, outDir: string, ctx: DicomDirectoryContext): Promise<DicomDirectorySummary> {
  const started = Date.now();
  const root = resolve(inDir);
  const outRoot = resolve(outDir);
  await mkdir(outRoot, { recursive: true });
  const files = await listFiles(root, outRoot);
  let pool: DeidThreadPool | undefined;
  if (ctx.threads) {
    if (ctx.resolvePatient || ctx.isOptedOut)
      throw new Error('threads: give opt-outs as optedOutNhsNumbers; resolvePatient cannot cross threads');
    const count = Math.max(1, Math.min(ctx.threads.count ?? availableParallelism(), 32));
    const master = ctx.threads.masterKey;
    pool = new DeidThreadPool(
      {
        masterKey: master.buffer.slice(master.byteOffset, master.byteOffset + master.byteLength) as ArrayBuffer,
        projectId: ctx.keys.projectId,
        options: ctx.options ? [...ctx.options] : undefined,
        safePrivateTags: ctx.safePrivateTags,
        optedOutNhsNumbers: [...(ctx.threads.optedOutNhsNumbers ?? [])],
      },
      Math.min(count, Math.max(1, files.length)),
    );
    try {
      await pool.ready();
    } catch (e) {
      await pool.close();
      throw e;
    }
  }
  const n = pool
    ? 2 * Math.max(1, Math.min(ctx.threads?.count ?? availableParallelism(), 32))
    : Math.max(1, Math.min(ctx.concurrency ?? 4, 16));
  // With several files in flight, their reads and writes go through the thread pool so copying
  // overlaps parsing; one at a time, synchronous calls have less latency.
  const asyncIo = n > 1;
  const deidentifyOne = async (file: string, out: string): Promise<{ outcome: DicomDeidOutcome; bytesIn?: number }> =>
    pool ? { outcome: await pool.run(file, out) } : deidentifyFileAt(file, out, ctx, asyncIo);
  const rejections: Record<string, DicomRejectionEntry> = {};
  const byCode: Record<string, number> = {};
  let released = 0;
  let quarantined = 0;
  let rejected = 0;
  let done = 0;
  let bytesIn = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      const file = files[i];
      if (file === undefined) return;
      const rel = relative(root, file).split(sep).join('/');
      const one = await deidentifyOne(file, join(outRoot, rel));
      const outcome = one.outcome;
      // Read the size first: `bytesIn += await …` reads bytesIn before the await and loses the
      // updates other concurrent workers make meanwhile. Files the run did not read are stat'ed.
      const size =
        one.bytesIn ??
        (await stat(file).then(
          (s) => s.size,
          () => 0,
        ));
      bytesIn += size;
      if (outcome.status === 'released') released++;
      else if (outcome.status === 'quarantined') {
        quarantined++;
        const code = `quarantined:${outcome.reason}` as const;
        rejections[rel] = { code, message: `held for review: ${outcome.reason.replace(/_/g, ' ')}`, quarantine: true };
        byCode[code] = (byCode[code] ?? 0) + 1;
      } else {
        rejected++;
        rejections[rel] = { code: outcome.code, message: outcome.message };
        byCode[outcome.code] = (byCode[outcome.code] ?? 0) + 1;
      }
      done++;
      ctx.onProgress?.({ done, total: files.length, path: rel, status: outcome.status });
    }
  };
  try {
    await Promise.all(Array.from({ length: n }, () => worker()));
  } finally {
    await pool?.close();
  }
  const sorted = Object.fromEntries(
    Object.keys(rejections)
      .sort()
      .map((k) => [k, rejections[k]!]),
  );
  const rejectionsPath = join(outRoot, 'rejections.json');
  await writeFileAtomically(rejectionsPath, [Buffer.from(`${JSON.stringify(sorted, null, 2)}\n`)], true);
  return { total: files.length, released, quarantined, rejected, byCode, rejectionsPath, bytesIn, elapsedMs: Date.now() - started };
}
