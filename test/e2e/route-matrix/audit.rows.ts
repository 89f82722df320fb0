import { allow, type RouteRowSet } from '../../support/route-matrix.js';

/** The audit trail: auditors read and verify; auditors and operators may sign a checkpoint. */
const rows: RouteRowSet = {
  name: 'audit',
  rows: [
    { method: 'GET', route: '/audit/entries', path: () => '/audit/entries?limit=2', expect: { auditor: 200 } },
    { method: 'GET', route: '/audit/verify', expect: { auditor: 200 } },
    { method: 'POST', route: '/audit/checkpoints', expect: allow(201, 'auditor', 'operator') },
  ],
};
export default rows;
