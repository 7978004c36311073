import type { Config } from '../config';
import { randomUUID } from 'node:crypto';
import axios, { type AxiosInstance, type AxiosResponse, type Method } from 'axios';
import type { Logger } from '../logger';
import { EXCERPT_MAX, excerpt, scrub } from '../redact';
import { ConflictError, UpstreamError } from './errors';

/**
 * The one outbound HTTP layer: a timeout per call, bounded retries with exponential backoff and
 * full jitter, Retry-After / X-RateLimit-Reset honoured, a request id on every call, a bearer
 * token with one refresh on 401, and typed, scrubbed errors.
 *
 * Retry policy (`retry` option of a request):
 *   - 'safe' (default): GET/HEAD/OPTIONS/PUT/DELETE/PATCH retry on every retryable failure
 *     (429, 500, 502, 503, 504, connection reset/refused/timeout). POST retries only where the
 *     request was surely not processed: 429, 503 and connection refused. A POST that timed out
 *     or got 500/502/504 is thrown at once with `retryable: true, uncertain: true` so the caller
 *     can look the resource up before creating it again.
 *   - 'always': every retryable failure is retried, whatever the method (idempotent POSTs).
 *   - 'none': a single try.
 * Tries are bounded by `maxTries` (first try included). A 401 with a token source refreshes the
 * token once and repeats the call once; that repeat does not count as a try.
 */

export type RetryMode = 'safe' | 'none' | 'always';
export type HttpMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Supplies a bearer token; `refresh` is called once when a call answers 401. */
export interface TokenSource {
  get(): Promise<string>;
  /** A fresh token. `rejected` is the token that got the 401 (lets concurrent callers share one refresh). */
  refresh(rejected?: string): Promise<string>;
}

export interface ResponseInfo {
  api: string;
  /** Logical operation name given by the caller (e.g. 'exchange.createAsset'), for metrics labels. */
  op?: string;
  method: HttpMethod;
  path: string;
  /** Undefined when no response came (connection error, timeout). */
  status?: number;
  ms: number;
  attempt: number;
  requestId: string;
}

export interface HttpClientOptions {
  /** Name of the remote API, used in errors, logs and metrics (e.g. 'exchange'). */
  api: string;
  baseURL: string;
  timeoutMs?: number;
  /** Tries per call, the first included. */
  maxTries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  headers?: Record<string, string>;
  auth?: TokenSource;
  /** Known secret values, masked in every error message and excerpt. */
  secrets?: () => readonly string[];
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); for the jitter. */
  random?: () => number;
  /** Epoch ms; for Retry-After dates and X-RateLimit-Reset. */
  now?: () => number;
  onResponse?: (info: ResponseInfo) => void;
  logger?: Logger;
  /** Default request id when a call names none. */
  requestId?: () => string;
  axiosInstance?: AxiosInstance;
}

/** Runtime knobs shared by the client factories (tests inject sleep/random/now). */
export interface ClientRuntimeOptions {
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  logger?: Logger;
  onResponse?: (info: ResponseInfo) => void;
  /** More values to mask in errors (the client secret and current tokens are always masked). */
  secrets?: () => readonly string[];
  /** Exchange publication polling (202 answers). */
  publicationPollMs?: number;
  publicationMaxPolls?: number;
}

/** The HttpClient options every client factory derives from the config and the runtime knobs. */
export function sharedHttpOptions(
  cfg: Pick<Config, 'HTTP_TIMEOUT_MS' | 'HTTP_MAX_TRIES' | 'HTTP_BACKOFF_BASE_MS' | 'HTTP_BACKOFF_MAX_MS'>,
  opts: ClientRuntimeOptions,
  secrets: () => readonly string[],
) {
  return {
    timeoutMs: cfg.HTTP_TIMEOUT_MS,
    maxTries: cfg.HTTP_MAX_TRIES,
    backoffBaseMs: cfg.HTTP_BACKOFF_BASE_MS,
    backoffMaxMs: cfg.HTTP_BACKOFF_MAX_MS,
    sleep: opts.sleep,
    random: opts.random,
    now: opts.now,
    logger: opts.logger,
    onResponse: opts.onResponse,
    secrets,
  };
}

