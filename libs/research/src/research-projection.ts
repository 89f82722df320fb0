import { postcodeOutward } from '@harbour/nhs';
import type { EventKind } from './entities/research-event.entity.js';

/**
 * What the research store keeps of a FHIR resource: coded events with dates and values, and
 * generalised patient facts. Everything else (names, identifiers, free text, references) never
 * leaves the vault. Dates here are true dates: the research store is internal, never exposed
 * record by record; partners see counts (SDC) or per-project pseudonymised, date-shifted data.
 */
export interface ProjectedEvent {
  kind: EventKind;
  codeSystem: string;
  code: string;
  eventDate: string | null;
  valueNum: number | null;
  unit: string | null;
}

export interface ProjectedPatient {
  birthYear: number | null;
  sex: string;
  district: string | null;
  deceased: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `YYYY-MM-DD` of a FHIR date/dateTime (a partial date takes its first day). */
export function datePart(v: unknown): string | null {
  const s = str(v);
  if (!s) return null;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(s);
  if (!m) return null;
  return `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}`;
}

function codings(cc: unknown): { system: string; code: string }[] {
  const out: { system: string; code: string }[] = [];
  for (const c of arr(obj(cc)?.['coding'])) {
    const o = obj(c);
    const code = str(o?.['code']);
    if (o && code) out.push({ system: str(o['system']) ?? 'unknown', code });
  }
  return out;
}

export function projectPatient(resource: Json): ProjectedPatient {
  const birth = str(resource['birthDate']);
  const birthYear = birth && /^\d{4}/.test(birth) ? Number(birth.slice(0, 4)) : null;
  const gender = str(resource['gender']);
  const sex = gender && ['male', 'female', 'other', 'unknown'].includes(gender) ? gender : 'unknown';
  let district: string | null = null;
  for (const a of arr(resource['address'])) {
    const pc = str(obj(a)?.['postalCode']);
    const out = pc ? postcodeOutward(pc) : undefined;
    if (out) {
      district = out;
      break;
    }
  }
  const deceased = resource['deceasedBoolean'] === true || typeof resource['deceasedDateTime'] === 'string';
  return { birthYear, sex, district, deceased };
}

export function projectEvents(resource: Json): ProjectedEvent[] {
  const type = str(resource['resourceType']);
  const ev = (kind: EventKind, cc: unknown, date: unknown, value?: unknown, unit?: unknown): ProjectedEvent[] =>
    codings(cc).map((c) => ({
      kind,
      codeSystem: c.system,
      code: c.code,
      eventDate: datePart(date),
      valueNum: typeof value === 'number' && Number.isFinite(value) ? value : null,
      unit: str(unit) ?? null,
    }));
  switch (type) {
    case 'Condition':
      return ev(
        'condition',
        resource['code'],
        resource['onsetDateTime'] ?? obj(resource['onsetPeriod'])?.['start'] ?? resource['recordedDate'],
      );
    case 'Observation': {
      const q = obj(resource['valueQuantity']);
      return ev(
        'observation',
        resource['code'],
        resource['effectiveDateTime'] ?? obj(resource['effectivePeriod'])?.['start'] ?? resource['issued'],
        q?.['value'],
        q?.['unit'] ?? q?.['code'],
      );
    }
    case 'MedicationRequest':
      return ev('medication', resource['medicationCodeableConcept'], resource['authoredOn']);
    case 'Procedure':
      return ev('procedure', resource['code'], resource['performedDateTime'] ?? obj(resource['performedPeriod'])?.['start']);
    case 'Encounter': {
      const date = obj(resource['period'])?.['start'];
      const out = arr(resource['type']).flatMap((t) => ev('encounter', t, date));
      const cls = obj(resource['class']);
      const code = str(cls?.['code']);
      if (code)
        out.push({
          kind: 'encounter',
          codeSystem: str(cls?.['system']) ?? 'unknown',
          code,
          eventDate: datePart(date),
          valueNum: null,
          unit: null,
        });
      return out;
    }
    case 'ImagingStudy': {
      const date = resource['started'];
      const modalities = new Map<string, string>();
      for (const m of arr(resource['modality'])) {
        const code = str(obj(m)?.['code']);
        if (code) modalities.set(code, str(obj(m)?.['system']) ?? 'http://dicom.nema.org/resources/ontology/DCM');
      }
      for (const s of arr(resource['series'])) {
        const m = obj(obj(s)?.['modality']);
        const code = str(m?.['code']);
        if (code) modalities.set(code, str(m?.['system']) ?? 'http://dicom.nema.org/resources/ontology/DCM');
      }
      return [...modalities].map(([code, system]) => ({
        kind: 'imaging',
        codeSystem: system,
        code,
        eventDate: datePart(date),
        valueNum: null,
        unit: null,
      }));
    }
    default:
      return [];
  }
}
