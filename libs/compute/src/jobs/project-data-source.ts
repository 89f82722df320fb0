import dcmjs from 'dcmjs';
import { deidentifyStoredResource, type FhirResource } from '@harbour/deid-ehr';
import type { ProjectKeys } from '@harbour/pseudonymisation';
import type { CohortPatient, DicomStudyRecord, FhirResourceRecord, JobDataSource, PageRequest } from '../data-source.js';
import type { ProjectDataRepository, RecordRow, TrustReadScope } from './project-data.repository.js';

/** What one run may read, decided at run start from the project's scope (see ComputeJobRunner). */
export interface RunDataPlan {
  readonly projectId: string;
  /** Trusts whose approval is in force, in a fixed order (pages come trust by trust). */
  readonly trusts: readonly {
    readonly trustId: string;
    readonly odsCode: string;
    readonly requireStudyConsent: boolean;
    /** ehrResourceTypes of the project ∩ the trust's `resourceTypes` condition. */
    readonly resourceTypes: readonly string[];
  }[];
  /** `YYYY-MM-DD`: study consents must be in force on this day. */
  readonly asOf: string;
}

/**
 * The project's de-identified imaging, as the imaging context serves it (scope re-checked,
 * opted-out patients and quarantined images excluded, every file retrieval audited and metered).
 */
export interface JobImagingReader {
  studies(): Promise<DicomStudyRecord[]>;
  /** The de-identified Part 10 file of one instance (by its de-identified SOP Instance UID). */
  instanceFile(sopInstanceUid: string): Promise<Buffer | undefined>;
}

/** The vault's plaintext (libs/ingestion VaultPayload). */
interface VaultPayload {
  nhsNumber?: string;
  resource: FhirResource;
}

/** Pages larger than this are split, whatever the job asks for. */
const MAX_PAGE = 5000;

/**
 * A job's window on its project's data, over the database. Built per run: it reads only the
 * plan's trusts, only approved resource types, only persons who are not opted out (and consent
 * where required), and hands out de-identified data only: cohort rows carry the project
 * pseudonym and generalised facts; FHIR resources pass through the EHR de-identification profile
 * with the project's keys (pseudonyms, shifted dates). Records that fail de-identification are
 * withheld (counted), never passed through. Imaging is not offered yet (empty; see README).
 */
export class ProjectJobDataSource implements JobDataSource {
  /** Trusts at least one record of which was handed to the job: their guardians review its outputs. */
  readonly trustsRead = new Set<string>();
  /** Records withheld because de-identification refused them. */
  withheld = 0;
  /** Persons (`consent.person.id`) handed to the job, per trust: a cohort row or a record of their compartment. */
  private readonly served = new Map<string, Set<string>>();

  constructor(
    private readonly repo: ProjectDataRepository,
    private readonly plan: RunDataPlan,
    private readonly keys: ProjectKeys,
    private readonly decrypters: ReadonlyMap<string, (blob: Buffer) => Buffer>,
    private readonly imaging?: JobImagingReader,
  ) {}

  /**
   * Who the job was served, one entry per trust of the plan in plan order (empty when it read
   * nobody of that trust): what the run records as its members (`compute.job_member`).
   */
  servedPersons(): { trustId: string; personIds: string[] }[] {
    return this.plan.trusts.map((t) => ({ trustId: t.trustId, personIds: [...(this.served.get(t.trustId) ?? [])].sort() }));
  }

  private serve(trustId: string, personId: string): void {
    let set = this.served.get(trustId);
    if (!set) this.served.set(trustId, (set = new Set()));
    set.add(personId);
  }

  private scopeOf(t: RunDataPlan['trusts'][number]): TrustReadScope {
    return { projectId: this.plan.projectId, trustId: t.trustId, requireStudyConsent: t.requireStudyConsent, asOf: this.plan.asOf };
  }

  private decrypt(trustId: string, blob: Buffer): VaultPayload {
    const d = this.decrypters.get(trustId);
    if (!d) throw new Error('no key for the trust');
    return JSON.parse(d(blob).toString('utf8')) as VaultPayload;
  }

