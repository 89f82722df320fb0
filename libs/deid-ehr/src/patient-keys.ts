import type { ProjectKeys } from '@harbour/pseudonymisation';

/** Bytes kept per pseudonym; Harbour's are `HBR-` and 16 base32 characters. */
const PSEUDONYM_BYTES = 20;
const UNKNOWN = 0;
const STORED = 1;
/** A value that does not fit the compact form: computed again each time (never happens with Harbour's keys). */
const UNSTORABLE = 2;

/**
 * Each patient's pseudonym and date offset, computed once and kept by the patient's entry number
 * in the run's patient index (`MemoryPatientIndex.entryOf`): 23 bytes a patient in typed arrays,
 * off the JS heap. A patient's resources are spread over one file per resource type, so a
 * bounded cache keyed by NHS number would compute both HMACs again for every patient in every
 * file once the extract outgrows it; this computes them once per patient at any size.
 */
export class PatientKeyStore {
  private pseudonyms = Buffer.alloc(1024 * PSEUDONYM_BYTES);
  private offsets = new Int16Array(1024);
  private state = new Uint8Array(1024);

  constructor(private readonly keys: ProjectKeys) {}

  /** Pseudonym and date offset of the patient with this NHS number and index entry. */
  get(entry: number, nhsNumber: string): { pseudonym: string; dateOffsetDays: number } {
    if (entry >= this.state.length) this.grow(entry);
    const s = this.state[entry];
    if (s === STORED) {
      const at = entry * PSEUDONYM_BYTES;
      return { pseudonym: this.pseudonyms.toString('latin1', at, at + PSEUDONYM_BYTES), dateOffsetDays: this.offsets[entry]! };
    }
    const pseudonym = this.keys.pseudonym(nhsNumber);
    const dateOffsetDays = this.keys.dateOffsetDays(nhsNumber);
    if (s === UNKNOWN) {
      const fits =
        pseudonym.length === PSEUDONYM_BYTES &&
        /^[\x20-\x7e]*$/.test(pseudonym) &&
        Number.isInteger(dateOffsetDays) &&
        Math.abs(dateOffsetDays) <= 0x7fff;
      if (fits) {
        this.pseudonyms.write(pseudonym, entry * PSEUDONYM_BYTES, PSEUDONYM_BYTES, 'latin1');
        this.offsets[entry] = dateOffsetDays;
      }
      this.state[entry] = fits ? STORED : UNSTORABLE;
    }
    return { pseudonym, dateOffsetDays };
  }

  private grow(entry: number): void {
    let n = this.state.length;
    while (n <= entry) n *= 2;
    const pseudonyms = Buffer.alloc(n * PSEUDONYM_BYTES);
    this.pseudonyms.copy(pseudonyms);
    this.pseudonyms = pseudonyms;
    const offsets = new Int16Array(n);
    offsets.set(this.offsets);
    this.offsets = offsets;
    const state = new Uint8Array(n);
    state.set(this.state);
    this.state = state;
  }
}
