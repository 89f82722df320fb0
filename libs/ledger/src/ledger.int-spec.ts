import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, exportJWK, generateKeyPair, CompactSign, type CryptoKey } from 'jose';
import { DomainError } from '@harbour/errors';
import { createTestRuntime, type TestRuntime } from '@harbour/testing';
import { createLedger, type Ledger } from './ledger.js';
import { sqlStateOf } from './ledger-db-errors.js';
import type { BillableEventKind, FeeSchedule } from './pricing.js';
import type { StatementSigner } from './statements/statement.types.js';

const PERIOD = '2025-03';
const at = (day: number, hour = 12): Date => new Date(Date.UTC(2025, 2, day, hour));

/** Half-up share, computed independently of the ledger's allocation code. */
const halfUpShare = (fee: number, bps: number): number => Math.floor((fee * bps * 2 + 10_000) / 20_000);

const isDomain = (code: string) => (err: unknown) => err instanceof DomainError && err.code === code;
const isSqlState = (state: string) => (err: unknown) => sqlStateOf(err) === state;

interface ProjectSpec {
  id: string;
  partner: 'A' | 'B';
  fees: FeeSchedule;
  bps: number;
}

describe('ledger over a scripted period (2 partners, 3 trusts)', () => {
  let rt: TestRuntime;
  let ledger: Ledger;
  let signer: StatementSigner;
  let publicKey: CryptoKey;
  const trusts: string[] = [];
  const partners: Record<'A' | 'B', string> = { A: '', B: '' };
  let projects: ProjectSpec[] = [];
  let auditEntryId = 1000;
  /** What the test expects, from its own price table: fee and trust share per project. */
  const expected = new Map<string, { fees: number; share: number }>();
  const journalsByKey = new Map<string, string>();

  const meter = async (
    p: ProjectSpec,
    kind: BillableEventKind,
    quantity: number,
    occurredAt: Date,
    patients: number[],
    key = `${kind}:${randomUUID()}`,
  ) => {
    const res = await ledger.metering.recordBillableEvent({
      idempotencyKey: key,
      projectId: p.id,
      kind,
      quantity,
      occurredAt,
      auditEntryId: ++auditEntryId,
      contributions: patients.map((n, i) => ({ trustId: trusts[i] ?? '', patients: n })).filter((c) => c.patients > 0),
    });
    if (res.outcome === 'recorded' && res.periodId === PERIOD) {
      const unit = {
        'query.executed': p.fees.perQueryPence,
        'compute.minutes': p.fees.perComputeMinutePence,
        'output.released': p.fees.perOutputReleasedPence,
        'imaging.study_retrieved': p.fees.perImagingStudyPence,
        'fee.period': p.fees.fixedPerPeriodPence,
      }[kind];
      const e = expected.get(p.id) ?? { fees: 0, share: 0 };
      e.fees += unit * quantity;
      e.share += halfUpShare(unit * quantity, p.bps);
      expected.set(p.id, e);
    }
    journalsByKey.set(key, res.journalId);
    return res;
  };

  before(async () => {
    rt = await createTestRuntime();
    ledger = createLedger(rt.db);
    for (const [ods, name] of [
      ['LX1', 'Ledger Test Trust One'],
      ['LX2', 'Ledger Test Trust Two'],
      ['LX3', 'Ledger Test Trust Three'],
    ] as const) {
      const [row] = await rt.db.query<{ id: string }>(`INSERT INTO identity.trust (ods_code, name) VALUES ($1, $2) RETURNING id`, [
        ods,
        name,
      ]);
      trusts.push(row?.id ?? '');
    }
    for (const k of ['A', 'B'] as const) {
      const [row] = await rt.db.query<{ id: string }>(`INSERT INTO identity.partner (name) VALUES ($1) RETURNING id`, [
        `Ledger Partner ${k}`,
      ]);
      partners[k] = row?.id ?? '';
    }
    const keys = await generateKeyPair('ES256');
    publicKey = keys.publicKey;
    signer = {
      sign: async (payload) =>
        new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
          .setProtectedHeader({ alg: 'ES256', typ: 'JWS', kid: 'test-station' })
          .sign(keys.privateKey),
    };
    // Exact prices (every 4%/5% share is a whole number of pence) for P1 and P2; P3 rounds.
    projects = [
      {
        id: randomUUID(),
        partner: 'A',
        bps: 400,
        fees: {
          fixedPerPeriodPence: 500_000,
          perQueryPence: 250,
          perComputeMinutePence: 25,
          perOutputReleasedPence: 10_000,
          perImagingStudyPence: 75,
        },
      },
      {
        id: randomUUID(),
        partner: 'B',
        bps: 500,
        fees: {
          fixedPerPeriodPence: 250_000,
          perQueryPence: 500,
          perComputeMinutePence: 40,
          perOutputReleasedPence: 20_000,
          perImagingStudyPence: 100,
        },
      },
      {
        id: randomUUID(),
        partner: 'A',
        bps: 400,
        fees: { fixedPerPeriodPence: 0, perQueryPence: 0, perComputeMinutePence: 13, perOutputReleasedPence: 0, perImagingStudyPence: 0 },
      },
    ];
    const [p1, p2, p3] = projects as [ProjectSpec, ProjectSpec, ProjectSpec];
    const trustTerms = trusts.map((trustId) => ({ trustId }));
    await ledger.agreements.setAgreement({
      projectId: p1.id,
      partnerId: partners.A,
      fees: p1.fees,
      trustShareBps: p1.bps,
      trusts: trustTerms,
      effectiveFrom: new Date('2025-01-01Z'),
    });
    await ledger.agreements.setAgreement({
      projectId: p2.id,
      partnerId: partners.B,
      fees: p2.fees,
      trustShareBps: p2.bps,
      splitMethod: 'equal',
      trusts: trustTerms,
      effectiveFrom: new Date('2025-01-01Z'),
    });
    await ledger.agreements.setAgreement({
      projectId: p3.id,
      partnerId: partners.A,
      fees: p3.fees,
      trustShareBps: p3.bps,
      splitMethod: 'fixed',
      trusts: [
        { trustId: trusts[0] ?? '', weight: 3 },
        { trustId: trusts[2] ?? '', weight: 1 },
      ],
      effectiveFrom: new Date('2025-01-01Z'),
    });

    // The scripted month.
    await ledger.metering.recordPeriodFee({ projectId: p1.id, periodId: PERIOD, auditEntryId: ++auditEntryId });
    expected.set(p1.id, { fees: p1.fees.fixedPerPeriodPence, share: halfUpShare(p1.fees.fixedPerPeriodPence, p1.bps) });
    await ledger.metering.recordPeriodFee({ projectId: p2.id, periodId: PERIOD, auditEntryId: ++auditEntryId });
    expected.set(p2.id, { fees: p2.fees.fixedPerPeriodPence, share: halfUpShare(p2.fees.fixedPerPeriodPence, p2.bps) });
    for (let i = 0; i < 20; i++)
      await meter(p1, 'query.executed', 1, at(1 + i), [17 + i, 3 * i, i % 4 === 0 ? 0 : 101 - i], `query.executed:p1:${i}`);
    for (const [i, minutes] of [7, 30, 1, 121, 45].entries()) await meter(p1, 'compute.minutes', minutes, at(3 + i), [40, 0, 11]);
    await meter(p1, 'output.released', 1, at(20), [55, 12, 9]);
    await meter(p1, 'output.released', 2, at(21), [1, 1, 1]);
    await meter(p1, 'imaging.study_retrieved', 10, at(22), [0, 10, 0]);
    for (let i = 0; i < 10; i++) await meter(p2, 'query.executed', 1, at(2 + i), [5, 6, 7]);
    for (let i = 0; i < 3; i++) await meter(p2, 'output.released', 1, at(25 + i), [1, 0, 0]);
    for (let m = 1; m <= 7; m++) await meter(p3, 'compute.minutes', m, at(10 + m), [1, 0, 1]);
  });

  after(async () => {
    await rt?.dispose();
  });

  test('a duplicated event is billed once, also when both deliveries race', async () => {
    const p1 = projects[0] as ProjectSpec;
    const again = await ledger.metering.recordBillableEvent({
      idempotencyKey: 'query.executed:p1:3',
      projectId: p1.id,
      kind: 'query.executed',
      occurredAt: at(4),
      auditEntryId: 99_999,
      contributions: [{ trustId: trusts[0] ?? '', patients: 1 }],
    });
    assert.equal(again.outcome, 'duplicate');
    assert.equal(again.journalId, journalsByKey.get('query.executed:p1:3'));

    const key = `imaging.study_retrieved:race:${randomUUID()}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        ledger.metering.recordBillableEvent({
          idempotencyKey: key,
          projectId: p1.id,
          kind: 'imaging.study_retrieved',
          quantity: 2,
          occurredAt: at(23),
          auditEntryId: 5_000,
          contributions: [{ trustId: trusts[1] ?? '', patients: 4 }],
        }),
      ),
    );
    assert.equal(results.filter((r) => r.outcome === 'recorded').length, 1);
    assert.equal(new Set(results.map((r) => r.journalId)).size, 1);
    const e = expected.get(p1.id);
    if (e) {
      e.fees += 150;
      e.share += 6;
    }
    const [row] = await rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM ledger.billable_event WHERE idempotency_key = $1`, [key]);
    assert.equal(row?.n, '1');

    await assert.rejects(
      ledger.metering.recordBillableEvent({
        idempotencyKey: key,
        projectId: p1.id,
        kind: 'imaging.study_retrieved',
        quantity: 3,
        occurredAt: at(23),
        auditEntryId: 5_001,
        contributions: [],
      }),
      isDomain('conflict'),
    );
  });

  test('the service refuses unbalanced postings and bad input', async () => {
    await assert.rejects(
      ledger.postings.postAdjustment({
        description: 'typo',
        lines: [
          { account: { kind: 'station_revenue' }, debitPence: 100 },
          { account: { kind: 'trust_payable', trustId: trusts[0] ?? '' }, creditPence: 99 },
        ],
      }),
      isDomain('unbalanced_posting'),
    );
    await assert.rejects(
      ledger.metering.recordBillableEvent({
        idempotencyKey: 'x',
        projectId: randomUUID(),
        kind: 'query.executed',
        occurredAt: at(1),
        auditEntryId: 1,
        contributions: [],
      }),
      isDomain('not_found'),
    );
    await assert.rejects(
      ledger.metering.recordBillableEvent({
        idempotencyKey: 'y',
        projectId: projects[0]?.id ?? '',
        kind: 'compute.minutes',
        quantity: 1.5,
        occurredAt: at(1),
        auditEntryId: 1,
        contributions: [],
      }),
      isDomain('invalid_request'),
    );
    await assert.rejects(ledger.periods.closePeriod('2999-01'), isDomain('invalid_transition'));
  });

  test('close, reconcile and statements: trusts get exactly the configured share, to the penny', async () => {
    const closed = await ledger.periods.closePeriod(PERIOD, { closedBy: 'test' });
    assert.equal(closed.debitPence, closed.creditPence);
    await assert.rejects(ledger.periods.closePeriod(PERIOD), isDomain('period_closed'));

    const report = await ledger.reconciliation.reconcile(PERIOD);
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => !c.ok)));
    assert.equal(report.periodStatus, 'closed');
    assert.equal(report.counts.events, 2 + 20 + 5 + 2 + 1 + 10 + 3 + 7 + 1);

    const partnerTotal = async (k: 'A' | 'B') =>
      (await ledger.statements.getStatement({ kind: 'partner', partnerId: partners[k] }, PERIOD)).totals[0]?.amountPence ?? 0;
    const trustStatements = await Promise.all(trusts.map((trustId) => ledger.statements.getStatement({ kind: 'trust', trustId }, PERIOD)));
    const trustTotal = trustStatements.reduce((a, s) => a + (s.totals[0]?.amountPence ?? 0), 0);

    const exp = [...expected.values()].reduce((a, e) => ({ fees: a.fees + e.fees, share: a.share + e.share }), { fees: 0, share: 0 });
    assert.equal((await partnerTotal('A')) + (await partnerTotal('B')), exp.fees);
    assert.equal(trustTotal, exp.share);

    // Per project: the trusts' earnings equal the configured share of the partner's charges;
    // exactly bps × charges for the exact-priced projects, the per-event half-up share for P3.
    for (const p of projects) {
      const earned = trustStatements
        .flatMap((s) => s.lines)
        .filter((l) => l.projectId === p.id)
        .reduce((a, l) => a + l.amountPence, 0);
      const e = expected.get(p.id);
      assert.equal(earned, e?.share, `project ${p.id}`);
      if (p !== projects[2]) assert.equal(earned * 10_000, (e?.fees ?? 0) * p.bps);
    }
    // Station revenue is the rest, to the penny.
    const tb = await ledger.postings.trialBalance(PERIOD);
    const station = tb.filter((a) => a.kind === 'station_revenue').reduce((a, r) => a + r.creditPence - r.debitPence, 0);
    assert.equal(station + trustTotal, exp.fees);

    // Each line references its billable events and their audit entries.
    const events = await ledger.statements.getStatementEvents({ kind: 'trust', trustId: trusts[1] ?? '' }, PERIOD);
    const s2 = trustStatements[1];
    assert.ok(s2 && events.length > 0);
    assert.equal(
      events.reduce((a, e) => a + e.amountPence, 0),
      s2.totals[0]?.amountPence,
    );
    for (const e of events) {
      assert.ok(e.billableEventId && e.auditEntryId && e.lineNo >= 1 && e.lineNo <= s2.lines.length);
    }
    for (const l of s2.lines) assert.equal(events.filter((e) => e.lineNo === l.lineNo).length, l.events);
  });

  test('statement files: CSV, PDF and JWS signed with ES256 binding the events file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-statements-'));
    try {
      const written = await ledger.statements.writePeriodStatements(PERIOD, dir, { signer });
      assert.equal(written.length, 5); // 2 partners + 3 trusts
      for (const w of written) {
        const eventsFile = readFileSync(join(dir, w.files.events));
        assert.equal(createHash('sha256').update(eventsFile).digest('hex'), w.events.sha256);
        assert.equal(eventsFile.toString().trim().split('\r\n').length, w.events.rows + 1);
        const pdf = readFileSync(join(dir, w.files.pdf)).toString('latin1');
        assert.ok(pdf.startsWith('%PDF-1.4') && pdf.trimEnd().endsWith('%%EOF'));
        const { payload, protectedHeader } = await compactVerify(readFileSync(join(dir, w.files.jws ?? ''), 'utf8'), publicKey);
        assert.equal(protectedHeader.alg, 'ES256');
        const body = JSON.parse(new TextDecoder().decode(payload)) as {
          party: { id: string };
          events: { sha256: string };
          totals: { amountPence: number }[];
        };
        assert.equal(body.events.sha256, w.events.sha256);
        assert.equal(body.party.id, w.party.id);
        const csv = readFileSync(join(dir, w.files.csv), 'utf8');
        assert.ok(csv.includes(`total,,,GBP,,`));
      }
      // A tampered payload no longer verifies.
      const jws = readFileSync(join(dir, written[0]?.files.jws ?? ''), 'utf8').split('.');
      const forged = [jws[0], Buffer.from('{"totals":[]}').toString('base64url'), jws[2]].join('.');
      await assert.rejects(compactVerify(forged, publicKey));
      assert.ok(await exportJWK(publicKey));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('after close: late events and reversals go to the next open period; direct postings are refused', async () => {
    const p1 = projects[0] as ProjectSpec;
    const late = await meter(p1, 'query.executed', 1, at(30), [1, 1, 1]);
    assert.equal(late.outcome, 'recorded');
    assert.equal(late.periodId, '2025-04');
    await assert.rejects(
      ledger.postings.postAdjustment({
        periodId: PERIOD,
        description: 'late fix',
        lines: [
          { account: { kind: 'station_revenue' }, debitPence: 5 },
          { account: { kind: 'trust_payable', trustId: trusts[0] ?? '' }, creditPence: 5 },
        ],
      }),
      isDomain('period_closed'),
    );
    const original = journalsByKey.get('query.executed:p1:0') ?? '';
    const reversal = await ledger.postings.reverseJournal(original, { reason: 'query failed after billing' });
    assert.equal(reversal.periodId, '2025-04');
    await assert.rejects(ledger.postings.reverseJournal(original, { reason: 'again' }), isDomain('conflict'));
    const adj = await ledger.postings.postAdjustment({
      periodId: '2025-04',
      description: 'goodwill credit to trust one',
      lines: [
        { account: { kind: 'station_revenue' }, debitPence: 5 },
        { account: { kind: 'trust_payable', trustId: trusts[0] ?? '' }, creditPence: 5 },
      ],
    });
    assert.equal(adj.periodId, '2025-04');
    const report = await ledger.reconciliation.reconcile('2025-04');
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => !c.ok)));
    const partnerA = await ledger.statements.getStatement({ kind: 'partner', partnerId: partners.A }, '2025-04');
    const reversed = partnerA.lines.find((l) => l.eventKind === 'query.executed');
    assert.equal(reversed?.events, 0); // one late query charged, one March query reversed
    assert.equal(reversed?.amountPence, 0);
  });

  test('the database itself refuses unbalanced postings, UPDATE, DELETE, TRUNCATE and closed periods', async () => {
    const [line] = await rt.db.query<{ id: string; journal_id: string }>(
      `SELECT l.id, l.journal_id FROM ledger.line l JOIN ledger.journal j ON j.id = l.journal_id WHERE j.period_id = $1 LIMIT 1`,
      [PERIOD],
    );
    assert.ok(line);
    const account = (await rt.db.query<{ id: string }>(`SELECT id FROM ledger.account WHERE kind = 'station_revenue'`))[0]?.id;

    await assert.rejects(rt.db.query(`UPDATE ledger.line SET debit_pence = debit_pence + 1 WHERE id = $1`, [line.id]), isSqlState('HL003'));
    await assert.rejects(rt.db.query(`DELETE FROM ledger.line WHERE id = $1`, [line.id]), isSqlState('HL003'));
    await assert.rejects(rt.db.query(`DELETE FROM ledger.journal WHERE id = $1`, [line.journal_id]), isSqlState('HL003'));
    await assert.rejects(rt.db.query(`UPDATE ledger.billable_event SET amount_pence = 0`), isSqlState('HL003'));
    await assert.rejects(rt.db.query(`TRUNCATE ledger.line CASCADE`), isSqlState('HL003'));
    await assert.rejects(
      rt.db.query(`UPDATE ledger.period SET status = 'open', closed_at = NULL WHERE id = $1`, [PERIOD]),
      isSqlState('HL001'),
    );
    await assert.rejects(rt.db.query(`DELETE FROM ledger.period WHERE id = $1`, [PERIOD]), isSqlState('HL003'));

    // A posting dated in the closed period: the journal, and a line added to an old journal.
    await assert.rejects(
      rt.db.query(`INSERT INTO ledger.journal (id, period_id, kind, description) VALUES ($1, $2, 'adjustment', 'backdated')`, [
        randomUUID(),
        PERIOD,
      ]),
      isSqlState('HL001'),
    );
    await assert.rejects(
      rt.db.query(`INSERT INTO ledger.line (journal_id, account_id, currency, debit_pence, credit_pence) VALUES ($1, $2, 'GBP', 1, 0)`, [
        line.journal_id,
        account,
      ]),
      isSqlState('HL001'),
    );

    // A committed journal never changes, even in an open period: no line can join it later.
    const [open] = await rt.db.query<{ journal_id: string }>(
      `SELECT l.journal_id FROM ledger.line l JOIN ledger.journal j ON j.id = l.journal_id WHERE j.period_id = '2025-04' LIMIT 1`,
    );
    await assert.rejects(
      rt.db.query(`INSERT INTO ledger.line (journal_id, account_id, currency, debit_pence, credit_pence) VALUES ($1, $2, 'GBP', 1, 0)`, [
        open?.journal_id,
        account,
      ]),
      isSqlState('HL003'),
    );

    // A journal that does not balance is refused at commit by the deferred constraint trigger.
    const journalId = randomUUID();
    await assert.rejects(
      rt.db.run(async () => {
        await rt.db.query(
          `INSERT INTO ledger.journal (id, period_id, kind, description) VALUES ($1, '2025-04', 'adjustment', 'one-sided')`,
          [journalId],
        );
        await rt.db.query(
          `INSERT INTO ledger.line (journal_id, account_id, currency, debit_pence, credit_pence) VALUES ($1, $2, 'GBP', 100, 0)`,
          [journalId, account],
        );
      }),
      isSqlState('HL002'),
    );
    const [gone] = await rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM ledger.journal WHERE id = $1`, [journalId]);
    assert.equal(gone?.n, '0');
    // A line in a currency other than its account's.
    await assert.rejects(
      rt.db.run(async () => {
        await rt.db.query(`INSERT INTO ledger.journal (id, period_id, kind, description) VALUES ($1, '2025-04', 'adjustment', 'fx')`, [
          journalId,
        ]);
        await rt.db.query(
          `INSERT INTO ledger.line (journal_id, account_id, currency, debit_pence, credit_pence) VALUES ($1, $2, 'EUR', 100, 0)`,
          [journalId, account],
        );
      }),
      isSqlState('HL004'),
    );
  });

  test('closing waits for postings in flight, and they are in its balances', async () => {
    const p1 = projects[0] as ProjectSpec;
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    let posted!: () => void;
    const isPosted = new Promise<void>((ok) => (posted = ok));
    const inFlight = rt.db.run(async () => {
      const r = await ledger.metering.recordBillableEvent({
        idempotencyKey: `in-flight:${randomUUID()}`,
        projectId: p1.id,
        kind: 'output.released',
        occurredAt: new Date('2025-04-15T10:00:00Z'),
        auditEntryId: ++auditEntryId,
        contributions: [{ trustId: trusts[0] ?? '', patients: 3 }],
      });
      posted();
      await gate; // the transaction stays open, holding 2025-04
      return r;
    });
    await isPosted;
    let settled = false;
    const closing = ledger.periods.closePeriod('2025-04', { closedBy: 'test' }).finally(() => (settled = true));
    await new Promise((ok) => setTimeout(ok, 300));
    assert.equal(settled, false, 'close must wait for the open posting');
    release();
    const r = await inFlight;
    assert.equal(r.periodId, '2025-04');
    await closing;
    const report = await ledger.reconciliation.reconcile('2025-04');
    assert.equal(report.ok, true, JSON.stringify(report.checks.filter((c) => !c.ok)));
    const [snap] = await rt.db.query<{ n: string }>(`SELECT sum(line_count) AS n FROM ledger.account_balance WHERE period_id = '2025-04'`);
    assert.equal(Number(snap?.n), report.counts.lines);
    // And after the close, the next posting for April moves to May.
    const late = await meter(p1, 'query.executed', 1, new Date('2025-04-20Z'), [1, 0, 0]);
    assert.equal(late.periodId, '2025-05');
  });

  test('reconciliation reports tampering that bypassed the triggers', async (t) => {
    const [line] = await rt.db.query<{ id: string }>(
      `SELECT l.id FROM ledger.line l JOIN ledger.journal j ON j.id = l.journal_id JOIN ledger.account a ON a.id = l.account_id WHERE j.period_id = $1 AND a.kind = 'station_revenue' LIMIT 1`,
      [PERIOD],
    );
    try {
      // Only a superuser can switch triggers off; that is exactly the actor reconciliation guards against.
      await rt.db.run(async () => {
        await rt.db.query(`SET LOCAL session_replication_role = replica`);
        await rt.db.query(`UPDATE ledger.line SET credit_pence = credit_pence + 1 WHERE id = $1`, [line?.id]);
      });
    } catch (err) {
      if (sqlStateOf(err) === '42501') return t.skip('test database user is not a superuser');
      throw err;
    }
    const report = await ledger.reconciliation.reconcile(PERIOD);
    assert.equal(report.ok, false);
    const failed = new Set(report.checks.filter((c) => !c.ok).map((c) => c.check));
    for (const c of ['event_postings_match_events', 'journals_balance', 'trial_balance', 'balances_match_lines'] as const)
      assert.ok(failed.has(c), c);
  });
});
