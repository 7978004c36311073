import { isIP } from 'node:net';

/**
 * The upstream the gateway forwards to: the app's own herokuapp.com host, or a user-given
 * `--upstream` option. Pure rules, no I/O: the text of the URL here, and what its host resolves to
 * (`blockedAddress`); the lookup itself lives in src/clients/dns.ts.
 *
 * `strict` (production): https on port 443 only, a public domain name (no IP literal, no
 * localhost, no single-label or reserved name, no cloud-metadata name, not CloudHub, not this
 * service), and every address it resolves to must be public.
 * `lenient` (development, tests, the demo): the same, except that http(s) to a loopback literal
 * (127.0.0.1, [::1], localhost) is accepted on any port, so the local stand-ins can forward to a
 * small local app; IP literals of private ranges and cloud metadata are still refused.
 */

export type UpstreamMode = 'strict' | 'lenient';

export interface UpstreamPolicy {
  mode: UpstreamMode;
  /** Hosts of this service itself (PUBLIC_URL's host): never an upstream. */
  ownHosts?: readonly string[];
}

export type UpstreamText =
  | { ok: true; url: string; host: string; /** false: a loopback literal accepted in lenient mode, nothing to resolve */ resolve: boolean }
  | { ok: false; message: string };

/** Names that are cloud metadata services whatever they resolve to. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata.azure.com', 'instance-data.ec2.internal', 'metadata.tencentyun.com']);

/** Suffixes reserved for private use or that never name a public host. */
const RESERVED_SUFFIXES = ['localhost', 'local', 'internal', 'localdomain', 'home.arpa', 'intranet', 'invalid', 'lan'];

/** Hosts whose upstream would loop into the gateways themselves (other tenants' proxies included). */
const GATEWAY_SUFFIXES = ['cloudhub.io'];

const LOOPBACK_NAMES = new Set(['localhost']);

const endsWithDomain = (host: string, suffix: string) => host === suffix || host.endsWith(`.${suffix}`);

export function validateUpstream(raw: unknown, policy: UpstreamPolicy): UpstreamText {
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
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return { ok: false, message: 'must use https://' };
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
  const url = `${u.origin}${path}`;
  // the WHATWG parser already turned 0x7f.1, 2130706433 and friends into dotted quads
  const host = u.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase();
  if (!host) return { ok: false, message: 'has no host' };

  const literal = isIP(host) !== 0;
  if (policy.mode === 'lenient' && (LOOPBACK_NAMES.has(host) || (literal && blockedAddress(host)?.kind === 'loopback'))) {
    return { ok: true, url, host, resolve: false };
  }
  if (u.protocol !== 'https:') return { ok: false, message: 'must use https://' };
  if (u.port !== '') return { ok: false, message: 'must use the standard https port (443)' };
  if (literal) {
    const blocked = blockedAddress(host);
    if (blocked) return { ok: false, message: `must not point at ${blocked.words}` };
    return { ok: false, message: 'must name a public domain, not an IP address' };
  }
  if (METADATA_NAMES.has(host)) return { ok: false, message: 'must not point at a cloud metadata service' };
  if (LOOPBACK_NAMES.has(host) || !host.includes('.') || RESERVED_SUFFIXES.some((s) => endsWithDomain(host, s))) {
    return { ok: false, message: 'must name a public domain' };
  }
  if (GATEWAY_SUFFIXES.some((s) => endsWithDomain(host, s))) return { ok: false, message: "must not point at a CloudHub gateway (*.cloudhub.io): give your app's own URL" };
  if ((policy.ownHosts ?? []).some((h) => h.toLowerCase().replace(/\.+$/, '') === host)) return { ok: false, message: 'must not point at the gateway service itself' };
  return { ok: true, url, host, resolve: true };
}

// ---- addresses ------------------------------------------------------------------------------

export type BlockedKind = 'metadata' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'unique-local' | 'multicast' | 'unspecified' | 'reserved';

export interface Blocked {
  kind: BlockedKind;
  /** e.g. "a private address (10.0.0.1)" */
  words: string;
}

