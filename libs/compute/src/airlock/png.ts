/**
 * Just enough PNG to check outputs without decoding them: the signature and the IHDR chunk
 * (PNG 3rd edition / ISO 15948, sections 5.2 and 11.2.1). IHDR must be the first chunk.
 */
const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] as const;

export interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  /** 0 greyscale, 2 truecolour, 3 indexed, 4 greyscale + alpha, 6 truecolour + alpha. */
  readonly colorType: number;
  readonly interlaced: boolean;
}

const VALID_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= SIGNATURE.length && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Reads the IHDR chunk, or returns undefined when the bytes are not a well-formed PNG start. */
export function parsePngHeader(bytes: Uint8Array): PngHeader | undefined {
  // signature (8) + length (4) + "IHDR" (4) + 13 data bytes
  if (bytes.length < 33 || !isPng(bytes)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8) !== 13) return undefined;
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return undefined;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const bitDepth = view.getUint8(24);
  const colorType = view.getUint8(25);
  const interlace = view.getUint8(28);
  // Section 11.2.1: dimensions are 1 .. 2^31-1; compression and filter methods are 0.
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return undefined;
  if (!VALID_DEPTHS[colorType]?.includes(bitDepth)) return undefined;
  if (view.getUint8(26) !== 0 || view.getUint8(27) !== 0 || interlace > 1) return undefined;
  return { width, height, bitDepth, colorType, interlaced: interlace === 1 };
}
