import { allow, type RouteRowSet } from '../../support/route-matrix.js';

/**
 * Compute and the airlock: partners submit, read and cancel jobs and download released outputs
 * of their own projects; guardians read the jobs of projects of their trust and review outputs
 * that used their trust's data. Ids here are unknown, so every caller allowed by permission gets
 * 404 (another tenant's resources answer the same: see test/e2e/compute.e2e-spec.ts), and the
 * guardians' pending list is 200.
 */
const PROJECT = '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d';
const JOB = '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
const OUTPUT = '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f';
const partners = allow(404, 'partnerA', 'partnerB', 'partnerClientA');
const readers = allow(404, 'partnerA', 'partnerB', 'partnerClientA', 'guardianA', 'guardianB');
const guardians = allow(404, 'guardianA', 'guardianB');

const rows: RouteRowSet = {
  name: 'compute',
  rows: [
    {
      method: 'POST',
      route: '/projects/:projectId/jobs',
      path: () => `/projects/${PROJECT}/jobs`,
      body: () => ({ code: 'export function main() {}', language: 'js', outputs: ['result'] }),
      expect: partners,
    },
    { method: 'GET', route: '/projects/:projectId/jobs', path: () => `/projects/${PROJECT}/jobs`, expect: readers },
    { method: 'GET', route: '/projects/:projectId/jobs/:jobId', path: () => `/projects/${PROJECT}/jobs/${JOB}`, expect: readers },
    {
      method: 'POST',
      route: '/projects/:projectId/jobs/:jobId/cancel',
      path: () => `/projects/${PROJECT}/jobs/${JOB}/cancel`,
      body: () => ({}),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/outputs/:outputId/download',
      path: () => `/projects/${PROJECT}/outputs/${OUTPUT}/download`,
      expect: partners,
    },
    {
      method: 'GET',
      route: '/airlock/outputs',
      path: () => '/airlock/outputs?status=pending',
      expect: allow(200, 'guardianA', 'guardianB'),
    },
    { method: 'GET', route: '/airlock/outputs/:id', path: () => `/airlock/outputs/${OUTPUT}`, expect: guardians },
    { method: 'GET', route: '/airlock/outputs/:id/content', path: () => `/airlock/outputs/${OUTPUT}/content`, expect: readers },
    {
      method: 'POST',
      route: '/airlock/outputs/:id/reviews',
      path: () => `/airlock/outputs/${OUTPUT}/reviews`,
      body: () => ({ decision: 'approve', reason: 'checked: aggregate only' }),
      expect: guardians,
    },
  ],
};
export default rows;
