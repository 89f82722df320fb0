import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import type { RequestStatus, TrustStatus } from './workflow.js';
import type { ApprovalConditions } from './entities/request-trust.entity.js';
import type { DecisionKind } from './entities/decision.entity.js';
import type { DeidSelection, RequestedData } from './entities/access-request.entity.js';

export interface RequestRow {
  id: string;
  partner_id: string;
  created_by: string;
  title: string;
  purpose: string;
  lay_summary: string;
  legal_basis_art6: string;
  legal_basis_art9: string;
  commercial_use: boolean;
  duo_codes: string[];
  requested_data: RequestedData;
  deidentification: DeidSelection;
  requested_duration_days: number;
  members: string[];
  status: RequestStatus;
  status_reason: string | null;
  submitted_at: Date | null;
  activated_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface RequestTrustRow {
  request_id: string;
  trust_id: string;
  status: TrustStatus;
  quorum: number;
  conditions: ApprovalConditions;
  end_date: Date | null;
  decided_at: Date | null;
}

export interface DecisionRow {
  id: string;
  request_id: string;
  trust_id: string;
  guardian_id: string;
  decision: DecisionKind;
  reason: string;
  conditions: ApprovalConditions;
  end_date: Date | null;
  created_at: Date;
}

export interface TrustPolicyRow {
  trust_id: string;
  quorum: number;
  suppression_threshold: number;
  rounding_base: number;
  allow_feasibility: boolean;
}

export type NewRequest = Omit<
  RequestRow,
  'id' | 'status' | 'status_reason' | 'submitted_at' | 'activated_at' | 'created_at' | 'updated_at'
>;

/** The only SQL of the access context. Scoping arguments (partner, trust) are explicit. */
@Injectable()
export class AccessRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async insert(r: NewRequest): Promise<RequestRow> {
    const [row] = await this.db.query<RequestRow>(
      `INSERT INTO access.request (partner_id, created_by, title, purpose, lay_summary, legal_basis_art6, legal_basis_art9, commercial_use,
         duo_codes, requested_data, deidentification, requested_duration_days, members, status)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,'draft') RETURNING *`,
      [
        r.partner_id,
        r.created_by,
        r.title,
        r.purpose,
        r.lay_summary,
        r.legal_basis_art6,
        r.legal_basis_art9,
        r.commercial_use,
        r.duo_codes,
        JSON.stringify(r.requested_data),
        JSON.stringify(r.deidentification),
        r.requested_duration_days,
        r.members,
      ],
    );
    return row!;
  }

  async setRequestedTrusts(requestId: string, trusts: readonly { trustId: string; quorum: number }[]): Promise<void> {
    await this.db.query(`DELETE FROM access.request_trust WHERE request_id = $1`, [requestId]);
    await this.db.query(
      `INSERT INTO access.request_trust (request_id, trust_id, status, quorum) SELECT $1, * , 'pending', q FROM unnest($2::uuid[]) WITH ORDINALITY AS t(trust_id, i) JOIN unnest($3::int[]) WITH ORDINALITY AS qq(q, j) ON i = j`.replace(
        "SELECT $1, * , 'pending', q FROM",
        "SELECT $1, t.trust_id, 'pending', qq.q FROM",
      ),
      [requestId, trusts.map((t) => t.trustId), trusts.map((t) => t.quorum)],
    );
  }

  /** Lock and read a request (serialises decisions on the same request across processes). */
  async lock(id: string): Promise<RequestRow | undefined> {
    const rows = await this.db.query<RequestRow>(`SELECT * FROM access.request WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  async get(id: string): Promise<RequestRow | undefined> {
    const rows = await this.db.query<RequestRow>(`SELECT * FROM access.request WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Requests visible under a scope: a partner's own, or those involving given trusts (submitted ones), or all. */
  async list(scope: {
    partnerIds?: readonly string[];
    trustIds?: readonly string[];
    statuses?: readonly RequestStatus[];
  }): Promise<RequestRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (scope.partnerIds) {
      params.push(scope.partnerIds);
      where.push(`r.partner_id = ANY($${params.length}::uuid[])`);
    }
    if (scope.trustIds) {
      params.push(scope.trustIds);
      where.push(
        `r.status <> 'draft' AND EXISTS (SELECT 1 FROM access.request_trust rt WHERE rt.request_id = r.id AND rt.trust_id = ANY($${params.length}::uuid[]))`,
      );
    }
    if (scope.statuses) {
      params.push(scope.statuses);
      where.push(`r.status = ANY($${params.length}::text[])`);
    }
    return this.db.query<RequestRow>(
      `SELECT r.* FROM access.request r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC LIMIT 500`,
      params,
    );
  }

  async setStatus(
    id: string,
    status: RequestStatus,
    extra: { reason?: string | null; submitted?: boolean; activated?: boolean } = {},
  ): Promise<void> {
    await this.db.query(
      `UPDATE access.request SET status = $2, status_reason = COALESCE($3, status_reason), updated_at = now(),
          submitted_at = CASE WHEN $4 THEN now() ELSE submitted_at END,
          activated_at = CASE WHEN $5 THEN now() ELSE activated_at END WHERE id = $1`,
      [id, status, extra.reason ?? null, extra.submitted ?? false, extra.activated ?? false],
    );
  }

  async updateDraft(id: string, fields: Partial<NewRequest>): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const map: Record<string, string> = {
      title: 'title',
      purpose: 'purpose',
      lay_summary: 'lay_summary',
      legal_basis_art6: 'legal_basis_art6',
      legal_basis_art9: 'legal_basis_art9',
      commercial_use: 'commercial_use',
      duo_codes: 'duo_codes',
      requested_duration_days: 'requested_duration_days',
      members: 'members',
    };
    for (const [k, col] of Object.entries(map)) {
      const v = (fields as Record<string, unknown>)[k];
      if (v !== undefined) {
        params.push(v);
        sets.push(`${col} = $${params.length}`);
      }
    }
    for (const k of ['requested_data', 'deidentification'] as const) {
      if (fields[k] !== undefined) {
        params.push(JSON.stringify(fields[k]));
        sets.push(`${k} = $${params.length}`);
      }
    }
    if (sets.length === 0) return;
    await this.db.query(`UPDATE access.request SET ${sets.join(', ')}, updated_at = now() WHERE id = $1`, params);
  }

