import { allow, type RouteRowSet } from '../../support/route-matrix.js';

/**
 * Imaging: trust uploaders store (STOW-RS); partners search and retrieve a project's
 * de-identified images (QIDO-RS / WADO-RS), a project they do not own answering 404; guardians
 * review their own trust's quarantine, another trust's instance answering 404.
 * A JSON body is not a STOW-RS body: callers allowed to store get 415 (after the permission check).
 */
const PROJECT = '6f1c0d7e-5a8b-4c3d-9e2f-0a1b2c3d4e5f';
const UNKNOWN_ID = '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a';
const STUDY = '2.25.1234';
const SERIES = '2.25.5678';
const SOP = '2.25.9012';
const partners = allow(404, 'partnerA', 'partnerB', 'partnerClientA');
const dicomweb = (suffix: string): string => `/projects/${PROJECT}/dicomweb/studies${suffix}`;

const rows: RouteRowSet = {
  name: 'imaging',
  rows: [
    { method: 'POST', route: '/dicomweb/studies', body: () => ({}), expect: allow(415, 'uploaderA', 'trustClientA') },
    {
      method: 'POST',
      route: '/dicomweb/studies/:study',
      path: () => `/dicomweb/studies/${STUDY}`,
      body: () => ({}),
      expect: allow(415, 'uploaderA', 'trustClientA'),
    },
    { method: 'GET', route: '/projects/:projectId/dicomweb/studies', path: () => dicomweb(''), expect: partners },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/series',
      path: () => dicomweb(`/${STUDY}/series`),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/instances',
      path: () => dicomweb(`/${STUDY}/instances`),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/series/:series/instances',
      path: () => dicomweb(`/${STUDY}/series/${SERIES}/instances`),
      expect: partners,
    },
    { method: 'GET', route: '/projects/:projectId/dicomweb/studies/:study', path: () => dicomweb(`/${STUDY}`), expect: partners },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/metadata',
      path: () => dicomweb(`/${STUDY}/metadata`),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/series/:series',
      path: () => dicomweb(`/${STUDY}/series/${SERIES}`),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/series/:series/metadata',
      path: () => dicomweb(`/${STUDY}/series/${SERIES}/metadata`),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/series/:series/instances/:instance',
      path: () => dicomweb(`/${STUDY}/series/${SERIES}/instances/${SOP}`),
      expect: partners,
    },
    {
      method: 'GET',
      route: '/projects/:projectId/dicomweb/studies/:study/series/:series/instances/:instance/metadata',
      path: () => dicomweb(`/${STUDY}/series/${SERIES}/instances/${SOP}/metadata`),
      expect: partners,
    },
    { method: 'GET', route: '/imaging/quarantine', expect: allow(200, 'guardianA', 'guardianB') },
    {
      method: 'POST',
      route: '/imaging/quarantine/:id/decision',
      path: () => `/imaging/quarantine/${UNKNOWN_ID}/decision`,
      body: () => ({ decision: 'reject', reason: 'route matrix' }),
      expect: allow(404, 'guardianA', 'guardianB'),
    },
    {
      method: 'GET',
      route: '/imaging/quarantine/:id/file',
      path: () => `/imaging/quarantine/${UNKNOWN_ID}/file`,
      expect: allow(404, 'guardianA', 'guardianB'),
    },
  ],
};
export default rows;
