/**
 * Runs writes one at a time, in submission order, while the caller prepares the next one:
 * `submit` waits for the previous write (not for the new one), so reading and encrypting chunk
 * n + 1 overlaps with the database writing chunk n. A failed write is reported by the next
 * `submit` or by `drain`; nothing after it is started.
 */
export class SerialWriter {
  private inflight: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  /** Wait for the write in flight, then start `write` without waiting for it. */
  async submit(write: () => Promise<void>): Promise<void> {
    await this.drain();
    // Attach the handler now: a write that fails while the caller is busy must not be unhandled.
    this.inflight = write().catch((error: unknown) => {
      this.failure = { error };
    });
  }

  /** Wait for the write in flight; throws its error if it failed. */
  async drain(): Promise<void> {
    await this.inflight;
    if (this.failure) throw this.failure.error;
  }

  /** Wait for the write in flight, whatever its outcome (cleanup after another failure). */
  async settle(): Promise<void> {
    await this.inflight;
  }
}