export interface RequestOptions {
  method: HttpMethod;
  /** Path relative to the base URL, or an absolute URL on the same origin. */
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  headers?: Record<string, string | undefined>;
  /** Objects are sent as JSON; Buffer/string/URLSearchParams as they are. */
  body?: unknown;
  /** Non-2xx statuses to return instead of throwing (e.g. [404] for "already gone"). */
  okStatuses?: readonly number[];
  retry?: RetryMode;
  maxTries?: number;
  timeoutMs?: number;
  requestId?: string;
  /** Skip the token source for this call. */
  noAuth?: boolean;
  /** A token source for this call only (e.g. one Heroku add-on's token), instead of the client's. */
  auth?: TokenSource;
  op?: string;
  /** Secret values of this call only (e.g. an OAuth grant code), masked in its errors. */
  secrets?: readonly string[];
  /** Sees the status and headers of every answer of this call, each try's (e.g. rate-limit headers). */
  onHeaders?: (status: number, headers: Record<string, string>) => void;
}

export interface HttpResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string>;
  requestId: string;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Statuses that mean the request surely was not processed. */
const NOT_PROCESSED_STATUSES = new Set([429, 503]);
const IDEMPOTENT = new Set<HttpMethod>(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'PATCH']);
/** Connection errors worth a retry, and whether the request may have reached the server. */
const CONNECTION_CODES: Record<string, { uncertain: boolean }> = {
  ECONNREFUSED: { uncertain: false },
  EAI_AGAIN: { uncertain: false },
  ECONNRESET: { uncertain: true },
  ETIMEDOUT: { uncertain: true },
  ECONNABORTED: { uncertain: true },
  ESOCKETTIMEDOUT: { uncertain: true },
  EPIPE: { uncertain: true },
  ERR_SOCKET_CONNECTION_TIMEOUT: { uncertain: true },
};


export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Failure {
  status?: number;
  code?: string;
  retryable: boolean;
  uncertain: boolean;
  bodyExcerpt?: string;
  hintMs?: number;
  message?: string;
}

