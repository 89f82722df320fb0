import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';

export interface ProjectRow {
  id: string;
  partner_id: string;
  partner_name: string | null;
  title: string;
  purpose: string;
  legal_basis_art6: string;
  legal_basis_art9: string;
  commercial_use: boolean;
  duo_codes: string[];
  requested_data: { ehrResourceTypes?: string[]; imagingModalities?: string[] };
  deidentification: { ehrProfile?: string; dicomOptions?: string[] };
  requested_duration_days: number;
  members: string[];
  status: string;
  status_reason: string | null;
  submitted_at: Date | null;
  activated_at: Date | null;
  updated_at: Date;
}

export interface ProjectTrustRow {
  request_id: string;
  trust_id: string;
  trust_name: string | null;
  status: string;
  conditions: Record<string, unknown>;
  end_date: Date | null;
  decided_at: Date | null;
}

export interface DecisionRow {
  id: string;
  request_id: string;
  trust_id: string;
  guardian_id: string;
  decision: string;
  reason: string;
  conditions: Record<string, unknown>;
  end_date: Date | null;
  created_at: Date;
}

export interface ReleaseRow {
  id: string;
  partner_id: string;
  project_id: string | null;
  kind: string | null;
  cohort_hash: string;
  person_count: number;
  created_at: Date;
}

/** A compute output released in the period, with what its job's run recorded (internal compute tables, read-only). */
export interface ComputeReleaseRow {
  /** The output id. */
  id: string;
  job_id: string;
  project_id: string;
  partner_id: string;
  released_at: Date;
  /** When the run that produced the output started (`compute.job.started_at`: its transaction time). */
  run_started_at: Date | null;
  /** The opt-out list versions the run's provenance recorded at its start (`{ "trustId:kind": version }`). */
  consent_list_versions: unknown;
}

export interface OptOutListRow {
  id: string;
  trust_id: string;
  kind: string;
  version: number;
  created_at: Date;
}

export interface ReleaseOptOutCounts {
  release_id: string;
  member_rows: number;
  members: number;
  opted_out_at_time: number;
  opted_out_recorded: number;
}

export interface PrivacyBudgetRow {
  project_id: string;
  total_milli: number;
  spent_milli: number;
  charged_milli_in_period: number;
  charges_in_period: number;
}

/**
 * Read-only SQL of the compliance report. A report reads across bounded contexts (access,
 * query, consent, identity names) by design, like a reporting replica would; it never writes
 * to them. Every method takes the period so a report reads only what it covers.
 */
