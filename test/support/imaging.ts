import { DataSource } from 'typeorm';
import { SnakeNamingStrategy } from '@harbour/persistence';
import { ACCESS_ENTITIES } from '@harbour/access';
import type { TestApi } from './api.js';

/**
 * Stop-gap for the imaging tests while the access context has no migration yet: create its
 * tables from its entities on the test database, so the real AccessService flow runs. A no-op
 * (returns 'migrated') as soon as the access migration exists. Remove with it.
 */
export async function ensureAccessTables(api: TestApi): Promise<'migrated' | 'shimmed'> {
  const [reg] = await api.rt.db.query<{ t: string | null }>(`SELECT to_regclass('access.request')::text AS t`);
  if (reg?.t) return 'migrated';
  const ds = new DataSource({
    type: 'postgres',
    url: api.rt.database.url,
    entities: ACCESS_ENTITIES,
    namingStrategy: new SnakeNamingStrategy(),
    synchronize: true,
  });
  await ds.initialize();
  await ds.destroy();
  return 'shimmed';
}
