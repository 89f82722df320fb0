import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { HarbourConfig } from '@harbour/config';
import type { Runtime } from '@harbour/runtime';
import { createIdentityServices, permissionsOf, systemPrincipal, type RoleGrantInput } from '@harbour/auth';

/**
 * Demo people and a demo partner client. The passwords are public (README, `demo credentials`):
 * demo seeding never runs in production (`HARBOUR_DEMO_SEED` defaults to false there).
 */
export const DEMO_PARTNER_NAME = 'Acme Pharma (demo)';
export const DEMO_USERS: readonly { username: string; password: string; describe: string; roles: (ids: DemoIds) => RoleGrantInput[] }[] = [
  { username: 'operator', password: 'harbour-operator-demo', describe: 'operator (station admin)', roles: () => [{ role: 'operator' }] },
  {
    username: 'auditor',
    password: 'harbour-auditor-demo',
    describe: 'auditor (audit trail, read-only)',
    roles: () => [{ role: 'auditor' }],
  },
  {
    username: 'guardian.xh1',
    password: 'harbour-guardian-demo',
    describe: 'guardian of XH1',
    roles: (ids) => (ids.trusts['XH1'] ? [{ role: 'guardian', trustId: ids.trusts['XH1'] }] : []),
  },
  {
    username: 'guardian.xh2',
    password: 'harbour-guardian-demo',
    describe: 'guardian of XH2',
    roles: (ids) => (ids.trusts['XH2'] ? [{ role: 'guardian', trustId: ids.trusts['XH2'] }] : []),
  },
  {
    username: 'guardian.xh3',
    password: 'harbour-guardian-demo',
    describe: 'guardian of XH3',
    roles: (ids) => (ids.trusts['XH3'] ? [{ role: 'guardian', trustId: ids.trusts['XH3'] }] : []),
  },
  {
    username: 'partner.acme',
    password: 'harbour-partner-demo',
    describe: `partner member of ${DEMO_PARTNER_NAME}`,
    roles: (ids) => [{ role: 'partner', partnerId: ids.partnerId }],
  },
];

interface DemoIds {
  trusts: Record<string, string>;
  partnerId: string;
}

interface DemoClientFile {
  clientId: string;
  kid: string;
  alg: 'ES384';
  privateJwk: JWK;
}

const demoDir = (config: HarbourConfig): string => join(config.dataDir, 'demo');
const clientFile = (config: HarbourConfig): string => join(demoDir(config), 'partner-client.json');

/** Create the demo users and the demo partner client (idempotent). The client's private key goes to `.data/demo/` (0600). */
export async function seedDemoIdentity(rt: Runtime): Promise<void> {
  const svc = createIdentityServices({ db: rt.db, config: rt.config, keys: rt.keys });
  const system = systemPrincipal(permissionsOf(['operator']));
  const trusts = await rt.db.query<{ id: string; ods_code: string }>('SELECT id, ods_code FROM identity.trust');
  const partner = (await rt.db.query<{ id: string }>('SELECT id FROM identity.partner WHERE name = $1', [DEMO_PARTNER_NAME]))[0];
  if (!partner) return;
  const ids: DemoIds = { trusts: Object.fromEntries(trusts.map((t) => [t.ods_code, t.id])), partnerId: partner.id };
  const existing = new Set((await rt.db.query<{ username: string }>('SELECT username FROM identity.user_account')).map((r) => r.username));
  for (const u of DEMO_USERS) {
    const roles = u.roles(ids);
    if (existing.has(u.username) || roles.length === 0) continue;
    await svc.userAdmin.create(system, { username: u.username, password: u.password, roles });
  }

  const file = clientFile(rt.config);
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoClientFile;
    const found = await rt.db.query('SELECT 1 FROM identity.api_client WHERE id = $1', [saved.clientId]);
    if (found.length > 0) return;
  }
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = randomUUID();
  const client = await svc.clientAdmin.register(system, {
    name: 'Acme analytics pipeline (demo)',
    partnerId: partner.id,
    jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }] },
  });
  mkdirSync(demoDir(rt.config), { recursive: true, mode: 0o700 });
  const saved: DemoClientFile = { clientId: client.clientId, kid, alg: 'ES384', privateJwk: await exportJWK(privateKey) };
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** `harbour demo credentials`: who to sign in as, and a ready-to-run token request for the demo client. */
export async function printDemoCredentials(config: HarbourConfig, out: (s: string) => void): Promise<void> {
  const url = config.http.publicUrl;
  out('Demo users (synthetic station only; never in production):\n\n');
  for (const u of DEMO_USERS) out(`  ${u.username.padEnd(14)} ${u.password.padEnd(24)} ${u.describe}\n`);
  out(
    `\nSign in as a person:\n\n  curl -s -X POST ${url}/auth/login -H 'content-type: application/json' \\\n    -d '{"username":"auditor","password":"harbour-auditor-demo"}'\n`,
  );
  const file = clientFile(config);
  if (!existsSync(file)) {
    out(`\nNo demo client yet (${file} is missing): start the station once, or run \`npx harbour demo seed\`.\n`);
    return;
  }
  const saved = JSON.parse(readFileSync(file, 'utf8')) as DemoClientFile;
  const tokenEndpoint = `${url}/oauth/token`;
  const now = Math.floor(Date.now() / 1000);
  const assertion = await new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: saved.alg, kid: saved.kid, typ: 'JWT' })
    .setIssuer(saved.clientId)
    .setSubject(saved.clientId)
    .setAudience(tokenEndpoint)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .sign(await importJWK(saved.privateJwk, saved.alg));
  out(`\nDemo partner client (private_key_jwt, RFC 7523; SMART Backend Services):\n\n`);
  out(`  client_id    ${saved.clientId}\n  private key  ${file} (ES384 JWK, mode 0600)\n  token URL    ${tokenEndpoint}\n`);
  out(`\nA client assertion signed just now (valid 5 minutes, usable once):\n\n`);
  out(
    `  curl -s -X POST ${tokenEndpoint} \\\n    -d grant_type=client_credentials \\\n    -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \\\n    -d scope='project.read partner.read' \\\n    -d client_assertion=${assertion}\n`,
  );
  out(`\nThen call the API with: -H "Authorization: Bearer <access_token>"\n`);
}
