import { allow, type RouteRowSet } from '../../support/route-matrix.js';

/**
 * The revenue-share ledger over HTTP. Operators manage (agreements, period close); every
 * `ledger.read` holder lists statements (scoped to its own trust or partner by the service);
 * reconciliation is for auditors and operators. State-changing rows use a project that does not
 * exist or a period that has not ended, so no caller changes anything.
 */
const UNKNOWN = '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a';
const readers = ['operator', 'auditor', 'guardianA', 'guardianB', 'partnerA', 'partnerB', 'partnerClientA'] as const;
const agreement = {
  fees: { fixedPerPeriodPence: 0, perQueryPence: 250, perComputeMinutePence: 25, perOutputReleasedPence: 10000, perImagingStudyPence: 75 },
  trustShareBps: 400,
};

const rows: RouteRowSet = {
  name: 'ledger',
  rows: [
    {
      method: 'PUT',
      route: '/projects/:id/agreement',
      path: () => `/projects/${UNKNOWN}/agreement`,
      body: () => agreement,
      expect: { operator: 404 },
    },
    { method: 'GET', route: '/projects/:id/agreement', path: () => `/projects/${UNKNOWN}/agreement`, expect: allow(404, ...readers) },
    { method: 'GET', route: '/ledger/periods', expect: allow(200, ...readers) },
    { method: 'GET', route: '/ledger/statements', expect: allow(200, ...readers) },
    { method: 'POST', route: '/ledger/periods/:period/close', path: () => '/ledger/periods/2999-01/close', expect: { operator: 409 } },
    {
      method: 'GET',
      route: '/ledger/periods/:period/reconciliation',
      path: () => '/ledger/periods/2000-01/reconciliation',
      expect: allow(200, 'operator', 'auditor'),
    },
  ],
};
export default rows;
