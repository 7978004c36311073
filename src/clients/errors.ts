/**
 * Error types of the outbound clients. Every error a client throws on purpose carries
 * `retryable: boolean`:
 *   - `true`  — transient (429, 5xx, connection reset/refused/timeout): try again later;
 *   - `false` — permanent (other 4xx, a missing environment, a failed publication): retrying
 *               the same call will not help.
 * Errors that are not ours (bugs, TypeErrors) are neither retryable nor permanent by these
 * predicates; the caller's bounded retries decide.
 *
 * Messages and fields never hold Authorization headers, tokens or other secret values: bodies are
 * cut to a short excerpt and scrubbed, paths carry no query string.
 */

export interface UpstreamErrorInit {
  api: string;
  method: string;
  path: string;
  retryable: boolean;
  status?: number;
  code?: string;
  bodyExcerpt?: string;
  requestId?: string;
  attempts?: number;
  /**
   * The request may have been carried out upstream although no success was seen (a timeout,
   * a reset connection after sending, a 500/502/504). A caller that created something should
   * look it up before creating it again.
   */
  uncertain?: boolean;
  /** The wait the upstream asked for (Retry-After / X-RateLimit-Reset), when it named one. */
  retryAfterMs?: number;
  message?: string;
}

/** A call to a remote API failed: a non-success status or no answer at all. */
export class UpstreamError extends Error {
  override name = 'UpstreamError';
  readonly api: string;
  readonly method: string;
  readonly path: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly code?: string;
  readonly bodyExcerpt?: string;
  readonly requestId?: string;
  readonly attempts: number;
  readonly uncertain: boolean;
  readonly retryAfterMs?: number;

  constructor(init: UpstreamErrorInit) {
    super(init.message ?? defaultMessage(init));
    this.api = init.api;
    this.method = init.method;
    this.path = init.path;
    this.retryable = init.retryable;
    this.status = init.status;
    this.code = init.code;
    this.bodyExcerpt = init.bodyExcerpt;
    this.requestId = init.requestId;
    this.attempts = init.attempts ?? 1;
    this.uncertain = init.uncertain ?? false;
    this.retryAfterMs = init.retryAfterMs;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      api: this.api,
      method: this.method,
      path: this.path,
      status: this.status,
      errorCode: this.code,
      retryable: this.retryable,
      uncertain: this.uncertain,
      bodyExcerpt: this.bodyExcerpt,
      requestId: this.requestId,
      attempts: this.attempts,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** A 409 from any API (e.g. Exchange `ASSET_PRE_CONDITIONS_FAILED`): read the resource, check it is ours. */
export class ConflictError extends UpstreamError {
  override name = 'ConflictError';
}

/** The configured Anypoint environment does not exist in the organisation. Permanent. */
export class EnvironmentNotFoundError extends Error {
  override name = 'EnvironmentNotFoundError';
  readonly retryable = false;
  constructor(
    readonly environment: string,
    readonly available: readonly string[],
  ) {
    super(
      `Anypoint environment "${environment}" not found; the organisation has: ${
        available.length ? available.map((n) => `"${n}"`).join(', ') : '(none)'
      }`,
    );
  }
}

/** A response that does not have the shape the client relies on (e.g. a create without an id). */
export class UnexpectedResponseError extends Error {
  override name = 'UnexpectedResponseError';
  readonly retryable = false;
  constructor(
    readonly api: string,
    message: string,
  ) {
    super(`${api}: ${message}`);
  }
}

function defaultMessage(init: UpstreamErrorInit): string {
  const what = `${init.api} ${init.method} ${init.path}`;
  const status = init.status !== undefined ? String(init.status) : 'no response';
  const code = init.code ? ` ${init.code}` : '';
  const body = init.bodyExcerpt ? `: ${init.bodyExcerpt}` : '';
  return `${what} failed (${status}${code})${body}`;
}

function flag(err: unknown): boolean | undefined {
  if (err && typeof err === 'object' && 'retryable' in err) {
    const v = (err as { retryable: unknown }).retryable;
    if (typeof v === 'boolean') return v;
  }
  return undefined;
}

/** True for errors a client marked transient (worth trying again later). */
export function isRetryable(err: unknown): boolean {
  return flag(err) === true;
}

/** True for errors a client marked permanent (trying again will not help). */
export function isPermanent(err: unknown): boolean {
  return flag(err) === false;
}

export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError;
}
