import type { RouteRowSet } from '../../support/route-matrix.js';

/** Compliance packs: auditors only. */
const rows: RouteRowSet = {
  name: 'compliance',
  rows: [
    {
      method: 'GET',
      route: '/compliance/report',
      path: () =>
        `/compliance/report?from=${encodeURIComponent('2026-01-01T00:00:00Z')}&to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      expect: { auditor: 200 },
    },
  ],
};
export default rows;
