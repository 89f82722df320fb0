import type { Command } from 'commander';
import { SYSTEM_ACTOR } from '@harbour/audit';
import { createIdentityServices } from '@harbour/auth';
import { withRuntime } from './support.js';

/** `harbour keys`: the station signing keys (tokens and audit checkpoints). */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('station signing keys');
  keys
    .command('rotate')
    .description('make a new signing key active; the previous public key stays in the JWKS until its tokens expire')
    .action(async () => {
      await withRuntime(async (rt) => {
        const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        const r = await svc.signingKeys.rotate(SYSTEM_ACTOR);
        process.stdout.write(`active key ${r.kid}${r.previousKid ? ` (previous ${r.previousKid})` : ''}\n`);
      });
    });
  keys
    .command('list')
    .description('list signing keys (ids and status; never key material)')
    .action(async () => {
      await withRuntime(async (rt) => {
        const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        for (const k of await svc.signingKeys.listKeys()) {
          process.stdout.write(`${k.kid}  ${k.status.padEnd(7)}  created ${k.createdAt}${k.retiredAt ? `  retired ${k.retiredAt}` : ''}\n`);
        }
      });
    });
}
