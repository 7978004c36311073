import { isIP } from 'node:net';

/**
 * The upstream the gateway forwards to: the app's own herokuapp.com host, or a user-given
 * `--upstream` option, accepted only as an https URL with a public host name (no IP literal, no
 * localhost, no single-label intranet name), no credentials, no query or fragment.
 */
export type UpstreamCheck = { ok: true; url: string } | { ok: false; message: string };

const LOOPBACK = new Set(['127.0.0.1', 'localhost']);

/**
 * `allowLoopbackHttp` (never in production) lets the local stand-ins forward to a small app on
 * http://127.0.0.1:<port>, for the demo and the end-to-end tests.
 */
export function validateUpstream(raw: string, opts: { allowLoopbackHttp?: boolean } = {}): UpstreamCheck {
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (!text) return { ok: false, message: 'must be a URL, e.g. https://api.example.com' };
  if (text.length > 2048) return { ok: false, message: 'is too long (2048 characters at most)' };
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { ok: false, message: 'is not a valid URL (e.g. https://api.example.com)' };
  }
  if (u.username || u.password) return { ok: false, message: 'must not contain credentials' };
  if (u.search || u.hash || text.includes('?') || text.includes('#')) return { ok: false, message: 'must not have a query string or fragment' };
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
  if (opts.allowLoopbackHttp === true && u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return { ok: true, url: `${u.origin}${path}` };
  if (u.protocol !== 'https:') return { ok: false, message: 'must use https://' };
  // "localhost." is localhost: trailing dots go before the checks
  const host = u.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
  if (!host) return { ok: false, message: 'has no host' };
  if (isIP(host) || host === 'localhost' || host.endsWith('.localhost') || !host.includes('.')) {
    return { ok: false, message: 'must name a public domain' };
  }
  return { ok: true, url: `${u.origin}${path}` };
}

/** The upstream URL for an app host such as `myapp-1a2b3c.herokuapp.com`. */
export function upstreamForHost(hostname: string): string {
  return `https://${hostname}`;
}
