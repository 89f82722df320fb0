import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from '@harbour/config';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { actorOf, type Principal } from '@harbour/auth';
import { canonicalNhsNumber } from '@harbour/nhs';
import { nhsBlindIndex, nhsBlindIndexKey } from '@harbour/vault';

export interface LineageReport {
  /** The person is known to this trust. */
  known: boolean;
  /** Aggregate query releases whose counted cohort contained the person (exact: recorded at release). */
  queryReleases: { releaseId: string; projectId: string | null; partnerId: string; releasedAt: string }[];
  /** Compute jobs that were served the person's data (recorded per run), with their outputs and release status. */
  computeJobs: { jobId: string; projectId: string; startedAt: string | null; outputs: { outputId: string; status: string }[] }[];
  /** Projects whose de-identified imaging included the person's instances. */
  imagingProjects: { projectId: string; instances: number }[];
}

/**
 * Lineage after a withdrawal or opt-out: which earlier releases and outputs included a patient,
 * so guardians can act on them. Reads the release records of queries, compute and imaging (a
 * read model across contexts, by person id only). Only the trust's own guardians may ask, for a
 * patient of their trust; the request is audited with the person id, never the NHS number.
 */
@Injectable()
export class LineageService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(KEY_MATERIAL) private readonly keys: KeyMaterial,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  async forPatient(p: Principal, trustId: string, nhsNumber: string): Promise<LineageReport> {
    if (p.trustId !== trustId || !p.roles.includes('guardian')) throw notFound('trust');
    const nhs = canonicalNhsNumber(nhsNumber);
    if (!nhs)
      throw new DomainError('validation_failed', 'not a valid NHS number', {
        fields: [{ field: 'nhsNumber', messages: ['must be a valid NHS number'] }],
      });
    const bidx = nhsBlindIndex(nhsBlindIndexKey(this.keys.masterKey()), nhs);
    return this.db.run(async () => {
      const person = await this.db.query<{ id: string }>(
        `SELECT cp.id FROM consent.person cp WHERE cp.nhs_bidx = $1 AND EXISTS (SELECT 1 FROM vault.patient v WHERE v.person_id = cp.id AND v.trust_id = $2)`,
        [bidx, trustId],
      );
      const personId = person[0]?.id;
      const report: LineageReport = { known: personId !== undefined, queryReleases: [], computeJobs: [], imagingProjects: [] };
      if (personId) {
        report.queryReleases = (
          await this.db.query<{ id: string; project_id: string | null; partner_id: string; created_at: Date }>(
            `SELECT r.id, r.project_id, r.partner_id, r.created_at FROM query.release r
              WHERE EXISTS (SELECT 1 FROM query.release_member m WHERE m.release_id = r.id AND m.trust_id = $2 AND $1 = ANY(m.person_ids))
              ORDER BY r.created_at`,
            [personId, trustId],
          )
        ).map((r) => ({ releaseId: r.id, projectId: r.project_id, partnerId: r.partner_id, releasedAt: r.created_at.toISOString() }));
        // Exact: the persons each run was served are recorded per trust when it finishes.
        const jobs = await this.db.query<{ id: string; project_id: string; started_at: Date | null }>(
          `SELECT j.id, j.project_id, j.started_at FROM compute.job j
            WHERE EXISTS (SELECT 1 FROM compute.job_member m WHERE m.job_id = j.id AND m.trust_id = $2 AND $1 = ANY(m.person_ids))
            ORDER BY j.started_at`,
          [personId, trustId],
        );
        const outputs = jobs.length
          ? await this.db.query<{ id: string; job_id: string; status: string }>(
              `SELECT id, job_id, status FROM compute.output WHERE job_id = ANY($1::uuid[])`,
              [jobs.map((j) => j.id)],
            )
          : [];
        report.computeJobs = jobs.map((j) => ({
          jobId: j.id,
          projectId: j.project_id,
          startedAt: j.started_at?.toISOString() ?? null,
          outputs: outputs.filter((o) => o.job_id === j.id).map((o) => ({ outputId: o.id, status: o.status })),
        }));
        report.imagingProjects = (
          await this.db.query<{ project_id: string; n: string }>(
            `SELECT pi.project_id, count(*) AS n FROM imaging.project_instance pi JOIN imaging.instance i ON i.id = pi.instance_id
              WHERE i.person_id = $1 AND i.trust_id = $2 GROUP BY pi.project_id`,
            [personId, trustId],
          )
        ).map((r) => ({ projectId: r.project_id, instances: Number(r.n) }));
      }
      await this.audit.append({
        action: 'consent.lineage_viewed',
        actor: actorOf(p),
        target: { type: 'person', id: personId ?? 'unknown' },
        trustId,
        payload: { releases: report.queryReleases.length, jobs: report.computeJobs.length, imagingProjects: report.imagingProjects.length },
      });
      return report;
    });
  }
}
