import { Inject, Injectable } from '@nestjs/common';
import { Db } from '@harbour/persistence';
import { DomainError, notFound } from '@harbour/errors';
import { AuditLog } from '@harbour/audit';
import { OrganisationRepository } from '../repositories/organisation.repository.js';
import { AccessPolicy } from '../authz/access-policy.js';
import { actorOf, type Principal } from '../authz/principal.js';

export interface TrustView {
  readonly id: string;
  readonly odsCode: string;
  readonly name: string;
  readonly createdAt: string;
}
export interface PartnerView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

/**
 * Trusts and partners. Operators create them; reads are scoped by `AccessPolicy`
 * (a guardian sees its own trust; a partner its own organisation; others answer 404).
 */
@Injectable()
export class OrganisationService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(OrganisationRepository) private readonly repo: OrganisationRepository,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {}

  async createTrust(p: Principal, input: { odsCode: string; name: string }): Promise<TrustView> {
    return this.db.run(async () => {
      if (await this.repo.trustByOdsCode(input.odsCode)) throw new DomainError('already_exists', 'a trust with this ODS code exists');
      const t = await this.repo.insertTrust(input);
      await this.audit.append({
        action: 'trust.created',
        actor: actorOf(p),
        target: { type: 'trust', id: t.id },
        trustId: t.id,
        payload: { odsCode: t.odsCode },
      });
      return trustView(t);
    });
  }

  /** Partners see every trust (they apply to them); trust-scoped roles see their own. */
  async listTrusts(p: Principal): Promise<TrustView[]> {
    const filter = p.partnerId !== undefined && p.trustId === undefined ? undefined : AccessPolicy.trustFilter(p);
    return (await this.repo.trusts(filter)).map(trustView);
  }

  async getTrust(p: Principal, id: string): Promise<TrustView> {
    const t = await this.repo.trustById(id);
    const visible = t && (AccessPolicy.canSeeTrust(p, t.id) || (p.partnerId !== undefined && p.trustId === undefined));
    if (!visible) throw notFound('trust');
    return trustView(t);
  }

  async createPartner(p: Principal, input: { name: string }): Promise<PartnerView> {
    return this.db.run(async () => {
      if (await this.repo.partnerByName(input.name)) throw new DomainError('already_exists', 'a partner with this name exists');
      const partner = await this.repo.insertPartner(input);
      await this.audit.append({ action: 'partner.created', actor: actorOf(p), target: { type: 'partner', id: partner.id }, payload: {} });
      return partnerView(partner);
    });
  }

  async listPartners(p: Principal): Promise<PartnerView[]> {
    const filter = p.roles.includes('guardian') && !p.partnerId ? undefined : AccessPolicy.partnerFilter(p);
    return (await this.repo.partners(filter)).map(partnerView);
  }

  async getPartner(p: Principal, id: string): Promise<PartnerView> {
    const partner = await this.repo.partnerById(id);
    const visible = partner && (AccessPolicy.canSeePartner(p, partner.id) || (p.roles.includes('guardian') && !p.partnerId));
    if (!visible) throw notFound('partner');
    return partnerView(partner);
  }
}

function trustView(t: { id: string; odsCode: string; name: string; createdAt: Date }): TrustView {
  return { id: t.id, odsCode: t.odsCode, name: t.name, createdAt: t.createdAt.toISOString() };
}
function partnerView(p: { id: string; name: string; createdAt: Date }): PartnerView {
  return { id: p.id, name: p.name, createdAt: p.createdAt.toISOString() };
}
