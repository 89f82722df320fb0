/**
 * Cohort query benchmark: a typical feasibility query through QueryService vs the same query
 * written by hand in SQL, on a generated research store.
 *
 *   node --import @swc-node/register/esm-register bench/query.bench.ts [--patients N] [--runs R] [--keep] [--explain]
 *
 * Defaults: 3 000 000 patients (5 trusts, ~3 % opted out) and 10 events per patient (30 million),
 * generated with SQL (generate_series) into a scratch database on DATABASE_URL's server, or else
 * on an embedded PostgreSQL of its own under .bench-data/pg (not the tests' .test-data/pg: a
 * second embedded start on the same folder stops the running server, which would kill a test run
 * or this benchmark). `--keep` keeps the database (`bench_query_<N>`) and reuses it next time;
 * `--explain` prints both plans.
 *
 * The query: condition C0 followed by procedure P0 (the most frequent codes) within 90 days, age 40–75, counts by trust.
 */
import { performance } from 'node:perf_hooks';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { resolve } from 'node:path';
import { Db, ensureDatabase, startEmbeddedPostgres } from '@harbour/persistence';
import { createHarbourDataSource, runMigrations } from '@harbour/schema';
import { createScratchDatabase, freePort, testServer, TEST_ADMIN_URL_ENV } from '@harbour/testing';
import { QueryService, type QueryScope } from '@harbour/query';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@harbour/config';
import { bootRuntime } from '@harbour/runtime';
import { createApiApp } from '../apps/api/src/bootstrap.js';
import type { TestApi } from '../test/support/api.js';
import { http, services, SYSTEM, TEST_PASSWORD, tokenFor } from '../test/support/identity.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const PATIENTS = Number(arg('--patients') ?? 3_000_000);
const EVENTS = PATIENTS * 10;
const RUNS = Number(arg('--runs') ?? 25);
const KEEP = args.includes('--keep');
const EXPLAIN = args.includes('--explain');
const HTTP = !args.includes('--no-http');
// The rate limit allows 20 similar queries per partner per hour; stay under it.
const RUNS_HTTP = Math.min(RUNS, 15);

/**
 * Boot the real API on the bench database, make the five research trusts real trusts with a
 * guardian each, have a partner apply and every guardian approve over HTTP, then time the query.
 */
