import { randomUUID } from 'node:crypto';
import { SYSTEM, TEST_PASSWORD, newClientKeys } from '../../support/identity.js';
import { allow, MACHINES, PEOPLE, type RouteRowSet } from '../../support/route-matrix.js';

let n = 0;
const uniq = (): string => `${Date.now().toString(36)}${(n++).toString(36)}`.toUpperCase();

/** Identity routes: token endpoint, JWKS, sign-in, self-service, station administration. */
const rows: RouteRowSet = {
  name: 'identity',
  async setup(ctx) {
    const u = await ctx.svc.userAdmin.create(SYSTEM, {
      username: `matrix-${randomUUID().slice(0, 8)}`,
      password: TEST_PASSWORD,
      roles: [{ role: 'auditor' }],
    });
    const keys = await newClientKeys('ES256');
    const c = await ctx.svc.clientAdmin.register(SYSTEM, {
      name: 'matrix client',
      partnerId: ctx.partnerA,
      jwks: { keys: [keys.publicJwk as Record<string, unknown>] },
    });
    Object.assign(ctx.extra, { userId: u.id, clientId: c.clientId });
  },
  rows: [
    // Public: the same answer for everyone, token or not.
    { method: 'POST', route: '/oauth/token', public: true, form: () => ({ grant_type: 'client_credentials' }), expect: {}, otherwise: 400 },
    { method: 'GET', route: '/.well-known/jwks.json', public: true, expect: {}, otherwise: 200 },
    {
      method: 'POST',
      route: '/auth/login',
      public: true,
      body: () => ({ username: 'nobody', password: 'not the password' }),
      expect: {},
      otherwise: 401,
    },
    {
      method: 'POST',
      route: '/auth/refresh',
      public: true,
      body: () => ({ refreshToken: 'hrt_not-a-real-token' }),
      expect: {},
      otherwise: 400,
    },
    {
      method: 'POST',
      route: '/auth/logout',
      public: true,
      body: () => ({ refreshToken: 'hrt_not-a-real-token' }),
      expect: {},
      otherwise: 204,
    },

    // Self-service: every authenticated principal; TOTP only for people.
    { method: 'GET', route: '/me', expect: allow(200, ...PEOPLE, ...MACHINES) },
    { method: 'POST', route: '/auth/mfa/totp/enrol', expect: { ...allow(201, ...PEOPLE), ...allow(403, ...MACHINES) } },
    {
      method: 'POST',
      route: '/auth/mfa/totp/verify',
      body: () => ({ code: '000000' }),
      expect: { ...allow(400, ...PEOPLE), ...allow(403, ...MACHINES) },
    },

    // Organisations. Trusts: guardians see their own (another trust's answers 404); partners see the directory.
    {
      method: 'POST',
      route: '/trusts',
      body: () => ({ odsCode: `Q${uniq().slice(-4)}`, name: 'Matrix Trust' }),
      expect: { operator: 201 },
    },
    {
      method: 'GET',
      route: '/trusts',
      expect: allow(200, 'operator', 'auditor', 'guardianA', 'guardianB', 'partnerA', 'partnerB', 'partnerClientA'),
    },
    {
      method: 'GET',
      route: '/trusts/:trustId',
      path: (c) => `/trusts/${c.trustA}`,
      expect: { ...allow(200, 'operator', 'auditor', 'guardianA', 'partnerA', 'partnerB', 'partnerClientA'), guardianB: 404 },
    },
    { method: 'POST', route: '/partners', body: () => ({ name: `Matrix Partner ${uniq()}` }), expect: { operator: 201 } },
    {
      method: 'GET',
      route: '/partners',
      expect: allow(200, 'operator', 'auditor', 'guardianA', 'guardianB', 'partnerA', 'partnerB', 'partnerClientA'),
    },
    {
      method: 'GET',
      route: '/partners/:partnerId',
      path: (c) => `/partners/${c.partnerA}`,
      expect: { ...allow(200, 'operator', 'auditor', 'guardianA', 'guardianB', 'partnerA', 'partnerClientA'), partnerB: 404 },
    },

    // Clients, users, keys: operators only.
    {
      method: 'POST',
      route: '/clients',
      body: (c) => ({ name: 'matrix bad client', partnerId: c.partnerA, jwksUrl: 'ftp://x' }),
      expect: { operator: 400 },
    },
    { method: 'GET', route: '/clients', expect: { operator: 200 } },
    {
      method: 'POST',
      route: '/clients/:clientId/disable',
      path: (c) => `/clients/${c.extra['clientId']}/disable`,
      expect: { operator: 200 },
    },
    {
      method: 'POST',
      route: '/users',
      body: () => ({ username: `m-${uniq().toLowerCase()}`, password: TEST_PASSWORD, roles: [{ role: 'auditor' }] }),
      expect: { operator: 201 },
    },
    { method: 'GET', route: '/users', expect: { operator: 200 } },
    {
      method: 'POST',
      route: '/users/:userId/roles',
      path: (c) => `/users/${c.extra['userId']}/roles`,
      body: () => ({ role: 'operator' }),
      expect: { operator: 201 },
    },
    {
      method: 'DELETE',
      route: '/users/:userId/roles/:role',
      path: (c) => `/users/${c.extra['userId']}/roles/operator`,
      expect: { operator: 200 },
    },
    { method: 'POST', route: '/users/:userId/disable', path: (c) => `/users/${c.extra['userId']}/disable`, expect: { operator: 200 } },
    { method: 'GET', route: '/keys', expect: { operator: 200 } },
    { method: 'POST', route: '/keys/rotate', expect: { operator: 201 } },
  ],
};
export default rows;
