import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api } from './client.js';

export type Role = 'guardian' | 'auditor' | 'operator' | 'trust-uploader' | 'partner';

/** Who is signed in, read from the access token's claims (the API re-checks everything). */
export interface Me {
  id: string;
  roles: Role[];
  trustId: string | undefined;
  partnerId: string | undefined;
  expiresAt: number;
}

function decodeClaims(token: string): Me | undefined {
  try {
    const part = token.split('.')[1];
    if (!part) return undefined;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const c = JSON.parse(json) as Record<string, unknown>;
    const roles = Array.isArray(c['roles']) ? (c['roles'] as Role[]) : [];
    return {
      id: String(c['sub'] ?? ''),
      roles,
      trustId: typeof c['trust_id'] === 'string' ? c['trust_id'] : undefined,
      partnerId: typeof c['partner_id'] === 'string' ? c['partner_id'] : undefined,
      expiresAt: typeof c['exp'] === 'number' ? c['exp'] * 1000 : Date.now() + 300_000,
    };
  } catch {
    return undefined;
  }
}

interface SessionValue {
  me: Me | undefined;
  /** True until a stored session has been tried at start. */
  restoring: boolean;
  /** Why the last session ended without the person asking (expired, revoked). */
  endedReason: string | undefined;
  signOut(): Promise<void>;
  hasRole(...roles: Role[]): boolean;
}

const SessionContext = createContext<SessionValue | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }): ReactNode {
  const [me, setMe] = useState<Me | undefined>(() => (api.accessToken ? decodeClaims(api.accessToken) : undefined));
  const [restoring, setRestoring] = useState(() => !api.accessToken && api.storedRefreshToken() !== undefined);
  const [endedReason, setEndedReason] = useState<string | undefined>();

  useEffect(() => {
    let wasSignedIn = api.accessToken !== undefined;
    const off = api.onSessionChange(() => {
      const token = api.accessToken;
      if (!token && wasSignedIn) setEndedReason('Your session ended. Please sign in again.');
      if (token) setEndedReason(undefined);
      wasSignedIn = token !== undefined;
      setMe(token ? decodeClaims(token) : undefined);
    });
    if (restoring) void api.refresh().finally(() => setRestoring(false));
    return off;
  }, []);

  // Refresh a minute before the access token expires, so pages never see a 401 mid-action.
  useEffect(() => {
    if (!me) return;
    const wait = Math.max(5_000, me.expiresAt - Date.now() - 60_000);
    const t = setTimeout(() => void api.refresh(), wait);
    return () => clearTimeout(t);
  }, [me]);

  const signOut = useCallback(async () => {
    await api.logout();
    setEndedReason(undefined);
  }, []);
  const value = useMemo<SessionValue>(
    () => ({ me, restoring, endedReason, signOut, hasRole: (...roles) => !!me && roles.some((r) => me.roles.includes(r)) }),
    [me, restoring, endedReason, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(SessionContext);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}
