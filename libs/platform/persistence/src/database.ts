import { resolve } from 'node:path';
import pg from 'pg';
import type { HarbourConfig } from '@harbour/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';

export const HARBOUR_DATABASE = 'harbour';

export interface DatabaseServer {
  /** Connection URL of Harbour's database. */
  readonly url: string;
  readonly embedded: EmbeddedDatabase | undefined;
  close(): Promise<void>;
}

/** Create a database if it does not exist (CREATE DATABASE cannot run in a transaction or take parameters). */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error('invalid database name');
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } catch (err) {
        // Two processes racing to create it: the loser sees duplicate_database (42P04).
        if ((err as { code?: string }).code !== '42P04') throw err;
      }
    }
  } finally {
    await client.end();
  }
}

/**
 * Connect to PostgreSQL: the server in DATABASE_URL, or an embedded one under `.data/pg`
 * (the zero-configuration default).
 */
export async function openDatabaseServer(config: HarbourConfig, onLog?: (l: string) => void): Promise<DatabaseServer> {
  if (config.database.url) {
    return { url: config.database.url, embedded: undefined, close: async () => undefined };
  }
  const embedded = await startEmbeddedPostgres({
    baseDir: resolve(config.dataDir, 'pg'),
    port: config.database.embeddedPort,
    ...(onLog ? { onLog } : {}),
  });
  await ensureDatabase(embedded.adminUrl, HARBOUR_DATABASE);
  return { url: embedded.urlFor(HARBOUR_DATABASE), embedded, close: () => embedded.stop() };
}
