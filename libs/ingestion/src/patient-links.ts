const UUID_BYTES = 16;

function uuidToBytes(uuid: string, out: Buffer, at: number): void {
  out.write(uuid.replace(/-/g, ''), at, UUID_BYTES, 'hex');
}

function bytesToUuid(b: Buffer, at: number): string {
  const h = b.toString('hex', at, at + UUID_BYTES);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * A patient's vault row id and person id, by the patient's entry number in the batch's patient
 * index (`MemoryPatientIndex.entryOf`): 33 bytes per patient in one buffer instead of two UUID
 * strings and a Map entry (~200 bytes on the JS heap), so a batch's memory stays flat with the
 * number of patients. The last lookup is remembered, since a patient's records arrive together.
 */
export class PatientLinks {
  private data = Buffer.alloc(1024 * 2 * UUID_BYTES);
  private present = new Uint8Array(1024);
  private last: { entry: number; value: { patientId: string; personId: string } } | undefined;

  has(entry: number): boolean {
    return entry < this.present.length && this.present[entry] === 1;
  }

  set(entry: number, patientId: string, personId: string): void {
    while (entry >= this.present.length) {
      const data = Buffer.alloc(this.data.length * 2);
      this.data.copy(data);
      this.data = data;
      const present = new Uint8Array(this.present.length * 2);
      present.set(this.present);
      this.present = present;
    }
    uuidToBytes(patientId, this.data, entry * 2 * UUID_BYTES);
    uuidToBytes(personId, this.data, (entry * 2 + 1) * UUID_BYTES);
    this.present[entry] = 1;
    if (this.last?.entry === entry) this.last = undefined;
  }

  get(entry: number): { patientId: string; personId: string } | undefined {
    if (!this.has(entry)) return undefined;
    if (this.last?.entry === entry) return this.last.value;
    const value = {
      patientId: bytesToUuid(this.data, entry * 2 * UUID_BYTES),
      personId: bytesToUuid(this.data, (entry * 2 + 1) * UUID_BYTES),
    };
    this.last = { entry, value };
    return value;
  }
}
