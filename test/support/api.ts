import type { AddressInfo } from 'node:net';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createTestRuntime, type TestRuntime } from '@harbour/testing';
import { AuditLog } from '@harbour/audit';
import { createApiApp } from '../../apps/api/src/bootstrap.js';

export interface TestApi {
  readonly rt: TestRuntime;
  readonly app: NestExpressApplication;
  readonly baseUrl: string;
  /** Chain every committed audit entry, so a test can read `audit.entry` directly. */
  sealAudit(): Promise<void>;
  close(): Promise<void>;
}

/** The real HTTP API on a random port over a fresh database: e2e tests talk to it with fetch. */
export async function startTestApi(opts: { env?: Record<string, string>; queue?: boolean } = {}): Promise<TestApi> {
  const rt = await createTestRuntime(opts);
  const app = await createApiApp(rt);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  return {
    rt,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    sealAudit: () => app.get(AuditLog).seal(),
    async close() {
      await app.close();
      await rt.dispose();
    },
  };
}
