import type { ReactNode } from 'react';
import { api, listOf } from '../api/client.js';
import { useSession } from '../api/session.js';
import { normaliseRequest, type AuditEntry } from '../api/types.js';
import { Link } from '../router.js';
import { BarChart, lastWeeks, weekOf } from '../ui/charts.js';
import { DataView, PageHeader, Section } from '../ui/components.js';
import { fmtNumber } from '../ui/format.js';
import { useApi, type Loadable } from '../ui/use-api.js';
import { awaitingDecision } from './requests.js';

function Tile({ label, value, to }: { label: string; value: Loadable<number>; to: string }): ReactNode {
  const shown = value.state === 'ready' ? fmtNumber(value.data) : value.state === 'loading' ? '…' : '—';
  return (
    <Link to={to} className="tile">
      <span className="tile-value">{shown}</span>
      <span className="tile-label">{label}</span>
      {value.state === 'unavailable' ? <span className="tile-note">not available yet</span> : null}
    </Link>
  );
}

async function count(path: string, query?: Record<string, string>): Promise<number> {
  return listOf(await api.get(path, query)).items.length;
}

function GuardianTiles({ trustId }: { trustId: string | undefined }): ReactNode {
  const waiting = useApi(
    async () =>
      listOf<unknown>(await api.get('/access-requests'))
        .items.map(normaliseRequest)
        .filter((r) => awaitingDecision(r, trustId)).length,
    [trustId],
  );
  const airlock = useApi(() => count('/airlock/outputs', { status: 'pending' }), []);
  const quarantine = useApi(() => count('/imaging/quarantine'), []);
  const projects = useApi(
    async () =>
      listOf<unknown>(await api.get('/projects'))
        .items.map(normaliseRequest)
        .filter((p) => p.status === 'active').length,
    [],
  );
  return (
    <Section title="Waiting for you">
      <div className="tiles">
        <Tile label="requests awaiting your trust’s decision" value={waiting} to="/requests" />
        <Tile label="outputs in the airlock" value={airlock} to="/airlock" />
        <Tile label="images in quarantine" value={quarantine} to="/quarantine" />
        <Tile label="active projects" value={projects} to="/projects" />
      </div>
    </Section>
  );
}

/** Queries and jobs per week, counted from the audit trail (auditors read it station-wide). */
function ActivityChart(): ReactNode {
  const weeks = lastWeeks(8);
  const data = useApi(async () => {
    const from = new Date(`${weeks[0]}T00:00:00Z`).toISOString();
    const entries: AuditEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = listOf<AuditEntry>(await api.get('/audit/entries', { from, limit: 500, cursor }));
      entries.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && entries.length < 5000);
    return entries;
  }, []);
  return (
    <Section title="Activity">
      <DataView value={data} what="activity">
        {(entries) => {
          const per = (test: (a: string) => boolean): number[] =>
            weeks.map((w) => entries.filter((e) => test(e.action) && weekOf(new Date(e.at)) === w).length);
          return (
            <BarChart
              title="Queries and jobs per week (last 8 weeks, from the audit trail)"
              categories={weeks}
              series={[
                { name: 'Queries', values: per((a) => a.startsWith('query.')) },
                { name: 'Jobs', values: per((a) => a.startsWith('compute.') || a.startsWith('job.')) },
                { name: 'Sign-ins', values: per((a) => a === 'auth.login_succeeded') },
              ]}
            />
          );
        }}
      </DataView>
    </Section>
  );
}

function OperatorTiles(): ReactNode {
  const trusts = useApi(() => count('/trusts'), []);
  const partners = useApi(() => count('/partners'), []);
  const users = useApi(() => count('/users'), []);
  const batches = useApi(() => count('/ingestion/batches'), []);
  return (
    <Section title="The station">
      <div className="tiles">
        <Tile label="trusts" value={trusts} to="/trusts" />
        <Tile label="partners" value={partners} to="/partners" />
        <Tile label="users" value={users} to="/users" />
        <Tile label="ingestion batches" value={batches} to="/ingestion" />
      </div>
    </Section>
  );
}

function PartnerTiles(): ReactNode {
  const requests = useApi(() => count('/access-requests'), []);
  const projects = useApi(() => count('/projects'), []);
  return (
    <Section title="Your organisation">
      <div className="tiles">
        <Tile label="access requests" value={requests} to="/requests" />
        <Tile label="projects" value={projects} to="/projects" />
      </div>
    </Section>
  );
}

export function HomePage(): ReactNode {
  const { me, hasRole } = useSession();
  return (
    <>
      <PageHeader title="Overview" description="What needs your attention on this Harbour station." />
      {hasRole('guardian') ? <GuardianTiles trustId={me?.trustId} /> : null}
      {hasRole('auditor') ? <ActivityChart /> : null}
      {hasRole('auditor') ? (
        <p>
          <Link to="/audit">Search the audit trail</Link> · <Link to="/audit/verify">Verify the chain</Link> ·{' '}
          <Link to="/compliance">Download a compliance pack</Link>
        </p>
      ) : null}
      {hasRole('operator') ? <OperatorTiles /> : null}
      {hasRole('partner') ? <PartnerTiles /> : null}
      {hasRole('trust-uploader') && !hasRole('guardian') ? (
        <p>
          Upload opt-out lists on the <Link to="/opt-outs">opt-outs page</Link>, and follow your uploads under{' '}
          <Link to="/ingestion">ingestion</Link>.
        </p>
      ) : null}
    </>
  );
}
