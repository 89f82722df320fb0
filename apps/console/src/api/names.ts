import { useEffect, useState } from 'react';
import { api, listOf } from './client.js';
import type { Partner, Trust } from './types.js';

let cache: Promise<{ trusts: Map<string, Trust>; partners: Map<string, Partner> }> | undefined;

async function load(): Promise<{ trusts: Map<string, Trust>; partners: Map<string, Partner> }> {
  const [t, p] = await Promise.all([api.get('/trusts').catch(() => []), api.get('/partners').catch(() => [])]);
  return {
    trusts: new Map(listOf<Trust>(t).items.map((x) => [x.id, x])),
    partners: new Map(listOf<Partner>(p).items.map((x) => [x.id, x])),
  };
}

/** Names of trusts and partners for ids (best effort: ids are shown when a list is not readable). */
export function useNames(): { trust(id: string | null | undefined): string; partner(id: string | null | undefined): string } {
  const [names, setNames] = useState<{ trusts: Map<string, Trust>; partners: Map<string, Partner> }>();
  useEffect(() => {
    cache ??= load();
    let live = true;
    void cache.then((n) => live && setNames(n));
    return () => {
      live = false;
    };
  }, []);
  return {
    trust: (id) => (id ? (names?.trusts.get(id)?.name ?? id.slice(0, 8)) : '—'),
    partner: (id) => (id ? (names?.partners.get(id)?.name ?? id.slice(0, 8)) : '—'),
  };
}

/** Forget cached names (after an operator creates a trust or partner). */
export function forgetNames(): void {
  cache = undefined;
}
