import { UnexpectedResponseError } from '../errors';
import type { HttpClient, TokenSource } from '../http';
import { isRecord } from './context';

export const TOKEN_PATH = '/accounts/api/v2/oauth2/token';

export interface AnypointAuthOptions {
  /** An HttpClient on the Anypoint base URL, without a token source of its own. */
  http: HttpClient;
  clientId: string;
  clientSecret: string;
  now?: () => number;
  /** The cached token is dropped this long before it expires. */
  earlyRefreshMs?: number;
}

interface Cached {
  token: string;
  /** Epoch ms after which the token is no longer handed out. */
  useUntil: number;
}

/**
 * Connected-app (client credentials) token for Anypoint, cached until 60 s before expiry.
 * Concurrent callers share one in-flight fetch; `refresh(rejected)` after a 401 fetches a new
 * token unless another caller already replaced the rejected one.
 */
export class AnypointAuth implements TokenSource {
  private cached?: Cached;
  private inflight?: Promise<string>;
  private readonly now: () => number;
  private readonly earlyMs: number;

  constructor(private readonly opts: AnypointAuthOptions) {
    this.now = opts.now ?? Date.now;
    this.earlyMs = opts.earlyRefreshMs ?? 60_000;
  }

  async get(): Promise<string> {
    if (this.cached && this.now() < this.cached.useUntil) return this.cached.token;
    return this.fetchShared();
  }

  async refresh(rejected?: string): Promise<string> {
    if (this.inflight) return this.inflight;
    if (rejected !== undefined && this.cached && this.cached.token !== rejected && this.now() < this.cached.useUntil) {
      return this.cached.token;
    }
    this.cached = undefined;
    return this.fetchShared();
  }

  /** The current token, if one is cached (for scrubbing). */
  currentToken(): string | undefined {
    return this.cached?.token;
  }

  private fetchShared(): Promise<string> {
    if (!this.inflight) {
      this.inflight = this.fetchToken().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const res = await this.opts.http.post<unknown>(
      TOKEN_PATH,
      { grant_type: 'client_credentials', client_id: this.opts.clientId, client_secret: this.opts.clientSecret },
      { retry: 'always', noAuth: true, op: 'accounts.token', headers: { 'Content-Type': 'application/json' } },
    );
    const body = res.data;
    if (!isRecord(body) || typeof body.access_token !== 'string' || !body.access_token) {
      throw new UnexpectedResponseError('accounts', 'token response without access_token');
    }
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600) || 3600;
    this.cached = { token: body.access_token, useUntil: this.now() + expiresIn * 1000 - this.earlyMs };
    return body.access_token;
  }
}
