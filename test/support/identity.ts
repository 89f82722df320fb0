/**
 * Identity fixtures for e2e tests: a small station (two trusts, two partners, a user of every
 * role, machine clients) and helpers to get tokens the way real callers do (login over HTTP,
 * signed client assertions). Shared by the auth, audit and route-matrix tests; later modules
 * use `createWorld()` to get callers for their own rows.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createIdentityServices, permissionsOf, systemPrincipal, ROLES, type IdentityServices, type Role } from '@harbour/auth';
import type { TestApi } from './api.js';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** JSON over real HTTP. */
export async function http<T = unknown>(
  api: TestApi,
  method: string,
  path: string,
  opts: { token?: string | undefined; body?: unknown; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(opts.form).toString();
  } else if (opts.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(`${api.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export function services(api: TestApi): IdentityServices {
  return createIdentityServices({ db: api.rt.db, config: api.rt.config, keys: api.rt.keys });
}

export const SYSTEM = systemPrincipal(permissionsOf(['operator']));

export async function login(
  api: TestApi,
  username: string,
  password = TEST_PASSWORD,
  totp?: string,
): Promise<HttpResult<{ accessToken: string; refreshToken: string; expiresIn: number }>> {
  return http(api, 'POST', '/auth/login', { body: { username, password, ...(totp ? { totp } : {}) } });
}

export async function tokenFor(api: TestApi, username: string): Promise<string> {
  const res = await login(api, username);
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}

export interface ClientKeys {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly alg: 'ES256' | 'ES384' | 'RS384';
}

export async function newClientKeys(alg: ClientKeys['alg'] = 'ES384'): Promise<ClientKeys> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: randomUUID(), alg };
  return { privateKey, publicJwk, alg };
}

/** A client assertion as RFC 7523 §3 and SMART Backend Services describe; overrides make bad ones. */
export async function clientAssertion(
  api: TestApi,
  clientId: string,
  keys: ClientKeys,
  o: { aud?: string; iss?: string; sub?: string; expIn?: number; jti?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: o.jti ?? randomUUID() })
    .setProtectedHeader({ alg: keys.alg, kid: keys.publicJwk.kid!, typ: 'JWT' })
    .setIssuer(o.iss ?? clientId)
    .setSubject(o.sub ?? clientId)
    .setAudience(o.aud ?? `${api.rt.config.http.publicUrl}/oauth/token`)
    .setIssuedAt(now)
    .setExpirationTime(now + (o.expIn ?? 240))
    .sign(keys.privateKey);
}

export async function requestClientToken(
  api: TestApi,
  assertion: string,
  scope?: string,
): Promise<HttpResult<{ access_token: string; expires_in: number; scope: string; error?: string }>> {
  return http(api, 'POST', '/oauth/token', {
    form: {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      ...(scope ? { scope } : {}),
    },
  });
}

/** Callers of the route matrix: every role, in two tenants where roles are scoped. */
export const CALLERS = [
  'operator',
  'auditor',
  'guardianA',
  'guardianB',
  'uploaderA',
  'partnerA',
  'partnerB',
  'partnerClientA',
  'trustClientA',
] as const;
export type Caller = (typeof CALLERS)[number];

export interface World {
  readonly svc: IdentityServices;
  readonly trustA: string;
  readonly trustB: string;
  readonly partnerA: string;
  readonly partnerB: string;
  readonly users: Record<Exclude<Caller, 'partnerClientA' | 'trustClientA'>, { id: string; username: string }>;
  readonly clients: { partnerClientA: { id: string; keys: ClientKeys }; trustClientA: { id: string; keys: ClientKeys } };
  readonly tokens: Record<Caller, string>;
  /** A token that was valid but has expired (signed by the station key, `exp` in the past). */
  readonly expiredToken: string;
}

const USER_ROLES: Record<
  keyof World['users'],
  (w: { trustA: string; trustB: string; partnerA: string; partnerB: string }) => { role: Role; trustId?: string; partnerId?: string }[]
> = {
  operator: () => [{ role: 'operator' }],
  auditor: () => [{ role: 'auditor' }],
  guardianA: (w) => [{ role: 'guardian', trustId: w.trustA }],
  guardianB: (w) => [{ role: 'guardian', trustId: w.trustB }],
  uploaderA: (w) => [{ role: 'trust-uploader', trustId: w.trustA }],
  partnerA: (w) => [{ role: 'partner', partnerId: w.partnerA }],
  partnerB: (w) => [{ role: 'partner', partnerId: w.partnerB }],
};

/** Build the fixture station through the real services, then get every caller's token over HTTP. */
export async function createWorld(api: TestApi): Promise<World> {
  void ROLES;
  const svc = services(api);
  const tag = randomUUID()
    .slice(0, 4)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, 'X');
  const tA = await svc.organisations.createTrust(SYSTEM, { odsCode: `A${tag}`.slice(0, 5), name: 'Trust A (test)' });
  const tB = await svc.organisations.createTrust(SYSTEM, { odsCode: `B${tag}`.slice(0, 5), name: 'Trust B (test)' });
  const pA = await svc.organisations.createPartner(SYSTEM, { name: `Partner A ${tag}` });
  const pB = await svc.organisations.createPartner(SYSTEM, { name: `Partner B ${tag}` });
  const ids = { trustA: tA.id, trustB: tB.id, partnerA: pA.id, partnerB: pB.id };
  const users = {} as Record<keyof World['users'], { id: string; username: string }>;
  await Promise.all(
    (Object.keys(USER_ROLES) as (keyof World['users'])[]).map(async (name) => {
      const username = `${name.toLowerCase()}-${tag.toLowerCase()}`;
      const u = await svc.userAdmin.create(SYSTEM, { username, password: TEST_PASSWORD, roles: USER_ROLES[name](ids) });
      users[name] = { id: u.id, username };
    }),
  );
  const pcKeys = await newClientKeys('ES384');
  const tcKeys = await newClientKeys('ES256');
  const pc = await svc.clientAdmin.register(SYSTEM, {
    name: 'partner A client',
    partnerId: pA.id,
    jwks: { keys: [pcKeys.publicJwk as Record<string, unknown>] },
  });
  const tc = await svc.clientAdmin.register(SYSTEM, {
    name: 'trust A uploader',
    trustId: tA.id,
    jwks: { keys: [tcKeys.publicJwk as Record<string, unknown>] },
  });
  const tokens = {} as Record<Caller, string>;
  await Promise.all(
    (Object.keys(users) as (keyof World['users'])[]).map(async (n) => (tokens[n] = await tokenFor(api, users[n].username))),
  );
  for (const [name, c, k] of [
    ['partnerClientA', pc, pcKeys],
    ['trustClientA', tc, tcKeys],
  ] as const) {
    const res = await requestClientToken(api, await clientAssertion(api, c.clientId, k));
    if (res.status !== 200) throw new Error(`client token failed: ${JSON.stringify(res.body)}`);
    tokens[name] = res.body.access_token;
  }
  const now = Math.floor(Date.now() / 1000);
  const operatorClaims = JSON.parse(Buffer.from(tokens.operator.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  const { token: expiredToken } = await svc.signingKeys.signJwt(
    { ...operatorClaims, iat: now - 3600, nbf: now - 3600, exp: now - 600, jti: randomUUID() },
    'at+jwt',
  );
  return {
    svc,
    ...ids,
    users,
    clients: { partnerClientA: { id: pc.clientId, keys: pcKeys }, trustClientA: { id: tc.clientId, keys: tcKeys } },
    tokens,
    expiredToken,
  };
}
