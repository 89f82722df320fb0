import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DomainError, notFound } from '@harbour/errors';
import { Db } from '@harbour/persistence';
import { mapLedgerDbError } from './ledger-db-errors.js';
import { LedgerRepository, type AccountRow } from './ledger.repository.js';
import { assertCurrency, DEFAULT_CURRENCY } from './money.js';
import { PeriodService } from './period.service.js';
import { periodOf, type PeriodId } from './periods.js';
import { assertBalanced, reversingLines, toLineRows, type PostingLine } from './posting-rules.js';
import { invalid, rule } from './validation.js';

export interface AdjustmentInput {
  /** Period to date it in; default the current open period. A closed period is refused. */
  readonly periodId?: PeriodId;
  readonly description: string;
  readonly currency?: string;
  readonly lines: readonly PostingLine[];
  readonly createdBy?: string;
}

export interface PostedJournal {
  readonly journalId: string;
  readonly periodId: PeriodId;
}

/**
 * Manual postings and corrections. The ledger is append-only: a wrong entry is corrected by a
 * reversing entry (and, if needed, a new correct one), never by an edit.
 */
@Injectable()
export class PostingService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(LedgerRepository) private readonly repo: LedgerRepository,
    @Inject(PeriodService) private readonly periods: PeriodService,
  ) {}

  /** Post a balanced manual adjustment. */
  async postAdjustment(input: AdjustmentInput): Promise<PostedJournal> {
    if (!input.description?.trim()) throw invalid('description', 'required');
    const currency = rule('currency', () => assertCurrency(input.currency ?? DEFAULT_CURRENCY));
    assertBalanced(input.lines);
    const { accounts, rows } = toLineRows(input.lines, currency);
    return this.tx(async () => {
      const periodId = input.periodId
        ? await this.periods.requireOpen(input.periodId)
        : await this.periods.postingPeriodFor(periodOf(new Date()));
      const journalId = randomUUID();
      await this.repo.ensureAccounts(accounts);
      await this.repo.insertJournal({
        id: journalId,
        periodId,
        kind: 'adjustment',
        billableEventId: null,
        reversesJournalId: null,
        description: input.description.trim(),
        createdBy: input.createdBy ?? null,
      });
      await this.repo.insertLines(journalId, rows);
      return { journalId, periodId };
    });
  }

  /**
   * Reverse a journal: post its mirror image, dated in the original's period if still open, else
   * in the next open period (an adjustment of a closed period lands in the next one).
   */
  async reverseJournal(journalId: string, opts: { reason: string; createdBy?: string }): Promise<PostedJournal> {
    if (!opts.reason?.trim()) throw invalid('reason', 'required');
    return this.tx(async () => {
      const original = await this.repo.findJournal(journalId);
      if (!original) throw notFound('journal');
      if (original.kind === 'reversal')
        throw new DomainError('invalid_request', 'a reversal is not reversed: post the original entry again');
      if (original.reversedBy) throw new DomainError('conflict', `journal already reversed by ${original.reversedBy}`);
      const periodId = await this.periods.postingPeriodFor(original.periodId);
      const id = randomUUID();
      await this.repo.insertJournal({
        id,
        periodId,
        kind: 'reversal',
        billableEventId: null,
        reversesJournalId: original.id,
        description: `Reversal of ${original.id}: ${opts.reason.trim()}`,
        createdBy: opts.createdBy ?? null,
      });
      await this.repo.insertLines(id, reversingLines(original.lines));
      return { journalId: id, periodId };
    });
  }

  /** Debits and credits per account for the journals dated in a period. */
  async trialBalance(periodId: PeriodId): Promise<(AccountRow & { debitPence: number; creditPence: number })[]> {
    return this.repo.trialBalance(periodId);
  }

  private async tx<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.db.run(fn);
    } catch (err) {
      throw mapLedgerDbError(err);
    }
  }
}
