/**
 * Migration drift check (part of `npm run check`): run every migration on a fresh database,
 * then ask TypeORM what it would change to match the entities. Anything at all is drift.
 */
import { createHarbourDataSource, runMigrations } from '@harbour/schema';
import { createScratchDatabase, testServer } from '@harbour/testing';

const server = await testServer(process.env);
const db = await createScratchDatabase(server.adminUrl, 'drift');
const ds = createHarbourDataSource(db.url);
let drift = 0;
try {
  await ds.initialize();
  const ran = await runMigrations(ds);
  const log = await ds.driver.createSchemaBuilder().log();
  drift = log.upQueries.length;
  if (drift > 0) {
    process.stderr.write(`Migration drift: ${drift} statement(s) needed to match the entities:\n`);
    for (const q of log.upQueries) process.stderr.write(`  ${q.query}\n`);
    process.stderr.write('Run `npm run migration:generate -- <Name>` and review the result.\n');
  } else {
    process.stdout.write(`Migrations OK: ${ran} applied on a fresh database, no drift.\n`);
  }
} finally {
  if (ds.isInitialized) await ds.destroy();
  await db.drop();
  await server.embedded?.stop();
}
process.exit(drift > 0 ? 1 : 0);
