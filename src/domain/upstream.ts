/**
 * The upstream the gateway forwards to: the app's own herokuapp.com host, or a user-given
 * `--upstream` option, accepted only as an https URL with a host and no credentials.
 */
export type UpstreamCheck = { ok: true; url: string } | { ok: false; message: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * `allowLoopbackHttp` (never in production) lets the local stand-ins forward to a small app on
 * http://127.0.0.1:<port>, for the demo and the end-to-end tests.
 */
export function validateUpstream(raw: string, opts: { allowLoopbackHttp?: boolean } = {}): UpstreamCheck {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, message: 'must be an https URL such as https://api.example.com' };
  }
  const loopbackHttp = opts.allowLoopbackHttp === true && u.protocol === 'http:' && LOOPBACK.has(u.hostname);
  if (u.protocol !== 'https:' && !loopbackHttp) return { ok: false, message: 'must use https' };
  if (!u.hostname) return { ok: false, message: 'must name a host' };
  if (u.username || u.password) return { ok: false, message: 'must not carry credentials' };
  if (u.search || u.hash) return { ok: false, message: 'must not carry a query or fragment' };
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
  return { ok: true, url: `${u.protocol}//${u.host}${path}` };
}

/** The upstream URL for an app host such as `myapp-1a2b3c.herokuapp.com`. */
export function upstreamForHost(hostname: string): string {
  return `https://${hostname}`;
}
