import type { Command } from 'commander';
import { createIdentityServices, isRole, permissionsOf, systemPrincipal, ROLES, ROLE_SCOPE, type RoleGrantInput } from '@harbour/auth';
import { trustByCode, withRuntime } from './support.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `harbour users`: create and list people (e.g. the first operator of a new station). */
export function registerUsers(program: Command): void {
  const users = program.command('users').description('people who sign in');
  users
    .command('create')
    .description('create a user; the password is read from stdin (never from the command line)')
    .argument('<username>')
    .requiredOption('--role <role...>', `roles: ${ROLES.join(', ')}`)
    .option('--trust <ods>', 'trust (ODS code) of guardian / trust-uploader roles')
    .option('--partner <name>', 'partner organisation (name) of the partner role')
    .option('--email <email>')
    .action(async (username: string, o: { role: string[]; trust?: string; partner?: string; email?: string }) => {
      const bad = o.role.filter((r) => !isRole(r));
      if (bad.length) throw new Error(`unknown role(s): ${bad.join(', ')}`);
      const password = await readStdin();
      await withRuntime(async (rt) => {
        const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        const trustId = o.trust ? (await trustByCode(rt, o.trust)).id : undefined;
        const partner = o.partner
          ? (await rt.db.query<{ id: string }>('SELECT id FROM identity.partner WHERE name = $1', [o.partner]))[0]
          : undefined;
        if (o.partner && !partner) throw new Error(`no partner named ${o.partner}`);
        const roles: RoleGrantInput[] = o.role.filter(isRole).map((role) => ({
          role,
          ...(ROLE_SCOPE[role] === 'trust' ? { trustId } : {}),
          ...(ROLE_SCOPE[role] === 'partner' ? { partnerId: partner?.id } : {}),
        }));
        const u = await svc.userAdmin.create(systemPrincipal(permissionsOf(['operator'])), {
          username,
          password,
          roles,
          ...(o.email ? { email: o.email } : {}),
        });
        process.stdout.write(`created ${u.username} (${u.id}) with roles ${u.roles.map((r) => r.role).join(', ')}\n`);
      });
    });
  users
    .command('list')
    .description('list users and their roles')
    .action(async () => {
      await withRuntime(async (rt) => {
        const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
        for (const u of await svc.userAdmin.list(systemPrincipal(permissionsOf(['operator'])))) {
          process.stdout.write(
            `${u.username.padEnd(24)} ${u.disabled ? 'disabled' : 'active  '} ${u.roles.map((r) => r.role).join(', ')}\n`,
          );
        }
      });
    });
}
