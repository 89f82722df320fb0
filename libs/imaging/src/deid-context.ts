import { ALL_ANNEX_E_OPTIONS, type AnnexEOption } from '@harbour/deid-dicom';
import { shiftDicomDate, type ProjectKeys } from '@harbour/pseudonymisation';

/**
 * Option names an access request may carry, mapped to the de-identifier's PS3.15 §E.3 options.
 * The access context names the dates option in full; both spellings are accepted.
 */
const OPTION_ALIASES: Readonly<Record<string, AnnexEOption>> = {
  ...Object.fromEntries(ALL_ANNEX_E_OPTIONS.map((o) => [o, o])),
  retainLongitudinalTemporalInformationModifiedDates: 'retainLongitudinalModifiedDates',
};

/** The Annex E options of a project (unknown names are ignored: they can only add retention). */
export function projectDeidOptions(names: readonly string[]): AnnexEOption[] {
  const out = new Set<AnnexEOption>();
  for (const n of names) {
    const o = OPTION_ALIASES[n];
    if (o) out.add(o);
  }
  return [...out].sort();
}

export interface ProjectView {
  deidStudyUid: string;
  deidSeriesUid: string;
  deidSopUid: string;
  pseudonym: string;
  studyDate: string | null;
}

/**
 * The de-identified identity of an instance in a project, computed forward from the originals
 * with the same keys and rules the de-identifier applies to the file (PS3.15 Annex E action U →
 * `keys.uid`, Patient ID → pseudonym, dates shifted under the Modified Dates option, otherwise
 * emptied). Retrieval checks the file it produces against this view and refuses a mismatch.
 */
export function projectView(
  keys: ProjectKeys,
  options: readonly AnnexEOption[],
  original: { studyUid: string; seriesUid: string; sopUid: string; studyDate: string | null },
  nhsNumber: string,
): ProjectView {
  const uid = options.includes('retainUids') ? (u: string): string => u : (u: string): string => keys.uid(u);
  const studyDate =
    original.studyDate && options.includes('retainLongitudinalModifiedDates')
      ? (shiftDicomDate(original.studyDate, keys.dateOffsetDays(nhsNumber)) ?? null)
      : null;
  return {
    deidStudyUid: uid(original.studyUid),
    deidSeriesUid: uid(original.seriesUid),
    deidSopUid: uid(original.sopUid),
    pseudonym: keys.pseudonym(nhsNumber),
    studyDate,
  };
}