@Injectable()
export class ComplianceRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  /** Projects that were active at some time in [from, to): activated before `to`, not ended before `from`. */
  async projectsActiveIn(from: Date, to: Date): Promise<ProjectRow[]> {
    return this.db.query<ProjectRow>(
      `SELECT r.id, r.partner_id, p.name AS partner_name, r.title, r.purpose, r.legal_basis_art6, r.legal_basis_art9, r.commercial_use,
              r.duo_codes, r.requested_data, r.deidentification, r.requested_duration_days, r.members, r.status, r.status_reason,
              r.submitted_at, r.activated_at, r.updated_at
         FROM access.request r LEFT JOIN identity.partner p ON p.id = r.partner_id
        WHERE r.activated_at IS NOT NULL AND r.activated_at < $2 AND (r.status = 'active' OR r.updated_at >= $1)
        ORDER BY r.activated_at, r.id`,
      [from, to],
    );
  }

  /** A project's owner and trusts (for agreements): undefined when there is no such request. */
  async projectParties(projectId: string): Promise<{ partnerId: string; trusts: { trustId: string; status: string }[] } | undefined> {
    const [row] = await this.db.query<{ partner_id: string }>(`SELECT partner_id FROM access.request WHERE id = $1::uuid`, [projectId]);
    if (!row) return undefined;
    const trusts = await this.db.query<{ trustId: string; status: string }>(
      `SELECT trust_id AS "trustId", status FROM access.request_trust WHERE request_id = $1::uuid ORDER BY trust_id`,
      [projectId],
    );
    return { partnerId: row.partner_id, trusts };
  }

  /** Projects that may owe a fixed fee for a period: activated, and not ended before it started. */
  async projectsNotEndedBefore(start: Date): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT id FROM access.request WHERE activated_at IS NOT NULL AND (status = 'active' OR updated_at >= $1) ORDER BY id`,
      [start],
    );
    return rows.map((r) => r.id);
  }

  async projectTrusts(projectIds: readonly string[]): Promise<ProjectTrustRow[]> {
    return this.db.query<ProjectTrustRow>(
      `SELECT rt.request_id, rt.trust_id, t.name || ' (' || t.ods_code || ')' AS trust_name, rt.status, rt.conditions, rt.end_date, rt.decided_at
         FROM access.request_trust rt LEFT JOIN identity.trust t ON t.id = rt.trust_id
        WHERE rt.request_id = ANY($1::uuid[]) ORDER BY rt.request_id, rt.trust_id`,
      [projectIds],
    );
  }

  /** Every guardian decision on these projects (the approvals behind each record of processing). */
  async decisionsOf(projectIds: readonly string[]): Promise<DecisionRow[]> {
    return this.db.query<DecisionRow>(
      `SELECT id, request_id, trust_id, guardian_id, decision, reason, conditions, end_date, created_at
         FROM access.decision WHERE request_id = ANY($1::uuid[]) ORDER BY created_at, id`,
      [projectIds],
    );
  }

  /** Guardian decisions made in [from, to), on any request. */
  async decisionsIn(from: Date, to: Date): Promise<DecisionRow[]> {
    return this.db.query<DecisionRow>(
      `SELECT id, request_id, trust_id, guardian_id, decision, reason, conditions, end_date, created_at
         FROM access.decision WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`,
      [from, to],
    );
  }

  /** Query results released in [from, to) (feasibility and aggregate), oldest first. */
  async releasesIn(from: Date, to: Date): Promise<ReleaseRow[]> {
    return this.db.query<ReleaseRow>(
      `SELECT id, partner_id, project_id, request->>'kind' AS kind, cohort_hash, person_count, created_at
         FROM query.release WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`,
      [from, to],
    );
  }

  /** Compute outputs released in [from, to) (an output's release is final), oldest first. */
  async computeReleasesIn(from: Date, to: Date): Promise<ComputeReleaseRow[]> {
    return this.db.query<ComputeReleaseRow>(
      `SELECT o.id, o.job_id, o.project_id, o.partner_id, o.decided_at AS released_at, j.started_at AS run_started_at,
              j.provenance->'data'->'consentListVersions' AS consent_list_versions
         FROM compute.output o JOIN compute.job j ON j.id = o.job_id
        WHERE o.status = 'released' AND o.decided_at >= $1 AND o.decided_at < $2 ORDER BY o.decided_at, o.id`,
      [from, to],
    );
  }

  async optOutLists(): Promise<OptOutListRow[]> {
    return this.db.query<OptOutListRow>(
      `SELECT id, trust_id, kind, version, created_at FROM consent.opt_out_list ORDER BY trust_id, kind, version`,
    );
  }

  /**
   * For each release: the persons it counted and how many of them were on the opt-out list
   * versions given for it, per basis (`time`: the versions in force when the release was made, or
   * its run started; `recorded`: the versions its audit entry or provenance names). A person
   * matches a list version through the blind index of their NHS number, as the filters do.
   * `source`: `query` releases (members in `query.release_member`) or released `compute` outputs
   * (the persons their job's run was served, `compute.job_member`; the ids are output ids).
   */
  async optOutCounts(
    releaseIds: readonly string[],
    used: readonly { releaseId: string; listId: string; basis: 'time' | 'recorded' }[],
    source: 'query' | 'compute' = 'query',
  ): Promise<ReleaseOptOutCounts[]> {
    if (releaseIds.length === 0) return [];
    const members =
      source === 'query'
        ? `SELECT m.release_id AS rid, m.person_ids FROM query.release_member m WHERE m.release_id = ANY($4::uuid[])`
        : `SELECT o.id AS rid, m.person_ids FROM compute.output o JOIN compute.job_member m ON m.job_id = o.job_id WHERE o.id = ANY($4::uuid[])`;
    return this.db.query<ReleaseOptOutCounts>(
      `WITH used AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS u(release_id, list_id, basis)),
            member_rows AS (${members}),
            mem AS (SELECT DISTINCT mr.rid AS release_id, p.pid FROM member_rows mr CROSS JOIN LATERAL unnest(mr.person_ids) AS p(pid)),
            hits AS (SELECT DISTINCT mem.release_id, mem.pid, u.basis FROM mem
                       JOIN consent.person cp ON cp.id = mem.pid
                       JOIN consent.opt_out_entry e ON e.nhs_bidx = cp.nhs_bidx
                       JOIN used u ON u.release_id = mem.release_id AND u.list_id = e.list_id)
       SELECT r.id AS release_id,
              (SELECT count(*) FROM member_rows mr WHERE mr.rid = r.id)::int AS member_rows,
              (SELECT count(*) FROM mem WHERE mem.release_id = r.id)::int AS members,
              (SELECT count(DISTINCT pid) FROM hits WHERE hits.release_id = r.id AND hits.basis = 'time')::int AS opted_out_at_time,
              (SELECT count(DISTINCT pid) FROM hits WHERE hits.release_id = r.id AND hits.basis = 'recorded')::int AS opted_out_recorded
         FROM unnest($4::uuid[]) AS r(id)`,
      [used.map((u) => u.releaseId), used.map((u) => u.listId), used.map((u) => u.basis), releaseIds],
    );
  }

  /** Every project budget, with what was charged in [from, to). */
  async privacyBudgets(from: Date, to: Date): Promise<PrivacyBudgetRow[]> {
    return this.db.query<PrivacyBudgetRow>(
      `SELECT b.project_id, b.epsilon_total_milli AS total_milli, b.epsilon_spent_milli AS spent_milli,
              coalesce(sum(c.epsilon_milli) FILTER (WHERE c.created_at >= $1 AND c.created_at < $2), 0)::int AS charged_milli_in_period,
              count(c.id) FILTER (WHERE c.created_at >= $1 AND c.created_at < $2)::int AS charges_in_period
         FROM query.privacy_budget b LEFT JOIN query.privacy_charge c ON c.project_id = b.project_id
        GROUP BY b.project_id, b.epsilon_total_milli, b.epsilon_spent_milli ORDER BY b.project_id`,
      [from, to],
    );
  }
}
