import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
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
  const embedded = await startEmbeddedPostgres({ baseDir: resolve(findProjectRoot(), '.test-data', 'pg'), port: await freePort() });
  return { adminUrl: embedded.adminUrl, embedded };
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
