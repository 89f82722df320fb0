import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type HarbourConfig } from '@harbour/config';
import { bootRuntime, type Runtime } from '@harbour/runtime';
import { createScratchDatabase, testServer, type ScratchDatabase } from './postgres.js';

export interface TestRuntime extends Runtime {
  readonly database: ScratchDatabase;
  readonly dataDir: string;
  /** Close the runtime, drop the database and remove the data folder. */
  dispose(): Promise<void>;
}

/**
 * A real runtime on a fresh database of the test server: real PostgreSQL, migrations applied,
 * real queue. Use one per test file (`before`/`after`).
 */
export async function createTestRuntime(opts: { env?: Record<string, string>; queue?: boolean } = {}): Promise<TestRuntime> {
  const server = await testServer(process.env);
  const database = await createScratchDatabase(server.adminUrl);
  const dataDir = mkdtempSync(join(tmpdir(), 'harbour-rt-'));
  const config: HarbourConfig = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    HARBOUR_DATA_DIR: dataDir,
    HARBOUR_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: process.env['HARBOUR_TEST_LOG_LEVEL'] ?? 'silent',
    PORT: '0',
    HARBOUR_DB_POOL_SIZE: '5',
    ...opts.env,
  });
  const rt = await bootRuntime({ config, role: 'test', queue: opts.queue ?? false });
  return Object.assign(rt, {
    database,
    dataDir,
    async dispose() {
      await rt.close();
      await database.drop();
      await server.embedded?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
