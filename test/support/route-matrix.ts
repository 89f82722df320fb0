/**
 * The route × caller × tenant matrix (see test/e2e/route-matrix.e2e-spec.ts).
 *
 * Each module adds a file `test/e2e/route-matrix/<module>.rows.ts` whose default export is a
 * `RouteRowSet`: one row per route, with the status every caller must get. The spec loads every
 * such file, walks every route registered in Nest, and fails when a protected route has no row.
 *
 * Callers: every role (users and machine clients), two tenants where roles are scoped
 * (`guardianB`, `partnerB` are "another tenant" for rows that touch tenant A's resources), plus
 * `anonymous` (no token) and `expired` (a genuine token past its `exp`), which always get 401 on
 * protected routes.
 */
import type { TestApi } from './api.js';
import type { Caller, World } from './identity.js';

export type MatrixCaller = Caller | 'anonymous' | 'expired';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface MatrixContext extends World {
  readonly api: TestApi;
  /** Fixtures a row set's `setup` creates (ids of tenant A's resources, throwaway users...). */
  readonly extra: Record<string, string>;
}

export interface RouteRow {
  readonly method: HttpMethod;
  /** The route template as Nest registers it, e.g. `/trusts/:trustId`. */
  readonly route: string;
  /** The concrete path to call (defaults to `route`); fill parameters with tenant A's resources. */
  readonly path?: (ctx: MatrixContext) => string;
  /** JSON body (called once per caller, so it can make unique values). */
  readonly body?: (ctx: MatrixContext, caller: MatrixCaller) => unknown;
  /** Form body (application/x-www-form-urlencoded) instead of JSON. */
  readonly form?: (ctx: MatrixContext, caller: MatrixCaller) => Record<string, string>;
  /** Public routes: no 401 defaults; `expect`/`otherwise` apply to every caller, anonymous included. */
  readonly public?: boolean;
  /** Expected status per caller. */
  readonly expect: Partial<Record<MatrixCaller, number>>;
  /** Status for callers not in `expect` (default 403 on protected routes). */
  readonly otherwise?: number;
}

export interface RouteRowSet {
  readonly name: string;
  readonly setup?: (ctx: MatrixContext) => Promise<void>;
  readonly rows: readonly RouteRow[];
}

/** Expected status of one caller on one row, with the defaults applied. */
export function expectedStatus(row: RouteRow, caller: MatrixCaller): number {
  const explicit = row.expect[caller];
  if (explicit !== undefined) return explicit;
  if (!row.public && (caller === 'anonymous' || caller === 'expired')) return 401;
  return row.otherwise ?? 403;
}

/** Shorthand: the same status for several callers. */
export function allow(status: number, ...callers: MatrixCaller[]): Partial<Record<MatrixCaller, number>> {
  return Object.fromEntries(callers.map((c) => [c, status]));
}

export const PEOPLE: MatrixCaller[] = ['operator', 'auditor', 'guardianA', 'guardianB', 'uploaderA', 'partnerA', 'partnerB'];
export const MACHINES: MatrixCaller[] = ['partnerClientA', 'trustClientA'];
