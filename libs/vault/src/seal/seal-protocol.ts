/** Messages between {@link RecordSealer} and its worker thread, seal-worker.mjs (plain, transferable data). */
export interface SealInit {
  /** The trust's data key and its version (ciphertexts name the version). */
  readonly key: ArrayBuffer;
  readonly keyVersion: number;
  /** HMAC-SHA256 key of the content fingerprint. */
  readonly fingerprintKey: ArrayBuffer;
}

export interface SealRequest {
  readonly id: number;
  /** Plaintexts back to back (transferred, not copied). */
  readonly input: ArrayBuffer;
  readonly lengths: readonly number[];
}

export type SealResponse =
  | {
      readonly id: number;
      /** Ciphertexts back to back (transferred). */
      readonly output: ArrayBuffer;
      readonly lengths: readonly number[];
      readonly fingerprints: readonly string[];
    }
  | { readonly id: number; readonly error: string };