  async trusts(requestId: string): Promise<RequestTrustRow[]> {
    return this.db.query<RequestTrustRow>(`SELECT * FROM access.request_trust WHERE request_id = $1 ORDER BY trust_id`, [requestId]);
  }

  async trustsOf(requestIds: readonly string[]): Promise<RequestTrustRow[]> {
    if (requestIds.length === 0) return [];
    return this.db.query<RequestTrustRow>(`SELECT * FROM access.request_trust WHERE request_id = ANY($1::uuid[])`, [requestIds]);
  }

  async setTrustStatus(
    requestId: string,
    trustId: string,
    status: TrustStatus,
    fields: { conditions?: ApprovalConditions; endDate?: Date | null } = {},
  ): Promise<void> {
    await this.db.query(
      `UPDATE access.request_trust SET status = $3, decided_at = now(), conditions = COALESCE($4::jsonb, conditions), end_date = COALESCE($5, end_date)
        WHERE request_id = $1 AND trust_id = $2`,
      [requestId, trustId, status, fields.conditions ? JSON.stringify(fields.conditions) : null, fields.endDate ?? null],
    );
  }

  async addDecision(d: Omit<DecisionRow, 'id' | 'created_at'>): Promise<DecisionRow> {
    const [row] = await this.db.query<DecisionRow>(
      `INSERT INTO access.decision (request_id, trust_id, guardian_id, decision, reason, conditions, end_date) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING *`,
      [d.request_id, d.trust_id, d.guardian_id, d.decision, d.reason, JSON.stringify(d.conditions), d.end_date],
    );
    return row!;
  }

  async decisions(requestId: string, trustIds?: readonly string[]): Promise<DecisionRow[]> {
    return trustIds
      ? this.db.query<DecisionRow>(
          `SELECT * FROM access.decision WHERE request_id = $1 AND trust_id = ANY($2::uuid[]) ORDER BY created_at`,
          [requestId, trustIds],
        )
      : this.db.query<DecisionRow>(`SELECT * FROM access.decision WHERE request_id = $1 ORDER BY created_at`, [requestId]);
  }

  async policy(trustId: string): Promise<TrustPolicyRow> {
    const rows = await this.db.query<TrustPolicyRow>(`SELECT * FROM access.trust_policy WHERE trust_id = $1`, [trustId]);
    return rows[0] ?? { trust_id: trustId, quorum: 1, suppression_threshold: 10, rounding_base: 5, allow_feasibility: true };
  }

  async upsertPolicy(p: TrustPolicyRow): Promise<void> {
    await this.db.query(
      `INSERT INTO access.trust_policy (trust_id, quorum, suppression_threshold, rounding_base, allow_feasibility) VALUES ($1,$2,$3,$4,$5)
       ON CONFLICT (trust_id) DO UPDATE SET quorum = $2, suppression_threshold = $3, rounding_base = $4, allow_feasibility = $5, updated_at = now()`,
      [p.trust_id, p.quorum, p.suppression_threshold, p.rounding_base, p.allow_feasibility],
    );
  }

  async feasibilityTrusts(): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      `SELECT t.id FROM identity.trust t LEFT JOIN access.trust_policy p ON p.trust_id = t.id WHERE COALESCE(p.allow_feasibility, true)`,
    );
    return rows.map((r) => r.id);
  }

  async hasFeasibilityAgreement(partnerId: string): Promise<boolean> {
    const rows = await this.db.query(`SELECT 1 FROM access.feasibility_agreement WHERE partner_id = $1 AND valid_until > now()`, [
      partnerId,
    ]);
    return rows.length > 0;
  }

  async grantFeasibility(partnerId: string, validUntil: Date, grantedBy: string): Promise<void> {
    await this.db.query(
      `INSERT INTO access.feasibility_agreement (partner_id, valid_until, granted_by) VALUES ($1,$2,$3)
       ON CONFLICT (partner_id) DO UPDATE SET valid_until = $2, granted_by = $3`,
      [partnerId, validUntil, grantedBy],
    );
  }

  /** Approved trust grants whose end date has passed (for the expiry job). */
  async dueForExpiry(now: Date): Promise<RequestTrustRow[]> {
    return this.db.query<RequestTrustRow>(`SELECT * FROM access.request_trust WHERE status = 'approved' AND end_date <= $1`, [now]);
  }
}
