import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  chainHash,
  hashedBody,
  readAuditExport,
  verifyAuditTrail,
  writeAuditExport,
  SYSTEM_ACTOR,
  type AuditRecord,
  type TrailVerification,
} from '@harbour/audit';
import { findProjectRoot } from '@harbour/config';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, type World } from '../support/identity.js';

const root = findProjectRoot();

function run(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => ok({ code: code ?? 1, stdout, stderr }));
  });
}

describe('audit trail: hash chain, checkpoints, tamper evidence', () => {
  let api: TestApi;
  let w: World;
  before(async () => {
    api = await startTestApi();
    w = await createWorld(api);
  });
  after(async () => api?.close());

  const appendSome = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++)
      await w.svc.audit.append({ action: 'partner.created', actor: SYSTEM_ACTOR, target: { type: 'partner', id: `p-${i}` }, payload: {} });
  };

  /** Tamper inside a transaction (triggers bypassed), verify through the same transaction, then roll back. */
  async function verifyTampered(
    tamper: (q: (sql: string, p?: unknown[]) => Promise<unknown>) => Promise<void>,
  ): Promise<TrailVerification> {
    let result: TrailVerification | undefined;
    await api.rt.db
      .run(async () => {
        const q = (sql: string, p: unknown[] = []): Promise<unknown> => api.rt.db.query(sql, p);
        await q('SET LOCAL session_replication_role = replica');
        await tamper(q);
        result = await w.svc.auditTrail.verifyStore();
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    return result!;
  }

  test('an entry commits with the change it records, and rolls back with it (no gap)', async () => {
    const head = async (): Promise<number> => Number((await api.rt.db.query<{ seq: string }>('SELECT seq FROM audit.chain_head'))[0]!.seq);
    await w.svc.audit.seal();
    const before = await head();
    await api.rt.db
      .run(async () => {
        await w.svc.audit.append({ action: 'partner.created', actor: SYSTEM_ACTOR, payload: {} });
        throw new Error('use case failed');
      })
      .catch(() => undefined);
    await w.svc.audit.seal();
    assert.equal(await head(), before, 'rolled back with the use case');
    const appended = await api.rt.db.run(() => w.svc.audit.append({ action: 'partner.created', actor: SYSTEM_ACTOR, payload: {} }));
    await w.svc.audit.seal();
    const rec = (await w.svc.auditTrail.search({ limit: 1 })).entries[0]!;
    assert.equal(rec.id, appended.id, 'the append id survives sealing');
    assert.equal(rec.seq, before + 1, 'gap-free');
    assert.equal(rec.hash, chainHash(rec.prevHash, hashedBody(rec)));
  });

  test('committed entries are sealed into the chain without anyone asking', async () => {
    const appended = await api.rt.db.run(() => w.svc.audit.append({ action: 'partner.created', actor: SYSTEM_ACTOR, payload: {} }));
    const sealed = async (): Promise<boolean> =>
      (await api.rt.db.query('SELECT 1 FROM audit.entry WHERE id = $1', [appended.id])).length === 1;
    // The seal starts when the transaction commits; poll rather than time it.
    for (let i = 0; i < 200 && !(await sealed()); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(await sealed(), 'sealed after commit');
    assert.equal((await api.rt.db.query('SELECT 1 FROM audit.pending WHERE id = $1', [appended.id])).length, 0);
  });

  test('no patient identifiers or free text: payloads with them are refused', async () => {
    await assert.rejects(w.svc.audit.append({ action: 'trust.created', actor: SYSTEM_ACTOR, payload: { odsCode: '943 476 5919' } }));
    await assert.rejects(w.svc.audit.append({ action: 'trust.created', actor: SYSTEM_ACTOR, payload: { odsCode: '9434765919' } }));
    await assert.rejects(w.svc.audit.append({ action: 'trust.created', actor: SYSTEM_ACTOR, payload: { odsCode: 'Jane Smith' } }));
  });

  test('audit tables are append-only: UPDATE, DELETE and TRUNCATE are refused by a trigger', async () => {
    await appendSome(1);
    await assert.rejects(api.rt.db.query("UPDATE audit.entry SET action = 'x.y' WHERE seq = 1"), /append-only/);
    await assert.rejects(api.rt.db.query('DELETE FROM audit.entry WHERE seq = 1'), /append-only/);
    await assert.rejects(api.rt.db.query('TRUNCATE audit.entry'), /append-only/);
    await assert.rejects(api.rt.db.query('UPDATE audit.chain_head SET seq = 1'), /move forward/);
    // A pending entry cannot be edited before it is sealed (rolled back afterwards).
    await api.rt.db
      .run(async () => {
        await w.svc.audit.append({ action: 'partner.created', actor: SYSTEM_ACTOR, payload: {} });
        await assert.rejects(api.rt.db.query("UPDATE audit.pending SET action = 'x.y'"), /append-only/);
        throw new Error('rollback');
      })
      .catch((e: Error) => {
        if (e.message !== 'rollback') throw e;
      });
    await assert.rejects(api.rt.db.query('TRUNCATE audit.pending'), /append-only/);
  });

  test('checkpoints on demand (HTTP) are signed JWS; live verification passes', async () => {
    await appendSome(5);
    const cp = await http<{ checkpoint: { treeSize: number; jws: string; kid: string } }>(api, 'POST', '/audit/checkpoints', {
      token: w.tokens.auditor,
    });
    assert.equal(cp.status, 201);
    assert.ok(cp.body.checkpoint.treeSize > 5);
    const header = JSON.parse(Buffer.from(cp.body.checkpoint.jws.split('.')[0]!, 'base64url').toString()) as { alg: string; typ: string };
    assert.deepEqual([header.alg, header.typ], ['ES256', 'harbour-audit-checkpoint+jws']);
    assert.equal((await http(api, 'POST', '/audit/checkpoints', { token: w.tokens.partnerA })).status, 403);
    await appendSome(5);
    const v = await http<TrailVerification>(api, 'GET', '/audit/verify', { token: w.tokens.auditor });
    assert.equal(v.status, 200);
    assert.equal(v.body.ok, true, JSON.stringify(v.body));
    assert.ok(v.body.checkpointsChecked >= 1);
  });

  test('tampering in the database is caught and the entry named: altered, removed, reordered, inserted, rewritten', async () => {
    await appendSome(6);
    await w.svc.auditTrail.createCheckpoint();
    await appendSome(6);
    await w.svc.audit.seal();
    const head = Number((await api.rt.db.query<{ seq: string }>('SELECT seq FROM audit.chain_head'))[0]!.seq);
    const k = head - 3;

    const altered = await verifyTampered(async (q) => {
      await q(`UPDATE audit.entry SET payload = '{"odsCode":"ZZZ"}' WHERE seq = $1`, [k]);
    });
    assert.deepEqual([altered.ok, altered.failure?.kind, altered.failure?.seq], [false, 'altered', k]);

    const removed = await verifyTampered(async (q) => {
      await q('DELETE FROM audit.entry WHERE seq = $1', [k]);
    });
    assert.deepEqual([removed.failure?.kind, removed.failure?.seq], ['removed', k]);

    const swapped = await verifyTampered(async (q) => {
      await q('UPDATE audit.entry SET seq = -1 WHERE seq = $1', [k]);
      await q('UPDATE audit.entry SET seq = $1 WHERE seq = $2', [k, k + 1]);
      await q('UPDATE audit.entry SET seq = $1 WHERE seq = -1', [k + 1]);
    });
    assert.deepEqual([swapped.failure?.kind, swapped.failure?.seq], ['reordered', k]);

    const inserted = await verifyTampered(async (q) => {
      await q('UPDATE audit.entry SET seq = -seq WHERE seq > $1', [k]);
      await q('UPDATE audit.entry SET seq = -seq + 1 WHERE seq < 0');
      const prev = (await q('SELECT hash FROM audit.entry WHERE seq = $1', [k])) as { hash: string }[];
      const body = {
        seq: k + 1,
        at: new Date().toISOString(),
        action: 'trust.created',
        outcome: 'success' as const,
        actor: { type: 'system' as const, id: 'forger', role: null, orgType: 'station' as const, orgId: null },
        target: null,
        projectId: null,
        trustId: null,
        correlationId: null,
        traceId: null,
        payload: { odsCode: 'FAKE' },
      };
      await q(
        `INSERT INTO audit.entry (seq, at, action, outcome, actor_type, actor_id, actor_org_type, payload, prev_hash, hash) VALUES ($1, $2, 'trust.created', 'success', 'system', 'forger', 'station', '{"odsCode":"FAKE"}', $3, $4)`,
        [k + 1, body.at, prev[0]!.hash, chainHash(prev[0]!.hash, body)],
      );
    });
    assert.deepEqual([inserted.failure?.kind, inserted.failure?.seq], ['inserted', k + 1]);

    const truncated = await verifyTampered(async (q) => {
      await q('DELETE FROM audit.entry WHERE seq > $1', [head - 2]);
    });
    assert.deepEqual([truncated.failure?.kind, truncated.failure?.seq], ['removed', head - 1]);

    // A consistent rewrite (every later hash recomputed) is caught by the signed checkpoint.
    const early = 2;
    const rewritten = await verifyTampered(async (q) => {
      const rows = (await q(
        `SELECT seq, id, at, action, outcome, actor_type, actor_id, actor_role, actor_org_type, actor_org_id, target_type, target_id, project_id, trust_id, correlation_id, trace_id, payload, prev_hash, hash FROM audit.entry WHERE seq >= $1 ORDER BY seq`,
        [early],
      )) as Record<string, unknown>[];
      let prevHash = rows[0]!['prev_hash'] as string;
      for (const r of rows) {
        const rec: AuditRecord = {
          seq: Number(r['seq']),
          ...(r['id'] !== null ? { id: Number(r['id']) } : {}),
          at: (r['at'] as Date).toISOString(),
          action: r['action'] as string,
          outcome: r['outcome'] as AuditRecord['outcome'],
          actor: {
            type: r['actor_type'] as AuditRecord['actor']['type'],
            id: r['actor_id'] as string | null,
            role: r['actor_role'] as string | null,
            orgType: r['actor_org_type'] as AuditRecord['actor']['orgType'],
            orgId: r['actor_org_id'] as string | null,
          },
          target: r['target_type'] ? { type: r['target_type'] as string, id: r['target_id'] as string } : null,
          projectId: r['project_id'] as string | null,
          trustId: r['trust_id'] as string | null,
          correlationId: r['correlation_id'] as string | null,
          traceId: r['trace_id'] as string | null,
          payload: Number(r['seq']) === early ? { rewritten: true } : (r['payload'] as Record<string, unknown>),
          prevHash,
          hash: '',
        };
        const hash = chainHash(prevHash, hashedBody(rec));
        await q('UPDATE audit.entry SET payload = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [
          JSON.stringify(rec.payload),
          prevHash,
          hash,
          rec.seq,
        ]);
        prevHash = hash;
      }
      await q('UPDATE audit.chain_head SET hash = $1', [prevHash]);
    });
    assert.equal(rewritten.ok, false);
    assert.equal(rewritten.failure?.kind, 'altered');
    assert.match(rewritten.failure!.message, /checkpoint/);

    const intact = await w.svc.auditTrail.verifyLive(SYSTEM_ACTOR);
    assert.equal(intact.ok, true, 'all tampering was rolled back');
  });

  test('export → offline verify (CLI, no database); tampered exports fail naming the entry', async () => {
    await appendSome(3);
    const dir = mkdtempSync(join(tmpdir(), 'harbour-audit-export-'));
    try {
      // The export is what `harbour audit export` writes (same service and writer, in-process to keep
      // the suite fast); the verification below runs the real CLI, offline.
      await w.svc.auditTrail.createCheckpoint();
      writeAuditExport(dir, await w.svc.auditTrail.exportRange({ from: new Date('2000-01-01T00:00:00Z') }, SYSTEM_ACTOR));
      const bin = resolve(root, 'bin/harbour.mjs');
      const x = readAuditExport(dir);
      assert.ok(x.entries.length > 20);
      assert.ok(x.checkpoints.length >= 1);
      const fhir = readFileSync(join(dir, 'audit-events.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { resourceType: string; recorded: string; subtype: { code: string }[] });
      assert.equal(fhir.length, x.entries.length);
      assert.ok(fhir.every((e) => e.resourceType === 'AuditEvent' && e.recorded && e.subtype[0]!.code));
      const intact = await verifyAuditTrail(x);
      assert.equal(intact.ok, true, JSON.stringify(intact.failure));

      const mid = x.entries[Math.floor(x.entries.length / 2)]!;
      const i = x.entries.indexOf(mid);
      const variants: [string, AuditRecord[], string, number][] = [
        [
          'altered',
          x.entries.map((e) => (e === mid ? { ...e, action: 'trust.created' === e.action ? 'partner.created' : 'trust.created' } : e)),
          'altered',
          mid.seq,
        ],
        ['removed', x.entries.filter((e) => e !== mid), 'removed', mid.seq],
        ['reordered', [...x.entries.slice(0, i), x.entries[i + 1]!, mid, ...x.entries.slice(i + 2)], 'reordered', mid.seq],
        ['inserted', [...x.entries.slice(0, i + 1), { ...mid }, ...x.entries.slice(i + 1)], 'inserted', mid.seq],
      ];
      for (const [name, entries, kind, seq] of variants) {
        const r = await verifyAuditTrail({ ...x, entries });
        assert.deepEqual([r.ok, r.failure?.kind, r.failure?.seq], [false, kind, seq], `${name}: ${JSON.stringify(r.failure)}`);
      }
      // The CLI exits non-zero and names the entry.
      writeFileSync(join(dir, 'entries.jsonl'), variants[1]![1].map((e) => `${JSON.stringify(e)}\n`).join(''));
      // No database and no network: an unreachable DATABASE_URL changes nothing.
      const bad = await run(process.execPath, [bin, 'audit', 'verify', dir], { DATABASE_URL: 'postgres://nowhere.invalid:1/none' });
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, new RegExp(`FAILED: removed at entry ${mid.seq}`));
      // A forged checkpoint signature is caught.
      writeAuditExport(dir, { ...x, checkpoints: x.checkpoints.map((c) => ({ ...c, headHash: 'f'.repeat(64) })) });
      const forged = await verifyAuditTrail(readAuditExport(dir));
      assert.equal(forged.failure?.kind, 'bad_checkpoint');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('concurrent writer processes produce one gap-free chain with no forks', async () => {
    const before = Number((await api.rt.db.query<{ seq: string }>('SELECT seq FROM audit.chain_head'))[0]!.seq);
    const script = resolve(root, 'test/support/audit-writer.ts');
    const children = ['1', '2'].map((tag) =>
      spawn(process.execPath, ['--import', '@swc-node/register/esm-register', script, api.rt.database.url, '60', '4', tag], { cwd: root }),
    );
    const exits = children.map(
      (c) =>
        new Promise<{ code: number; stderr: string }>((ok) => {
          let stderr = '';
          c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          c.on('exit', (code) => ok({ code: code ?? 1, stderr }));
        }),
    );
    await Promise.all(children.map((c) => new Promise<void>((ok) => c.stdout.once('data', () => ok()))));
    for (const c of children) c.stdin.write('go\n');
    for (const r of await Promise.all(exits)) assert.equal(r.code, 0, r.stderr);
    await w.svc.audit.seal();
    const rows = await api.rt.db.query<{ seq: string; actor_id: string }>(
      'SELECT seq, actor_id FROM audit.entry WHERE seq > $1 ORDER BY seq',
      [before],
    );
    assert.equal(rows.length, 120);
    rows.forEach((r, i) => assert.equal(Number(r.seq), before + i + 1, 'gap-free'));
    assert.equal(new Set(rows.map((r) => r.actor_id)).size, 2, 'both processes wrote');
    const switches = rows.filter((r, i) => i > 0 && r.actor_id !== rows[i - 1]!.actor_id).length;
    assert.ok(switches > 2, `the writers interleaved (${switches} switches between processes)`);
    const v = await w.svc.auditTrail.verifyLive(SYSTEM_ACTOR);
    assert.equal(v.ok, true, JSON.stringify(v.failure));
  });

  test('auditors search the trail with filters and a cursor; others may not', async () => {
    const page1 = await http<{ entries: { seq: number; action: string }[]; nextCursor: string }>(
      api,
      'GET',
      '/audit/entries?limit=5&action=partner.created',
      { token: w.tokens.auditor },
    );
    assert.equal(page1.status, 200);
    assert.equal(page1.body.entries.length, 5);
    assert.ok(page1.body.entries.every((e) => e.action === 'partner.created'));
    const page2 = await http<{ entries: { seq: number }[] }>(
      api,
      'GET',
      `/audit/entries?limit=5&action=partner.created&cursor=${page1.body.nextCursor}`,
      { token: w.tokens.auditor },
    );
    assert.ok(page2.body.entries[0]!.seq < page1.body.entries[4]!.seq, 'older entries on the next page');
    const byTrust = await http<{ entries: { trustId: string }[] }>(api, 'GET', `/audit/entries?trust=${w.trustA}`, {
      token: w.tokens.auditor,
    });
    assert.ok(byTrust.body.entries.length >= 1 && byTrust.body.entries.every((e) => e.trustId === w.trustA));
    const byActor = await http<{ entries: { actor: { id: string } }[] }>(api, 'GET', `/audit/entries?actor=${w.users.guardianA.id}`, {
      token: w.tokens.auditor,
    });
    assert.ok(byActor.body.entries.length >= 1, 'the guardian logged in');
    const from = new Date(Date.now() - 60_000).toISOString();
    const recent = await http<{ entries: unknown[] }>(
      api,
      'GET',
      `/audit/entries?from=${encodeURIComponent(from)}&to=${encodeURIComponent(new Date(Date.now() + 1000).toISOString())}`,
      { token: w.tokens.auditor },
    );
    assert.equal(recent.status, 200);
    assert.equal((await http(api, 'GET', '/audit/entries?action=Not An Action', { token: w.tokens.auditor })).status, 400);
    for (const caller of ['operator', 'guardianA', 'partnerA', 'partnerClientA'] as const) {
      assert.equal((await http(api, 'GET', '/audit/entries', { token: w.tokens[caller] })).status, 403, caller);
    }
  });
});
