import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import { notFound } from '@harbour/errors';
import { Db } from '@harbour/persistence';
import { assertPeriodId, type PeriodId } from '../periods.js';
import { requireUuid, rule } from '../validation.js';
import { eventsCsvHeader, eventsCsvRow, renderStatementCsv, renderStatementPdf } from './statement-render.js';
import {
  lineKeyOf,
  partyAccountKind,
  partyId,
  StatementRepository,
  type DetailRow,
  type StatementParty,
  type SummaryRow,
} from './statement.repository.js';
import {
  STATEMENT_FORMAT,
  type EventsDigest,
  type Statement,
  type StatementEvent,
  type StatementLine,
  type StatementSigner,
  type StatementTotal,
} from './statement.types.js';

export interface WrittenStatement {
  readonly party: Statement['party'];
  readonly totals: readonly StatementTotal[];
  readonly files: { readonly csv: string; readonly events: string; readonly pdf: string; readonly jws: string | null };
  readonly events: EventsDigest;
}

const DETAIL_BATCH = 10_000;

/** `partner:<id>` / `trust:<id>` → the party. */
const partyOfAccount = (accountKind: string, ownerId: string): StatementParty =>
  accountKind === 'partner_receivable' ? { kind: 'partner', partnerId: ownerId } : { kind: 'trust', trustId: ownerId };
const partyKey = (accountKind: string, ownerId: string): string => `${accountKind}:${ownerId}`;

function buildStatement(
  party: StatementParty,
  name: string | null,
  period: Statement['period'],
  rows: readonly SummaryRow[],
  generatedAt: Date,
): Statement {
  const isPartner = party.kind === 'partner';
  const lines: StatementLine[] = rows.map((r, i) => ({
    lineNo: i + 1,
    projectId: r.projectId,
    eventKind: r.eventKind,
    currency: r.currency,
    unitPricePence: r.unitPricePence,
    events: r.events,
    quantity: r.quantity,
    patients: isPartner ? null : r.patients,
    grossPence: r.grossPence,
    // Receivables grow by debits, payables by credits.
    amountPence: isPartner ? r.debitPence - r.creditPence : r.creditPence - r.debitPence,
    auditEntryIdFirst: r.auditEntryIdFirst,
    auditEntryIdLast: r.auditEntryIdLast,
  }));
  const totals = new Map<string, { events: number; grossPence: number; amountPence: number }>();
  for (const l of lines) {
    const t = totals.get(l.currency) ?? { events: 0, grossPence: 0, amountPence: 0 };
    t.events += l.events;
    t.grossPence += l.grossPence;
    t.amountPence += l.amountPence;
    totals.set(l.currency, t);
  }
  return {
    format: STATEMENT_FORMAT,
    party: { kind: party.kind, id: partyId(party), name },
    period,
    lines,
    totals: [...totals.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([currency, t]) => ({ currency, ...t })),
    generatedAt: generatedAt.toISOString(),
  };
}

function toEvent(r: DetailRow, lineNo: number): StatementEvent {
  const isPartner = r.accountKind === 'partner_receivable';
  return {
    lineNo,
    journalId: r.journalId,
    journalKind: r.journalKind,
    billableEventId: r.billableEventId,
    idempotencyKey: r.idempotencyKey,
    auditEntryId: r.auditEntryId,
    occurredAt: r.occurredAt,
    projectId: r.projectId,
    eventKind: r.eventKind,
    quantity: r.quantity,
    patients: isPartner ? null : r.patients,
    feePence: r.feePence,
    amountPence: isPartner ? r.debitPence - r.creditPence : r.creditPence - r.debitPence,
    currency: r.currency,
  };
}

/**
 * Statements per partner (invoice lines) and per trust (revenue share earned, with the usage behind
 * it), from the ledger's postings dated in a period. Each statement has lines (CSV, PDF), an events
 * file listing every posting with its billable event and audit entry, and a signed JSON (JWS) that
 * certifies the lines and, by SHA-256, the events file. A statement of an open period is a draft.
 */
