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
const REJECTED = 3;

/**
 * Compact in-memory index: FHIR id → NHS number, NHS number → status. About 100 bytes per
 * patient, so a million patients fit in ~100 MB; resource records themselves are never held.
 */
export class MemoryPatientIndex implements PatientIndex {
  private readonly ids = new Map<string, string>();
  private readonly status = new Map<string, number>();
  private readonly knownIds = new Map<string, KnownIdentifiers>();
  private readonly rejectedIds = new Set<string>();
  private acceptedCount = 0;
  private optedOutCount = 0;

  /** Record an accepted (or opted-out) patient; returns false if the NHS number was already present. */
  add(nhsNumber: string, ids: readonly string[], optedOut: boolean, known?: KnownIdentifiers): boolean {
    for (const id of ids) this.ids.set(id, nhsNumber);
    if (this.status.has(nhsNumber)) {
      if (known) {
        const prev = this.knownIds.get(nhsNumber);
        if (prev) mergeKnown(prev, known);
      }
      return false;
    }
    this.status.set(nhsNumber, optedOut ? OPTED_OUT : OK);
    if (optedOut) this.optedOutCount++;
    else this.acceptedCount++;
    if (known && !optedOut) this.knownIds.set(nhsNumber, known);
    return true;
  }

  /** Link extra ids (a duplicate Patient record) to an NHS number already present. */
  link(nhsNumber: string, ids: readonly string[]): void {
    for (const id of ids) this.ids.set(id, nhsNumber);
  }

  /** Record the id of a Patient whose own record was refused, so its resources are refused with it. */
  reject(ids: readonly string[]): void {
    for (const id of ids) if (!this.ids.has(id)) this.rejectedIds.add(id);
  }

  byId(id: string): PatientLookup {
    const nhs = this.ids.get(id);
    if (nhs !== undefined) return this.byNhs(nhs);
    return this.rejectedIds.has(id) ? { status: 'rejected' } : undefined;
  }

  byNhs(nhsNumber: string): PatientLookup {
    const s = this.status.get(nhsNumber);
    if (s === undefined) return undefined;
    if (s === REJECTED) return { status: 'rejected' };
    return { status: s === OPTED_OUT ? 'opted_out' : 'ok', nhsNumber };
  }

  known(nhsNumber: string): KnownIdentifiers | undefined {
    return this.knownIds.get(nhsNumber);
  }

  get size(): { accepted: number; optedOut: number; rejectedIds: number } {
    return { accepted: this.acceptedCount, optedOut: this.optedOutCount, rejectedIds: this.rejectedIds.size };
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
