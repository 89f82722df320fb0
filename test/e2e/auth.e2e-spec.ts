import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { base64url, generateKeyPair, SignJWT } from 'jose';
import { base32Decode, totp } from '@harbour/auth';
import { createApiApp } from '../../apps/api/src/bootstrap.js';
import { startTestApi, type TestApi } from '../support/api.js';
import {
  clientAssertion,
  createWorld,
  http,
  login,
  newClientKeys,
  requestClientToken,
  SYSTEM,
  TEST_PASSWORD,
  type World,
} from '../support/identity.js';

async function auditCount(api: TestApi, action: string): Promise<number> {
  await api.sealAudit();
  const rows = await api.rt.db.query<{ n: string }>('SELECT count(*) AS n FROM audit.entry WHERE action = $1', [action]);
  return Number(rows[0]!.n);
}

describe('identity: machine clients, people, tokens', () => {
  let api: TestApi;
  let w: World;
  before(async () => {
    api = await startTestApi();
    w = await createWorld(api);
  });
  after(async () => api?.close());

  test('a partner client gets a token with a signed assertion (RFC 7523) and calls a protected route', async () => {
    const { id, keys } = w.clients.partnerClientA;
    const res = await requestClientToken(api, await clientAssertion(api, id, keys), 'partner.read project.read');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.scope, 'partner.read project.read');
    assert.ok(res.body.expires_in <= 300);
    const [header] = res.body.access_token.split('.');
    const h = JSON.parse(Buffer.from(header!, 'base64url').toString()) as { alg: string; kid: string; typ: string };
    assert.equal(h.alg, 'ES256');
    assert.equal(h.typ, 'at+jwt');
    const jwks = await http<{ keys: { kid: string }[] }>(api, 'GET', '/.well-known/jwks.json');
    assert.ok(jwks.body.keys.some((k) => k.kid === h.kid));

    const own = await http(api, 'GET', `/partners/${w.partnerA}`, { token: res.body.access_token });
    assert.equal(own.status, 200);
    const other = await http(api, 'GET', `/partners/${w.partnerB}`, { token: res.body.access_token });
    assert.equal(other.status, 404, 'another tenant answers 404');
    const me = await http<{ kind: string; roles: string[]; partnerId: string; permissions: string[] }>(api, 'GET', '/me', {
      token: res.body.access_token,
    });
    assert.equal(me.status, 403, 'account.manage was not in the requested scopes');
    const notScoped = await http(api, 'GET', '/trusts', { token: res.body.access_token });
    assert.equal(notScoped.status, 403, 'scopes narrow the role');
    assert.ok((await auditCount(api, 'auth.token_issued')) >= 3);
  });

  test('replayed jti is refused, also by a second API instance on the same database', async () => {
    const { id, keys } = w.clients.partnerClientA;
    const assertion = await clientAssertion(api, id, keys);
    assert.equal((await requestClientToken(api, assertion)).status, 200);
    const again = await requestClientToken(api, assertion);
    assert.equal(again.status, 401);
    assert.equal(again.body.error, 'invalid_client');

    const other = await createApiApp(api.rt);
    await other.listen(0, '127.0.0.1');
    try {
      const port = (other.getHttpServer().address() as AddressInfo).port;
      const fresh = await clientAssertion(api, id, keys);
      const second = { ...api, baseUrl: `http://127.0.0.1:${port}` };
      assert.equal((await requestClientToken(second, fresh)).status, 200);
      const replay = await requestClientToken(api, fresh);
      assert.equal(replay.status, 401, 'the first instance sees the jti the second stored');
    } finally {
      await other.close();
    }
  });

  test('bad client assertions are refused with RFC 6749 error bodies and audited', async () => {
    const { id, keys } = w.clients.partnerClientA;
    const before = await auditCount(api, 'auth.token_refused');
    const otherKeys = await newClientKeys('ES384');
    const cases: [string, string, number, string][] = [
      ['wrong audience', await clientAssertion(api, id, keys, { aud: 'https://elsewhere.example/oauth/token' }), 401, 'invalid_client'],
      ['iss differs from sub', await clientAssertion(api, id, keys, { sub: randomUUID() }), 401, 'invalid_client'],
      ['exp more than 5 minutes ahead', await clientAssertion(api, id, keys, { expIn: 3600 }), 401, 'invalid_client'],
      ['expired', await clientAssertion(api, id, keys, { expIn: -60 }), 401, 'invalid_client'],
      ['unknown client', await clientAssertion(api, randomUUID(), keys), 401, 'invalid_client'],
      [
        'signed by an unregistered key',
        await clientAssertion(api, id, { ...otherKeys, publicJwk: { ...otherKeys.publicJwk, kid: keys.publicJwk.kid! } }),
        401,
        'invalid_client',
      ],
    ];
    for (const [name, assertion, status, error] of cases) {
      const res = await requestClientToken(api, assertion);
      assert.equal(res.status, status, name);
      assert.equal(res.body.error, error, name);
      assert.equal(typeof (res.body as { error_description?: unknown }).error_description, 'string', name);
    }
    const scope = await requestClientToken(api, await clientAssertion(api, id, keys), 'user.manage');
    assert.equal(scope.status, 400);
    assert.equal(scope.body.error, 'invalid_scope');
    const grant = await http<{ error: string }>(api, 'POST', '/oauth/token', { form: { grant_type: 'password' } });
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, 'unsupported_grant_type');
    assert.ok((await auditCount(api, 'auth.token_refused')) >= before + cases.length + 1);
  });

  test('a disabled client gets no token, and its live tokens stop working', async () => {
    const keys = await newClientKeys('RS384');
    const c = await w.svc.clientAdmin.register(SYSTEM, {
      name: 'to disable',
      partnerId: w.partnerA,
      jwks: { keys: [keys.publicJwk as Record<string, unknown>] },
    });
    const ok = await requestClientToken(api, await clientAssertion(api, c.clientId, keys));
    assert.equal(ok.status, 200, 'RS384 assertions are accepted');
    const dis = await http(api, 'POST', `/clients/${c.clientId}/disable`, { token: w.tokens.operator });
    assert.equal(dis.status, 200);
    assert.equal((await requestClientToken(api, await clientAssertion(api, c.clientId, keys))).status, 401);
    const call = await http<{ code: string }>(api, 'GET', `/partners/${w.partnerA}`, { token: ok.body.access_token });
    assert.equal(call.status, 401);
    assert.equal(call.body.code, 'invalid_token');
  });

  test('every bad bearer token answers 401 invalid_token', async () => {
    const good = w.tokens.auditor;
    const claims = JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
    const now = Math.floor(Date.now() / 1000);
    const sign = async (c: Record<string, unknown>): Promise<string> => (await w.svc.signingKeys.signJwt(c, 'at+jwt')).token;
    const [h, p, s] = good.split('.') as [string, string, string];
    const foreign = await generateKeyPair('ES256');
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${p}.`;
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: JSON.parse(Buffer.from(h, 'base64url').toString()).kid, typ: 'at+jwt' })
      .sign(new TextEncoder().encode('x'.repeat(32)));
    const cases: Record<string, string> = {
      'tampered payload': `${h}.${base64url.encode(JSON.stringify({ ...claims, roles: ['operator'] }))}.${s}`,
      'tampered signature': `${h}.${p}.${s.slice(0, -4)}AAAA`,
      'alg none': none,
      'alg HS256': hs256,
      expired: w.expiredToken,
      'not yet valid': await sign({ ...claims, nbf: now + 600, iat: now, exp: now + 900, jti: randomUUID() }),
      'wrong issuer': await sign({ ...claims, iss: 'https://evil.example', jti: randomUUID() }),
      'wrong audience': await sign({ ...claims, aud: 'https://other.example', jti: randomUUID() }),
      'unknown kid': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'no-such-key', typ: 'at+jwt' })
        .sign(foreign.privateKey),
      garbage: 'not.a.jwt',
    };
    const before = await auditCount(api, 'auth.token_rejected');
    assert.equal((await http(api, 'GET', '/audit/entries?limit=1', { token: good })).status, 200, 'the good token works');
    for (const [name, token] of Object.entries(cases)) {
      const res = await http<{ code: string }>(api, 'GET', '/audit/entries?limit=1', { token });
      assert.equal(res.status, 401, name);
      assert.equal(res.body.code, 'invalid_token', name);
      assert.match(res.headers.get('www-authenticate') ?? '', /invalid_token/, name);
    }
    const noToken = await http<{ code: string }>(api, 'GET', '/audit/entries');
    assert.equal(noToken.status, 401);
    assert.equal(noToken.body.code, 'unauthenticated');
    assert.equal(await auditCount(api, 'auth.token_rejected'), before + Object.keys(cases).length, 'each rejection is audited');
    await api.sealAudit();
    const reasons = await api.rt.db.query<{ reason: string }>(
      "SELECT payload->>'reason' AS reason FROM audit.entry WHERE action = 'auth.token_rejected' ORDER BY seq DESC LIMIT $1",
      [Object.keys(cases).length],
    );
    assert.deepEqual(
      new Set(reasons.map((r) => r.reason)),
      new Set(['bad_signature', 'bad_algorithm', 'expired', 'not_yet_valid', 'bad_issuer', 'bad_audience', 'unknown_key', 'malformed']),
    );
  });

  test('login, lockout with back-off, TOTP second factor, refresh rotation and logout', async () => {
    const u = await w.svc.userAdmin.create(SYSTEM, {
      username: `person-${randomUUID().slice(0, 6)}`,
      password: TEST_PASSWORD,
      roles: [{ role: 'auditor' }],
    });
    // Password login.
    const first = await login(api, u.username);
    assert.equal(first.status, 200);
    const access = first.body.accessToken;
    assert.equal((await http(api, 'GET', '/me', { token: access })).status, 200);

    // TOTP enrolment: secret, then a verified code switches it on.
    const enrol = await http<{ secret: string; otpauthUri: string }>(api, 'POST', '/auth/mfa/totp/enrol', { token: access });
    assert.equal(enrol.status, 201);
    assert.match(enrol.body.otpauthUri, /^otpauth:\/\/totp\//);
    const secret = base32Decode(enrol.body.secret);
    const wrong = await http<{ code: string }>(api, 'POST', '/auth/mfa/totp/verify', {
      token: access,
      body: { code: totp(secret, Date.now() + 300_000) },
    });
    assert.equal(wrong.status, 400);
    const verified = await http(api, 'POST', '/auth/mfa/totp/verify', { token: access, body: { code: totp(secret, Date.now() - 30_000) } });
    assert.equal(verified.status, 200);

    // Now a password alone is not enough: mfa_required, then the second call with a code.
    const mfa = await login(api, u.username);
    assert.equal(mfa.status, 401);
    assert.equal((mfa.body as unknown as { code: string }).code, 'mfa_required');
    const withCode = await login(api, u.username, TEST_PASSWORD, totp(secret));
    assert.equal(withCode.status, 200);
    const replayCode = await login(api, u.username, TEST_PASSWORD, totp(secret));
    assert.equal(replayCode.status, 401, 'a TOTP code is accepted once (RFC 6238 §5.2)');

    // Refresh rotates; the old refresh token then revokes the session (reuse detection).
    const r1 = await http<{ accessToken: string; refreshToken: string }>(api, 'POST', '/auth/refresh', {
      body: { refreshToken: withCode.body.refreshToken },
    });
    assert.equal(r1.status, 200);
    assert.notEqual(r1.body.refreshToken, withCode.body.refreshToken);
    const r2 = await http<{ accessToken: string; refreshToken: string }>(api, 'POST', '/auth/refresh', {
      body: { refreshToken: r1.body.refreshToken },
    });
    assert.equal(r2.status, 200);
    assert.equal((await http(api, 'GET', '/me', { token: r2.body.accessToken })).status, 200);
    const reuse = await http<{ code: string }>(api, 'POST', '/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.code, 'invalid_grant');
    assert.equal((await http(api, 'GET', '/me', { token: r2.body.accessToken })).status, 401, 'reuse revoked the whole session');
    assert.equal(await auditCount(api, 'auth.refresh_reuse_detected'), 1);

    // Logout revokes the session: its access token stops at once, its refresh token too.
    const s2 = await login(api, u.username, TEST_PASSWORD, totp(secret, Date.now() + 30_000));
    assert.equal(s2.status, 200);
    assert.equal((await http(api, 'POST', '/auth/logout', { body: { refreshToken: s2.body.refreshToken } })).status, 204);
    assert.equal((await http(api, 'GET', '/me', { token: s2.body.accessToken })).status, 401);
    assert.equal((await http(api, 'POST', '/auth/refresh', { body: { refreshToken: s2.body.refreshToken } })).status, 400);

    // Lockout: five wrong passwords lock the account; then even the right one is refused (423).
    const v = await w.svc.userAdmin.create(SYSTEM, {
      username: `locked-${randomUUID().slice(0, 6)}`,
      password: TEST_PASSWORD,
      roles: [{ role: 'auditor' }],
    });
    for (let i = 0; i < 5; i++) assert.equal((await login(api, v.username, 'wrong password here')).status, 401);
    const locked = await login(api, v.username);
    assert.equal(locked.status, 423);
    assert.equal((locked.body as unknown as { code: string }).code, 'account_locked');
    const row = await api.rt.db.query<{ failed_logins: number; locked_until: Date }>(
      'SELECT failed_logins, locked_until FROM identity.user_account WHERE id = $1',
      [v.id],
    );
    assert.equal(row[0]!.failed_logins, 5);
    assert.ok(row[0]!.locked_until.getTime() > Date.now(), 'lock stored in the database');
    assert.ok((await auditCount(api, 'auth.account_locked')) >= 1);
    assert.ok((await auditCount(api, 'auth.login_failed')) >= 6, 'failed logins are audited although the request fails');
    // Unknown users fail the same way as wrong passwords.
    const unknown = await login(api, 'nobody-here');
    assert.equal(unknown.status, 401);
  });

  test('a disabled user is refused at once, and role changes apply on the next request', async () => {
    const u = await w.svc.userAdmin.create(SYSTEM, {
      username: `temp-${randomUUID().slice(0, 6)}`,
      password: TEST_PASSWORD,
      roles: [{ role: 'auditor' }],
    });
    const t = (await login(api, u.username)).body.accessToken;
    assert.equal((await http(api, 'GET', '/audit/entries?limit=1', { token: t })).status, 200);
    assert.equal((await http(api, 'DELETE', `/users/${u.id}/roles/auditor`, { token: w.tokens.operator })).status, 200);
    assert.equal((await http(api, 'GET', '/audit/entries?limit=1', { token: t })).status, 403);
    assert.equal((await http(api, 'POST', `/users/${u.id}/disable`, { token: w.tokens.operator })).status, 200);
    assert.equal((await http(api, 'GET', '/me', { token: t })).status, 401);
  });

  test('operator endpoints: an invalid body gets 400 validation_failed with field messages and writes nothing', async () => {
    const count = async (table: string): Promise<number> =>
      Number((await api.rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
    await api.sealAudit();
    const before = {
      trusts: await count('identity.trust'),
      users: await count('identity.user_account'),
      clients: await count('identity.api_client'),
      audit: await count('audit.entry'),
    };
    const bad: [string, unknown, string][] = [
      ['/trusts', { odsCode: 'lower', name: 'x', extra: 1 }, 'odsCode'],
      ['/users', { username: 'A B', password: 'short', roles: [{ role: 'emperor' }] }, 'username'],
      ['/users', { username: 'valid.name', password: TEST_PASSWORD, roles: [{ role: 'guardian' }] }, 'roles.0'],
      [
        '/clients',
        { name: 'bad client', partnerId: w.partnerA, jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'secret' }] } },
        'jwks',
      ],
    ];
    for (const [path, body, field] of bad) {
      const res = await http<{ code: string; fields: { field: string; messages: string[] }[] }>(api, 'POST', path, {
        token: w.tokens.operator,
        body,
      });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(res.body)}`);
      assert.equal(res.body.code, 'validation_failed');
      assert.ok(
        res.body.fields.some((f) => f.field === field && f.messages.length > 0),
        `${path}: ${JSON.stringify(res.body.fields)}`,
      );
      assert.doesNotMatch(JSON.stringify(res.body), /secret/, 'values are not echoed');
    }
    await api.sealAudit();
    const after = {
      trusts: await count('identity.trust'),
      users: await count('identity.user_account'),
      clients: await count('identity.api_client'),
      audit: await count('audit.entry'),
    };
    assert.deepEqual(after, before);
  });

  test('operators administer over HTTP: trust, partner, client, user with roles', async () => {
    const op = w.tokens.operator;
    const t = await http<{ id: string }>(api, 'POST', '/trusts', { token: op, body: { odsCode: 'RX9', name: 'Example Trust (test)' } });
    assert.equal(t.status, 201);
    assert.equal((await http(api, 'POST', '/trusts', { token: op, body: { odsCode: 'RX9', name: 'Again' } })).status, 409);
    const p = await http<{ id: string }>(api, 'POST', '/partners', { token: op, body: { name: 'Example Partner (test)' } });
    assert.equal(p.status, 201);
    const keys = await newClientKeys('ES256');
    const c = await http<{ clientId: string; role: string }>(api, 'POST', '/clients', {
      token: op,
      body: { name: 'pc', partnerId: p.body.id, jwks: { keys: [keys.publicJwk] } },
    });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.role, 'partner');
    const u = await http<{ id: string; roles: { role: string }[] }>(api, 'POST', '/users', {
      token: op,
      body: { username: 'g.example', password: TEST_PASSWORD, roles: [{ role: 'guardian', trustId: t.body.id }] },
    });
    assert.equal(u.status, 201, JSON.stringify(u.body));
    const grant = await http<{ roles: { role: string }[] }>(api, 'POST', `/users/${u.body.id}/roles`, {
      token: op,
      body: { role: 'auditor' },
    });
    assert.equal(grant.status, 201);
    assert.deepEqual(
      grant.body.roles.map((r) => r.role),
      ['auditor', 'guardian'],
    );
    const other = await http(api, 'POST', `/users/${u.body.id}/roles`, { token: op, body: { role: 'trust-uploader', trustId: w.trustB } });
    assert.equal(other.status, 400, 'one user, one trust');
    const list = await http<{ username: string }[]>(api, 'GET', '/users', { token: op });
    assert.ok(list.body.some((x) => x.username === 'g.example'));
    await api.sealAudit();
    const actions = await api.rt.db.query<{ action: string }>(
      "SELECT action FROM audit.entry WHERE action IN ('trust.created','partner.created','client.registered','user.created','user.role_granted')",
    );
    assert.ok(actions.length >= 5);
  });

  test('key rotation: new tokens use the new key; old tokens keep working; both keys published', async () => {
    const old = w.tokens.auditor;
    const oldKid = JSON.parse(Buffer.from(old.split('.')[0]!, 'base64url').toString()).kid as string;
    const rot = await http<{ kid: string; previousKid: string }>(api, 'POST', '/keys/rotate', { token: w.tokens.operator });
    assert.equal(rot.status, 201);
    assert.equal(rot.body.previousKid, oldKid);
    const jwks = await http<{ keys: { kid: string }[] }>(api, 'GET', '/.well-known/jwks.json');
    assert.deepEqual(new Set(jwks.body.keys.map((k) => k.kid)), new Set([oldKid, rot.body.kid]));
    assert.equal((await http(api, 'GET', '/audit/entries?limit=1', { token: old })).status, 200);
    const fresh = await login(api, w.users.auditor.username);
    assert.equal(JSON.parse(Buffer.from(fresh.body.accessToken.split('.')[0]!, 'base64url').toString()).kid, rot.body.kid);
    const keysRow = await api.rt.db.query<{ private_jwk_sealed: string }>('SELECT private_jwk_sealed FROM identity.signing_key');
    assert.ok(
      keysRow.every((r) => r.private_jwk_sealed.startsWith('v1.') && !r.private_jwk_sealed.includes('"d"')),
      'private keys are sealed',
    );
  });
});
