import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '@harbour/errors';
import { createTestRuntime, type TestRuntime } from '@harbour/testing';
import { parseCohortDefinition } from './cohort/cohort-parse.js';
import { QueryRepository } from './query.repository.js';
import { QueryService } from './query.service.js';
import type { QueryScope } from './query.types.js';

const SCT = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';
const D = { type: 'condition', codes: [{ system: SCT, code: 'D' }] };
const X = { type: 'procedure', codes: [{ system: SCT, code: 'X' }] };
const T1 = '10000000-0000-4000-8000-000000000001';
const T2 = '10000000-0000-4000-8000-000000000002';
const T3 = '10000000-0000-4000-8000-000000000003';
const TB = '10000000-0000-4000-8000-0000000000bb';
const PROJECT = '20000000-0000-4000-8000-000000000001';
const asOf = new Date('2024-06-01T12:00:00Z');
const scope: QueryScope = { trustIds: [T1, T2], asOf };
const bulk: QueryScope = { trustIds: [TB], asOf };
const partner = (): string => randomUUID();

async function expectError(p: Promise<unknown>, code: string): Promise<DomainError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof DomainError, String(e));
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

describe('cohort queries over the research store (real PostgreSQL)', () => {
  let rt: TestRuntime;
  let repo: QueryRepository;
  let service: QueryService;
  const person: Record<string, string> = {};

  async function patient(name: string, trust: string, sex: string, birthYear: number | null, district: string | null): Promise<string> {
    if (!person[name]) {
      person[name] = randomUUID();
      await rt.db.query(`INSERT INTO consent.person (id, nhs_bidx) VALUES ($1, $2)`, [person[name], randomBytes(32)]);
    }
    await rt.db.query(`INSERT INTO research.patient (trust_id, person_id, birth_year, sex, district) VALUES ($1, $2, $3, $4, $5)`, [
      trust,
      person[name],
      birthYear,
      sex,
      district,
    ]);
    return person[name];
  }
  async function event(
    name: string,
    trust: string,
    kind: string,
    system: string,
    code: string,
    date: string,
    value: number | null = null,
    unit: string | null = null,
  ) {
    await rt.db.query(
      `INSERT INTO research.event (trust_id, person_id, record_id, kind, code_system, code, event_date, value_num, unit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [trust, person[name], randomUUID(), kind, system, code, date, value, unit],
    );
  }
  async function count(criteria: unknown, s: QueryScope = scope): Promise<number> {
    const r = await repo.aggregateCohort(s, parseCohortDefinition({ version: 1, criteria }), {
      byTrust: false,
      bySex: false,
      byAgeBand: false,
    });
    return r.total;
  }

  before(async () => {
    rt = await createTestRuntime();
    repo = new QueryRepository(rt.db);
    service = new QueryService(rt.db, repo);
    // The small known dataset (README of this test: expected sets are listed per test).
    await patient('p1', T1, 'female', 1970, 'LS1');
    await event('p1', T1, 'condition', SCT, 'D', '2023-01-10');
    await event('p1', T1, 'procedure', SCT, 'X', '2023-02-15'); // 36 days after D
    await event('p1', T1, 'observation', LOINC, 'HBA', '2023-01-10', 50, 'mmol/mol');
    await patient('p2', T1, 'male', 1990, 'LS2');
    await event('p2', T1, 'condition', SCT, 'D', '2023-01-10');
    await event('p2', T1, 'procedure', SCT, 'X', '2023-06-01'); // 142 days after D
    await event('p2', T1, 'observation', LOINC, 'HBA', '2023-01-10', 40, 'mmol/mol');
    await patient('p3', T2, 'female', 1950, 'LS1');
    await event('p3', T2, 'procedure', SCT, 'X', '2022-12-01'); // X 31 days before D
    await event('p3', T2, 'condition', SCT, 'D', '2023-01-01');
    await event('p3', T2, 'imaging', 'http://dicom.nema.org/resources/ontology/DCM', 'MR', '2023-03-01');
    await patient('p4', T2, 'male', 1980, null);
    await event('p4', T2, 'medication', 'https://dmd.nhs.uk', 'M', '2023-01-01');
    await patient('p5', T3, 'female', 1970, 'LS1'); // a trust outside the scope
    await event('p5', T3, 'condition', SCT, 'D', '2023-01-01');
    await event('p5', T3, 'procedure', SCT, 'X', '2023-01-11');
    await patient('p6', T1, 'female', 1975, 'LS1'); // opted out
    await event('p6', T1, 'condition', SCT, 'D', '2023-01-01');
    await event('p6', T1, 'procedure', SCT, 'X', '2023-01-06');
    await rt.db.query(
      `INSERT INTO consent.opt_out (nhs_bidx, kind, trust_id, list_version) SELECT nhs_bidx, 'ndop', $2, 1 FROM consent.person WHERE id = $1`,
      [person['p6'], T3], // listed by another trust: a national opt-out applies everywhere
    );
    await patient('p7', T1, 'female', 1965, 'LS3'); // known to two trusts
    await patient('p7', T2, 'female', 1965, 'LS3');
    await event('p7', T1, 'condition', SCT, 'D', '2023-01-01');
    await event('p7', T2, 'procedure', SCT, 'X', '2023-01-20'); // 19 days after D, at the other trust

    // A bulk trust for disclosure control: 60 persons with condition B; 53 female, 7 male;
    // district ZZ1 for 3, ZZ9 for 20; HBA value = i for each.
    await rt.db.query(
      `WITH s AS (SELECT i, md5('bulk' || i)::uuid AS id FROM generate_series(1, 60) i),
       pe AS (INSERT INTO consent.person (id, nhs_bidx) SELECT id, decode(md5('bidx' || i), 'hex') FROM s)
       INSERT INTO research.patient (trust_id, person_id, birth_year, sex, district)
       SELECT $1, id, 1940 + i, CASE WHEN i <= 53 THEN 'female' ELSE 'male' END,
              CASE WHEN i <= 3 THEN 'ZZ1' WHEN i <= 23 THEN 'ZZ9' ELSE 'ZZ5' END FROM s`,
      [TB],
    );
    await rt.db.query(
      `INSERT INTO research.event (trust_id, person_id, record_id, kind, code_system, code, event_date, value_num, unit)
       SELECT $1, md5('bulk' || i)::uuid, gen_random_uuid(), k.kind, $2, k.code, DATE '2023-01-01', CASE WHEN k.kind = 'observation' THEN i END, 'mmol/mol'
       FROM generate_series(1, 60) i CROSS JOIN (VALUES ('condition', 'B'), ('observation', 'HBA')) k(kind, code)`,
      [TB, SCT],
    );
  });
  after(async () => rt?.dispose());

  describe('compiler correctness on the known dataset (true counts)', () => {
    test('each criterion type', async () => {
      assert.equal(await count(D), 4); // p1 p2 p3 p7 (p5 other trust, p6 opted out)
      assert.equal(await count({ type: 'age', min: 40, max: 60 }), 3); // p1 (54) p4 (44) p7 (59)
      assert.equal(await count({ type: 'sex', anyOf: ['female'] }), 3); // p1 p3 p7
      assert.equal(await count({ type: 'district', anyOf: ['LS1'] }), 2); // p1 p3
      assert.equal(await count({ type: 'observation', codes: [{ system: LOINC, code: 'HBA' }], value: { min: 48 } }), 1); // p1
      assert.equal(await count({ type: 'observation', codes: [{ system: LOINC, code: 'HBA' }], value: { max: 48, unit: 'mmol/mol' } }), 1); // p2
      assert.equal(await count({ type: 'medication', codes: [{ system: 'https://dmd.nhs.uk', code: 'M' }] }), 1); // p4
      assert.equal(await count({ type: 'imaging', modalities: ['MR', 'CT'] }), 1); // p3
      assert.equal(await count({ ...D, from: '2023-01-05', to: '2023-12-31' }), 2); // p1 p2
      assert.equal(await count({ type: 'condition', codes: [{ system: 'http://other', code: 'D' }] }), 0); // system matters
    });

    test('and / or / not', async () => {
      assert.equal(await count({ type: 'not', criterion: D }), 1); // p4
      assert.equal(
        await count({
          type: 'or',
          of: [
            { type: 'sex', anyOf: ['male'] },
            { type: 'imaging', modalities: ['MR'] },
          ],
        }),
        3,
      ); // p2 p3 p4
      assert.equal(
        await count({
          type: 'and',
          of: [
            { type: 'sex', anyOf: ['female'] },
            { type: 'not', criterion: { type: 'age', min: 40, max: 60 } },
          ],
        }),
        1,
      ); // p3
      assert.equal(await count({ type: 'and', of: [D, { type: 'sex', anyOf: ['female'] }, { type: 'age', min: 50 }] }), 3); // p1 p3 p7
      assert.equal(
        await count({
          type: 'or',
          of: [
            { type: 'district', anyOf: ['LS2'] },
            { type: 'and', of: [X, { type: 'age', max: 60 }] },
          ],
        }),
        3,
      ); // p2, p1 p7
    });

    test('temporal: B within N days after A, across the person’s trusts', async () => {
      const dThenX = { type: 'temporal', first: D, then: X, withinDays: 90 };
      assert.equal(await count(dThenX), 2); // p1 (36 d), p7 (19 d, events at two trusts)
      assert.equal(await count({ ...dThenX, withinDays: 200 }), 3); // + p2 (142 d)
      assert.equal(await count({ ...dThenX, minDays: 20, withinDays: 90 }), 1); // p1 only
      assert.equal(await count({ type: 'temporal', first: X, then: D, withinDays: 90 }), 1); // p3
      assert.equal(await count({ type: 'and', of: [D, { type: 'not', criterion: dThenX }] }), 2); // p2 p3
    });

    test('other trusts and opted-out persons are never counted; a trust breakdown counts each trust’s records', async () => {
      assert.equal(await count(D, { trustIds: [T3], asOf }), 1); // p5 is visible only with T3 in scope
      assert.equal(await count(D, { trustIds: [T1, T2, T3], asOf }), 5); // p6 never
      const r = await repo.aggregateCohort(scope, parseCohortDefinition({ version: 1, criteria: D }), {
        byTrust: true,
        bySex: true,
        byAgeBand: true,
      });
      assert.deepEqual(r.byTrust, [
        { key: T1, n: 3 }, // p1 p2 p7
        { key: T2, n: 2 }, // p3 p7
      ]);
      assert.deepEqual(
        r.bySex?.map((c) => c.n),
        [3, 1, 0, 0],
      ); // female, male, other, unknown
      assert.equal(r.byAgeBand?.find((c) => c.key === '50-59')?.n, 2); // p1 54, p7 59
    });

    test('study consent: only permits in force for the project with no later deny', async () => {
      const sc = async (name: string, decision: string, scopeText: string | null, start: string | null, end: string | null) =>
        rt.db.query(
          `INSERT INTO consent.study_consent (trust_id, person_id, source_id, decision, scope, period_start, period_end, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active')`,
          [T1, person[name], randomUUID(), decision, scopeText, start, end],
        );
      await sc('p1', 'permit', PROJECT, '2023-01-01', null); // in
      await sc('p2', 'permit', null, '2022-01-01', null); // any research use …
      await sc('p2', 'deny', PROJECT, '2023-01-01', null); // … then denied for this project: out
      await sc('p3', 'permit', PROJECT, '2020-01-01', '2023-12-31'); // expired: out
      await sc('p7', 'deny', PROJECT, '2022-01-01', null); // an earlier deny …
      await sc('p7', 'permit', PROJECT, '2023-01-01', null); // … superseded by a later permit: in
      await sc('p4', 'permit', '20000000-0000-4000-8000-000000000999', null, null); // another project: out
      const consented: QueryScope = { ...scope, projectId: PROJECT, requireStudyConsent: true };
      assert.equal(await count(D, consented), 2); // p1 p7
      assert.equal(await count({ type: 'not', criterion: D }, consented), 0);
      assert.equal(await count(D, { ...scope, projectId: PROJECT }), 4); // consent not required
    });

    test('injected SQL in codes is inert: no match, no error, tables intact', async () => {
      const before = await rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM research.patient`);
      const evil = "D'); DELETE FROM research.patient; --";
      assert.equal(await count({ type: 'condition', codes: [{ system: SCT, code: evil }] }), 0);
      assert.equal(await count({ type: 'district', anyOf: ['LS1'] }), 2);
      await expectError(
        service.feasibility(scope, { version: 1, criteria: { type: 'district', anyOf: ["LS1' OR '1'='1"] } }, { partnerId: partner() }),
        'invalid_cohort',
      );
      await expectError(
        service.feasibility(scope, { version: 1, criteria: { type: "condition' OR 1=1 --" } }, { partnerId: partner() }),
        'invalid_cohort',
      );
      const afterRows = await rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM research.patient`);
      assert.deepEqual(afterRows, before);
    });
  });

  describe('the service: disclosure control, differencing, rate limits, privacy budget', () => {
    const B = { type: 'condition', codes: [{ system: SCT, code: 'B' }] };

    test('feasibility: suppression of small counts, rounding of others, audit fields', async () => {
      const small = await service.feasibility(scope, { version: 1, criteria: D }, { partnerId: partner() });
      assert.deepEqual(small.count, { value: null, suppressed: true, rounded: false });
      assert.match(small.cohortHash, /^[0-9a-f]{64}$/);
      assert.deepEqual(small.actions, [{ rule: 'suppression', target: 'total', cells: ['total'] }]);
      const zero = await service.feasibility(
        scope,
        { version: 1, criteria: { type: 'imaging', modalities: ['PT'] } },
        { partnerId: partner() },
      );
      assert.deepEqual(zero.count, { value: 0, suppressed: false, rounded: false });
      const big = await service.feasibility(bulk, { version: 1, criteria: B }, { partnerId: partner() });
      assert.deepEqual(big.count, { value: 60, suppressed: false, rounded: true });
      const odd = await service.feasibility(
        bulk,
        { version: 1, criteria: { type: 'and', of: [B, { type: 'sex', anyOf: ['female'] }] } },
        { partnerId: partner() },
      );
      assert.equal(odd.count.value, 55); // 53 → 55
      const [release] = await rt.db.query<{ person_count: number; cohort_hash: string }>(
        `SELECT person_count, cohort_hash FROM query.release WHERE id = $1`,
        [big.releaseId],
      );
      assert.equal(release?.person_count, 60);
      assert.equal(release?.cohort_hash, big.cohortHash);
    });

    test('aggregate: secondary suppression in a breakdown, statistics withheld below 10', async () => {
      const r = await service.aggregate(
        bulk,
        { version: 1, criteria: B },
        {
          partnerId: partner(),
          breakdowns: ['sex', 'trust', 'ageBand'],
          statistic: { observationCode: 'HBA', codeSystem: SCT },
        },
      );
      assert.equal(r.total.value, 60);
      const sex = r.breakdowns.find((b) => b.dimension === 'sex');
      // male 7 is suppressed; female 53 must go too, or 60 − 53 would give it away.
      assert.deepEqual(
        sex?.cells.map((c) => [c.key, c.value, c.suppressed]),
        [
          ['female', null, true],
          ['male', null, true],
          ['other', 0, false],
          ['unknown', 0, false],
        ],
      );
      assert.deepEqual(r.breakdowns.find((b) => b.dimension === 'trust')?.cells, [
        { key: TB, value: 60, suppressed: false, rounded: true },
      ]);
      // Birth years 1941 … 2000 → 10 per band at 2024 except the edges; all cells either ≥ 10 or suppressed in pairs.
      const bands = r.breakdowns.find((b) => b.dimension === 'ageBand')?.cells ?? [];
      const hidden = bands.filter((c) => c.suppressed);
      assert.ok(hidden.length === 0 || hidden.length >= 2);
      assert.equal(r.statistic?.withheld, false);
      assert.equal(r.statistic?.mean, 30.5);
      assert.equal(r.statistic?.median, 30.5);
      assert.equal(r.statistic?.patients.value, 60);
      assert.ok(r.actions.some((a) => a.rule === 'suppression' && a.target === 'sex'));

      const few = await service.aggregate(
        scope,
        { version: 1, criteria: D },
        { partnerId: partner(), statistic: { observationCode: 'HBA', codeSystem: LOINC } },
      );
      assert.equal(few.statistic?.withheld, true);
      assert.equal(few.statistic?.withheldReason, 'too_few_patients');
      assert.equal(few.statistic?.mean, null);
    });

    test('code breakdown: listed codes get cells; unlisted rare codes are never named', async () => {
      const listed = await service.aggregate(
        bulk,
        { version: 1, criteria: { type: 'sex', anyOf: ['female', 'male'] } },
        {
          partnerId: partner(),
          breakdowns: ['code'],
          codeBreakdown: { kind: 'condition', system: SCT, codes: ['B', 'NOPE'] },
        },
      );
      assert.deepEqual(
        listed.breakdowns[0]?.cells.map((c) => [c.key, c.value]),
        [
          [`${SCT}|B`, 60],
          [`${SCT}|NOPE`, 0],
        ],
      );
      const top = await service.aggregate(
        scope,
        { version: 1, criteria: { type: 'sex', anyOf: ['female', 'male'] } },
        {
          partnerId: partner(),
          breakdowns: ['code'],
          codeBreakdown: { kind: 'condition' },
        },
      );
      assert.deepEqual(top.breakdowns[0]?.cells, []); // only 4 persons have D: not named
      assert.ok(top.actions.some((a) => a.rule === 'rare_categories_omitted'));
    });

    test('differencing: a release isolating 1–9 persons against an earlier one is refused, per partner', async () => {
      const p = partner();
      await service.feasibility(bulk, { version: 1, criteria: B }, { partnerId: p });
      // Same cohort minus the 3 persons of district ZZ1: 60 vs 57 would reveal them.
      const minus3 = { version: 1, criteria: { type: 'and', of: [B, { type: 'not', criterion: { type: 'district', anyOf: ['ZZ1'] } }] } };
      await expectError(service.feasibility(bulk, minus3, { partnerId: p }), 'disclosure_refused');
      await expectError(service.aggregate(bulk, minus3, { partnerId: p, breakdowns: ['sex'] }), 'disclosure_refused');
      // Minus 20 persons is fine; and the same query as before is fine.
      await service.feasibility(
        bulk,
        { version: 1, criteria: { type: 'and', of: [B, { type: 'not', criterion: { type: 'district', anyOf: ['ZZ9'] } }] } },
        { partnerId: p },
      );
      await service.feasibility(bulk, { version: 1, criteria: B }, { partnerId: p });
      // Another partner never saw the first release.
      const other = await service.feasibility(bulk, minus3, { partnerId: partner() });
      assert.equal(other.count.value, 55);
      // The refused queries left no release behind.
      const [n] = await rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM query.release WHERE partner_id = $1`, [p]);
      assert.equal(Number(n?.n), 3);
    });

    test('repeated near-identical queries are rate-limited across service instances (DB-backed)', async () => {
      const p = partner();
      const other = QueryService.create(rt.db); // as if another API process
      const q = (min: number) => ({ version: 1, criteria: { type: 'and', of: [B, { type: 'age', min }] } });
      const opts = { partnerId: p, sdc: { rateLimitMax: 3 } };
      await service.feasibility(bulk, q(20), opts);
      await other.feasibility(bulk, q(21), opts);
      await service.feasibility(bulk, q(22), { ...opts, sdc: [{ rateLimitMax: 5 }, { rateLimitMax: 3 }] });
      const e = await expectError(other.feasibility(bulk, q(23), opts), 'rate_limited');
      assert.ok(typeof e.details?.['retryAfter'] === 'string');
      // A different shape is not affected (60 − 20 persons: no differencing risk either).
      await service.feasibility(
        bulk,
        { version: 1, criteria: { type: 'and', of: [B, { type: 'not', criterion: { type: 'district', anyOf: ['ZZ9'] } }] } },
        opts,
      );
    });

    test('privacy budget: noisy counts, charges reported, exhaustion refused, never reset by rephrasing', async () => {
      const project = randomUUID();
      const dp: QueryScope = { ...bulk, projectId: project };
      await expectError(
        service.feasibility(dp, { version: 1, criteria: B }, { partnerId: partner(), privacy: { epsilon: 0.5 } }),
        'privacy_budget_exhausted',
      );
      await service.setPrivacyBudget(project, 1);
      const p = partner();
      const a = await service.aggregate(
        dp,
        { version: 1, criteria: B },
        { partnerId: p, breakdowns: ['sex'], statistic: { observationCode: 'HBA', codeSystem: SCT }, privacy: { epsilon: 0.4 } },
      );
      assert.deepEqual(a.privacy, {
        projectId: project,
        epsilonCharged: 0.4,
        epsilonSpent: 0.4,
        epsilonTotal: 1,
        mechanism: 'discrete_laplace',
      });
      assert.ok(a.actions.some((x) => x.rule === 'noise_added' && x.target === 'total'));
      assert.equal(a.statistic?.withheldReason, 'privacy_mode');
      assert.ok(a.total.value === null || a.total.value % 5 === 0);
      // The same question rephrased is charged again.
      const b = await service.feasibility(
        dp,
        { version: 1, criteria: { type: 'or', of: [B, B] } },
        { partnerId: p, privacy: { epsilon: 0.4 } },
      );
      assert.equal(b.privacy?.epsilonSpent, 0.8);
      const e = await expectError(
        service.feasibility(dp, { version: 1, criteria: B }, { partnerId: p, privacy: { epsilon: 0.4 } }),
        'privacy_budget_exhausted',
      );
      assert.equal(e.details?.['epsilonRemaining'], 0.2);
      // Raising the total keeps what was spent.
      const view = await service.setPrivacyBudget(project, 2);
      assert.equal(view.epsilonSpent, 0.8);
      const [charges] = await rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM query.privacy_charge WHERE project_id = $1`, [project]);
      assert.equal(Number(charges?.n), 2);
    });

    test('privacy budget: concurrent queries cannot overspend', async () => {
      const project = randomUUID();
      await service.setPrivacyBudget(project, 1);
      const dp: QueryScope = { ...bulk, projectId: project };
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () =>
          rt.db.run(() => service.feasibility(dp, { version: 1, criteria: B }, { partnerId: partner(), privacy: { epsilon: 0.3 } })),
        ),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as DomainError).code, 'privacy_budget_exhausted');
      const budget = await service.getPrivacyBudget(project);
      assert.equal(budget?.epsilonSpent, 0.9);
    });

    test('scope and options are validated', async () => {
      await expectError(
        service.feasibility({ trustIds: [], asOf }, { version: 1, criteria: B }, { partnerId: partner() }),
        'invalid_request',
      );
      await expectError(
        service.feasibility({ trustIds: ["x' OR 1=1"], asOf }, { version: 1, criteria: B }, { partnerId: partner() }),
        'invalid_request',
      );
      await expectError(
        service.feasibility({ ...bulk, requireStudyConsent: true }, { version: 1, criteria: B }, { partnerId: partner() }),
        'invalid_request',
      );
      await expectError(
        service.aggregate(bulk, { version: 1, criteria: B }, { partnerId: partner(), breakdowns: ['code'] }),
        'invalid_request',
      );
      await expectError(
        service.feasibility(bulk, { version: 1, criteria: B }, { partnerId: partner(), sdc: { threshold: -1 } }),
        'invalid_request',
      );
    });
  });
});
