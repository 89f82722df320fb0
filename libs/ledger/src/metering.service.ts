import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@harbour/errors';
import { Db } from '@harbour/persistence';
import { mapLedgerDbError } from './ledger-db-errors.js';
import { LedgerRepository, type StoredBillableEvent } from './ledger.repository.js';
import { PeriodService } from './period.service.js';
import { assertPeriodId, periodBounds, periodOf, type PeriodId } from './periods.js';
import { eventPostingLines, toLineRows } from './posting-rules.js';
import {
  isBillableEventKind,
  priceEvent,
  BILLABLE_EVENT_KINDS,
  type BillableEventKind,
  type Contribution,
  type TrustSplit,
} from './pricing.js';
import { invalid, requireUuid, rule } from './validation.js';

/** A billable action to meter, as the capability that performed (and audited) it reports it. */
export interface BillableEventInput {
  /**
   * Unique per real-world event (e.g. `query.executed:<query run id>`). A retried or twice-delivered
   * event with the same key is billed once.
   */
  readonly idempotencyKey: string;
  readonly projectId: string;
  readonly kind: BillableEventKind;
  /** Units: queries, compute minutes (whole, rounded up by the caller), outputs, studies, periods. Default 1. */
  readonly quantity?: number;
  readonly occurredAt: Date;
  /** Append id of the audit entry that records the action (`audit.entry.id`), from `AuditLog.append` in the same transaction. */
  readonly auditEntryId: number | bigint;
  /** Patients each trust contributed to the event, at the time of the event. */
  readonly contributions: readonly Contribution[];
}

export interface MeteredEvent {
  /** `duplicate`: the key was already metered; nothing new was posted and the original is returned. */
  readonly outcome: 'recorded' | 'duplicate';
  readonly eventId: string;
  readonly journalId: string;
  /** The period the postings are dated in (the event's month, or the next open one if it closed). */
  readonly periodId: PeriodId;
  readonly currency: string;
  readonly amountPence: number;
  readonly trustSharePence: number;
  readonly stationRevenuePence: number;
  readonly splits: readonly TrustSplit[];
  readonly auditEntryId: string;
}

const MAX_KEY_LENGTH = 200;

/**
 * Meters billable events exactly once and posts each one to the ledger in the same transaction:
 * debit the partner's receivable, credit the trusts' payables with their split of the share,
 * credit station revenue with the rest. Joins the caller's transaction when there is one, so the
 * metering commits with the audited action it bills.
 */
