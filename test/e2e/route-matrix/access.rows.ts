import { allow, type MatrixContext, type RouteRowSet } from '../../support/route-matrix.js';

/**
 * Governed access, queries, opt-outs and EHR upload batches. State-changing routes are called on
 * an id that does not exist, so every caller allowed past the permission check gets 404 and no
 * caller changes another's state; reads of tenant A's draft show the tenant boundary.
 */
const UNKNOWN = '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a';
const COHORT = { version: 1, criteria: { type: 'sex', anyOf: ['female'] } };
const partners = ['partnerA', 'partnerB', 'partnerClientA'] as const;
const readers = ['partnerA', 'partnerB', 'partnerClientA', 'guardianA', 'guardianB', 'auditor'] as const;

const requestBody = (ctx: MatrixContext): Record<string, unknown> => ({
  title: 'Matrix study',
  purpose: 'A synthetic purpose for the route matrix',
  laySummary: 'A synthetic lay summary for the route matrix',
  legalBasisArt6: '6(1)(e)',
  legalBasisArt9: '9(2)(j)',
  commercialUse: true,
  duoCodes: ['DUO:0000007'],
  trustIds: [ctx.trustA],
  requestedData: { ehrResourceTypes: ['Patient', 'Condition'], imagingModalities: [] },
  deidentification: { ehrProfile: 'harbour-ehr-deid-1.0.0', dicomOptions: [] },
  requestedDurationDays: 365,
});