export class HttpClient {
  readonly api: string;
  readonly baseURL: string;
  private readonly ax: AxiosInstance;
  private readonly timeoutMs: number;
  private readonly maxTries: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly opts: HttpClientOptions) {
    this.api = opts.api;
    this.baseURL = opts.baseURL.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.maxTries = Math.max(1, opts.maxTries ?? 5);
    this.backoffBaseMs = opts.backoffBaseMs ?? 250;
    this.backoffMaxMs = opts.backoffMaxMs ?? 30_000;
    this.sleep = opts.sleep ?? realSleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.ax =
      opts.axiosInstance ??
      axios.create({
        validateStatus: () => true,
        maxRedirects: 0,
        maxContentLength: 10 * 1024 * 1024,
        transitional: { clarifyTimeoutError: false, silentJSONParsing: true, forcedJSONParsing: true },
      });
  }

  get<T = unknown>(path: string, opts: Omit<RequestOptions, 'method' | 'path'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...opts, method: 'GET', path });
  }

  post<T = unknown>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'path' | 'body'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...opts, method: 'POST', path, body });
  }

  patch<T = unknown>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'path' | 'body'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...opts, method: 'PATCH', path, body });
  }

  put<T = unknown>(path: string, body?: unknown, opts: Omit<RequestOptions, 'method' | 'path' | 'body'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...opts, method: 'PUT', path, body });
  }

  delete<T = unknown>(path: string, opts: Omit<RequestOptions, 'method' | 'path'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({ ...opts, method: 'DELETE', path });
  }

  async request<T = unknown>(req: RequestOptions): Promise<HttpResponse<T>> {
    const method = req.method;
    const { url, safePath } = this.resolve(req.path, method);
    const requestId = req.requestId ?? this.opts.requestId?.() ?? randomUUID();
    const mode: RetryMode = req.retry ?? 'safe';
    const maxTries = Math.max(1, req.maxTries ?? this.maxTries);
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const auth = req.noAuth ? undefined : (req.auth ?? this.opts.auth);

    let token = auth ? await auth.get() : undefined;
    let refreshed = false;
    let attempt = 0;

    for (;;) {
      attempt += 1;
      const headers = this.headersFor(req, requestId, token);
      const started = this.now();
      let res: AxiosResponse | undefined;
      let failure: Failure | undefined;
      try {
        res = await this.send(method, url, req, headers, timeoutMs);
      } catch (err) {
        failure = this.connectionFailure(err, this.secretsFor(token, req.secrets));
      }
      const ms = Math.max(0, this.now() - started);
      this.report({ api: this.api, op: req.op, method, path: safePath, status: res?.status, ms, attempt, requestId });

      if (res) {
        const status = res.status;
        req.onHeaders?.(status, flatHeaders(res.headers));
        if ((status >= 200 && status < 300) || req.okStatuses?.includes(status)) {
          return { status, data: res.data as T, headers: flatHeaders(res.headers), requestId };
        }
        if (status === 401 && auth && !refreshed) {
          refreshed = true;
          token = await auth.refresh(token);
          attempt -= 1; // the repeat after a refresh is not a try of its own
          continue;
        }
        failure = this.statusFailure(res, this.secretsFor(token, req.secrets));
      }

      const f = failure!;
      const mayRetry = attempt < maxTries && shouldRetry(mode, method, f);
      if (!mayRetry) {
        throw this.toError(f, { method, path: safePath, requestId, attempts: attempt });
      }
      const delay = this.delayFor(attempt, f.hintMs);
      this.opts.logger?.warn(
        { api: this.api, op: req.op, method, path: safePath, status: f.status, errorCode: f.code, attempt, delayMs: delay, requestId },
        'upstream call failed; retrying',
      );
      await this.sleep(delay);
    }
  }

  /** The backoff before try `attempt + 1`: the upstream's hint if any, else full jitter; capped. */
  delayFor(attempt: number, hintMs?: number): number {
    if (hintMs !== undefined) return Math.min(this.backoffMaxMs, Math.max(0, hintMs));
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async send(
    method: HttpMethod,
    url: string,
    req: RequestOptions,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<AxiosResponse> {
    // axios' own timeout watches the socket; the abort is a hard deadline for the whole call.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      return await this.ax.request({
        method: method as Method,
        url,
        params: cleanQuery(req.query),
        headers,
        data: req.body,
        timeout: timeoutMs,
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) {
        const e = new Error(`timeout of ${timeoutMs}ms exceeded`) as Error & { code: string };
        e.code = 'ECONNABORTED';
        throw e;
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private headersFor(req: RequestOptions, requestId: string, token?: string): Record<string, string> {
    const h: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': 'anypoint-api-gateway',
      ...this.opts.headers,
    };
    for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) h[k] = v;
    h['X-Request-Id'] = requestId;
    if (token) h.Authorization = `Bearer ${token}`;
    return h;
  }

  /**
   * The URL of a call. A path is taken under the base URL; a link with a scheme or an authority
   * (`https://…`, `//host/…`, `https:host`) is followed only when its origin is the base URL's
   * origin, without credentials in it. Anything else (another host, port or scheme, userinfo,
   * backslashes) is a permanent error thrown before any token is read or sent.
   */
  private resolve(path: string, method: HttpMethod): { url: string; safePath: string } {
    const base = new URL(this.baseURL + '/');
    const refuse = (why: string): never => {
      throw new UpstreamError({
        api: this.api,
        method,
        path: '(link)',
        code: 'OFF_ORIGIN_LINK',
        retryable: false,
        message: `${this.api}: refused to follow a link ${why}; only ${base.origin} is called`,
      });
    };
    if (typeof path !== 'string' || path.includes('\\') || [...path].some((c) => c.charCodeAt(0) < 0x20)) refuse('with a backslash or a control character');
    let target: URL;
    if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
      // a scheme: read on its own (`https:evil` is https://evil/, never a path of ours)
      try {
        target = new URL(path);
      } catch {
        return refuse('that is not a valid URL');
      }
    } else if (path.startsWith('//')) {
      target = new URL(base.protocol + path);
    } else {
      target = new URL(this.baseURL + (path.startsWith('/') ? path : `/${path}`));
    }
    if (target.username || target.password) refuse('with credentials in it');
    if (target.origin !== base.origin) refuse(`to another origin (${target.host || target.protocol})`);
    return { url: target.toString(), safePath: target.pathname };
  }

  private secretsFor(token?: string, extra: readonly string[] = []): string[] {
    const list = [...(this.opts.secrets?.() ?? []), ...extra];
    if (token) list.push(token);
    return list;
  }

  private statusFailure(res: AxiosResponse, secrets: readonly string[]): Failure {
    const status = res.status;
    const retryable = RETRYABLE_STATUSES.has(status);
    const headers = flatHeaders(res.headers);
    return {
      status,
      code: upstreamCode(res.data),
      retryable,
      uncertain: retryable && !NOT_PROCESSED_STATUSES.has(status),
      bodyExcerpt: excerpt(res.data, secrets),
      hintMs: retryable ? waitHint(status, headers, this.now()) : undefined,
    };
  }

  private connectionFailure(err: unknown, secrets: readonly string[]): Failure {
    const e = err as { code?: unknown; message?: unknown };
    const code = typeof e?.code === 'string' ? e.code : undefined;
    const message = typeof e?.message === 'string' ? e.message : 'request failed';
    const known = code ? CONNECTION_CODES[code] : undefined;
    const hangUp = /socket hang up/i.test(message);
    const timeout = /timeout/i.test(message);
    const retryable = !!known || hangUp || timeout;
    return {
      code: code ?? (hangUp ? 'ECONNRESET' : timeout ? 'ETIMEDOUT' : undefined),
      retryable,
      uncertain: known ? known.uncertain : retryable,
      message: scrub(message, secrets).slice(0, EXCERPT_MAX),
    };
  }

  private toError(f: Failure, where: { method: HttpMethod; path: string; requestId: string; attempts: number }): UpstreamError {
    const init = {
      api: this.api,
      method: where.method,
      path: where.path,
      status: f.status,
      code: f.code,
      retryable: f.retryable,
      uncertain: f.uncertain,
      bodyExcerpt: f.bodyExcerpt,
      requestId: where.requestId,
      attempts: where.attempts,
      retryAfterMs: f.hintMs,
      message:
        f.status === undefined
          ? `${this.api} ${where.method} ${where.path} failed: ${f.code ?? 'error'}${f.message ? ` (${f.message})` : ''}`
          : undefined,
    };
    return f.status === 409 ? new ConflictError(init) : new UpstreamError(init);
  }

  private report(info: ResponseInfo): void {
    try {
      this.opts.onResponse?.(info);
    } catch {
      // a metrics hook must never break a call
    }
  }
}

