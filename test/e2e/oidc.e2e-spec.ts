/**
 * The external OpenID Connect path: with HARBOUR_OIDC_* set, a token from the configured provider
 * (checked against its JWKS, fetched over HTTP) authenticates the Harbour user an operator mapped
 * to its `sub`; that user's Harbour roles apply. Everything else about the token is refused.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { startTestApi, type TestApi } from '../support/api.js';
import { createWorld, http, type World } from '../support/identity.js';

const ISSUER = 'https://idp.example.test/realms/nhs';
const AUDIENCE = 'harbour-console';

describe('identity: an external OpenID Connect provider', () => {
  let idp: Server;
  let api: TestApi;
  let w: World;
  let key: CryptoKey;
  const kid = 'idp-key-1';
  let jwksRequests = 0;

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    key = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' };
    idp = createServer((req, res) => {
      jwksRequests++;
      if (req.url !== '/protocol/openid-connect/certs') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((ok) => idp.listen(0, '127.0.0.1', ok));
    const port = (idp.address() as AddressInfo).port;
    api = await startTestApi({
      env: {
        HARBOUR_OIDC_ISSUER: ISSUER,
        HARBOUR_OIDC_JWKS_URL: `http://127.0.0.1:${port}/protocol/openid-connect/certs`,
        HARBOUR_OIDC_AUDIENCE: AUDIENCE,
      },
    });
    w = await createWorld(api);
  });
  after(async () => {
    await api?.close();
    idp?.close();
  });

  const idToken = (claims: { sub: string; aud?: string; iss?: string; exp?: string | number }, signer = key): Promise<string> =>
    new SignJWT({ preferred_username: 'someone' })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(claims.iss ?? ISSUER)
      .setAudience(claims.aud ?? AUDIENCE)
      .setSubject(claims.sub)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(signer);

  test('a mapped subject signs in with the provider token and acts with its Harbour roles', async () => {
    const created = await http<{ id: string }>(api, 'POST', '/users', {
      token: w.tokens.operator,
      body: { username: 'sso.auditor', externalSubject: 'f3c1-idp-subject', roles: [{ role: 'auditor' }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const token = await idToken({ sub: 'f3c1-idp-subject' });
    const me = await http<{ kind: string; id: string; roles: string[] }>(api, 'GET', '/me', { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.deepEqual([me.body.kind, me.body.id, me.body.roles], ['user', created.body.id, ['auditor']]);
    assert.equal((await http(api, 'GET', '/audit/entries?limit=1', { token })).status, 200, 'auditor permission applies');
    assert.equal((await http(api, 'POST', '/trusts', { token, body: { odsCode: 'RZ1', name: 'x' } })).status, 403, 'and nothing more');
    assert.ok(jwksRequests >= 1, "the provider's JWKS was fetched");
  });

  test('unmapped subjects, wrong audience or issuer, expired tokens, foreign keys and disabled users get 401', async () => {
    const other = await generateKeyPair('RS256');
    const cases: Record<string, string> = {
      unmapped: await idToken({ sub: 'nobody-here' }),
      wrongAudience: await idToken({ sub: 'f3c1-idp-subject', aud: 'another-app' }),
      expired: await idToken({ sub: 'f3c1-idp-subject', exp: Math.floor(Date.now() / 1000) - 3600 }),
      foreignKey: await idToken({ sub: 'f3c1-idp-subject' }, other.privateKey),
      unknownIssuer: await idToken({ sub: 'f3c1-idp-subject', iss: 'https://evil.example.test' }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const res = await http<{ code: string }>(api, 'GET', '/me', { token });
      assert.equal(res.status, 401, name);
      assert.equal(res.body.code, 'invalid_token', name);
    }
    const user = await http<{ id: string }>(api, 'POST', '/users', {
      token: w.tokens.operator,
      body: { username: 'sso.guardian', externalSubject: 'a9-idp-subject', roles: [{ role: 'guardian', trustId: w.trustA }] },
    });
    assert.equal(user.status, 201);
    const token = await idToken({ sub: 'a9-idp-subject' });
    assert.equal((await http(api, 'GET', '/me', { token })).status, 200);
    assert.equal((await http(api, 'POST', `/users/${user.body.id}/disable`, { token: w.tokens.operator })).status, 200);
    assert.equal((await http(api, 'GET', '/me', { token })).status, 401, 'disabled at once, whatever the provider says');
  });
});
