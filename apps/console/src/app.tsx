import { useEffect, type ReactNode } from 'react';
import { SessionProvider, useSession } from './api/session.js';
import { Link, RouterProvider, match, navigate, useLocation } from './router.js';
import { ROUTES, type RouteDef } from './routes.js';
import { FlashArea, FlashProvider, Loading, PageHeader } from './ui/components.js';
import { LoginPage } from './pages/login.js';

const ROLE_LABEL: Record<string, string> = {
  guardian: 'Data guardian',
  auditor: 'Auditor',
  operator: 'Operator',
  partner: 'Research partner',
  'trust-uploader': 'Trust uploader',
};

function Nav(): ReactNode {
  const { me } = useSession();
  const { path } = useLocation();
  if (!me) return null;
  const visible = ROUTES.filter((r) => r.nav && r.roles.some((role) => me.roles.includes(role)));
  const groups = [...new Set(visible.map((r) => r.group ?? 'Overview'))];
  return (
    <nav aria-label="Main" className="sidenav">
      {groups.map((g) => (
        <div key={g}>
          <h2 className="nav-group">{g}</h2>
          <ul>
            {visible
              .filter((r) => (r.group ?? 'Overview') === g)
              .map((r) => {
                const current = r.path === '/' ? path === '/' : path === r.path || path.startsWith(`${r.path}/`);
                return (
                  <li key={r.path}>
                    <Link to={r.path} aria-current={current ? 'page' : undefined}>
                      {r.nav}
                    </Link>
                  </li>
                );
              })}
          </ul>
        </div>
      ))}
    </nav>
  );
}

function NoAccess(): ReactNode {
  return (
    <>
      <PageHeader title="No access" />
      <div className="callout callout-error" role="alert" data-testid="no-access">
        <p>
          <strong>You do not have access to this page.</strong> Your role does not include it. If you think it should, ask your station
          operator.
        </p>
      </div>
      <p>
        <Link to="/">Go to your overview</Link>
      </p>
    </>
  );
}

function NotFound(): ReactNode {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no console page at this address. <Link to="/">Go to your overview</Link>.
      </p>
    </>
  );
}

function resolve(path: string): { route: RouteDef; params: Record<string, string> } | undefined {
  for (const route of ROUTES) {
    const params = match(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}

function Shell(): ReactNode {
  const { me, restoring, signOut, endedReason } = useSession();
  const { path, search } = useLocation();

  useEffect(() => {
    if (me && path === '/login') navigate(search.get('next') ?? '/', { replace: true });
  }, [me, path, search]);

  if (restoring) return <Loading label="Restoring your session…" />;
  if (!me) return <LoginPage notice={endedReason} />;

  const found = resolve(path);
  const allowed = found && found.route.roles.some((r) => me.roles.includes(r));
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          Harbour <span>console</span>
        </Link>
        <div className="who">
          <span data-testid="whoami">{me.roles.map((r) => ROLE_LABEL[r] ?? r).join(', ') || 'No role'}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="layout">
        <Nav />
        <main id="main" tabIndex={-1}>
          <FlashArea />
          {!found ? <NotFound /> : allowed ? found.route.render(found.params) : <NoAccess />}
        </main>
      </div>
    </div>
  );
}

export function App(): ReactNode {
  return (
    <RouterProvider>
      <SessionProvider>
        <FlashProvider>
          <Shell />
        </FlashProvider>
      </SessionProvider>
    </RouterProvider>
  );
}
