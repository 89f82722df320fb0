import type { KnownIdentifiers } from './scrub.js';
import type { PatientLookup } from './deidentify.js';

/**
 * Where patients are looked up while the rest of an extract is processed. The directory run keeps
 * one in memory ({@link MemoryPatientIndex}); the database ingestion pipeline can back it by a table.
 */
export interface PatientIndex {
  /** By FHIR Patient id or Bundle fullUrl. */
  byId(id: string): PatientLookup;
  /** By canonical NHS number (CSV rows and logical references). */
  byNhs(nhsNumber: string): PatientLookup;
  /** Known identifiers of a patient, for scrubbing (only kept when the profile scrubs). */
  known?(nhsNumber: string): KnownIdentifiers | undefined;
}

const OK = 1;
const OPTED_OUT = 2;
/** Id-table value of an id whose Patient record was refused. */
const REJECTED_ID = -1;
const EMPTY = -1;

/** A canonical NHS number (ten digits) as an exact integer (< 2^34), or undefined. */
function nhsKey(nhs: string): number | undefined {
  if (nhs.length !== 10) return undefined;
  let n = 0;
  for (let i = 0; i < 10; i++) {
    const d = nhs.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n;
}

const nhsString = (n: number): string => String(n).padStart(10, '0');

/** 32-bit mix of an integer below 2^53 (Murmur3 finaliser over both halves). */
function mixNumber(n: number): number {
  let h = Math.imul((n % 0x100000000) ^ Math.floor(n / 0x100000000), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units, with bit 31 set when the string is not ASCII (one byte per unit). */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  let wide = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    wide |= c;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return ((h & 0x7fffffff) | (wide > 0x7f ? 0x80000000 : 0)) >>> 0;
}

const isAsciiHash = (hash: number): boolean => hash < 0x80000000;

/**
 * Open-addressing hash table from strings (FHIR ids, fullUrls) to a number, stored off the JS heap:
 * key bytes in one growing arena, fixed-size entries in typed arrays. About 36 bytes per entry plus
 * the key's UTF-8 bytes, against ~150 bytes for a Map of strings, and nothing for the GC to trace.
 * Keys are compared byte for byte, never by hash alone, so two ids can never be confused.
 */
class StringNumberTable {
  private arena = Buffer.allocUnsafe(1 << 16);
  private arenaUsed = 0;
  private keyOffset = new Uint32Array(1024);
  private keyLength = new Uint32Array(1024);
  private hashes = new Uint32Array(1024);
  private values = new Float64Array(1024);
  private slots = new Int32Array(2048).fill(EMPTY);
  size = 0;

  /** Slot of the last {@link find}: where the key is, or where it would go. */
  private slot = 0;

  /** The key's entry, or EMPTY (then `this.slot` is a free slot for it). */
  private find(key: string, hash: number): number {
    const ascii = isAsciiHash(hash);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    let bytes: Buffer | undefined;
    for (;;) {
      const e = this.slots[slot]!;
      if (e === EMPTY) {
        this.slot = slot;
        return EMPTY;
      }
      if (this.hashes[e] === hash) {
        const off = this.keyOffset[e]!;
        const len = this.keyLength[e]!;
        if (ascii) {
          if (len === key.length) {
            let i = 0;
            while (i < len && this.arena[off + i] === key.charCodeAt(i)) i++;
            if (i === len) return e;
          }
        } else {
          bytes ??= Buffer.from(key, 'utf8');
          if (len === bytes.length && this.arena.compare(bytes, 0, len, off, off + len) === 0) return e;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  get(key: string): number | undefined {
    const entry = this.find(key, hashString(key));
    return entry === EMPTY ? undefined : this.values[entry];
  }

  set(key: string, value: number): void {
    const hash = hashString(key);
    const found = this.find(key, hash);
    if (found !== EMPTY) {
      this.values[found] = value;
      return;
    }
    const free = this.slot;
    const ascii = isAsciiHash(hash);
    const len = ascii ? key.length : Buffer.byteLength(key, 'utf8');
    if (this.arenaUsed + len > this.arena.length) {
      const next = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.arenaUsed + len));
      this.arena.copy(next, 0, 0, this.arenaUsed);
      this.arena = next;
    }
    this.arena.write(key, this.arenaUsed, len, ascii ? 'latin1' : 'utf8');
    const e = this.size++;
    if (e === this.values.length) this.growEntries();
    this.keyOffset[e] = this.arenaUsed;
    this.keyLength[e] = len;
    this.hashes[e] = hash;
    this.values[e] = value;
    this.arenaUsed += len;
    this.slots[free] = e;
    if (this.size * 2 > this.slots.length) this.rehash();
  }

  private growEntries(): void {
    const n = this.values.length * 2;
    const grow = <T extends Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.keyOffset = grow(this.keyOffset, (k) => new Uint32Array(k));
    this.keyLength = grow(this.keyLength, (k) => new Uint32Array(k));
    this.hashes = grow(this.hashes, (k) => new Uint32Array(k));
    this.values = grow(this.values, (k) => new Float64Array(k));
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    const mask = slots.length - 1;
    for (let e = 0; e < this.size; e++) {
      let s = this.hashes[e]! & mask;
      while (slots[s] !== EMPTY) s = (s + 1) & mask;
      slots[s] = e;
    }
    this.slots = slots;
  }
}

/**
 * Open-addressing hash table of NHS numbers (as exact integers), each with a status and a dense
 * entry number (0, 1, 2, … in insertion order) that callers may use to keep per-patient data in
 * parallel arrays. About 13 bytes per patient plus slots.
 */
class NhsTable {
  private keys = new Float64Array(1024);
  private status = new Uint8Array(1024);
  private slots = new Int32Array(2048).fill(EMPTY);
  size = 0;

  private slotOf(key: number): number {
    const mask = this.slots.length - 1;
    let slot = mixNumber(key) & mask;
    for (;;) {
      const e = this.slots[slot]!;
      if (e === EMPTY || this.keys[e] === key) return slot;
      slot = (slot + 1) & mask;
    }
  }

  entry(key: number): number {
    return this.slots[this.slotOf(key)]!;
  }

  statusOf(entry: number): number {
    return this.status[entry]!;
  }

  keyOf(entry: number): number {
    return this.keys[entry]!;
  }

  /** Insert a new key; the caller has checked it is absent. Returns its entry number. */
  insert(key: number, status: number): number {
    const e = this.size++;
    if (e === this.keys.length) {
      const keys = new Float64Array(e * 2);
      keys.set(this.keys);
      this.keys = keys;
      const st = new Uint8Array(e * 2);
      st.set(this.status);
      this.status = st;
    }
    this.keys[e] = key;
    this.status[e] = status;
    this.slots[this.slotOf(key)] = e;
    if (this.size * 2 > this.slots.length) {
      this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
      for (let i = 0; i < this.size; i++) this.slots[this.slotOf(this.keys[i]!)] = i;
    }
    return e;
  }
}

/**
 * Compact in-memory index: FHIR id → NHS number, NHS number → status. Held in typed arrays off the
 * JS heap, about 50 bytes per patient with UUID ids (5 MB for 100,000 patients, 50 MB for a
 * million), so memory stays flat as an extract grows; resource records themselves are never held.
 * Known identifiers (scrubbing only) are kept as objects, one per patient.
 */
export class MemoryPatientIndex implements PatientIndex {
  private readonly ids = new StringNumberTable();
  private readonly nhs = new NhsTable();
  private readonly knownIds = new Map<number, KnownIdentifiers>();
  private acceptedCount = 0;
  private optedOutCount = 0;
  private rejectedIdCount = 0;

  /** Record an accepted (or opted-out) patient; returns false if the NHS number was already present. */
  add(nhsNumber: string, ids: readonly string[], optedOut: boolean, known?: KnownIdentifiers): boolean {
    const key = nhsKey(nhsNumber);
    if (key === undefined) throw new Error('MemoryPatientIndex.add needs a canonical NHS number');
    this.setIds(ids, key);
    const existing = this.nhs.entry(key);
    if (existing !== EMPTY) {
      if (known) {
        const prev = this.knownIds.get(existing);
        if (prev) mergeKnown(prev, known);
      }
      return false;
    }
    const e = this.nhs.insert(key, optedOut ? OPTED_OUT : OK);
    if (optedOut) this.optedOutCount++;
    else this.acceptedCount++;
    if (known && !optedOut) this.knownIds.set(e, known);
    return true;
  }

  /** Link extra ids (a duplicate Patient record) to an NHS number already present. */
  link(nhsNumber: string, ids: readonly string[]): void {
    const key = nhsKey(nhsNumber);
    if (key !== undefined) this.setIds(ids, key);
  }

  private setIds(ids: readonly string[], key: number): void {
    for (const id of ids) {
      if (this.ids.get(id) === REJECTED_ID) this.rejectedIdCount--;
      this.ids.set(id, key);
    }
  }

  /** Record the id of a Patient whose own record was refused, so its resources are refused with it. */
  reject(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.ids.get(id) !== undefined) continue;
      this.ids.set(id, REJECTED_ID);
      this.rejectedIdCount++;
    }
  }

  byId(id: string): PatientLookup {
    const v = this.ids.get(id);
    if (v === undefined) return undefined;
    if (v === REJECTED_ID) return { status: 'rejected' };
    return this.lookup(v);
  }

  byNhs(nhsNumber: string): PatientLookup {
    const key = nhsKey(nhsNumber);
    return key === undefined ? undefined : this.lookup(key);
  }

  private lookup(key: number): PatientLookup {
    const e = this.nhs.entry(key);
    if (e === EMPTY) return undefined;
    return { status: this.nhs.statusOf(e) === OPTED_OUT ? 'opted_out' : 'ok', nhsNumber: nhsString(key) };
  }

  /**
   * A dense number for a patient's NHS number (0, 1, 2, … in the order patients were added), or
   * undefined when absent: callers keep their own per-patient data in arrays indexed by it.
   */
  entryOf(nhsNumber: string): number | undefined {
    const key = nhsKey(nhsNumber);
    if (key === undefined) return undefined;
    const e = this.nhs.entry(key);
    return e === EMPTY ? undefined : e;
  }

  known(nhsNumber: string): KnownIdentifiers | undefined {
    const e = this.entryOf(nhsNumber);
    return e === undefined ? undefined : this.knownIds.get(e);
  }

  get size(): { accepted: number; optedOut: number; rejectedIds: number } {
    return { accepted: this.acceptedCount, optedOut: this.optedOutCount, rejectedIds: this.rejectedIdCount };
  }
}

function mergeKnown(a: KnownIdentifiers, b: KnownIdentifiers): void {
  a.names.push(...b.names);
  a.ids.push(...b.ids);
  a.addressParts.push(...b.addressParts);
  a.phones.push(...b.phones);
  a.emails.push(...b.emails);
  a.postcodes.push(...b.postcodes);
}
