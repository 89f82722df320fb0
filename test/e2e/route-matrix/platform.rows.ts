import type { RouteRowSet } from '../../support/route-matrix.js';

/** Platform routes: public health and metrics. */
const rows: RouteRowSet = {
  name: 'platform',
  rows: [
    { method: 'GET', route: '/health/live', public: true, expect: {}, otherwise: 200 },
    { method: 'GET', route: '/health/ready', public: true, expect: {}, otherwise: 200 },
    { method: 'GET', route: '/metrics', public: true, expect: {}, otherwise: 200 },
  ],
};
export default rows;