@Injectable()
export class StatementService {
  constructor(
    @Inject(Db) private readonly db: Db,
    @Inject(StatementRepository) private readonly repo: StatementRepository,
  ) {}

  async getStatement(party: StatementParty, periodId: PeriodId): Promise<Statement> {
    const { id, owner } = this.validate(party, periodId);
    return this.snapshot(async () => {
      const period = await this.period(id);
      const rows = await this.repo.summary(id, { accountKind: partyAccountKind(party), ownerId: owner });
      const names = await this.repo.partyNames(party.kind === 'partner' ? [owner] : [], party.kind === 'trust' ? [owner] : []);
      return buildStatement(party, names.get(owner) ?? null, period, rows, new Date());
    });
  }

  /** The statement's events (in memory: for a screen or an API response, not for a million rows). */
  async getStatementEvents(party: StatementParty, periodId: PeriodId): Promise<StatementEvent[]> {
    const out: StatementEvent[] = [];
    await this.eachEvent(party, periodId, async (events) => {
      out.push(...events);
    });
    return out;
  }

  /** Stream the events file (CSV) of a statement to `write`, returning its digest. */
  async writeEventsCsv(party: StatementParty, periodId: PeriodId, write: (chunk: string) => Promise<void> | void): Promise<EventsDigest> {
    const hash = createHash('sha256');
    let rows = 0;
    const header = eventsCsvHeader();
    hash.update(header);
    await write(header);
    await this.eachEvent(party, periodId, async (events) => {
      const chunk = events.map(eventsCsvRow).join('');
      rows += events.length;
      hash.update(chunk);
      await write(chunk);
    });
    return { rows, sha256: hash.digest('hex') };
  }

  /** JWS (compact, ES256 by the station key) over the statement and the digest of its events file. */
  async signStatement(statement: Statement, events: EventsDigest, signer: StatementSigner): Promise<string> {
    return signer.sign({ ...statement, events });
  }

  /** A signed statement in one call (computes the events digest by streaming the events). */
  async signedStatement(
    party: StatementParty,
    periodId: PeriodId,
    signer: StatementSigner,
  ): Promise<{ statement: Statement; events: EventsDigest; jws: string }> {
    const statement = await this.getStatement(party, periodId);
    const events = await this.writeEventsCsv(party, periodId, () => undefined);
    return { statement, events, jws: await this.signStatement(statement, events, signer) };
  }