const KIND_WORDS: Record<BlockedKind, string> = {
  metadata: 'a cloud metadata service',
  loopback: 'a loopback address',
  private: 'a private address',
  'link-local': 'a link-local address',
  cgnat: 'a carrier-grade NAT address',
  'unique-local': 'a unique-local IPv6 address',
  multicast: 'a multicast address',
  unspecified: 'an unspecified address',
  reserved: 'a reserved address',
};

type Range = [prefix: number[], bits: number, kind: BlockedKind];

/** Single addresses first (cloud metadata endpoints), then ranges; the first match names the kind. */
const V4: Range[] = [
  [[169, 254, 169, 254], 32, 'metadata'], // AWS, GCP, Azure, OCI, DigitalOcean
  [[169, 254, 170, 2], 32, 'metadata'], // AWS ECS task metadata
  [[100, 100, 100, 200], 32, 'metadata'], // Alibaba Cloud
  [[168, 63, 129, 16], 32, 'metadata'], // Azure WireServer
  [[0, 0, 0, 0], 8, 'unspecified'],
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'cgnat'],
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'],
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'],
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'],
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'],
];

const hex16 = (s: string) => [parseInt(s.slice(0, 2), 16), parseInt(s.slice(2, 4), 16)];
const v6 = (groups: string[]) => groups.flatMap((g) => hex16(g.padStart(4, '0')));

const V6: Range[] = [
  [v6(['fd00', '0ec2', '0', '0', '0', '0', '0', '0254']), 128, 'metadata'], // AWS IMDS over IPv6
  [v6(['0', '0', '0', '0', '0', '0', '0', '0']), 128, 'unspecified'],
  [v6(['0', '0', '0', '0', '0', '0', '0', '1']), 128, 'loopback'],
  [v6(['0064', 'ff9b', '0001']), 48, 'reserved'], // local-use NAT64
  [v6(['0100', '0', '0', '0']), 64, 'reserved'], // discard-only
  [v6(['2001', '0000']), 32, 'reserved'], // Teredo (hides an IPv4 address)
  [v6(['2001', '0db8']), 32, 'reserved'], // documentation
  [[0xfc], 7, 'unique-local'],
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // deprecated site-local
  [[0xff], 8, 'multicast'],
];

function matches(bytes: number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/** The 4 or 16 bytes of an IP address literal; null when it is not one. */
export function ipBytes(ip: string): number[] | null {
  const family = isIP(ip);
  if (family === 4) return ip.split('.').map(Number);
  if (family !== 6) return null;
  let text = ip.toLowerCase().replace(/%.*$/, '');
  // a trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad[1].split('.').map(Number);
    text = text.slice(0, quad.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return v6(groups);
}

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), if any. */
function embeddedV4(b: number[]): number[] | null {
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12); // ::ffff:a.b.c.d
  if (zero(0, 12)) return b.slice(12); // ::a.b.c.d (deprecated "compatible")
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zero(4, 12)) return b.slice(12); // 64:ff9b::/96
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6); // 6to4
  return null;
}

/** Why an address must never be an upstream, or null when it is a public one. */
export function blockedAddress(ip: string): Blocked | null {
  const bytes = ipBytes(ip);
  if (!bytes) return { kind: 'reserved', words: `an address that is not an IP (${ip.slice(0, 64)})` };
  let found: Range | undefined;
  if (bytes.length === 4) {
    found = V4.find((r) => matches(bytes, r));
  } else {
    found = V6.find((r) => matches(bytes, r));
    const inner = found ? null : embeddedV4(bytes);
    if (inner) found = V4.find((r) => matches(inner, r));
  }
  return found ? { kind: found[2], words: `${KIND_WORDS[found[2]]} (${ip})` } : null;
}

/** The first address of a resolved host that must not be reached, with words for the refusal. */
export function refusedAddress(host: string, addresses: readonly string[]): string | null {
  for (const a of addresses) {
    const blocked = blockedAddress(a);
    if (blocked) return `${host} resolves to ${blocked.words}, which a gateway must not reach`;
  }
  return null;
}

/** The upstream URL for an app host such as `myapp-1a2b3c.herokuapp.com`. */
export function upstreamForHost(hostname: string): string {
  return `https://${hostname}`;
}
