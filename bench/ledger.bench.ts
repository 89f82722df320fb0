/**
 * Ledger benchmark.
 *   node --import @swc-node/register/esm-register bench/ledger.bench.ts [--events N] [--writers W] [--metered M]
 *
 * 1. Metering throughput: W concurrent writers each record billable events through
 *    `MeteringService.recordBillableEvent` (one transaction per event: event, contributions,
 *    journal, 5 lines, all triggers): postings per second.
 * 2. Statements at scale: N billable events (default 1 000 000) generated with SQL straight into
 *    one period (triggers on: the deferred balance check and the period guard run for every line),
 *    then the period is closed, reconciled, and every statement written (CSV, events CSV, PDF, JWS).
 * Runs on a scratch database of DATABASE_URL's server, or else of an embedded PostgreSQL of its own
 * under .bench-data/ledger-pg (not the tests' .test-data/pg: a second embedded start on one folder
 * stops the server already running there, which would kill a concurrent test run).
 */
import { mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CompactSign, generateKeyPair } from 'jose';
import { resolve } from 'node:path';
import { startEmbeddedPostgres } from '@harbour/persistence';
import { createTestRuntime, freePort, TEST_ADMIN_URL_ENV } from '@harbour/testing';
import { accountId, createLedger, periodBounds, type BillableEventKind, type FeeSchedule, type StatementSigner } from '@harbour/ledger';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a whole number`);
  return v;
};
const EVENTS = arg('events', 1_000_000);
const WRITERS = arg('writers', 8);
const METERED = arg('metered', 4_000);
const BATCH = 50_000;
const METER_PERIOD = '2024-01';
const BULK_PERIOD = '2024-02';

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n: number): string => n.toLocaleString('en-GB', { maximumFractionDigits: 0 });
const log = (s: string): void => void process.stdout.write(`${s}\n`);

const ownServer =
  process.env['DATABASE_URL'] || process.env[TEST_ADMIN_URL_ENV]
    ? undefined
    : await startEmbeddedPostgres({ baseDir: resolve('.bench-data', 'ledger-pg'), port: await freePort() });
if (ownServer) process.env[TEST_ADMIN_URL_ENV] = ownServer.adminUrl;
const rt = await createTestRuntime({ env: { HARBOUR_DB_POOL_SIZE: String(WRITERS + 2) } });
const ledger = createLedger(rt.db);
try {
  const [pg] = await rt.db.query<{ server_version: string }>(`SHOW server_version`);
  log(`ledger bench: PostgreSQL ${pg?.server_version}, ${WRITERS} writers, ${fmt(METERED)} metered events, ${fmt(EVENTS)} bulk events`);

  // Parties and agreements.
  const trusts: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const [r] = await rt.db.query<{ id: string }>(`INSERT INTO identity.trust (ods_code, name) VALUES ($1, $2) RETURNING id`, [
      `BT${i}`,
      `Bench Trust ${i}`,
    ]);
    trusts.push(r?.id ?? '');
  }
  const partners: string[] = [];
  for (const n of ['Bench Pharma A', 'Bench Pharma B']) {
    const [r] = await rt.db.query<{ id: string }>(`INSERT INTO identity.partner (name) VALUES ($1) RETURNING id`, [n]);
    partners.push(r?.id ?? '');
  }
  const fees: FeeSchedule[] = [
    {
      fixedPerPeriodPence: 500_000,
      perQueryPence: 250,
      perComputeMinutePence: 13,
      perOutputReleasedPence: 10_000,
      perImagingStudyPence: 75,
    },
    {
      fixedPerPeriodPence: 250_000,
      perQueryPence: 500,
      perComputeMinutePence: 40,
      perOutputReleasedPence: 20_000,
      perImagingStudyPence: 100,
    },
  ];
  const projects = [randomUUID(), randomUUID()];
  const agreements: string[] = [];
  for (let p = 0; p < 2; p++) {
    const a = await ledger.agreements.setAgreement({
      projectId: projects[p] ?? '',
      partnerId: partners[p] ?? '',
      fees: fees[p] as FeeSchedule,
      trustShareBps: 400,
      trusts: trusts.map((trustId) => ({ trustId })),
      effectiveFrom: new Date('2020-01-01Z'),
    });
    agreements.push(a.id);
  }

  // ---- 1. metering throughput ----------------------------------------------------------------
  const kinds: BillableEventKind[] = ['query.executed', 'compute.minutes', 'output.released', 'imaging.study_retrieved'];
  const { start } = periodBounds(METER_PERIOD);
  let seq = 0;
  const perWriter = Math.ceil(METERED / WRITERS);
  const writer = async (w: number): Promise<number> => {
    let done = 0;
    for (let i = 0; i < perWriter; i++) {
      const n = w * perWriter + i;
      if (n >= METERED) break;
      await ledger.metering.recordBillableEvent({
        idempotencyKey: `bench:metered:${n}`,
        projectId: projects[n % 2] ?? '',
        kind: kinds[n % 4] as BillableEventKind,
        quantity: n % 4 === 1 ? 1 + (n % 60) : 1,
        occurredAt: new Date(start.getTime() + (n % (27 * 24)) * 3_600_000),
        auditEntryId: ++seq,
        contributions: [
          { trustId: trusts[0] ?? '', patients: 1 + (n % 50) },
          { trustId: trusts[1] ?? '', patients: n % 7 },
          { trustId: trusts[2] ?? '', patients: 3 + (n % 11) },
        ],
      });
      done++;
    }
    return done;
  };
  // Warm up (accounts, period row, plan cache) outside the measurement.
  await ledger.metering.recordBillableEvent({
    idempotencyKey: 'bench:warmup',
    projectId: projects[0] ?? '',
    kind: 'query.executed',
    occurredAt: start,
    auditEntryId: ++seq,
    contributions: [{ trustId: trusts[0] ?? '', patients: 1 }],
  });
  let t0 = process.hrtime.bigint();
  const counts = await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  const meterMs = ms(t0);
  const metered = counts.reduce((a, b) => a + b, 0);
  const [lines] = await rt.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ledger.line l JOIN ledger.journal j ON j.id = l.journal_id WHERE j.period_id = $1`,
    [METER_PERIOD],
  );
  log(
    `metering: ${fmt(metered)} events by ${WRITERS} concurrent writers in ${fmt(meterMs)} ms = ${fmt((metered / meterMs) * 1000)} postings/s (${fmt((Number(lines?.n) / meterMs) * 1000)} lines/s)`,
  );

  // Duplicate deliveries cost: every event delivered again.
  t0 = process.hrtime.bigint();
  const dupCount = Math.min(metered, 1_000);
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = w; n < dupCount; n += WRITERS) {
        const r = await ledger.metering.recordBillableEvent({
          idempotencyKey: `bench:metered:${n}`,
          projectId: projects[n % 2] ?? '',
          kind: kinds[n % 4] as BillableEventKind,
          quantity: n % 4 === 1 ? 1 + (n % 60) : 1,
          occurredAt: start,
          auditEntryId: 1,
          contributions: [],
        });
        if (r.outcome !== 'duplicate') throw new Error('duplicate billed twice');
      }
    }),
  );
  const dupMs = ms(t0);
  log(`duplicates: ${fmt(dupCount)} re-deliveries recognised in ${fmt(dupMs)} ms = ${fmt((dupCount / dupMs) * 1000)}/s, none billed`);

  // ---- 2. a period of N events, generated with SQL ------------------------------------------
  const acct = {
    receivable: partners.map((p) => accountId({ kind: 'partner_receivable', partnerId: p }, 'GBP')),
    payable: trusts.map((t) => accountId({ kind: 'trust_payable', trustId: t }, 'GBP')),
    station: accountId({ kind: 'station_revenue' }, 'GBP'),
  };
  const bounds = periodBounds(BULK_PERIOD);
  await rt.db.query(`INSERT INTO ledger.period (id, starts_on, ends_on, status) VALUES ($1, $2, $3, 'open') ON CONFLICT DO NOTHING`, [
    BULK_PERIOD,
    bounds.start.toISOString().slice(0, 10),
    bounds.end.toISOString().slice(0, 10),
  ]);
  const unit = (kind: keyof FeeSchedule): number[] => fees.map((f) => f[kind]);
  t0 = process.hrtime.bigint();
  for (let lo = 0; lo < EVENTS; lo += BATCH) {
    const hi = Math.min(EVENTS, lo + BATCH);
    await rt.db.run(async () => {
      await rt.db.query(
        `CREATE TEMP TABLE gen ON COMMIT DROP AS
         SELECT i, gen_random_uuid() AS event_id, gen_random_uuid() AS journal_id, (i % 2) + 1 AS p, k, q,
                u * q AS amount, ((u * q) * 400 * 2 + 10000) / 20000 AS share,
                1 + i % 50 AS n1, i % 7 AS n2, 3 + i % 11 AS n3, u
           FROM generate_series($1::bigint, $2::bigint - 1) AS i,
                LATERAL (SELECT (ARRAY['query.executed','compute.minutes','output.released','imaging.study_retrieved'])[1 + (i % 4)] AS k,
                                CASE i % 4 WHEN 1 THEN 1 + i % 60 WHEN 3 THEN 1 + i % 5 ELSE 1 END::bigint AS q) kq,
                LATERAL (SELECT (CASE i % 4 WHEN 0 THEN $3::bigint[] WHEN 1 THEN $4::bigint[] WHEN 2 THEN $5::bigint[] ELSE $6::bigint[] END)[(i % 2) + 1] AS u) up`,
        [lo, hi, unit('perQueryPence'), unit('perComputeMinutePence'), unit('perOutputReleasedPence'), unit('perImagingStudyPence')],
      );
      await rt.db.query(
        `INSERT INTO ledger.billable_event (id, idempotency_key, project_id, partner_id, agreement_id, kind, quantity, unit_price_pence, amount_pence, trust_share_pence, currency, occurred_at, period_id, audit_entry_id)
         SELECT event_id, 'bench:bulk:' || i, ($1::uuid[])[p], ($2::uuid[])[p], ($3::uuid[])[p], k, q, u, amount, share, 'GBP',
                $4::timestamptz + (i % (27 * 24 * 60)) * interval '1 minute', $5, 10000000 + i FROM gen`,
        [projects, partners, agreements, bounds.start, BULK_PERIOD],
      );
      // Split: the bench data use a fixed split (share − 2⌊share/3⌋, ⌊share/3⌋, ⌊share/3⌋); reconciliation
      // checks lines against the recorded contributions, whatever rule produced them.
      await rt.db.query(
        `INSERT INTO ledger.event_contribution (billable_event_id, trust_id, patients, share_pence)
         SELECT event_id, ($1::uuid[])[1], n1, share - 2 * (share / 3) FROM gen
         UNION ALL SELECT event_id, ($1::uuid[])[2], n2, share / 3 FROM gen
         UNION ALL SELECT event_id, ($1::uuid[])[3], n3, share / 3 FROM gen`,
        [trusts],
      );
      await rt.db.query(
        `INSERT INTO ledger.journal (id, period_id, kind, billable_event_id, description) SELECT journal_id, $1, 'event', event_id, k || ' ×' || q FROM gen`,
        [BULK_PERIOD],
      );
      await rt.db.query(
        `INSERT INTO ledger.line (journal_id, account_id, currency, debit_pence, credit_pence)
         SELECT journal_id, a, 'GBP', d, c FROM (
           SELECT journal_id, ($1::uuid[])[p] AS a, amount AS d, 0::bigint AS c FROM gen WHERE amount > 0
           UNION ALL SELECT journal_id, ($2::uuid[])[1], 0, share - 2 * (share / 3) FROM gen WHERE share - 2 * (share / 3) > 0
           UNION ALL SELECT journal_id, ($2::uuid[])[2], 0, share / 3 FROM gen WHERE share / 3 > 0
           UNION ALL SELECT journal_id, ($2::uuid[])[3], 0, share / 3 FROM gen WHERE share / 3 > 0
           UNION ALL SELECT journal_id, $3::uuid, 0, amount - share FROM gen WHERE amount - share > 0) x`,
        [acct.receivable, acct.payable, acct.station],
      );
    });
    if ((hi / BATCH) % 4 === 0 || hi === EVENTS)
      process.stdout.write(`  generated ${fmt(hi)} events (${fmt((hi / ms(t0)) * 1000)} events/s)\n`);
  }
  const genMs = ms(t0);
  await rt.db.query(`ANALYZE ledger.billable_event, ledger.event_contribution, ledger.journal, ledger.line, ledger.account`);
  const [bulkLines] = await rt.db.query<{ n: string }>(
    `SELECT count(*) AS n FROM ledger.line l JOIN ledger.journal j ON j.id = l.journal_id WHERE j.period_id = $1`,
    [BULK_PERIOD],
  );
  log(
    `bulk load: ${fmt(EVENTS)} events, ${fmt(Number(bulkLines?.n))} lines in ${fmt(genMs)} ms (${fmt((EVENTS / genMs) * 1000)} events/s, triggers on)`,
  );

  // Close (earlier periods first), reconcile, statements.
  t0 = process.hrtime.bigint();
  await ledger.periods.closePeriod(METER_PERIOD, { closedBy: 'bench' });
  const closed = await ledger.periods.closePeriod(BULK_PERIOD, { closedBy: 'bench' });
  log(`close ${BULK_PERIOD}: ${fmt(ms(t0))} ms (${closed.accounts} account balances snapshotted)`);

  t0 = process.hrtime.bigint();
  const report = await ledger.reconciliation.reconcile(BULK_PERIOD);
  log(
    `reconcile ${BULK_PERIOD}: ${fmt(ms(t0))} ms, ${report.ok ? 'clean' : 'DIFFERENCES'} (${fmt(report.counts.events)} events, ${fmt(report.counts.lines)} lines)`,
  );
  if (!report.ok)
    log(
      JSON.stringify(
        report.checks.filter((c) => !c.ok),
        null,
        2,
      ),
    );

  const { privateKey } = await generateKeyPair('ES256');
  const signer: StatementSigner = {
    sign: (payload) =>
      new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'ES256', typ: 'JWS', kid: 'bench' })
        .sign(privateKey),
  };
  const out = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  try {
    t0 = process.hrtime.bigint();
    const written = await ledger.statements.writePeriodStatements(BULK_PERIOD, out, { signer });
    const stMs = ms(t0);
    const bytes = readdirSync(out).reduce((a, f) => a + statSync(join(out, f)).size, 0);
    const rows = written.reduce((a, w) => a + w.events.rows, 0);
    log(`statements ${BULK_PERIOD}: ${written.length} statements (${fmt(rows)} event rows, ${fmt(bytes / 1e6)} MB) in ${fmt(stMs)} ms`);
    const trustSum = written.filter((w) => w.party.kind === 'trust').reduce((a, w) => a + (w.totals[0]?.amountPence ?? 0), 0);
    const partnerSum = written.filter((w) => w.party.kind === 'partner').reduce((a, w) => a + (w.totals[0]?.amountPence ?? 0), 0);
    log(`  partner charges ${fmt(partnerSum)}p, trust shares ${fmt(trustSum)}p`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  await rt.dispose();
  await ownServer?.stop();
}
