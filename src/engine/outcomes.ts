/**
 * How a step ends other than by succeeding. The engine turns these into what happens next:
 * - Wait: the job is re-scheduled (delayed) and the step runs again later; never sleep in a slot;
 * - PermanentFailure: the workflow's failure path (compensation, a reason on the record);
 * - any error a client marked permanent (an upstream 4xx) counts as a PermanentFailure of its step;
 * - any other error is retried by the job queue with backoff, up to the workflow's deadline.
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
