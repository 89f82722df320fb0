import { Inject, Injectable } from '@nestjs/common';
import { MeteringService, type BillableEventInput, type MeteredEvent } from '@harbour/ledger';

/**
 * Bills the compute context's actions to the ledger (`compute.minutes` per run,
 * `output.released` per released output), in the caller's transaction, right after the audit
 * entry that proves the action. A project without a commercial agreement in effect at the time
 * is not billable: nothing is recorded (`MeteringService.recordIfBillable`).
 * Idempotency keys are derived from the action, so a re-delivered action is billed once.
 */
@Injectable()
export class ComputeMetering {
  constructor(@Inject(MeteringService) private readonly metering: MeteringService) {}

  /** Meter the event if the project has an agreement at `occurredAt`; null when it has none. */
  async meter(event: BillableEventInput): Promise<MeteredEvent | null> {
    return this.metering.recordIfBillable(event);
  }
}

/** Whole compute minutes billed for a run's wall-clock time: rounded up, at least one. */
export function computeMinutes(wallMs: number): number {
  return Math.max(1, Math.ceil(Math.max(0, wallMs) / 60_000));
}
