import cliProgress from 'cli-progress';
import { bootRuntime, type Runtime } from '@harbour/runtime';
import { loadConfig, loadKeyMaterial } from '@harbour/config';
import { deriveProjectKeys, type ProjectKeys } from '@harbour/pseudonymisation';

/** Boot a runtime for one command and always close it. */
export async function withRuntime<T>(fn: (rt: Runtime) => Promise<T>, opts: { queue?: boolean } = {}): Promise<T> {
  const rt = await bootRuntime({ role: 'cli', queue: opts.queue ?? false });
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Resolve a trust by ODS code (case-insensitive). */
export async function trustByCode(rt: Runtime, code: string): Promise<{ id: string; ods_code: string; name: string }> {
  const rows = await rt.db.query<{ id: string; ods_code: string; name: string }>(
    `SELECT id, ods_code, name FROM identity.trust WHERE upper(ods_code) = upper($1)`,
    [code],
  );
  if (!rows[0]) throw new Error(`no trust with ODS code ${code}`);
  return rows[0];
}

/**
 * Project keys for the offline tools, derived from the station master key without a database:
 * the same project id gives the same pseudonyms, date offsets and UIDs as the running station.
 */
export function offlineProjectKeys(projectId: string): ProjectKeys {
  const config = loadConfig();
  return deriveProjectKeys(loadKeyMaterial(config).masterKey(), projectId);
}

/** A progress bar on stderr when it is a terminal; silent otherwise (CI logs stay clean). */
export function progressBar(label: string): { update(n: number, total?: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}{totalText}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(0, 0, { totalText: '' });
  return {
    update: (n, total) => {
      if (total !== undefined) bar.setTotal(total);
      bar.update(n, { totalText: total !== undefined ? `/${total}` : ' records' });
    },
    stop: () => bar.stop(),
  };
}
