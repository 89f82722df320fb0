import { Injectable } from '@nestjs/common';

/**
 * What other contexts must do when a project (or one trust's part of it) ends: cancel queued
 * and running jobs, purge cached de-identified data. Their modules register a listener at start
 * (`onModuleInit`); `AccessService` calls every one inside the transaction that ends the grant,
 * so the end takes effect at once and atomically. The registry holds wiring, not state.
 */
export interface ProjectEnded {
  readonly projectId: string;
  /** Trusts whose grant just ended (all of them when the whole project ended). */
  readonly trustIds: readonly string[];
  /** The project as a whole is no longer active. */
  readonly projectEnded: boolean;
  readonly reason: 'revoked' | 'expired' | 'closed';
}

export interface ProjectLifecycleListener {
  onProjectEnded(event: ProjectEnded): Promise<void>;
}

@Injectable()
export class ProjectLifecycleRegistry {
  private readonly listeners: ProjectLifecycleListener[] = [];

  register(listener: ProjectLifecycleListener): void {
    this.listeners.push(listener);
  }

  async notify(event: ProjectEnded): Promise<void> {
    for (const l of this.listeners) await l.onProjectEnded(event);
  }
}
