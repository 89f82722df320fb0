import type { Command } from 'commander';
import { bootRuntime, type Runtime } from '@harbour/runtime';
import { Trust, Partner } from '@harbour/auth';
import { seedDemoPatients } from './demo-data.js';
import { loadConfig } from '@harbour/config';
import { printDemoCredentials, seedDemoIdentity } from './demo-identity.js';

/** Demo organisations: synthetic, with ODS-like codes that belong to no real trust. */
export const DEMO_TRUSTS = [
  { odsCode: 'XH1', name: 'Harbourside University Hospitals NHS Foundation Trust (demo)' },
  { odsCode: 'XH2', name: 'Northshore Teaching Hospitals NHS Trust (demo)' },
  { odsCode: 'XH3', name: 'Lighthouse Community Health NHS Trust (demo)' },
] as const;

export async function seedDemo(rt: Runtime, opts: { trusts: number; patientsPerTrust: number; seed: number }): Promise<{ trusts: number }> {
  const trusts = DEMO_TRUSTS.slice(0, Math.max(1, Math.min(opts.trusts, DEMO_TRUSTS.length)));
  await rt.db.run(async (em) => {
    for (const t of trusts) {
      await em.createQueryBuilder().insert().into(Trust).values(t).orIgnore().execute();
    }
    await em.createQueryBuilder().insert().into(Partner).values({ name: 'Acme Pharma (demo)' }).orIgnore().execute();
  });
  const stored = await rt.db.query<{ id: string }>(`SELECT id FROM identity.trust WHERE ods_code = ANY($1::text[]) ORDER BY ods_code`, [
    trusts.map((t) => t.odsCode),
  ]);
  await seedDemoIdentity(rt);
  await seedDemoPatients(rt, stored, opts.patientsPerTrust, opts.seed);
  return { trusts: trusts.length };
}

/** Seed once: only when the station has no trusts yet. */
export async function seedDemoIfEmpty(rt: Runtime): Promise<void> {
  const count = await rt.dataSource.getRepository(Trust).count();
  if (count > 0) return;
  const started = Date.now();
  const res = await seedDemo(rt, { trusts: 2, patientsPerTrust: rt.config.demo.patientsPerTrust, seed: rt.config.demo.seed });
  rt.logger.info({ trusts: res.trusts, ms: Date.now() - started }, 'demo data seeded');
}

export function registerDemo(program: Command): void {
  const demo = program.command('demo').description('synthetic demo data');
  demo
    .command('credentials')
    .description('print the demo users and passwords, and a ready-to-run token request for the demo partner client')
    .action(async () => {
      await printDemoCredentials(loadConfig(), (s) => process.stdout.write(s));
    });
  demo
    .command('seed')
    .description('seed synthetic trusts, partners and patients (deterministic for a given --seed)')
    .option('--trusts <n>', 'number of trusts', (v) => Number(v), 2)
    .option('--patients <n>', 'patients per trust', (v) => Number(v), 150)
    .option('--seed <n>', 'random seed', (v) => Number(v), 42)
    .action(async (o: { trusts: number; patients: number; seed: number }) => {
      const rt = await bootRuntime({ role: 'cli' });
      try {
        const res = await seedDemo(rt, { trusts: o.trusts, patientsPerTrust: o.patients, seed: o.seed });
        process.stdout.write(`seeded ${res.trusts} trusts\n`);
      } finally {
        await rt.close();
      }
    });
}
