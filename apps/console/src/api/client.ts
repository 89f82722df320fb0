/**
 * The console's only way to the station: the same HTTP API partners use, same origin, bearer
 * tokens from `POST /auth/login`. No back door: every page's data comes through here.
 */

export interface SessionTokens {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

/** An error answer of the API (`{ code, message, correlationId }`), or a network failure. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly correlationId?: string,
    readonly fields?: readonly { field: string; messages: readonly string[] }[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The route is not on this station yet (an API module that has not landed), not a missing record. */
  get unavailable(): boolean {
    return (
      this.code === 'route_not_found' ||
      (this.status === 404 && this.code === 'not_found' && /^Cannot (GET|POST|PUT|PATCH|DELETE)/.test(this.message))
    );
  }
}

type Listener = () => void;

const REFRESH_KEY = 'harbour.console.refresh';

/**
 * Holds the session. The access token lives in memory only; the refresh token in
 * sessionStorage (this tab only, gone when it closes) so a reload keeps you signed in.
 */
export class ApiClient {
  #access: string | undefined;
  #refreshing: Promise<boolean> | undefined;
  #listeners = new Set<Listener>();

  constructor(private readonly base = '') {}

  get accessToken(): string | undefined {
    return this.#access;
  }

  onSessionChange(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #emit(): void {
    for (const fn of this.#listeners) fn();
  }

  setTokens(t: SessionTokens | undefined): void {
    this.#access = t?.accessToken;
    try {
      if (t) sessionStorage.setItem(REFRESH_KEY, t.refreshToken);
      else sessionStorage.removeItem(REFRESH_KEY);
    } catch {
      // storage refused (private mode): the session just does not survive a reload
    }
    this.#emit();
  }

  storedRefreshToken(): string | undefined {
    try {
      return sessionStorage.getItem(REFRESH_KEY) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** Rotate the refresh token; false when the session is over. One refresh at a time. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= (async () => {
      const refreshToken = this.storedRefreshToken();
      if (!refreshToken) return false;
      try {
        const t = await this.request<SessionTokens>('POST', '/auth/refresh', { body: { refreshToken }, auth: false });
        this.setTokens(t);
        return true;
      } catch {
        this.setTokens(undefined);
        return false;
      }
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async login(username: string, password: string, totp?: string): Promise<SessionTokens> {
    const t = await this.request<SessionTokens>('POST', '/auth/login', {
      body: totp ? { username, password, totp } : { username, password },
      auth: false,
    });
    this.setTokens(t);
    return t;
  }

  async logout(): Promise<void> {
    const refreshToken = this.storedRefreshToken();
    try {
      if (refreshToken) await this.request('POST', '/auth/logout', { body: { refreshToken }, auth: false });
    } finally {
      this.setTokens(undefined);
    }
  }

  get<T>(path: string, query?: Record<string, string | number | boolean | undefined | null>): Promise<T> {
    return this.request<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** A file from the API (compliance pack, audit export, airlock content). */
  async download(
    path: string,
    query?: Record<string, string | undefined>,
  ): Promise<{ blob: Blob; filename: string | undefined; contentType: string }> {
    const res = await this.#fetch('GET', withQuery(path, query), {});
    const cd = res.headers.get('content-disposition') ?? '';
    const filename = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd)?.[1];
    return {
      blob: await res.blob(),
      filename: filename ? decodeURIComponent(filename) : undefined,
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    };
  }

  async request<T>(
    method: string,
    path: string,
    opts: { body?: unknown; auth?: boolean; raw?: BodyInit; contentType?: string } = {},
  ): Promise<T> {
    const res = await this.#fetch(method, path, opts);
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('json')) return (await res.json()) as T;
    return (await res.text()) as T;
  }

  async #fetch(
    method: string,
    path: string,
    opts: { body?: unknown; auth?: boolean; raw?: BodyInit; contentType?: string },
    retried = false,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.auth !== false && this.#access) headers['authorization'] = `Bearer ${this.#access}`;
    let body: BodyInit | undefined;
    if (opts.raw !== undefined) {
      body = opts.raw;
      if (opts.contentType) headers['content-type'] = opts.contentType;
    } else if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body, credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, 'network_error', 'The station could not be reached. Check your connection and try again.');
    }
    if (res.ok) return res;
    const err = await toApiError(res);
    if (res.status === 401 && opts.auth !== false && !retried && err.code !== 'mfa_required' && (await this.refresh())) {
      return this.#fetch(method, path, opts, true);
    }
    if (res.status === 401 && opts.auth !== false) this.setTokens(undefined);
    throw err;
  }
}

async function toApiError(res: Response): Promise<ApiError> {
  let body: { code?: unknown; message?: unknown; correlationId?: unknown; fields?: unknown } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // not JSON: keep the status
  }
  const code = typeof body.code === 'string' ? body.code : `http_${res.status}`;
  const message = typeof body.message === 'string' ? body.message : res.statusText || `HTTP ${res.status}`;
  const fields = Array.isArray(body.fields) ? (body.fields as { field: string; messages: string[] }[]) : undefined;
  // Nest answers unknown routes with "Cannot GET /x": the module has not landed on this station.
  const routeMissing = res.status === 404 && /^Cannot (GET|POST|PUT|PATCH|DELETE) /.test(message);
  return new ApiError(
    res.status,
    routeMissing ? 'route_not_found' : code,
    message,
    typeof body.correlationId === 'string' ? body.correlationId : undefined,
    fields,
  );
}

export function withQuery(path: string, query?: Record<string, string | number | boolean | undefined | null>): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

/** A list answer, whatever its envelope: `[...]`, `{ items }`, `{ data }`, `{ entries }`. */
export function listOf<T>(x: unknown): { items: T[]; nextCursor: string | undefined } {
  if (Array.isArray(x)) return { items: x.map(camelKeys) as T[], nextCursor: undefined };
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    for (const k of ['items', 'data', 'entries', 'results', 'outputs', 'requests', 'projects', 'batches', 'statements']) {
      if (Array.isArray(o[k])) {
        const c = o['nextCursor'] ?? o['next_cursor'] ?? o['cursor'];
        return { items: (o[k] as unknown[]).map(camelKeys) as T[], nextCursor: typeof c === 'string' && c ? c : undefined };
      }
    }
  }
  return { items: [], nextCursor: undefined };
}

export const api = new ApiClient();

/** Some modules answer with SQL rows (`trust_id`): give pages one spelling (`trustId`). One level only. */
export function camelKeys<T>(x: T): T {
  if (!x || typeof x !== 'object' || Array.isArray(x)) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return out as T;
}
