import { HttpClient, type ClientRuntimeOptions } from '../http';

/**
 * Heroku's log input (logplex): where an add-on posts lines that then show in its app's `heroku
 * logs`. The provision's `log_input_url` names it, with credentials in the URL's user part
 * (`https://<user>:<token>@1.us.logplex.io/logs`): they are sent as Basic auth, never in the URL.
 * The body is prepared by the caller (octet-counted syslog frames, src/traffic/forwarder.ts).
 *
 * POSTs go through the one HTTP layer: 429, 503 and a refused connection are retried at once (the
 * batch surely was not taken); a 5xx or a timeout that may have been taken is thrown as retryable
 * (the caller tries again later); any other 4xx is permanent (the log input refuses it for good).
 */

export const LOGPLEX_CONTENT_TYPE = 'application/logplex-1';

export class InvalidLogInputUrl extends Error {
  override name = 'InvalidLogInputUrl';
  readonly retryable = false;
}

export interface LogInputTarget {
  origin: string;
  /** Path and query of the log input. */
  path: string;
  /** `Basic …` from the URL's user part, when it has one. */
  authorization?: string;
  /** The password part, masked in errors. */
  secret?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The log input of a `log_input_url`: https only, or http to a loopback address when `allowHttpLoopback` (local stand-ins). */
export function logInputTarget(raw: string, opts: { allowHttpLoopback: boolean }): LogInputTarget {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidLogInputUrl('log input URL is not a URL');
  }
  const httpOk = u.protocol === 'http:' && opts.allowHttpLoopback && LOOPBACK.has(u.hostname);
  if (u.protocol !== 'https:' && !httpOk) throw new InvalidLogInputUrl(`log input URL must be https (got ${u.protocol})`);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  return {
    origin: u.origin,
    path: `${u.pathname}${u.search}`,
    ...(user || password ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`, secret: password || undefined } : {}),
  };
}

export interface LogInputOptions extends Pick<ClientRuntimeOptions, 'sleep' | 'onResponse' | 'logger'> {
  timeoutMs?: number;
  /** Tries per post (the first included), for the statuses that surely were not taken. */
  maxTries?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  allowHttpLoopback: boolean;
}

export class LogInputClient {
  private readonly clients = new Map<string, HttpClient>();

  constructor(private readonly opts: LogInputOptions) {}

  private client(origin: string): HttpClient {
    let c = this.clients.get(origin);
    if (!c) {
      if (this.clients.size >= 100) this.clients.clear();
      c = new HttpClient({
        api: 'logplex',
        baseURL: origin,
        timeoutMs: this.opts.timeoutMs ?? 10_000,
        maxTries: this.opts.maxTries ?? 3,
        backoffBaseMs: this.opts.backoffBaseMs ?? 250,
        backoffMaxMs: this.opts.backoffMaxMs ?? 5_000,
        sleep: this.opts.sleep,
        onResponse: this.opts.onResponse,
        logger: this.opts.logger,
      });
      this.clients.set(origin, c);
    }
    return c;
  }

  /** Posts `frames` (the octet-counted body of `count` syslog messages) to the log input named by `url`. */
  async post(url: string, body: string, count: number): Promise<void> {
    const t = logInputTarget(url, { allowHttpLoopback: this.opts.allowHttpLoopback });
    // the credentials travel as a header; errors name the path only and mask the password
    await this.client(t.origin).post(t.path, body, {
      headers: { 'Content-Type': LOGPLEX_CONTENT_TYPE, 'Logplex-Msg-Count': String(count), Authorization: t.authorization },
      secrets: t.secret ? [t.secret] : [],
      op: 'logplex.post',
    });
  }
}
