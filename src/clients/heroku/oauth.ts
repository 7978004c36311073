import { randomBytes } from 'node:crypto';
import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';

export interface HerokuTokens {
  accessToken: string;
  refreshToken: string;
  /** ISO 8601. */
  expiresAt: string;
  /** Heroku's user id of the grant (present on the grant exchange; kept from before on a refresh). */
  userId?: string;
}

export interface HerokuOAuthClientOptions {
  /** An HttpClient on HEROKU_ID_URL. */
  http: HttpClient;
  /** The add-on's OAuth client secret (partner portal), not the manifest password. */
  clientSecret: string;
  now?: () => number;
}

/**
 * Heroku's OAuth token endpoint (`POST {HEROKU_ID_URL}/oauth/token`, form-encoded).
 * A grant exchange is not repeated after a timeout (a code works once): the error says
 * `uncertain: true`. Refreshes are retried (refresh tokens do not rotate today).
 */
export class HerokuOAuthClient {
  private readonly now: () => number;

  constructor(private readonly opts: HerokuOAuthClientOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Exchanges the provisioning `oauth_grant.code` (it dies about 5 minutes after the request). */
  exchangeGrant(code: string): Promise<HerokuTokens> {
    return this.token(
      new URLSearchParams({ grant_type: 'authorization_code', code, client_secret: this.opts.clientSecret }),
      'safe',
      'heroku.oauth.grant',
      [code],
    );
  }

  /** A new access token; the refresh token is kept when the answer names none. */
  async refresh(refreshToken: string, userId?: string): Promise<HerokuTokens> {
    const t = await this.token(
      new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_secret: this.opts.clientSecret }),
      'always',
      'heroku.oauth.refresh',
      [refreshToken],
    );
    return { ...t, refreshToken: t.refreshToken || refreshToken, userId: t.userId ?? userId };
  }

  /**
   * Whether the identity service accepts our client secret, without a grant or a customer's token:
   * a refresh with a token that cannot exist is refused either way, but for a different reason. A
   * wrong client secret is `401` (`unauthorized` / `invalid_client`); a good secret with an unknown
   * token is `400 invalid_grant` (or a `404`). Anything else is reported as it came.
   */
  async checkClientSecret(): Promise<{ verdict: 'accepted' | 'refused' | 'unclear'; status: number; code?: string }> {
    const bogus = `preflight-${randomBytes(16).toString('hex')}`;
    const res = await this.opts.http.post<unknown>(
      '/oauth/token',
      new URLSearchParams({ grant_type: 'refresh_token', refresh_token: bogus, client_secret: this.opts.clientSecret }).toString(),
      {
        secrets: [bogus],
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        okStatuses: [400, 401, 403, 404, 422],
        noAuth: true,
        op: 'heroku.oauth.check',
      },
    );
    const d = res.data && typeof res.data === 'object' ? (res.data as Record<string, unknown>) : {};
    const code = [d.error, d.id].find((v): v is string => typeof v === 'string');
    if (res.status === 401 || res.status === 403 || code === 'unauthorized' || code === 'invalid_client') return { verdict: 'refused', status: res.status, code };
    if (res.status === 400 || res.status === 404 || res.status === 422) return { verdict: 'accepted', status: res.status, code };
    return { verdict: 'unclear', status: res.status, code };
  }

  private async token(form: URLSearchParams, retry: 'safe' | 'always', op: string, secrets: string[] = []): Promise<HerokuTokens> {
    const res = await this.opts.http.post<unknown>('/oauth/token', form.toString(), {
      secrets,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      retry,
      noAuth: true,
      op,
    });
    const d = res.data;
    if (!d || typeof d !== 'object' || typeof (d as { access_token?: unknown }).access_token !== 'string') {
      throw new UnexpectedResponseError('heroku-id', 'token response without access_token');
    }
    const b = d as { access_token: string; refresh_token?: unknown; expires_in?: unknown; user_id?: unknown };
    const expiresIn = Number(b.expires_in);
    const seconds = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 28_800;
    return {
      accessToken: b.access_token,
      refreshToken: typeof b.refresh_token === 'string' ? b.refresh_token : '',
      expiresAt: new Date(this.now() + seconds * 1000).toISOString(),
      userId: typeof b.user_id === 'string' ? b.user_id : typeof b.user_id === 'number' ? String(b.user_id) : undefined,
    };
  }
}

export interface RefreshingTokenSourceOptions {
  tokens: HerokuTokens;
  oauth: HerokuOAuthClient;
  /** Called with the new tokens after each refresh (store them, encrypted). */
  onRefresh?: (tokens: HerokuTokens) => void | Promise<void>;
  now?: () => number;
  /** Refresh this long before `expiresAt`. */
  earlyRefreshMs?: number;
}

/**
 * A `HerokuTokenSource` over stored tokens: refreshes shortly before expiry and on demand (after a
 * 401); concurrent refreshes share one request.
 */
export class RefreshingHerokuTokenSource {
  private tokens: HerokuTokens;
  private inflight?: Promise<string>;
  private readonly now: () => number;
  private readonly earlyMs: number;

  constructor(private readonly opts: RefreshingTokenSourceOptions) {
    this.tokens = opts.tokens;
    this.now = opts.now ?? Date.now;
    this.earlyMs = opts.earlyRefreshMs ?? 60_000;
  }

  async get(): Promise<string> {
    const exp = Date.parse(this.tokens.expiresAt);
    if (Number.isNaN(exp) || this.now() >= exp - this.earlyMs) return this.refresh();
    return this.tokens.accessToken;
  }

  refresh(rejected?: string): Promise<string> {
    if (this.inflight) return this.inflight;
    if (rejected !== undefined && rejected !== this.tokens.accessToken) return Promise.resolve(this.tokens.accessToken);
    this.inflight = (async () => {
      const next = await this.opts.oauth.refresh(this.tokens.refreshToken, this.tokens.userId);
      this.tokens = next;
      await this.opts.onRefresh?.(next);
      return next.accessToken;
    })().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }
}