@Injectable()
export class MeteringService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(LedgerRepository) private readonly repo: LedgerRepository,
    @Inject(PeriodService) private readonly periods: PeriodService,
  ) {}

  /** Record a billable event; a project without a commercial agreement in effect at `occurredAt` is an error (not_found). */
  async recordBillableEvent(input: BillableEventInput): Promise<MeteredEvent> {
    return (await this.record(input, true))!;
  }

  /**
   * The rule every metering caller in the product follows: a project without a commercial
   * agreement in effect at `occurredAt` is not billable, so nothing is recorded (null). The
   * agreement is looked up once, in the caller's transaction.
   */
  async recordIfBillable(input: BillableEventInput): Promise<MeteredEvent | null> {
    return this.record(input, false);
  }

  private async record(input: BillableEventInput, requireAgreement: boolean): Promise<MeteredEvent | null> {
    const key = typeof input.idempotencyKey === 'string' ? input.idempotencyKey.trim() : '';
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw invalid('idempotencyKey', `required, at most ${MAX_KEY_LENGTH} characters`);
    const projectId = requireUuid(input.projectId, 'projectId');
    if (!isBillableEventKind(input.kind)) throw invalid('kind', `must be one of ${BILLABLE_EVENT_KINDS.join(', ')}`);
    const quantity = input.quantity ?? 1;
    if (!(input.occurredAt instanceof Date) || Number.isNaN(input.occurredAt.getTime()))
      throw invalid('occurredAt', 'must be a valid date');
    const auditEntryId =
      typeof input.auditEntryId === 'bigint'
        ? input.auditEntryId
        : Number.isSafeInteger(input.auditEntryId)
          ? BigInt(input.auditEntryId)
          : -1n;
    if (auditEntryId <= 0n) throw invalid('auditEntryId', 'must be the positive append id of the audit entry');
    const contributions = input.contributions.map((c, i) => ({
      trustId: requireUuid(c.trustId, `contributions[${i}].trustId`),
      patients: c.patients,
    }));

    try {
      return await this.db.run(async () => {
        const agreement = await this.repo.agreementAt(projectId, input.occurredAt);
        if (!agreement) {
          if (requireAgreement) throw notFound('agreement in effect for the project at that time');
          return null;
        }
        const pricing = rule('event', () =>
          priceEvent(
            { kind: input.kind, quantity, contributions },
            {
              fees: {
                fixedPerPeriodPence: agreement.fixedFeePerPeriodPence,
                perQueryPence: agreement.perQueryPence,
                perComputeMinutePence: agreement.perComputeMinutePence,
                perOutputReleasedPence: agreement.perOutputReleasedPence,
                perImagingStudyPence: agreement.perImagingStudyPence,
              },
              trustShareBps: agreement.trustShareBps,
              splitMethod: agreement.splitMethod,
              trusts: agreement.trusts,
            },
          ),
        );
        const periodId = await this.periods.postingPeriodFor(periodOf(input.occurredAt));
        const { accounts, rows } = toLineRows(eventPostingLines(agreement.partnerId, pricing), agreement.currency);
        const eventId = randomUUID();
        const journalId = randomUUID();
        const inserted = await this.repo.insertEventWithJournal(
          {
            id: eventId,
            idempotencyKey: key,
            projectId,
            partnerId: agreement.partnerId,
            agreementId: agreement.id,
            kind: input.kind,
            quantity,
            unitPricePence: pricing.unitPricePence,
            amountPence: pricing.amountPence,
            trustSharePence: pricing.trustSharePence,
            currency: agreement.currency,
            occurredAt: input.occurredAt,
            periodId,
            auditEntryId,
          },
          pricing.splits,
          accounts,
          {
            id: journalId,
            periodId,
            kind: 'event',
            billableEventId: eventId,
            reversesJournalId: null,
            description: `${input.kind} ×${quantity}`,
            createdBy: null,
          },
        );
        if (!inserted) return this.duplicate(key, { projectId, kind: input.kind, quantity });
        await this.repo.insertLines(journalId, rows);
        return {
          outcome: 'recorded' as const,
          eventId,
          journalId,
          periodId,
          currency: agreement.currency,
          amountPence: pricing.amountPence,
          trustSharePence: pricing.trustSharePence,
          stationRevenuePence: pricing.stationRevenuePence,
          splits: pricing.splits,
          auditEntryId: auditEntryId.toString(),
        };
      });
    } catch (err) {
      throw mapLedgerDbError(err);
    }
  }

  /**
   * Meter a project's fixed fee for a period, once (the key is derived from project and period).
   * Dated at the period's start; if that period has closed, it posts in the next open one.
   */
  async recordPeriodFee(input: {
    projectId: string;
    periodId: PeriodId;
    auditEntryId: number | bigint;
    contributions?: readonly Contribution[];
  }): Promise<MeteredEvent> {
    const periodId = rule('periodId', () => assertPeriodId(input.periodId));
    return this.recordBillableEvent({
      idempotencyKey: `fee.period:${input.projectId}:${periodId}`,
      projectId: input.projectId,
      kind: 'fee.period',
      quantity: 1,
      occurredAt: periodBounds(periodId).start,
      auditEntryId: input.auditEntryId,
      contributions: input.contributions ?? [],
    });
  }

  /** The original of a duplicate delivery; a key reused for a different event is a conflict. */
  private async duplicate(key: string, expected: { projectId: string; kind: string; quantity: number }): Promise<MeteredEvent> {
    const e: StoredBillableEvent | undefined = await this.repo.findEventByKey(key);
    if (!e || !e.journalId) throw new DomainError('conflict', 'idempotency key taken by an event still being recorded');
    if (e.projectId !== expected.projectId || e.kind !== expected.kind || e.quantity !== expected.quantity) {
      throw new DomainError('conflict', 'idempotency key already used for a different billable event');
    }
    return {
      outcome: 'duplicate',
      eventId: e.id,
      journalId: e.journalId,
      periodId: e.periodId,
      currency: e.currency,
      amountPence: e.amountPence,
      trustSharePence: e.trustSharePence,
      stationRevenuePence: e.amountPence - e.trustSharePence,
      splits: e.contributions,
      auditEntryId: e.auditEntryId.toString(),
    };
  }
}