  /**
   * Write every statement of the period to `outDir`: per party `<kind>-<id>-<period>.csv` (lines),
   * `.events.csv` (events), `.pdf` and, with a signer, `.jws`; plus `statements-<period>.json`
   * listing them. One snapshot and one pass over the period's postings, streamed to disk.
   */
  async writePeriodStatements(periodId: PeriodId, outDir: string, opts: { signer?: StatementSigner } = {}): Promise<WrittenStatement[]> {
    const id = rule('period', () => assertPeriodId(periodId));
    mkdirSync(outDir, { recursive: true });
    return this.snapshot(async () => {
      const period = await this.period(id);
      const summary = await this.repo.summary(id);
      const byParty = new Map<string, SummaryRow[]>();
      for (const r of summary) {
        const k = partyKey(r.accountKind, r.ownerId);
        byParty.set(k, [...(byParty.get(k) ?? []), r]);
      }
      const partnerIds = summary.filter((r) => r.accountKind === 'partner_receivable').map((r) => r.ownerId);
      const trustIds = summary.filter((r) => r.accountKind === 'trust_payable').map((r) => r.ownerId);
      const names = await this.repo.partyNames([...new Set(partnerIds)], [...new Set(trustIds)]);
      const generatedAt = new Date();

      interface Out {
        statement: Statement;
        base: string;
        stream: WriteStream;
        hash: Hash;
        rows: number;
        lineNos: Map<string, number>;
      }
      const outs = new Map<string, Out>();
      for (const [k, rows] of byParty) {
        const first = rows[0];
        if (!first) continue;
        const party = partyOfAccount(first.accountKind, first.ownerId);
        const statement = buildStatement(party, names.get(first.ownerId) ?? null, period, rows, generatedAt);
        const base = `${party.kind}-${first.ownerId}-${id}`;
        const stream = createWriteStream(join(outDir, `${base}.events.csv`));
        const hash = createHash('sha256');
        const header = eventsCsvHeader();
        hash.update(header);
        stream.write(header);
        outs.set(k, { statement, base, stream, hash, rows: 0, lineNos: new Map(rows.map((r, i) => [lineKeyOf(r), i + 1])) });
      }

      await this.repo.streamDetail(id, undefined, DETAIL_BATCH, async (batch) => {
        const chunks = new Map<Out, string[]>();
        for (const r of batch) {
          const out = outs.get(partyKey(r.accountKind, r.ownerId));
          if (!out) throw new Error('detail row outside the summary: snapshot broken');
          const list = chunks.get(out) ?? [];
          list.push(eventsCsvRow(toEvent(r, out.lineNos.get(lineKeyOf(r)) ?? 0)));
          chunks.set(out, list);
          out.rows += 1;
        }
        for (const [out, list] of chunks) {
          const chunk = list.join('');
          out.hash.update(chunk);
          if (!out.stream.write(chunk)) await once(out.stream, 'drain');
        }
      });

      const written: WrittenStatement[] = [];
      for (const out of outs.values()) {
        out.stream.end();
        await once(out.stream, 'finish');
        const events: EventsDigest = { rows: out.rows, sha256: out.hash.digest('hex'), file: `${out.base}.events.csv` };
        writeFileSync(join(outDir, `${out.base}.csv`), renderStatementCsv(out.statement));
        writeFileSync(join(outDir, `${out.base}.pdf`), renderStatementPdf(out.statement, events));
        let jws: string | null = null;
        if (opts.signer) {
          jws = `${out.base}.jws`;
          writeFileSync(join(outDir, jws), await this.signStatement(out.statement, events, opts.signer));
        }
        written.push({
          party: out.statement.party,
          totals: out.statement.totals,
          files: { csv: `${out.base}.csv`, events: `${out.base}.events.csv`, pdf: `${out.base}.pdf`, jws },
          events,
        });
      }
      writeFileSync(
        join(outDir, `statements-${id}.json`),
        `${JSON.stringify({ format: STATEMENT_FORMAT, period, generatedAt: generatedAt.toISOString(), statements: written }, null, 2)}\n`,
      );
      return written;
    });
  }

  private async eachEvent(party: StatementParty, periodId: PeriodId, onBatch: (events: StatementEvent[]) => Promise<void>): Promise<void> {
    const { id, owner } = this.validate(party, periodId);
    await this.snapshot(async () => {
      await this.period(id);
      const rows = await this.repo.summary(id, { accountKind: partyAccountKind(party), ownerId: owner });
      const lineNos = new Map(rows.map((r, i) => [lineKeyOf(r), i + 1]));
      await this.repo.streamDetail(id, { accountKind: partyAccountKind(party), ownerId: owner }, DETAIL_BATCH, async (batch) =>
        onBatch(batch.map((r) => toEvent(r, lineNos.get(lineKeyOf(r)) ?? 0))),
      );
    });
  }

  private validate(party: StatementParty, periodId: PeriodId): { id: PeriodId; owner: string } {
    const id = rule('period', () => assertPeriodId(periodId));
    const owner = requireUuid(partyId(party), party.kind === 'partner' ? 'partnerId' : 'trustId');
    return { id, owner };
  }

  private async period(id: PeriodId): Promise<Statement['period']> {
    const p = await this.repo.periodInfo(id);
    if (!p) throw notFound(`period ${id}`);
    return { id, ...p };
  }

  /** Run in a read-only snapshot transaction of its own (or join the caller's). */
  private async snapshot<T>(fn: () => Promise<T>): Promise<T> {
    const fresh = !this.db.inTransaction();
    return this.db.run(async () => {
      if (fresh) await this.repo.useSnapshot();
      return fn();
    });
  }
}
