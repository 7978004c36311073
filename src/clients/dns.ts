import { Resolver } from 'node:dns/promises';
import type { Config } from '../config';
import { refusedAddress, type UpstreamPolicy, validateUpstream } from '../domain/upstream';

/**
 * What an upstream's host resolves to, and the check that puts the pure rules of
 * src/domain/upstream.ts together with that lookup. The web calls `checkUpstream` when Heroku asks
 * for an add-on (short timeout: Heroku waits for the answer); the worker calls it again right
 * before it hands the upstream to Anypoint (`guardUpstream` in src/workflows/upstream.ts), since
 * DNS can change in between. DNS can change after that too: the README says what the network
 * layer must still do.
 */

/** Addresses of a host name (A and AAAA). Rejects with a `code` (ENOTFOUND, ENODATA, ETIMEOUT…) when it cannot say. */
export type HostResolver = (host: string) => Promise<string[]>;

/** Codes that mean "this name has no address" (as opposed to "the lookup failed this time"). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN', 'ENONAME']);

export class ResolveError extends Error {
  constructor(
    readonly code: string,
    host: string,
  ) {
    super(`${host}: ${code}`);
  }
}

/** The system's DNS servers (c-ares, not getaddrinfo: it can be timed out), A and AAAA in parallel. */
export function systemResolver(timeoutMs: number): HostResolver {
  const dns = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs / 2)), tries: 2 });
  return async (host) => {
    const [a, aaaa] = await Promise.allSettled([dns.resolve4(host), dns.resolve6(host)]);
    const found = [...(a.status === 'fulfilled' ? a.value : []), ...(aaaa.status === 'fulfilled' ? aaaa.value : [])];
    if (found.length) return found;
    const codes = [a, aaaa].map((r) => (r.status === 'rejected' ? String((r.reason as { code?: unknown })?.code ?? 'EFAIL') : 'ENODATA'));
    throw new ResolveError(codes.find((c) => !NO_SUCH_NAME.has(c)) ?? codes[0], host);
  };
}

export interface UpstreamCheckOptions {
  policy: UpstreamPolicy;
  resolve: HostResolver;
  /** The longest a lookup may take; past it, the lookup counts as failed this time. */
  timeoutMs: number;
}

export type UpstreamVerdict =
  | { ok: true; url: string; /** lenient mode accepted a name that did not resolve */ warning?: string }
  | { ok: false; message: string; /** the lookup failed this time (not "no such name"): worth trying again */ transient?: boolean };

function withTimeout<T>(p: Promise<T>, ms: number, host: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ResolveError('ETIMEOUT', host)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The rules on the URL's text, then on every address its host resolves to. */
export async function checkUpstream(raw: unknown, opts: UpstreamCheckOptions): Promise<UpstreamVerdict> {
  const text = validateUpstream(raw, opts.policy);
  if (!text.ok) return text;
  if (!text.resolve) return { ok: true, url: text.url };
  let addresses: string[];
  try {
    addresses = await withTimeout(opts.resolve(text.host), opts.timeoutMs, text.host);
  } catch (err) {
    const code = String((err as { code?: unknown })?.code ?? 'EFAIL');
    const missing = NO_SUCH_NAME.has(code);
    if (opts.policy.mode === 'lenient') {
      return { ok: true, url: text.url, warning: `${text.host} did not resolve (${code}); accepted because UPSTREAM_CHECK=lenient` };
    }
    return missing
      ? { ok: false, message: `does not resolve: ${text.host} has no address in DNS` }
      : { ok: false, message: `could not be looked up just now (${code}); try again in a minute`, transient: true };
  }
  if (!addresses.length) {
    if (opts.policy.mode === 'lenient') return { ok: true, url: text.url, warning: `${text.host} has no address; accepted because UPSTREAM_CHECK=lenient` };
    return { ok: false, message: `does not resolve: ${text.host} has no address in DNS` };
  }
  const refused = refusedAddress(text.host, addresses);
  return refused ? { ok: false, message: refused } : { ok: true, url: text.url };
}

/** The policy the config asks for: its mode, and this service's own host as a forbidden upstream. */
export function upstreamPolicy(cfg: Pick<Config, 'UPSTREAM_CHECK' | 'PUBLIC_URL'>): UpstreamPolicy {
  const ownHosts = cfg.PUBLIC_URL ? [new URL(cfg.PUBLIC_URL).hostname] : [];
  return { mode: cfg.UPSTREAM_CHECK, ownHosts };
}
