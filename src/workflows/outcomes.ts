/**
 * How a step ends other than by succeeding. The runner turns these into BullMQ behaviour:
 * - Wait: re-schedule the job (delayed) — never sleep in a worker slot;
 * - PermanentFailure: run compensation, mark the record failed, tell Heroku;
 * - Stopped: a DELETE arrived while provisioning; the deprovision job tears down.
 * Any other error is retried by BullMQ with backoff.
 */
export class Wait extends Error {
  override name = 'Wait';
  constructor(
    readonly ms: number,
    readonly why: string,
  ) {
    super(`waiting ${ms} ms: ${why}`);
  }
}

export class PermanentFailure extends Error {
  override name = 'PermanentFailure';
  /** `reason` is shown to the add-on's owner on the dashboard: plain words, no internals. */
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Words for an error, safe to store on the record and show on the dashboard. */
export function describeError(err: unknown): string {
  if (err instanceof PermanentFailure) return err.reason;
  if (err instanceof Error) return err.message.slice(0, 300);
  return 'unknown error';
}
