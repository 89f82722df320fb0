// Test helpers (imported by *.spec.ts only; not exported from the lib's index).
import dcmjs from 'dcmjs';
import { deriveProjectKeys, type ProjectKeys } from '@harbour/pseudonymisation';

export const testKeys = (project = 'alpha'): ProjectKeys => deriveProjectKeys(Buffer.alloc(32, 7), project);

export interface Parsed {
  meta: Record<string, { Value?: unknown[] }>;
  ds: Record<string, unknown>;
  dict: Record<string, { vr: string; Value?: unknown[] }>;
}

let silenced = false;
/** Parse with dcmjs, as an independent reader (proves the output is well-formed DICOM). */
export function parseWithDcmjs(buf: Buffer): Parsed {
  if (!silenced) {
    dcmjs.log?.setLevel?.('error');
    silenced = true;
  }
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
  const d = dcmjs.data.DicomMessage.readFile(ab, { ignoreErrors: false });
  return { meta: d.meta, ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(d.dict), dict: d.dict };
}

/** Pixel Data bytes as dcmjs reads them (native: the value; encapsulated: fragments concatenated). */
export function pixelBytes(p: Parsed): Buffer {
  const v = p.dict['7FE00010']?.Value ?? [];
  return Buffer.concat((v as ArrayBuffer[]).map((ab) => Buffer.from(ab)));
}
