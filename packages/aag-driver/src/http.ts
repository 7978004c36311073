/**
 * The driver's only way to reach a service: plain HTTP with fetch, a timeout on every call, no
 * automatic redirects (the SSO checks look at the 302 itself) and the raw Set-Cookie lines kept.
 */

export const HEROKU_ADDONS_ACCEPT = 'application/vnd.heroku-addons+json; version=3';

export interface HttpReply {
  status: number;
  headers: Headers;
  /** Each Set-Cookie line as sent. */
  setCookies: string[];
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  ms: number;
}

export interface HttpCall {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as is (a string) — the caller decides the content type, even a malformed one. */
  body?: string;
  timeoutMs?: number;
}

export class HttpFailure extends Error {}

export async function call(url: string, opts: HttpCall = {}): Promise<HttpReply> {
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      body: opts.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs ?? 10_000} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new HttpFailure(`${opts.method ?? 'GET'} ${url}: ${why}`);
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    // a connection closed mid-body: the status is what the checks need
  }
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, setCookies: res.headers.getSetCookie(), text, json, ms: Date.now() - started };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** `name=value` pairs from Set-Cookie lines, for a Cookie header. */
export function cookieHeader(setCookies: string[]): string {
  return setCookies.map((c) => c.split(';')[0].trim()).filter(Boolean).join('; ');
}

export function cookieNamed(setCookies: string[], name: string): string | undefined {
  return setCookies.find((c) => c.split('=')[0].trim() === name);
}

/** The text of `<title>`, if any. */
export function htmlTitle(html: string): string | undefined {
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  return m ? m[1].trim().replace(/\s+/g, ' ') : undefined;
}

/** `base` (which may carry a path prefix) + an absolute `path`. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path.startsWith('/') ? path : `/${path}`}`;
}

/** A body for messages: at most `max` characters, on one line. */
export function brief(text: string, max = 160): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}
