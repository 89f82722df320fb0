/**
 * EHR ingestion into the database: parse + validate + encrypt into the vault + research
 * projection, with real PostgreSQL, in one process and then split over two worker processes
 * against the same database (as pg-boss workers on two machines would).
 *
 *   npm run bench ingest -- [--patients N] [--modes 1,2] [--cpu-prof DIR]
 *
 * Default 20000 patients (~530k resources); `--modes 1` or `--modes 2` runs one mode only;
 * `--cpu-prof DIR` writes a V8 CPU profile of each child. Uses DATABASE_URL's server when set,
 * else an embedded PostgreSQL under .bench-data/ingest-pg. Prints resources/s over the wall time
 * (with process start-up) and over the ingestion itself, CPU seconds of each process and, for the
 * embedded server, of PostgreSQL, and each process's peak RSS.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@harbour/config';
import { bootRuntime } from '@harbour/runtime';
import { IngestionRunner } from '@harbour/ingestion';
import { createHarbourDataSource, runMigrations } from '@harbour/schema';
import { createScratchDatabase, adminUrlOf, freePort } from '@harbour/testing';
import { startEmbeddedPostgres } from '@harbour/persistence';
import { writeFhirNdjsonExtract } from '../libs/synthetic/src/fhir/index.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const root = resolve('.bench-data');
const self = fileURLToPath(import.meta.url);
const MASTER = Buffer.alloc(32, 5).toString('base64');

async function extract(n: number, part: number): Promise<string> {
  const dir = join(root, `ingest-${n}`, `part-${part}`);
  const marker = join(dir, '..', `part-${part}.json`);
  if (!existsSync(marker)) {
    await rm(dir, { recursive: true, force: true });
    const s = await writeFhirNdjsonExtract(dir, `ingest-bench-${part}`, n);
    await writeFile(marker, JSON.stringify(s));
  }
  return dir;
}

/** Child: ingest the given folders into the given database as one trust. */
async function child(url: string, trustId: string, dirs: string[]): Promise<void> {
  const config = loadConfig({
    DATABASE_URL: url,
    HARBOUR_MASTER_KEY: MASTER,
    LOG_LEVEL: 'silent',
    HARBOUR_DATA_DIR: join(root, 'ingest-data'),
  });
  const rt = await bootRuntime({ config, role: 'bench', queue: false, migrate: false });
  let seen = 0;
  const t = process.hrtime.bigint();
  const runner = new IngestionRunner(rt);
  for (const dir of dirs) {
    const done = await runner.run(await runner.createBatch(trustId, 'fhir', dir, 'bench'), dir);
    if (done.status !== 'completed') throw new Error(`batch ${done.status}`);
    seen += done.records_seen;
  }
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  await rt.close();
  const cpu = process.cpuUsage();
  process.stdout.write(
    `${JSON.stringify({ resources: seen, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
}

function run(
  url: string,
  trustId: string,
  dirs: string[],
): Promise<{ resources: number; seconds: number; cpuSeconds: number; peakRssMiB: number }> {
  return new Promise((ok, fail) => {
    // --cpu-prof DIR: each child writes a V8 CPU profile there (NODE_OPTIONS may not carry it).
    const prof = arg('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', arg('--cpu-prof')!] : [];
    const p = spawn(process.execPath, [...prof, '--import', '@swc-node/register/esm-register', self, '--child', url, trustId, ...dirs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('exit', (code) => (code === 0 ? ok(JSON.parse(out.trim().split('\n').pop()!)) : fail(new Error(`child exited ${code}`))));
  });
}

/**
 * CPU seconds used so far by an embedded server: the postmaster and its live children, plus the
 * children it has reaped (backends of closed connections). Linux /proc; undefined elsewhere.
 */
function serverCpuSeconds(dataDir: string): number | undefined {
  try {
    const pid = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
    const fields = (p: string): string[] => {
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      return st.slice(st.lastIndexOf(')') + 2).split(' ');
    };
    const f = fields(pid);
    let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      try {
        const c = fields(p);
        if (c[1] === pid) ticks += Number(c[11]) + Number(c[12]);
      } catch {
        // exited meanwhile
      }
    }
    return ticks / 100; // USER_HZ
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const n = Number(arg('--patients') ?? 20000);
  const half = Math.floor(n / 2);
  const parts = [await extract(half, 1), await extract(half, 2)];
  const embedded = process.env['DATABASE_URL']
    ? undefined
    : await startEmbeddedPostgres({ baseDir: join(root, 'ingest-pg'), port: await freePort() });
  const adminUrl = embedded ? embedded.adminUrl : adminUrlOf(process.env['DATABASE_URL']!);
  const results: string[] = [];
  try {
    const modes = (arg('--modes') ?? '1,2').split(',').map((m) => (m === '1' ? '1 process' : '2 processes'));
    for (const mode of modes) {
      const db = await createScratchDatabase(adminUrl, 'bench_ingest');
      const ds = createHarbourDataSource(db.url);
      await ds.initialize();
      await runMigrations(ds);
      const [t] = (await ds.query(
        `INSERT INTO identity.trust (ods_code, name) VALUES ('XB${randomBytes(2).toString('hex')}', 'Bench') RETURNING id`,
      )) as { id: string }[];
      await ds.destroy();
      const pgDataDir = join(root, 'ingest-pg', 'data');
      const pgCpuBefore = embedded ? serverCpuSeconds(pgDataDir) : undefined;
      const started = process.hrtime.bigint();
      const outs = mode === '1 process' ? [await run(db.url, t!.id, parts)] : await Promise.all(parts.map((p) => run(db.url, t!.id, [p])));
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const resources = outs.reduce((a, o) => a + o.resources, 0);
      const pgCpuAfter = embedded ? serverCpuSeconds(pgDataDir) : undefined;
      const pgCpu = pgCpuBefore !== undefined && pgCpuAfter !== undefined ? ` postgres cpu=${(pgCpuAfter - pgCpuBefore).toFixed(1)}s` : '';
      results.push(
        `${mode.padEnd(12)} patients=${half * 2} resources=${resources} wall=${seconds.toFixed(1)}s rate=${Math.round(resources / seconds)} resources/s ` +
          // Without process start-up (module loading, connecting): the rate a long-running worker sees.
          `(ingest ${outs.map((o) => `${o.seconds.toFixed(1)}s`).join(' + ')}, ${Math.round(resources / Math.max(...outs.map((o) => o.seconds)))} resources/s) ` +
          `cpu=${outs.map((o) => `${o.cpuSeconds.toFixed(1)}s`).join(' + ')}${pgCpu} peakRSS=${outs.map((o) => `${o.peakRssMiB} MiB`).join(' + ')}`,
      );
      await db.drop();
    }
  } finally {
    await embedded?.stop();
  }
  process.stdout.write(`EHR ingestion into PostgreSQL (vault encryption + research projection)\n${results.join('\n')}\n`);
}

if (args[0] === '--child') await child(args[1]!, args[2]!, args.slice(3));
else await main();