  async *cohort({ pageSize, signal }: PageRequest): AsyncGenerator<readonly CohortPatient[]> {
    const size = Math.min(Math.max(1, Math.floor(pageSize)), MAX_PAGE);
    for (const t of this.plan.trusts) {
      let after: string | null = null;
      for (;;) {
        if (signal.aborted) return;
        const rows = await this.repo.cohortPage(this.scopeOf(t), after, size);
        if (rows.length === 0) break;
        after = rows[rows.length - 1]!.person_id;
        const page: CohortPatient[] = [];
        for (const r of rows) {
          const nhs = this.decrypt(t.trustId, r.identity_enc).nhsNumber;
          if (!nhs) continue; // cannot be pseudonymised: never shown
          this.serve(t.trustId, r.person_id);
          page.push({
            pseudonym: this.keys.pseudonym(nhs),
            sex: r.sex,
            birthYear: r.birth_year,
            district: r.district,
            trustCode: t.odsCode,
          });
        }
        if (page.length > 0) {
          this.trustsRead.add(t.trustId);
          yield page;
        }
        if (rows.length < size) break;
      }
    }
  }

  async *resources(resourceType: string, { pageSize, signal }: PageRequest): AsyncGenerator<readonly FhirResourceRecord[]> {
    const size = Math.min(Math.max(1, Math.floor(pageSize)), MAX_PAGE);
    for (const t of this.plan.trusts) {
      if (!t.resourceTypes.includes(resourceType)) continue; // not approved for this trust: as if absent
      let after: string | null = null;
      for (;;) {
        if (signal.aborted) return;
        const scope = this.scopeOf(t);
        const rows: RecordRow[] =
          resourceType === 'Patient'
            ? await this.repo.patientResourcePage(scope, after, size)
            : await this.repo.recordPage(scope, resourceType, after, size);
        if (rows.length === 0) break;
        after = rows[rows.length - 1]!.source_id;
        const page: FhirResourceRecord[] = [];
        for (const r of rows) {
          const payload = this.decrypt(t.trustId, r.content_enc);
          if (r.person_id !== null && !payload.nhsNumber) continue; // a patient's record without its key: withheld
          const result = deidentifyStoredResource(
            {
              resourceType,
              ...(payload.resource.id ? { id: payload.resource.id } : {}),
              ...(payload.nhsNumber ? { nhsNumber: payload.nhsNumber } : {}),
              resource: payload.resource,
            },
            this.keys,
          );
          if (!result.ok) {
            this.withheld++;
            continue;
          }
          if (r.person_id !== null) this.serve(t.trustId, r.person_id);
          page.push(result.resource as FhirResourceRecord);
        }
        if (page.length > 0) {
          this.trustsRead.add(t.trustId);
          yield page;
        }
        if (rows.length < size) break;
      }
    }
  }

  /** De-identified study metadata of the project's approved imaging, in pages. */
  async *dicomStudies(request: PageRequest): AsyncGenerator<readonly DicomStudyRecord[]> {
    if (!this.imaging) return;
    const all = await this.imaging.studies();
    const size = Math.max(1, Math.min(request.pageSize, MAX_PAGE));
    for (let i = 0; i < all.length && !request.signal.aborted; i += size) yield all.slice(i, i + size);
  }

  /** Pixel data of one de-identified instance: the Pixel Data value (native) or its first fragment (encapsulated). */
  async dicomPixels(sopInstanceUid: string, request: { readonly signal: AbortSignal }): Promise<Uint8Array | null> {
    if (!this.imaging || request.signal.aborted) return null;
    const file = await this.imaging.instanceFile(sopInstanceUid);
    return file ? pixelDataOf(file) : null;
  }
}

/** The Pixel Data (7FE0,0010) value of a Part 10 file, read with dcmjs. */
function pixelDataOf(file: Buffer): Uint8Array | null {
  const ab = file.buffer.slice(file.byteOffset, file.byteOffset + file.length) as ArrayBuffer;
  const parsed = (
    dcmjs as { data: { DicomMessage: { readFile(ab: ArrayBuffer, o: object): { dict: Record<string, { Value?: unknown[] }> } } } }
  ).data.DicomMessage.readFile(ab, { ignoreErrors: true });
  const v = parsed.dict['7FE00010']?.Value?.[0];
  return v instanceof ArrayBuffer ? new Uint8Array(v) : null;
}
