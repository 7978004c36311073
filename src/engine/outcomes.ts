import { EnvironmentNotFoundError, isUpstreamError, UnexpectedResponseError } from '../clients/errors';

/**
 * How a step ends other than by succeeding. The engine turns these into what happens next:
 * - Wait: the job is re-scheduled (delayed) and the step runs again later; never sleep in a slot;
 * - PermanentFailure: the workflow's failure path (compensation, a reason on the record);
 * - any error a client marked permanent (an upstream 4xx) counts as a PermanentFailure of its step;
 * - TransientFailure, and any other error, is retried by the job queue with backoff, up to the
 *   workflow's deadline.
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
  /**
   * `reason` is shown to the add-on's owner (dashboard, record): plain words, no internals.
   * `advice` says what to do; without it the workflow's own advice is used.
   */
  constructor(
    readonly reason: string,
    readonly advice?: string,
  ) {
    super(reason);
  }
}

/** A failure worth trying again later, with words users may see on the timeline. */
export class TransientFailure extends Error {
  override name = 'TransientFailure';
  readonly retryable = true;
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Who an upstream error came from, in the words users know. */
function remoteName(api: string): string {
  if (api.startsWith('heroku')) return 'Heroku';
  if (api === 'cloudhub' || api === 'proxies') return 'Anypoint Runtime Manager';
  if (api === 'exchange') return 'Anypoint Exchange';
  if (api === 'apimanager') return 'Anypoint API Manager';
  return 'Anypoint';
}

/**
 * Words for an error, safe to store on the record and show on the dashboard: who failed and how,
 * never the upstream's ids, paths, environment names or bodies (those go to the operator log with
 * `errorFields`, and to the queue console with the job).
 */
export function describeError(err: unknown): string {
  if (err instanceof PermanentFailure || err instanceof TransientFailure) return err.reason;
  if (err instanceof EnvironmentNotFoundError) return 'the gateway service is not set up correctly on our side (its Anypoint environment is missing)';
  if (err instanceof UnexpectedResponseError) return `${remoteName(err.api)} gave an answer we could not use`;
  if (isUpstreamError(err)) {
    const who = remoteName(err.api);
    const s = err.status;
    if (err.code === 'OFF_ORIGIN_LINK') return `${who} answered with a link to another site, which was not followed`;
    if (err.code === 'PUBLICATION_FAILED') return `${who} could not publish the API`;
    if (err.code === 'PUBLICATION_PENDING') return `${who} is still publishing the API`;
    if (s === undefined) return `${who} did not answer (${err.code ?? 'no response'})`;
    if (s === 429) return `${who} asked us to slow down (429)`;
    if (s >= 500) return `${who} had a server error (${s})`;
    if (s === 404) return `${who} could not find what we asked for (404)`;
    if (s === 409) return `${who} reported a conflict (409)`;
    return `${who} refused the request (${s})`;
  }
  return 'an internal error occurred';
}
