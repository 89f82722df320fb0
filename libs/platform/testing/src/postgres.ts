import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import pg from 'pg';
import { findProjectRoot } from '@harbour/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '@harbour/persistence';

/** Environment variable through which the test runner hands each test process the server to use. */
export const TEST_ADMIN_URL_ENV = 'HARBOUR_TEST_ADMIN_URL';

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

/** Admin URL of the database server of `DATABASE_URL`: same server, `postgres` database. */
export function adminUrlOf(databaseUrl: string): string {
  const u = new URL(databaseUrl);
  u.pathname = '/postgres';
  return u.toString();
}

/**
 * The PostgreSQL server for tests and tools: the runner's (env), else `DATABASE_URL`'s server,
 * else an embedded one under `.test-data/pg` (started here, stopped by the returned handle).
 */
export async function testServer(
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ adminUrl: string; embedded?: EmbeddedDatabase }> {
  const given = env[TEST_ADMIN_URL_ENV];
  if (given) return { adminUrl: given };
  if (env['DATABASE_URL']) return { adminUrl: adminUrlOf(env['DATABASE_URL']) };
  // One cluster per run (initdb takes about a second), so parallel runs never share or stop
  // each other's server; folders of runs that died are swept first.
  const root = resolve(findProjectRoot(), '.test-data');
  sweepDeadClusters(root);
  const baseDir = resolve(root, `pg-${process.pid}`);
  const started = await startEmbeddedPostgres({ baseDir, port: await freePort() });
  const embedded = {
    ...started,
    stop: async () => {
      await started.stop();
      rmSync(baseDir, { recursive: true, force: true });
    },
  };
  return { adminUrl: embedded.adminUrl, embedded };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Remove `.test-data/pg-<pid>` folders whose run is gone (a killed `npm test`). */
function sweepDeadClusters(root: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const m = /^pg-(\d+)$/.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    // The run was killed; its postmaster may live on as an orphan: stop it before removing files.
    const pidFile = resolve(root, name, 'data', 'postmaster.pid');
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0 && alive(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(resolve(root, name))) process.kill(pid, 'SIGKILL');
    } catch {
      /* no pid file or process already gone */
    }
    rmSync(resolve(root, name), { recursive: true, force: true });
  }
}

export interface ScratchDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database on the server, e.g. one per test file; `drop()` removes it. */
export async function createScratchDatabase(adminUrl: string, prefix = 'test'): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
