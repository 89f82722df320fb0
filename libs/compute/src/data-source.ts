/**
 * What a compute job may read, as the host provides it. The host (wired to the research store by
 * the compute service) builds one `JobDataSource` per job, already scoped to the job's project and
 * its consented, de-identified records: the sandbox offers the job no other way to reach data, so
 * project scoping is the host's duty here and nowhere else.
 *
 * Every collection is read in pages (`AsyncIterable` of arrays) so that a job over millions of
 * records never has the whole collection copied into the sandbox at once; the runner asks for the
 * next page only when the job has consumed the previous one (plus one page read ahead).
 */

/** A de-identified patient as a job sees it. Never carries direct identifiers. */
export interface CohortPatient {
  /** Per-project pseudonym, `HBR-` + 16 base32 characters. */
  readonly pseudonym: string;
  /** FHIR administrative gender code: `male`, `female`, `other` or `unknown`. */
  readonly sex: string;
  /** Year of birth only (full dates are generalised away by de-identification). */
  readonly birthYear: number | null;
  /** Postcode district (outward code), e.g. `LS1`, or null when suppressed. */
  readonly district: string | null;
  /** ODS code of the trust that holds the patient's records. */
  readonly trustCode: string;
}

/** A de-identified FHIR R4 resource (JSON), references rewritten to pseudonymous ids. */
export type FhirResourceRecord = Readonly<Record<string, unknown>> & { readonly resourceType: string };

/** One DICOM instance of a de-identified study. */
export interface DicomInstanceRecord {
  readonly sopInstanceUid: string;
  readonly rows: number | null;
  readonly columns: number | null;
}

/** One DICOM series of a de-identified study. */
export interface DicomSeriesRecord {
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly bodyPart: string | null;
  readonly instances: readonly DicomInstanceRecord[];
}

/** De-identified DICOM study metadata (UIDs remapped per project, dates shifted per patient). */
export interface DicomStudyRecord {
  readonly studyInstanceUid: string;
  readonly patientPseudonym: string;
  /** Shifted study date, `YYYY-MM-DD`, or null. */
  readonly studyDate: string | null;
  readonly modalities: readonly string[];
  readonly series: readonly DicomSeriesRecord[];
}

/** How the runner asks for pages. `pageSize` is a hint; pages may be smaller (never empty mid-stream). */
export interface PageRequest {
  readonly pageSize: number;
  /** Aborted when the job ends (finished, failed, cancelled): stop reading and release cursors. */
  readonly signal: AbortSignal;
}

/** The host side of the job API. Implement over the research store; see `InMemoryJobDataSource` for tests. */
export interface JobDataSource {
  /** The project's de-identified cohort, one page at a time. */
  cohort(request: PageRequest): AsyncIterable<readonly CohortPatient[]>;
  /** De-identified FHIR resources of one type (e.g. `Observation`), one page at a time. */
  resources(resourceType: string, request: PageRequest): AsyncIterable<readonly FhirResourceRecord[]>;
  /** De-identified DICOM study metadata, one page at a time. */
  dicomStudies(request: PageRequest): AsyncIterable<readonly DicomStudyRecord[]>;
  /** Pixel data of one de-identified instance, or null when the project has no such instance. */
  dicomPixels(sopInstanceUid: string, request: { readonly signal: AbortSignal }): Promise<Uint8Array | null>;
}
