import { DomainError } from '@harbour/errors';
import type { QidoFilter } from '../imaging.repository.js';

export const QIDO_DEFAULT_LIMIT = 100;
export const QIDO_MAX_LIMIT = 1000;

/** Query keys by keyword or tag (PS3.18 §8.3.4.1: `{attributeID}={value}`). */
const KEYS: Record<
  string,
  'PatientID' | 'StudyDate' | 'ModalitiesInStudy' | 'Modality' | 'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPInstanceUID'
> = {
  patientid: 'PatientID',
  '00100020': 'PatientID',
  studydate: 'StudyDate',
  '00080020': 'StudyDate',
  modalitiesinstudy: 'ModalitiesInStudy',
  '00080061': 'ModalitiesInStudy',
  modality: 'Modality',
  '00080060': 'Modality',
  studyinstanceuid: 'StudyInstanceUID',
  '0020000d': 'StudyInstanceUID',
  seriesinstanceuid: 'SeriesInstanceUID',
  '0020000e': 'SeriesInstanceUID',
  sopinstanceuid: 'SOPInstanceUID',
  '00080018': 'SOPInstanceUID',
};

const bad = (what: string): DomainError => new DomainError('invalid_request', `invalid QIDO-RS query: ${what}`);

const one = (v: unknown): string | undefined =>
  Array.isArray(v) ? (v as unknown[]).map(String).join(',') : typeof v === 'string' ? v : undefined;

/** UID list matching (PS3.4 §C.2.2.2.2): values separated by backslash or comma. */
function uidList(v: string): string[] {
  const list = v
    .split(/[\\,]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0 || list.some((u) => !/^[0-9.]{1,64}$/.test(u))) throw bad('UID list');
  return list;
}

/** Range matching of DA (PS3.4 §C.2.2.2.5): `D`, `D1-D2`, `-D2`, `D1-`. */
function dateRange(v: string): { from?: string; to?: string } {
  const m = /^(\d{8})?(-)?(\d{8})?$/.exec(v.trim());
  if (!m || (!m[1] && !m[3])) throw bad('StudyDate');
  if (!m[2]) return { from: m[1], to: m[1] };
  return { ...(m[1] ? { from: m[1] } : {}), ...(m[3] ? { to: m[3] } : {}) };
}

/**
 * The supported QIDO-RS query parameters (PS3.18 §8.3.4, §10.6.1.2): PatientID (the project
 * pseudonym), StudyDate (single date or range, de-identified dates), ModalitiesInStudy / Modality,
 * the three UIDs (de-identified), limit and offset. `includefield` and `fuzzymatching` are
 * accepted and have no effect (every supported attribute is always returned; matching is exact).
 * Other attributes are ignored, as PS3.18 §8.3.4.1 allows.
 */
export function parseQidoQuery(query: Readonly<Record<string, unknown>>): QidoFilter {
  const f: QidoFilter = { limit: QIDO_DEFAULT_LIMIT, offset: 0 };
  for (const [rawKey, rawValue] of Object.entries(query)) {
    const value = one(rawValue);
    if (value === undefined) continue;
    const key = rawKey.toLowerCase();
    if (key === 'limit' || key === 'offset') {
      if (!/^\d{1,9}$/.test(value)) throw bad(key);
      const n = Number(value);
      if (key === 'limit') f.limit = Math.min(Math.max(n, 1), QIDO_MAX_LIMIT);
      else f.offset = n;
      continue;
    }
    const attr = KEYS[key];
    if (!attr || value === '') continue;
    switch (attr) {
      case 'PatientID':
        if (!/^[A-Za-z0-9-]{1,64}$/.test(value)) throw bad('PatientID');
        f.pseudonym = value;
        break;
      case 'StudyDate': {
        const r = dateRange(value);
        if (r.from) f.studyDateFrom = r.from;
        if (r.to) f.studyDateTo = r.to;
        break;
      }
      case 'ModalitiesInStudy':
      case 'Modality': {
        const list = value
          .split(/[\\,]/)
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean);
        if (list.some((m) => !/^[A-Z0-9]{1,16}$/.test(m))) throw bad(attr);
        f.modalities = list;
        break;
      }
      case 'StudyInstanceUID':
        f.studyUids = uidList(value);
        break;
      case 'SeriesInstanceUID':
        f.seriesUids = uidList(value);
        break;
      case 'SOPInstanceUID':
        f.sopUids = uidList(value);
        break;
    }
  }
  return f;
}

/** A UID path segment of a DICOMweb URL (PS3.5 §9.1: digits and dots, at most 64). */
export function assertUid(uid: string, what: string): string {
  if (!/^[0-9.]{1,64}$/.test(uid)) throw new DomainError('not_found', `${what} not found`);
  return uid;
}
