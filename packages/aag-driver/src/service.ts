import { basicAuth, call, HEROKU_ADDONS_ACCEPT, joinUrl, type HttpReply } from './http';
import type { Credentials } from './options';
import { formBody } from './tokens';

/** The add-on service as Heroku (and the user's browser) calls it. */

export interface CallOptions {
  /** Authorization header value; default: good Basic credentials. `null` sends none. */
  auth?: string | null;
  contentType?: string;
  timeoutMs?: number;
}

export class ServiceClient {
  constructor(
    readonly url: string,
    readonly creds: Credentials,
  ) {}

  get goodAuth(): string {
    return basicAuth(this.creds.id, this.creds.password);
  }

  private headers(o: CallOptions, body: boolean): Record<string, string> {
    const h: Record<string, string> = { Accept: HEROKU_ADDONS_ACCEPT, 'User-Agent': 'aag-driver (Heroku add-on protocol v3)' };
    const auth = o.auth === undefined ? this.goodAuth : o.auth;
    if (auth !== null) h.Authorization = auth;
    if (body) h['Content-Type'] = o.contentType ?? 'application/json';
    return h;
  }

  /** `POST /heroku/webhooks/:uuid` as Heroku's webhook deliveries come (no Basic auth: their own Authorization and signature). */
  webhook(uuid: string, body: string, headers: Record<string, string> = {}): Promise<HttpReply> {
    return call(joinUrl(this.url, `/heroku/webhooks/${encodeURIComponent(uuid)}`), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'Heroku Webhooks', ...headers },
      body,
    });
  }

  /** `POST /heroku/resources`; a string body is sent as is (malformed on purpose). */
  provision(body: unknown, o: CallOptions = {}): Promise<HttpReply> {
    return call(joinUrl(this.url, '/heroku/resources'), {
      method: 'POST',
      headers: this.headers(o, true),
      body: typeof body === 'string' ? body : JSON.stringify(body),
      timeoutMs: o.timeoutMs,
    });
  }

  changePlan(uuid: string, plan: string, o: CallOptions = {}): Promise<HttpReply> {
    return this.changePlanBody(uuid, { plan }, o);
  }

  /** `PUT /heroku/resources/:uuid` with any body (older callers add `heroku_id`, `uuid`). */
  changePlanBody(uuid: string, body: Record<string, unknown>, o: CallOptions = {}): Promise<HttpReply> {
    return call(joinUrl(this.url, `/heroku/resources/${encodeURIComponent(uuid)}`), {
      method: 'PUT',
      headers: this.headers(o, true),
      body: JSON.stringify(body),
      timeoutMs: o.timeoutMs,
    });
  }

  deprovision(uuid: string, o: CallOptions = {}): Promise<HttpReply> {
    return call(joinUrl(this.url, `/heroku/resources/${encodeURIComponent(uuid)}`), {
      method: 'DELETE',
      headers: this.headers(o, false),
      timeoutMs: o.timeoutMs,
    });
  }

  /** The browser's form post to `sso_url`. */
  ssoPost(fields: Record<string, string>): Promise<HttpReply> {
    return call(joinUrl(this.url, '/sso/login'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/html' },
      body: formBody(fields),
    });
  }

  /** The SSO v1 GET form (`GET /heroku/resources/:id?token=&timestamp=`, ended 2023): a service must not sign in with it. */
  ssoLegacyGet(uuid: string, token: string, timestamp: string): Promise<HttpReply> {
    const q = new URLSearchParams({ token, timestamp }).toString();
    return call(joinUrl(this.url, `/heroku/resources/${encodeURIComponent(uuid)}?${q}`), { headers: { Accept: 'text/html' } });
  }

  /** A browser's form post to a path of the service from one of its own pages, with an optional Cookie header. */
  postForm(path: string, fields: Record<string, string>, cookie?: string): Promise<HttpReply> {
    return this.postFormFrom(new URL(this.url).origin, path, fields, cookie);
  }

  /** The same post as a page of `origin` would send it (another site's page: a forgery). */
  postFormFrom(origin: string, path: string, fields: Record<string, string>, cookie?: string): Promise<HttpReply> {
    const sameOrigin = origin === new URL(this.url).origin;
    return call(new URL(path, `${this.url}/`).toString(), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'text/html',
        Origin: origin,
        'Sec-Fetch-Site': sameOrigin ? 'same-origin' : 'cross-site',
        ...(cookie ? { Cookie: cookie } : {}),
      },
      body: formBody(fields),
    });
  }

  /** A GET of a path or absolute URL (a redirect's Location), with an optional Cookie header. */
  get(pathOrUrl: string, cookie?: string): Promise<HttpReply> {
    const url = /^https?:\/\//i.test(pathOrUrl) ? pathOrUrl : new URL(pathOrUrl, `${this.url}/`).toString();
    return call(url, { headers: { Accept: 'text/html', ...(cookie ? { Cookie: cookie } : {}) } });
  }
}
