import type { Runtime } from '@harbour/runtime';

/** Queue → handler wiring. Domain libs provide the handlers; the worker only connects them. */
export async function registerJobHandlers(rt: Runtime): Promise<void> {
  void rt;
}
