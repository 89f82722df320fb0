/**
 * Every route × every caller × tenant. Two checks that keep the API closed by construction:
 * 1. every route registered in Nest declares a permission or `@Public()` (the guard refuses
 *    undeclared routes anyway; this makes forgetting visible in CI);
 * 2. every protected route has a row in the matrix (`test/e2e/route-matrix/*.rows.ts`), and
 *    every caller gets the status its row expects: the role's permission, the tenant's 404,
 *    401 without a token and with an expired one.
 * Add a `<module>.rows.ts` file for new routes; see `test/support/route-matrix.ts`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { PERMISSION_KEY, PUBLIC_KEY } from '@harbour/auth';
import { findProjectRoot } from '@harbour/config';
import { startTestApi, type TestApi } from '../support/api.js';
import { CALLERS, createWorld, http } from '../support/identity.js';
import { expectedStatus, type MatrixCaller, type MatrixContext, type RouteRow, type RouteRowSet } from '../support/route-matrix.js';

interface DiscoveredRoute {
  readonly key: string;
  readonly controller: string;
  readonly handler: string;
  readonly permission: string | undefined;
  readonly isPublic: boolean;
}

const join2 = (...parts: string[]): string =>
  `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** Walk Nest's module container: every controller method with route metadata. */
function discoverRoutes(api: TestApi): DiscoveredRoute[] {
  const out: DiscoveredRoute[] = [];
  for (const mod of api.app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const cls = wrapper.metatype as (new (...a: unknown[]) => unknown) | undefined;
      if (!cls?.prototype) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, cls) as string | string[] | undefined) ?? '';
      for (const name of Object.getOwnPropertyNames(cls.prototype)) {
        const fn = (cls.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof fn !== 'function') continue;
        const sub = Reflect.getMetadata(PATH_METADATA, fn) as string | string[] | undefined;
        if (sub === undefined) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, fn) as number];
        const permission = (Reflect.getMetadata(PERMISSION_KEY, fn) ?? Reflect.getMetadata(PERMISSION_KEY, cls)) as string | undefined;
        const isPublic = Boolean(Reflect.getMetadata(PUBLIC_KEY, fn) ?? Reflect.getMetadata(PUBLIC_KEY, cls));
        for (const b of [base].flat())
          for (const s of [sub].flat())
            out.push({ key: `${method} ${join2(b, s)}`, controller: cls.name, handler: name, permission, isPublic });
      }
    }
  }
  return out;
}

async function loadRowSets(): Promise<RouteRowSet[]> {
  const dir = join(findProjectRoot(), 'test', 'e2e', 'route-matrix');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.rows.ts'))
    .sort();
  const sets: RouteRowSet[] = [];
  for (const f of files) sets.push(((await import(pathToFileURL(join(dir, f)).href)) as { default: RouteRowSet }).default);
  return sets;
}

describe('route matrix: every route, every role, every tenant', () => {
  let api: TestApi;
  let ctx: MatrixContext;
  let sets: RouteRowSet[];
  let routes: DiscoveredRoute[];
  before(async () => {
    api = await startTestApi();
    const world = await createWorld(api);
    ctx = { ...world, api, extra: {} };
    sets = await loadRowSets();
    routes = discoverRoutes(api);
    for (const s of sets) await s.setup?.(ctx);
  });
  after(async () => api?.close());

  test('every registered route declares a permission or @Public()', () => {
    assert.ok(routes.length > 10, `found ${routes.length} routes`);
    const undeclared = routes.filter((r) => !r.permission && !r.isPublic).map((r) => `${r.key} (${r.controller}.${r.handler})`);
    assert.deepEqual(undeclared, [], 'routes without @RequirePermission or @Public');
  });

  test('every protected route has a row in the matrix', () => {
    const rowKeys = new Set(sets.flatMap((s) => s.rows.map((r) => `${r.method} ${r.route}`)));
    const missing = routes.filter((r) => !r.isPublic && !rowKeys.has(r.key)).map((r) => r.key);
    assert.deepEqual(missing, [], 'add rows for these routes in test/e2e/route-matrix/<module>.rows.ts');
    const known = new Set(routes.map((r) => r.key));
    const stale = [...rowKeys].filter((k) => !known.has(k));
    assert.deepEqual(stale, [], 'rows for routes that are not registered');
  });

  test('every caller gets the expected status on every route', async () => {
    const callers: MatrixCaller[] = ['anonymous', 'expired', ...CALLERS];
    const tokenOf = (c: MatrixCaller): string | undefined =>
      c === 'anonymous' ? undefined : c === 'expired' ? ctx.expiredToken : ctx.tokens[c];
    const failures: string[] = [];
    let calls = 0;
    for (const set of sets) {
      for (const row of set.rows as RouteRow[]) {
        for (const caller of callers) {
          const path = row.path ? row.path(ctx) : row.route;
          const res = await http(api, row.method, path, {
            token: tokenOf(caller),
            ...(row.body ? { body: row.body(ctx, caller) } : {}),
            ...(row.form ? { form: row.form(ctx, caller) } : {}),
          });
          calls++;
          const want = expectedStatus(row, caller);
          if (res.status !== want)
            failures.push(
              `${set.name}: ${row.method} ${path} as ${caller}: got ${res.status}, want ${want} ${JSON.stringify(res.body).slice(0, 160)}`,
            );
        }
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${calls} calls disagree with the matrix`);
  });
});
