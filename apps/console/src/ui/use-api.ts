import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';

export type Loadable<T> =
  { state: 'loading' } | { state: 'error'; error: ApiError } | { state: 'unavailable'; error: ApiError } | { state: 'ready'; data: T };

function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, 'client_error', e instanceof Error ? e.message : String(e));
}

/** Load data for a page; re-runs when `deps` change; `reload()` after an action. */
export function useApi<T>(load: () => Promise<T>, deps: readonly unknown[]): Loadable<T> & { reload(): void } {
  const [value, setValue] = useState<Loadable<T>>({ state: 'loading' });
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const n = ++latest.current;
    setValue((v) => (v.state === 'ready' ? v : { state: 'loading' }));
    load().then(
      (data) => {
        if (n === latest.current) setValue({ state: 'ready', data });
      },
      (e: unknown) => {
        if (n !== latest.current) return;
        const error = toApiError(e);
        setValue(error.unavailable ? { state: 'unavailable', error } : { state: 'error', error });
      },
    );
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...value, reload };
}

/** Run an action (a POST): busy flag, error, and the confirmation message to show. */
export function useAction(): {
  busy: boolean;
  error: ApiError | undefined;
  /** `{ value }` on success (even when the API answers 204), undefined on failure (see `error`). */
  run<T>(fn: () => Promise<T>): Promise<{ value: T } | undefined>;
  clear(): void;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = useCallback(async <T>(fn: () => Promise<T>): Promise<{ value: T } | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return { value: await fn() };
    } catch (e) {
      setError(toApiError(e));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, clear: () => setError(undefined) };
}
