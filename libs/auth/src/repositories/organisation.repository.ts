import { Inject, Injectable } from '@nestjs/common';
import { In } from 'typeorm';
import { Db } from '@harbour/persistence';
import { Trust } from '../entities/trust.entity.js';
import { Partner } from '../entities/partner.entity.js';
import { isUuid } from '../util.js';

/** SQL for trusts and partners. List methods take the tenancy filter of `AccessPolicy`. */
@Injectable()
export class OrganisationRepository {
  constructor(@Inject(Db) private readonly db: Db) {}

  async trustById(id: string): Promise<Trust | null> {
    if (!isUuid(id)) return null;
    return this.db.manager().getRepository(Trust).findOne({ where: { id } });
  }

  async trustByOdsCode(odsCode: string): Promise<Trust | null> {
    return this.db.manager().getRepository(Trust).findOne({ where: { odsCode } });
  }

  /** `trustIds` undefined = every trust (station-wide callers). */
  async trusts(trustIds: readonly string[] | undefined): Promise<Trust[]> {
    if (trustIds?.length === 0) return [];
    return this.db
      .manager()
      .getRepository(Trust)
      .find({ where: trustIds ? { id: In([...trustIds]) } : {}, order: { odsCode: 'ASC' } });
  }

  async insertTrust(t: { odsCode: string; name: string }): Promise<Trust> {
    const repo = this.db.manager().getRepository(Trust);
    return repo.save(repo.create(t));
  }

  async partnerById(id: string): Promise<Partner | null> {
    if (!isUuid(id)) return null;
    return this.db.manager().getRepository(Partner).findOne({ where: { id } });
  }

  async partnerByName(name: string): Promise<Partner | null> {
    return this.db.manager().getRepository(Partner).findOne({ where: { name } });
  }

  async partners(partnerIds: readonly string[] | undefined): Promise<Partner[]> {
    if (partnerIds?.length === 0) return [];
    return this.db
      .manager()
      .getRepository(Partner)
      .find({ where: partnerIds ? { id: In([...partnerIds]) } : {}, order: { name: 'ASC' } });
  }

  async insertPartner(p: { name: string }): Promise<Partner> {
    const repo = this.db.manager().getRepository(Partner);
    return repo.save(repo.create(p));
  }
}