async function httpLatencies(url: string, runs: number): Promise<{ times: number[]; total: number | null }> {
  const config = loadConfig({
    DATABASE_URL: url,
    HARBOUR_MASTER_KEY: Buffer.alloc(32, 8).toString('base64'),
    LOG_LEVEL: 'silent',
    PORT: '0',
    HARBOUR_DATA_DIR: resolve('.bench-data', 'query-http'),
  });
  const rt = await bootRuntime({ config, role: 'bench', queue: false });
  const app = await createApiApp(rt);
  await app.listen(0, '127.0.0.1');
  const api = { rt, app, baseUrl: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` } as unknown as TestApi;
  try {
    const svc = services(api);
    const tag = randomUUID().slice(0, 6);
    for (const [i, id] of TRUSTS.entries()) {
      await rt.db.query(`INSERT INTO identity.trust (id, ods_code, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, [
        id,
        `QB${i}`,
        `Bench trust ${i}`,
      ]);
    }
    const partner = await svc.organisations.createPartner(SYSTEM, { name: `Bench partner ${tag}` });
    await svc.userAdmin.create(SYSTEM, {
      username: `bench-partner-${tag}`,
      password: TEST_PASSWORD,
      roles: [{ role: 'partner', partnerId: partner.id }],
    });
    const partnerToken = await tokenFor(api, `bench-partner-${tag}`);
    const created = await http<{ request: { id: string } }>(api, 'POST', '/access-requests', {
      token: partnerToken,
      body: {
        title: 'Benchmark study',
        purpose: 'Measure feasibility query latency end to end',
        laySummary: 'A benchmark of the query path over synthetic data',
        legalBasisArt6: '6(1)(e)',
        legalBasisArt9: '9(2)(j)',
        commercialUse: false,
        duoCodes: ['DUO:0000007'],
        trustIds: TRUSTS,
        requestedData: { ehrResourceTypes: ['Patient', 'Condition', 'Procedure'], imagingModalities: [] },
        deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: [] },
        requestedDurationDays: 30,
      },
    });
    const projectId = created.body.request.id;
    await http(api, 'POST', `/access-requests/${projectId}/submit`, { token: partnerToken });
    for (const [i, trustId] of TRUSTS.entries()) {
      const username = `bench-guardian-${i}-${tag}`;
      await svc.userAdmin.create(SYSTEM, { username, password: TEST_PASSWORD, roles: [{ role: 'guardian', trustId }] });
      const d = await http(api, 'POST', `/access-requests/${projectId}/decisions`, {
        token: await tokenFor(api, username),
        body: { decision: 'approve', reason: 'benchmark', endDate: new Date(Date.now() + 7 * 86_400_000).toISOString() },
      });
      if (d.status !== 201) throw new Error(`approval failed: ${d.status}`);
    }
    const call = async (): Promise<number | null> => {
      const res = await http<{ total: { value: number | null } }>(api, 'POST', `/projects/${projectId}/queries/aggregate`, {
        token: partnerToken,
        body: { cohort: COHORT, breakdowns: ['trust'] },
      });
      if (res.status !== 200) throw new Error(`query failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.total.value;
    };
    await call();
    const times: number[] = [];
    let total: number | null = null;
    for (let i = 0; i < runs - 1; i++) {
      const s = performance.now();
      total = await call();
      times.push(performance.now() - s);
    }
    return { times, total };
  } finally {
    await app.close();
    await rt.close();
  }
}
if (!Number.isInteger(PATIENTS) || PATIENTS < 1000) throw new Error('--patients must be an integer ≥ 1000');

const SCT = 'http://snomed.info/sct';
const TRUSTS = [1, 2, 3, 4, 5].map((i) => `30000000-0000-4000-8000-00000000000${i}`);
const INDEX_YEAR = 2024;
const log = (s: string): void => void process.stdout.write(`${s}\n`);
const uuidOf = (col: string): string => `('00000000-0000-4000-8000-' || lpad(to_hex(${col}), 12, '0'))::uuid`;
const trustOf = (col: string): string => `(ARRAY['${TRUSTS.join("','")}']::uuid[])[1 + ${col} % 5]`;

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  const r = await fn();
  log(`  ${label}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  return r;
}

async function generate(c: pg.Client): Promise<void> {
  log(`generating ${PATIENTS.toLocaleString()} patients and ${EVENTS.toLocaleString()} events …`);
  await c.query(`SET maintenance_work_mem = '1GB'`);
  await c.query(`SELECT setseed(0.42)`);
  await timed('persons and patients', async () => {
    await c.query(
      `INSERT INTO consent.person (id, nhs_bidx) SELECT ${uuidOf('i')}, decode(md5(i::text), 'hex') FROM generate_series(1, $1::int) i`,
      [PATIENTS],
    );
    await c.query(
      `INSERT INTO research.patient (trust_id, person_id, birth_year, sex, district, deceased)
       SELECT ${trustOf('i')}, ${uuidOf('i')}, 1920 + floor(random() * 100)::int,
              CASE WHEN r < 0.49 THEN 'male' WHEN r < 0.98 THEN 'female' WHEN r < 0.99 THEN 'other' ELSE 'unknown' END,
              'LS' || (1 + floor(random() * 20)::int), false
       FROM (SELECT i, random() AS r FROM generate_series(1, $1::int) i) s`,
      [PATIENTS],
    );
    await c.query(
      `INSERT INTO consent.opt_out (nhs_bidx, kind, trust_id, list_version) SELECT decode(md5(i::text), 'hex'), 'ndop', $2::uuid, 1 FROM generate_series(1, $1::int) i WHERE i % 33 = 0`,
      [PATIENTS, TRUSTS[0]],
    );
  });
  // Bulk load without the secondary indexes, then build them once (much faster than maintaining them row by row).
  const { rows: indexes } = await c.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'research' AND tablename = 'event' AND indexname NOT LIKE 'PK_%'`,
  );
  for (const ix of indexes) await c.query(`DROP INDEX research."${ix.indexname}"`);
  const chunk = 5_000_000;
  for (let done = 0; done < EVENTS; done += chunk) {
    const n = Math.min(chunk, EVENTS - done);
    await timed(`events ${(done + n).toLocaleString()}`, () =>
      c.query(
        // Kinds: condition 20 %, observation 40 %, medication 20 %, procedure 10 %, encounter 8 %, imaging 2 %;
        // 100 codes per kind with a skewed frequency (code k has probability √((k+1)/100) − √(k/100)).
        `INSERT INTO research.event (trust_id, person_id, record_id, kind, code_system, code, event_date, value_num, unit)
         SELECT ${trustOf('p')}, ${uuidOf('p')}, gen_random_uuid(), kind,
                CASE kind WHEN 'imaging' THEN 'http://dicom.nema.org/resources/ontology/DCM' ELSE '${SCT}' END,
                CASE kind WHEN 'imaging' THEN (ARRAY['CT','MR','US','DX','CR','MG'])[1 + floor(random() * 6)::int]
                          ELSE upper(left(kind, 1)) || floor(100 * random() ^ 2)::int END,
                DATE '2021-01-01' + floor(random() * 1095)::int,
                CASE WHEN kind = 'observation' THEN round((random() * 100)::numeric, 1)::float8 END,
                CASE WHEN kind = 'observation' THEN 'mmol/mol' END
         FROM (SELECT 1 + floor(random() * $1::int)::int AS p,
                      CASE WHEN r < 0.2 THEN 'condition' WHEN r < 0.6 THEN 'observation' WHEN r < 0.8 THEN 'medication'
                           WHEN r < 0.9 THEN 'procedure' WHEN r < 0.98 THEN 'encounter' ELSE 'imaging' END AS kind
               FROM (SELECT random() AS r FROM generate_series(1, $2::int)) g) s`,
        [PATIENTS, n],
      ),
    );
  }
  for (const ix of indexes) await timed(`index ${ix.indexname}`, () => c.query(ix.indexdef));
  await timed('vacuum analyze', async () => {
    await c.query(`VACUUM ANALYZE research.event`);
    await c.query(`VACUUM ANALYZE research.patient`);
    await c.query(`VACUUM ANALYZE consent.person`);
    await c.query(`VACUUM ANALYZE consent.opt_out`);
  });
  await c.query(`CREATE TABLE public.bench_meta (patients int, events bigint)`);
  await c.query(`INSERT INTO public.bench_meta VALUES ($1, $2)`, [PATIENTS, EVENTS]);
}

/** The same query by hand: what an analyst with database access would write. */
const RAW_SQL = `
SELECT p.trust_id, count(*)::int AS n
FROM research.patient p
WHERE p.trust_id = ANY($1::uuid[])
  AND p.birth_year BETWEEN $2::int AND $3::int
  AND p.person_id IN (
    SELECT a.person_id FROM research.event a JOIN research.event b ON b.person_id = a.person_id
    WHERE a.trust_id = ANY($1::uuid[]) AND a.kind = 'condition' AND a.code_system = $4 AND a.code = 'C0'
      AND b.trust_id = ANY($1::uuid[]) AND b.kind = 'procedure' AND b.code_system = $4 AND b.code = 'P0'
      AND b.event_date BETWEEN a.event_date AND a.event_date + 90)
  AND NOT EXISTS (SELECT 1 FROM consent.person cp JOIN consent.opt_out o ON o.nhs_bidx = cp.nhs_bidx WHERE cp.id = p.person_id)
GROUP BY p.trust_id`;
const RAW_PARAMS = [TRUSTS, INDEX_YEAR - 75, INDEX_YEAR - 40, SCT];

const COHORT = {
  version: 1,
  indexDate: `${INDEX_YEAR}-01-01`,
  criteria: {
    type: 'and',
    of: [
      {
        type: 'temporal',
        first: { type: 'condition', codes: [{ system: SCT, code: 'C0' }] },
        then: { type: 'procedure', codes: [{ system: SCT, code: 'P0' }] },
        withinDays: 90,
      },
      { type: 'age', min: 40, max: 75 },
    ],
  },
};

/** Db that remembers the last statement, for --explain. */
class RecordingDb extends Db {
  last: { sql: string; params: readonly unknown[] } | undefined;
  override async query<R = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    if (sql.startsWith('WITH cohort')) this.last = { sql, params };
    return super.query<R>(sql, params);
  }
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
};

const server =
  process.env['DATABASE_URL'] || process.env[TEST_ADMIN_URL_ENV]
    ? await testServer(process.env)
    : await (async () => {
        const embedded = await startEmbeddedPostgres({ baseDir: resolve('.bench-data', 'pg'), port: await freePort() });
        return { adminUrl: embedded.adminUrl, embedded };
      })();
let url: string;
let drop: (() => Promise<void>) | undefined;
if (KEEP) {
  const name = `bench_query_${PATIENTS}`;
  await ensureDatabase(server.adminUrl, name);
  const u = new URL(server.adminUrl);
  u.pathname = `/${name}`;
  url = u.toString();
} else {
  const db = await createScratchDatabase(server.adminUrl, 'bench');
  url = db.url;
  drop = () => db.drop();
}
const ds = createHarbourDataSource(url, { poolSize: 4, applicationName: 'harbour-bench' });
const client = new pg.Client({ connectionString: url });
try {
  await ds.initialize();
  await runMigrations(ds);
  await client.connect();
  const { rows: meta } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public' AND tablename = 'bench_meta'`,
  );
  if (meta[0]?.n) log(`reusing the generated database (${PATIENTS.toLocaleString()} patients)`);
  else await timed('generation total', () => generate(client));

  const db = new RecordingDb(ds);
  const service = QueryService.create(db);
  const scope: QueryScope = { trustIds: TRUSTS, asOf: new Date(`${INDEX_YEAR}-01-01T00:00:00Z`) };
  const viaService = async (): Promise<number> => {
    // A new partner each run: the rate limit (20 similar queries per hour per partner) is not what is measured.
    const r = await db.run(() => service.aggregate(scope, COHORT, { partnerId: randomUUID(), breakdowns: ['trust'] }));
    return r.total.value ?? -1;
  };
  const viaSql = async (): Promise<number> => {
    const { rows } = await client.query<{ n: number }>(RAW_SQL, RAW_PARAMS);
    return rows.reduce((s, r) => s + r.n, 0);
  };
  // Warm up both (caches, plans), then alternate so both see the same conditions.
  for (let i = 0; i < 3; i++) {
    await viaService();
    await viaSql();
  }
  const t = { service: [] as number[], sql: [] as number[] };
  let cohort = { service: 0, sql: 0 };
  for (let i = 0; i < RUNS; i++) {
    let s = performance.now();
    cohort.service = await viaService();
    t.service.push(performance.now() - s);
    s = performance.now();
    cohort.sql = await viaSql();
    t.sql.push(performance.now() - s);
  }
  const med = { service: pct(t.service, 50), sql: pct(t.sql, 50) };
  log('');
  log(`patients ${PATIENTS.toLocaleString()}, events ${EVENTS.toLocaleString()}, runs ${RUNS}`);
  log(`cohort size: service (rounded) ${cohort.service}, raw SQL (sum over trusts) ${cohort.sql}`);
  log(`| path | median ms | p95 ms |`);
  log(`| --- | --- | --- |`);
  log(
    `| QueryService.aggregate (by trust, SDC, differencing, release record) | ${med.service.toFixed(1)} | ${pct(t.service, 95).toFixed(1)} |`,
  );
  log(`| raw SQL (same cohort, by trust) | ${med.sql.toFixed(1)} | ${pct(t.sql, 95).toFixed(1)} |`);
  log(
    `ratio service/raw (median): ${(med.service / med.sql).toFixed(2)} (target < 1.5; median service < 1000 ms: ${med.service < 1000 ? 'yes' : 'NO'})`,
  );
  if (HTTP) {
    // The same query through the HTTP API: bearer token, permission guard, project scope
    // (re-read per call), consent filter, SDC, release record and audit entry in one transaction.
    const viaHttp = await httpLatencies(url, RUNS_HTTP);
    const h = { median: pct(viaHttp.times, 50), p95: pct(viaHttp.times, 95) };
    log(
      `| HTTP API POST /projects/:id/queries/aggregate (auth, scope, consent, SDC, audit) | ${h.median.toFixed(1)} | ${h.p95.toFixed(1)} |`,
    );
    log(
      `ratio HTTP/raw (median): ${(h.median / med.sql).toFixed(2)} (target < 1.5; median < 1000 ms: ${h.median < 1000 ? 'yes' : 'NO'}); HTTP total ${viaHttp.total}`,
    );
  }
  cohort = { service: 0, sql: 0 };
  if (EXPLAIN) {
    const explain = async (label: string, sql: string, params: readonly unknown[]): Promise<void> => {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params as unknown[]);
      log(`\n${label}:\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    };
    if (db.last) await explain('service plan', db.last.sql, db.last.params);
    await explain('raw plan', RAW_SQL, RAW_PARAMS);
  }
} finally {
  await client.end().catch(() => undefined);
  if (ds.isInitialized) await ds.destroy();
  await drop?.();
  await server.embedded?.stop();
}
