import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@harbour/errors';
import { Db } from '@harbour/persistence';
import { mapLedgerDbError } from './ledger-db-errors.js';
import { LedgerRepository, type AgreementRow } from './ledger.repository.js';
import { assertCurrency, DEFAULT_CURRENCY } from './money.js';
import { BPS_WHOLE, SPLIT_METHODS, type FeeSchedule, type SplitMethod } from './pricing.js';
import { invalid, requirePence, requireUuid, rule } from './validation.js';

/** Terms of a project's commercial agreement, as an operator states them. Money in integer pence. */
export interface AgreementTerms {
  readonly projectId: string;
  readonly partnerId: string;
  /** ISO 4217, default GBP. Fixed for the life of the project. */
  readonly currency?: string;
  readonly fees: FeeSchedule;
  /** Trusts' share of every fee in basis points (400 = 4%). */
  readonly trustShareBps: number;
  /** Default `contribution` (by patients contributed to each event). */
  readonly splitMethod?: SplitMethod;
  /** The trusts party to the agreement; `weight` is required for the `fixed` split. */
  readonly trusts?: readonly { readonly trustId: string; readonly weight?: number }[];
  /** When these terms start to price events; default now. */
  readonly effectiveFrom?: Date;
  readonly createdBy?: string;
}

/** A stored agreement version. */
export type CommercialAgreement = AgreementRow;

/** Sets and reads projects' commercial agreements. Agreements are versioned, never edited. */
@Injectable()
export class AgreementService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(LedgerRepository) private readonly repo: LedgerRepository,
  ) {}

  /** Record new terms for a project as its next version (the first call creates version 1). */
  async setAgreement(terms: AgreementTerms): Promise<CommercialAgreement> {
    const projectId = requireUuid(terms.projectId, 'projectId');
    const partnerId = requireUuid(terms.partnerId, 'partnerId');
    const currency = rule('currency', () => assertCurrency(terms.currency ?? DEFAULT_CURRENCY));
    const fees: FeeSchedule = {
      fixedPerPeriodPence: requirePence(terms.fees.fixedPerPeriodPence, 'fees.fixedPerPeriodPence'),
      perQueryPence: requirePence(terms.fees.perQueryPence, 'fees.perQueryPence'),
      perComputeMinutePence: requirePence(terms.fees.perComputeMinutePence, 'fees.perComputeMinutePence'),
      perOutputReleasedPence: requirePence(terms.fees.perOutputReleasedPence, 'fees.perOutputReleasedPence'),
      perImagingStudyPence: requirePence(terms.fees.perImagingStudyPence, 'fees.perImagingStudyPence'),
    };
    if (!Number.isInteger(terms.trustShareBps) || terms.trustShareBps < 0 || terms.trustShareBps > BPS_WHOLE) {
      throw invalid('trustShareBps', 'must be a whole number of basis points from 0 to 10000');
    }
    const splitMethod = terms.splitMethod ?? 'contribution';
    if (!SPLIT_METHODS.includes(splitMethod)) throw invalid('splitMethod', `must be one of ${SPLIT_METHODS.join(', ')}`);
    const seen = new Set<string>();
    const trusts = (terms.trusts ?? []).map((t, i) => {
      const trustId = requireUuid(t.trustId, `trusts[${i}].trustId`);
      if (seen.has(trustId)) throw invalid(`trusts[${i}].trustId`, 'listed twice');
      seen.add(trustId);
      const weight = t.weight ?? 1;
      if (!Number.isSafeInteger(weight) || weight < 0) throw invalid(`trusts[${i}].weight`, 'must be a non-negative whole number');
      if (splitMethod === 'fixed' && t.weight === undefined) throw invalid(`trusts[${i}].weight`, 'required for the fixed split');
      return { trustId, weight };
    });
    if (splitMethod !== 'contribution' && !trusts.some((t) => t.weight > 0))
      throw invalid('trusts', `the ${splitMethod} split needs at least one trust with a positive weight`);
    const effectiveFrom = terms.effectiveFrom ?? new Date();
    if (Number.isNaN(effectiveFrom.getTime())) throw invalid('effectiveFrom', 'must be a valid date');

    try {
      return await this.db.run(async () => {
        const previous = await this.repo.latestAgreement(projectId);
        if (previous && previous.partnerId !== partnerId) throw new DomainError('conflict', 'the project belongs to another partner');
        if (previous && previous.currency !== currency) throw new DomainError('conflict', `the project is billed in ${previous.currency}`);
        const row: AgreementRow = {
          id: randomUUID(),
          projectId,
          partnerId,
          version: (previous?.version ?? 0) + 1,
          currency,
          fixedFeePerPeriodPence: fees.fixedPerPeriodPence,
          perQueryPence: fees.perQueryPence,
          perComputeMinutePence: fees.perComputeMinutePence,
          perOutputReleasedPence: fees.perOutputReleasedPence,
          perImagingStudyPence: fees.perImagingStudyPence,
          trustShareBps: terms.trustShareBps,
          splitMethod,
          effectiveFrom,
          createdBy: terms.createdBy ?? null,
          trusts: [...trusts].sort((a, b) => (a.trustId < b.trustId ? -1 : 1)),
        };
        await this.repo.insertAgreement(row);
        return row;
      });
    } catch (err) {
      throw mapLedgerDbError(err); // two versions written at once: unique (project, version) → conflict
    }
  }

  /** The agreement in effect for the project at `at` (default now). */
  async getAgreement(projectId: string, at: Date = new Date()): Promise<CommercialAgreement> {
    const found = await this.repo.agreementAt(requireUuid(projectId, 'projectId'), at);
    if (!found) throw notFound('agreement');
    return found;
  }

  /** Every agreement version of the partner's projects (partner-scoped: tenancy in the signature). */
  async listForPartner(partnerId: string): Promise<CommercialAgreement[]> {
    return this.repo.agreementsOfPartner(requireUuid(partnerId, 'partnerId'));
  }
}