function shouldRetry(mode: RetryMode, method: HttpMethod, f: Failure): boolean {
  if (!f.retryable || mode === 'none') return false;
  if (mode === 'always') return true;
  return IDEMPOTENT.has(method) || !f.uncertain;
}

function cleanQuery(q: RequestOptions['query']): Record<string, string> | undefined {
  if (!q) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

export function flatHeaders(h: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h || typeof h !== 'object') return out;
  const src = typeof (h as { toJSON?: unknown }).toJSON === 'function' ? (h as { toJSON(): object }).toJSON() : h;
  for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

/**
 * How long the upstream asked us to wait, in ms: `Retry-After` (seconds or an HTTP date), else
 * `X-RateLimit-Reset` (epoch seconds; small values read as seconds from now) on a 429 or when
 * `X-RateLimit-Remaining` is 0.
 */
export function waitHint(status: number, headers: Record<string, string>, now: number): number | undefined {
  const ra = headers['retry-after']?.trim();
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers['x-ratelimit-reset']?.trim();
  const remaining = headers['x-ratelimit-remaining']?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset) && (status === 429 || remaining === '0')) {
    const n = Number(reset);
    // epoch seconds; a value below ~2001-09 is a delta in seconds
    return n > 1e9 ? Math.max(0, Math.round(n * 1000 - now)) : Math.round(n * 1000);
  }
  return undefined;
}

/** An upstream error code from a body: `code`, `errorCode`, `error` (OAuth) or Heroku's `id`. */
export function upstreamCode(data: unknown): string | undefined {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const d = data as Record<string, unknown>;
  for (const k of ['code', 'errorCode', 'error']) {
    const v = d[k];
    if (typeof v === 'string' && /^[A-Za-z][A-Za-z0-9_.-]{0,80}$/.test(v)) return v;
  }
  // Heroku: {"id": "rate_limit", "message": "..."}
  if (typeof d.id === 'string' && /^[a-z][a-z_]{1,60}$/.test(d.id)) return d.id;
  return undefined;
}