const rows: RouteRowSet = {
  name: 'access',
  setup: async (ctx) => {
    const res = await fetch(`${ctx.api.baseUrl}/access-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.tokens.partnerA}`, 'content-type': 'application/json' },
      body: JSON.stringify(requestBody(ctx)),
    });
    if (res.status !== 201) throw new Error(`matrix setup: draft request not created (${res.status})`);
    ctx.extra['draft'] = ((await res.json()) as { request: { id: string } }).request.id;
    const grant = await fetch(`${ctx.api.baseUrl}/partners/${ctx.partnerA}/feasibility-agreement`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ctx.tokens.operator}`, 'content-type': 'application/json' },
      body: JSON.stringify({ validUntil: '2099-01-01T00:00:00Z' }),
    });
    if (grant.status !== 204) throw new Error(`matrix setup: feasibility agreement not granted (${grant.status})`);
  },
  rows: [
    { method: 'POST', route: '/access-requests', body: (ctx) => requestBody(ctx), expect: allow(201, ...partners) },
    {
      method: 'PATCH',
      route: '/access-requests/:id',
      path: (ctx) => `/access-requests/${ctx.extra['draft']}`,
      body: () => ({ title: 'Matrix study, edited' }),
      expect: { ...allow(200, 'partnerA', 'partnerClientA'), partnerB: 404 },
    },
    {
      method: 'POST',
      route: '/access-requests/:id/submit',
      path: () => `/access-requests/${UNKNOWN}/submit`,
      expect: allow(404, ...partners),
    },
    { method: 'GET', route: '/access-requests', expect: allow(200, ...readers) },
    {
      method: 'GET',
      route: '/access-requests/:id',
      path: (ctx) => `/access-requests/${ctx.extra['draft']}`,
      // A draft is its partner's alone: everyone else, auditors included, gets 404.
      expect: { ...allow(200, 'partnerA', 'partnerClientA'), ...allow(404, 'partnerB', 'guardianA', 'guardianB', 'auditor') },
    },
    {
      method: 'POST',
      route: '/access-requests/:id/decisions',
      path: () => `/access-requests/${UNKNOWN}/decisions`,
      body: () => ({ decision: 'reject', reason: 'matrix' }),
      expect: allow(404, 'guardianA', 'guardianB'),
    },
    { method: 'GET', route: '/projects', expect: allow(200, ...readers) },
    { method: 'GET', route: '/projects/:id', path: () => `/projects/${UNKNOWN}`, expect: allow(404, ...readers) },
    {
      method: 'POST',
      route: '/projects/:id/revoke',
      path: () => `/projects/${UNKNOWN}/revoke`,
      body: () => ({ reason: 'matrix' }),
      expect: allow(404, 'guardianA', 'guardianB'),
    },
    { method: 'POST', route: '/projects/:id/close', path: () => `/projects/${UNKNOWN}/close`, expect: allow(404, ...partners) },
    {
      method: 'POST',
      route: '/partners/:partnerId/feasibility-agreement',
      path: (ctx) => `/partners/${ctx.partnerA}/feasibility-agreement`,
      body: () => ({ validUntil: '2099-01-01T00:00:00Z' }),
      expect: allow(204, 'operator'),
    },
    {
      method: 'POST',
      route: '/projects/:id/queries/aggregate',
      path: () => `/projects/${UNKNOWN}/queries/aggregate`,
      body: () => ({ cohort: COHORT }),
      expect: allow(404, ...partners),
    },
    // Feasibility needs an agreement: partner A has one (setup), partner B has none.
    {
      method: 'POST',
      route: '/queries/feasibility',
      body: () => ({ cohort: COHORT }),
      expect: { ...allow(200, 'partnerA', 'partnerClientA'), partnerB: 403 },
    },
    {
      method: 'POST',
      route: '/trusts/:trustId/opt-outs',
      path: (ctx) => `/trusts/${ctx.trustA}/opt-outs`,
      body: () => ({ numbers: '' }),
      expect: { ...allow(201, 'guardianA', 'uploaderA', 'trustClientA'), guardianB: 404 },
    },
    {
      method: 'GET',
      route: '/trusts/:trustId/opt-outs',
      path: (ctx) => `/trusts/${ctx.trustA}/opt-outs`,
      expect: { ...allow(200, 'guardianA', 'uploaderA', 'trustClientA'), guardianB: 404 },
    },
    {
      method: 'POST',
      route: '/trusts/:trustId/lineage',
      path: (ctx) => `/trusts/${ctx.trustA}/lineage`,
      body: () => ({ nhsNumber: '9434765919' }),
      // Only the trust's own guardians; uploaders hold optout.manage but may not look back.
      expect: { guardianA: 200, ...allow(404, 'guardianB', 'uploaderA', 'trustClientA') },
    },
    {
      method: 'POST',
      route: '/trusts/:trustId/ingestion/batches',
      path: (ctx) => `/trusts/${ctx.trustA}/ingestion/batches`,
      body: () => ({ kind: 'fhir' }),
      expect: allow(201, 'uploaderA', 'trustClientA'),
    },
    {
      method: 'PUT',
      route: '/ingestion/batches/:id/files/*name',
      path: () => `/ingestion/batches/${UNKNOWN}/files/Patient.ndjson`,
      expect: allow(404, 'uploaderA', 'trustClientA'),
    },
    {
      method: 'POST',
      route: '/ingestion/batches/:id/submit',
      path: () => `/ingestion/batches/${UNKNOWN}/submit`,
      expect: allow(404, 'uploaderA', 'trustClientA'),
    },
    { method: 'GET', route: '/ingestion/batches', expect: allow(200, 'operator', 'guardianA', 'guardianB', 'uploaderA', 'trustClientA') },
    {
      method: 'GET',
      route: '/ingestion/batches/:id',
      path: () => `/ingestion/batches/${UNKNOWN}`,
      expect: allow(404, 'operator', 'guardianA', 'guardianB', 'uploaderA', 'trustClientA'),
    },
    {
      method: 'GET',
      route: '/ingestion/batches/:id/rejections',
      path: () => `/ingestion/batches/${UNKNOWN}/rejections`,
      expect: allow(404, 'operator', 'guardianA', 'guardianB', 'uploaderA', 'trustClientA'),
    },
  ],
};
export default rows;
