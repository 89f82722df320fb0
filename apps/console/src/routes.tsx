import type { ReactNode } from 'react';
import type { Role } from './api/session.js';
import { HomePage } from './pages/home.js';
import { RequestDetailPage, RequestsPage } from './pages/requests.js';
import { ProjectDetailPage, ProjectsPage } from './pages/projects.js';
import { AirlockOutputPage, AirlockPage } from './pages/airlock.js';
import { OptOutsPage, QuarantinePage, RevenuePage } from './pages/trust.js';
import { AuditPage, CompliancePage, VerifyPage } from './pages/audit.js';
import {
  HealthPage,
  IngestionBatchPage,
  IngestionPage,
  KeysPage,
  PartnerDetailPage,
  PartnersPage,
  TrustsPage,
  UsersPage,
} from './pages/operator.js';

export interface RouteDef {
  path: string;
  /** Shown in the navigation when set. */
  nav?: string;
  group?: 'Decisions' | 'Governance' | 'Station' | 'My organisation' | 'Overview';
  /** Who may open the page (the API checks again on every call). */
  roles: Role[];
  render(params: Record<string, string>): ReactNode;
}

const ALL: Role[] = ['guardian', 'auditor', 'operator', 'partner', 'trust-uploader'];

export const ROUTES: RouteDef[] = [
  { path: '/', nav: 'Overview', group: 'Overview', roles: ALL, render: () => <HomePage /> },
  {
    path: '/requests',
    nav: 'Access requests',
    group: 'Decisions',
    roles: ['guardian', 'partner', 'auditor'],
    render: () => <RequestsPage />,
  },
  { path: '/requests/:id', roles: ['guardian', 'partner', 'auditor'], render: (p) => <RequestDetailPage id={p['id']!} /> },
  { path: '/projects', nav: 'Projects', group: 'Decisions', roles: ['guardian', 'partner', 'auditor'], render: () => <ProjectsPage /> },
  { path: '/projects/:id', roles: ['guardian', 'partner', 'auditor'], render: (p) => <ProjectDetailPage id={p['id']!} /> },
  { path: '/airlock', nav: 'Airlock', group: 'Decisions', roles: ['guardian'], render: () => <AirlockPage /> },
  { path: '/airlock/:id', roles: ['guardian'], render: (p) => <AirlockOutputPage id={p['id']!} /> },
  { path: '/quarantine', nav: 'Imaging quarantine', group: 'Decisions', roles: ['guardian'], render: () => <QuarantinePage /> },
  { path: '/opt-outs', nav: 'Opt-outs', group: 'Decisions', roles: ['guardian', 'trust-uploader'], render: () => <OptOutsPage /> },
  { path: '/revenue', nav: 'Revenue', group: 'Governance', roles: ['guardian', 'auditor', 'operator'], render: () => <RevenuePage /> },
  { path: '/audit', nav: 'Audit trail', group: 'Governance', roles: ['auditor'], render: () => <AuditPage /> },
  { path: '/audit/verify', nav: 'Chain verification', group: 'Governance', roles: ['auditor'], render: () => <VerifyPage /> },
  { path: '/compliance', nav: 'Compliance packs', group: 'Governance', roles: ['auditor'], render: () => <CompliancePage /> },
  { path: '/trusts', nav: 'Trusts', group: 'Station', roles: ['operator'], render: () => <TrustsPage /> },
  { path: '/partners', nav: 'Partners and clients', group: 'Station', roles: ['operator'], render: () => <PartnersPage /> },
  { path: '/partners/:id', roles: ['operator'], render: (p) => <PartnerDetailPage id={p['id']!} /> },
  { path: '/users', nav: 'Users and roles', group: 'Station', roles: ['operator'], render: () => <UsersPage /> },
  {
    path: '/ingestion',
    nav: 'Ingestion',
    group: 'Station',
    roles: ['operator', 'guardian', 'trust-uploader'],
    render: () => <IngestionPage />,
  },
  { path: '/ingestion/:id', roles: ['operator', 'guardian', 'trust-uploader'], render: (p) => <IngestionBatchPage id={p['id']!} /> },
  { path: '/keys', nav: 'Keys', group: 'Station', roles: ['operator'], render: () => <KeysPage /> },
  { path: '/health', nav: 'System health', group: 'Station', roles: ['operator'], render: () => <HealthPage /> },
];
