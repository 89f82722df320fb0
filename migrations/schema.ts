import { DataSource, type MixedList } from 'typeorm';
import { SnakeNamingStrategy } from '@harbour/persistence';
import { IDENTITY_ENTITIES } from '@harbour/auth';
import { AUDIT_ENTITIES } from '@harbour/audit';
import { VAULT_ENTITIES } from '@harbour/vault';
import { CONSENT_ENTITIES } from '@harbour/consent';
import { INGESTION_ENTITIES } from '@harbour/ingestion';
import { RESEARCH_ENTITIES } from '@harbour/research';
import { QUERY_ENTITIES } from '@harbour/query';
import { LEDGER_ENTITIES } from '@harbour/ledger';
import { IMAGING_ENTITIES } from '@harbour/imaging';
import { ACCESS_ENTITIES } from '@harbour/access';
import { COMPUTE_ENTITIES } from '@harbour/compute';
import { MIGRATIONS } from './index.js';

/**
 * The composition root of the database: every bounded context's entities and the ordered list
 * of migrations. Used at start (migrations run), by tests, and by the migration generator and
 * drift check. Never `synchronize`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const ENTITIES: MixedList<Function> = [
  ...IDENTITY_ENTITIES,
  ...AUDIT_ENTITIES,
  ...VAULT_ENTITIES,
  ...CONSENT_ENTITIES,
  ...INGESTION_ENTITIES,
  ...RESEARCH_ENTITIES,
  ...QUERY_ENTITIES,
  ...LEDGER_ENTITIES,
  ...IMAGING_ENTITIES,
  ...ACCESS_ENTITIES,
  ...COMPUTE_ENTITIES,
];

export function createHarbourDataSource(url: string, opts: { poolSize?: number; applicationName?: string } = {}): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: false,
    logging: false,
    extra: { max: opts.poolSize ?? 10, application_name: opts.applicationName ?? 'harbour' },
  });
}

/** Run pending migrations; a PostgreSQL advisory lock lets several processes start at once. */
export async function runMigrations(ds: DataSource): Promise<number> {
  await ds.query('SELECT pg_advisory_lock(727172)');
  try {
    const ran = await ds.runMigrations({ transaction: 'each' });
    return ran.length;
  } finally {
    await ds.query('SELECT pg_advisory_unlock(727172)');
  }
}
