/**
 * Audit trail throughput: sustained audited writes per second with the hash chain on, from
 * several concurrent connections, against plain inserts of the same rows into the same table
 * (no chaining at all), in the same run on the same database. The chained runs include sealing:
 * the sealer chains entries in the background while the clients write, and the rate counts only
 * until every entry written in the window is sealed into `audit.entry`.
 *
 *   npm run bench audit -- [--seconds 5] [--clients 8] [--rounds 3]
 *
 * Each write is one transaction (as a use case commits one), so both sides pay a commit each.
 * Uses DATABASE_URL's server or an embedded PostgreSQL under .test-data (a scratch database).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createHarbourDataSource, runMigrations } from '@harbour/schema';
import { createScratchDatabase, testServer } from '@harbour/testing';
import { Db } from '@harbour/persistence';
import { AuditLog, AuditRepository, verifyAuditTrail } from '@harbour/audit';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 5);
const CLIENTS = arg('clients', 8);

const server = await testServer(process.env);
const scratch = await createScratchDatabase(server.adminUrl, 'bench');
const ds = createHarbourDataSource(scratch.url, { poolSize: CLIENTS + 2, applicationName: 'audit-bench' });
await ds.initialize();
await runMigrations(ds);
const db = new Db(ds);
const audit = new AuditLog(db, new AuditRepository(db));
// Plain inserts take their keys from a sequence far above the chain's range.
await db.query('CREATE SEQUENCE audit.bench_seq START 1000000000');

const actor = { type: 'client', id: randomUUID(), role: 'partner', orgType: 'partner', orgId: randomUUID() } as const;

async function measure(label: string, write: () => Promise<void>, settle?: () => Promise<void>): Promise<number> {
  // Warm up the pool and the plan cache.
  for (let i = 0; i < 50; i++) await write();
  await settle?.();
  let count = 0;
  const deadline = Date.now() + SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (Date.now() < deadline) {
        await write();
        count++;
      }
    }),
  );
  // Chained writes count only once sealed: wait for the sealer to catch up.
  await settle?.();
  const secs = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = count / secs;
  process.stdout.write(
    `${label.padEnd(34)} ${String(count).padStart(7)} writes in ${secs.toFixed(1)} s = ${rate.toFixed(0).padStart(6)} writes/s\n`,
  );
  return rate;
}

const plain = (): Promise<void> =>
  db.run(async () => {
    const at = new Date().toISOString();
    const payload = JSON.stringify({ clientId: actor.id, scopes: ['project.read'], expiresIn: 300, kid: 'bench' });
    const hash = createHash('sha256')
      .update(at + payload)
      .digest('hex');
    await db.query(
      `INSERT INTO audit.entry (seq, at, action, outcome, actor_type, actor_id, actor_role, actor_org_type, actor_org_id, target_type, target_id, project_id, trust_id, correlation_id, trace_id, payload, prev_hash, hash)
       VALUES (nextval('audit.bench_seq'), $1, 'auth.token_issued', 'success', $2, $3, $4, $5, $6, 'api_client', $3, NULL, NULL, NULL, NULL, $7, $8, $8)`,
      [at, actor.type, actor.id, actor.role, actor.orgType, actor.orgId, payload, hash],
    );
  });

const chained = (): Promise<void> =>
  db.run(async () => {
    await audit.append({
      action: 'auth.token_issued',
      actor,
      target: { type: 'api_client', id: actor.id },
      payload: { clientId: actor.id, scopes: ['project.read'], expiresIn: 300, kid: 'bench' },
    });
  });

// Appends outside a caller's transaction (refusals, failures): AuditLog batches concurrent ones
// into one insert and one commit.
const batched = async (): Promise<void> => {
  await audit.append({
    action: 'auth.token_issued',
    actor,
    target: { type: 'api_client', id: actor.id },
    payload: { clientId: actor.id, scopes: ['project.read'], expiresIn: 300, kid: 'bench' },
  });
};

const ROUNDS = arg('rounds', 3);
process.stdout.write(`audit bench: ${CLIENTS} concurrent clients, ${SECONDS} s per run, ${ROUNDS} interleaved rounds\n`);
const sealAll = (): Promise<void> => audit.seal();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
// Interleaved rounds, so drift in the machine's load (page cache, checkpoints, neighbours) hits every kind alike.
const plainRates: number[] = [];
const chainRates: number[] = [];
const batchRates: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  plainRates.push(await measure(`[${round}] plain INSERT, 1 tx per write`, plain));
  chainRates.push(await measure(`[${round}] chained, in caller tx, 1 per tx`, chained, sealAll));
  batchRates.push(await measure(`[${round}] chained, outside a tx (batched)`, batched, sealAll));
}
const base = median(plainRates);
process.stdout.write(
  `median writes/s: plain ${base.toFixed(0)}, chained in caller tx ${median(chainRates).toFixed(0)}, chained batched ${median(batchRates).toFixed(0)}\n`,
);
process.stdout.write(
  `ratio chained-in-caller-tx / plain = ${(median(chainRates) / base).toFixed(2)} (per round: ${chainRates.map((c, i) => (c / plainRates[i]!).toFixed(2)).join(', ')})\n`,
);
process.stdout.write(`ratio chained-batched      / plain = ${(median(batchRates) / base).toFixed(2)}\n`);

// The chain written under load is intact and gap-free.
const rows = await db.query<{
  seq: string;
  at: Date;
  action: string;
  outcome: string;
  actor_type: string;
  actor_id: string;
  actor_role: string;
  actor_org_type: string;
  actor_org_id: string;
  target_type: string;
  target_id: string;
  payload: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}>('SELECT * FROM audit.entry WHERE seq < 1000000000 ORDER BY seq');
const [{ pending } = { pending: -1 }] = await db.query<{ pending: number }>('SELECT count(*)::int AS pending FROM audit.pending');
process.stdout.write(`unsealed entries left: ${pending}\n`);
const { recordOf } = await import('@harbour/audit');
const v = await verifyAuditTrail({
  entries: rows.map((r) => recordOf(r as Parameters<typeof recordOf>[0])),
  checkpoints: [],
  jwks: { keys: [] },
});
process.stdout.write(
  `chain check: ${v.ok ? 'OK' : `FAILED ${JSON.stringify(v.failure)}`}, ${v.entriesChecked} entries, seq ${v.firstSeq} to ${v.lastSeq}\n`,
);

await ds.destroy();
await scratch.drop();
await server.embedded?.stop();
