/**
 * A separate writer process for the concurrency test: appends `count` audit entries to the
 * database at `url` from `concurrency` parallel transactions, then exits.
 * Usage: node --import @swc-node/register/esm-register test/support/audit-writer.ts <url> <count> <concurrency> <tag>
 */
import { createHarbourDataSource } from '@harbour/schema';
import { Db } from '@harbour/persistence';
import { AuditLog, AuditRepository } from '@harbour/audit';

const [url, countArg, concArg, tag] = process.argv.slice(2);
const count = Number(countArg);
const concurrency = Number(concArg);
const ds = createHarbourDataSource(url!, { poolSize: concurrency, applicationName: `audit-writer-${tag}` });
await ds.initialize();
const db = new Db(ds);
const audit = new AuditLog(db, new AuditRepository(db));
// Barrier: connected and compiled, wait for the parent's "go" so all writers really overlap.
process.stdout.write('ready\n');
await new Promise<void>((ok) => process.stdin.once('data', () => ok()));
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      await db.run(() =>
        audit.append({
          action: 'trust.created',
          actor: { type: 'system', id: `writer-${tag}`, role: null, orgType: 'station', orgId: null },
          payload: { odsCode: `W${tag}` },
        }),
      );
    }
  }),
);
// Chain what this process appended before closing the pool (the parent seals too, in case).
await audit.seal();
await ds.destroy();
process.stdout.write(`wrote ${count}\n`);
process.exit(0);
