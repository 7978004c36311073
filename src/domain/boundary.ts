import { isIP } from 'node:net';

/**
 * The gateway as a boundary (pure): the origin secret the gateway adds to every upstream request,
 * the user's API keys, IP allowlist and CORS settings, the policies' configurationData that carry
 * them, and the one change at a time the policy workflow applies. No I/O (`isIP` is a parser).
 */

/** The header the gateway adds to every request it forwards to the app. */
export const ORIGIN_SECRET_HEADER = 'X-Anypoint-Gateway-Secret';
export const ORIGIN_SECRET_VAR = 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET';
export const ORIGIN_SECRET_PREVIOUS_VAR = 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS';

/** MuleSoft policy templates the console applies (asset ids of group MULESOFT_POLICY_GROUP_ID). */
export const HEADER_INJECTION_ASSET_ID = 'header-injection';
export const HEADER_REMOVAL_ASSET_ID = 'header-removal';
export const CLIENT_ID_ENFORCEMENT_ASSET_ID = 'client-id-enforcement';
export const IP_ALLOWLIST_ASSET_ID = 'ip-allowlist';
export const CORS_ASSET_ID = 'cors';

/** The headers a caller sends its key in (client-id enforcement's custom expressions). */
export const CLIENT_ID_HEADER = 'client_id';
export const CLIENT_SECRET_HEADER = 'client_secret';

/** The sealed origin secret: the value the gateway sends, and during a rotation the one it replaces. */
export interface OriginSecret {
  current: string;
  /** A rotation under way: the new value (the app accepts both until the gateway sends it). */
  next?: string;
}

export interface CorsSettings {
  origins: string[];
  methods: string[];
  headers: string[];
}

/** What the user asked the gateway to enforce (beside the plan's rate limit and the origin secret). */
export interface PolicySettings {
  /** Client-id enforcement: calls need a key. */
  enforcement: boolean;
  /** Allowed sources (CIDRs); empty: every source. */
  ipAllowlist: string[];
  /** CORS; null: no CORS policy. */
  cors: CorsSettings | null;
}

export const NO_POLICIES: PolicySettings = { enforcement: false, ipAllowlist: [], cors: null };

export interface ApiKey {
  /** Ours (random, short), part of the client application's name. */
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  state: 'creating' | 'active' | 'revoking';
  /** The client application (Exchange) and its client id (the key a caller sends). */
  applicationId?: string;
  clientId?: string;
}

export type PolicyChangeKind = 'settings' | 'key-create' | 'key-revoke' | 'rotate';

/** One change the dashboard asked for; the policy workflow applies it (one at a time). */
export interface PolicyChange {
  id: string;
  kind: PolicyChangeKind;
  /** Who asked (the SSO session's email, or its user id, or "a Heroku user"). */
  by: string;
  at: string;
  /** In words, for the timeline and the page. */
  summary: string;
  /** settings: the settings wanted. */
  settings?: PolicySettings;
  /** key-create / key-revoke: which key. */
  keyId?: string;
  /** When the gateway was given it (live POLICY_APPLY_MS later). */
  appliedAt?: string;
  /** rotate: when the app was given the new value (restarted ORIGIN_SECRET_RESTART_MS later). */
  configAt?: string;
}

export interface Boundary {
  /** The settings in force (what the gateway enforces once no change is under way). */
  settings: PolicySettings;
  keys: ApiKey[];
  change?: PolicyChange;
  /** The last change that failed: the previous policy kept working; the page says why. */
  lastFailure?: { summary: string; reason: string; at: string };
}

export function boundaryOf(rec: { boundary?: Boundary }): Boundary {
  return rec.boundary ?? { settings: NO_POLICIES, keys: [] };
}

/** The settings a change leaves in force once applied (and what the gateway is given meanwhile). */
export function wantedSettings(b: Boundary): PolicySettings {
  const c = b.change;
  if (c?.kind === 'settings' && c.settings) return c.settings;
  // the first key switches enforcement on
  if (c?.kind === 'key-create') return { ...b.settings, enforcement: true };
  return b.settings;
}

/** Keys the gateway accepts once the change is applied (creating ones included, revoking ones not). */
export function wantedKeys(b: Boundary): ApiKey[] {
  return b.keys.filter((k) => !(b.change?.kind === 'key-revoke' && b.change.keyId === k.id) && k.state !== 'revoking');
}

// ── validation ──────────────────────────────────────────────────────────────────────────────

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export const MAX_CIDRS = 50;
export const MAX_CORS_ENTRIES = 20;
export const KEY_NAME_MAX = 60;

/** One line per entry (or commas); blanks dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a bare address (→ /32, /128); answers the canonical text. */
export function parseCidr(raw: string): Parsed<string> {
  const s = raw.trim();
  const slash = s.indexOf('/');
  const ip = slash < 0 ? s : s.slice(0, slash);
  const family = isIP(ip);
  if (family === 0) return { ok: false, message: `"${raw}" is not an IPv4 or IPv6 address` };
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return { ok: true, value: `${ip.toLowerCase()}/${max}` };
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return { ok: false, message: `"${raw}": the prefix length must be 0-${max}` };
  return { ok: true, value: `${ip.toLowerCase()}/${Number(bits)}` };
}

export function parseAllowlist(text: string): Parsed<string[]> {
  const entries = splitList(text);
  if (entries.length > MAX_CIDRS) return { ok: false, message: `at most ${MAX_CIDRS} address ranges` };
  const out: string[] = [];
  for (const e of entries) {
    const p = parseCidr(e);
    if (!p.ok) return p;
    if (!out.includes(p.value)) out.push(p.value);
  }
  return { ok: true, value: out };
}

export const CORS_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const TOKEN_RE = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** `*` or a scheme://host[:port] origin, nothing after it. */
export function parseOrigin(raw: string): Parsed<string> {
  const s = raw.trim();
  if (s === '*') return { ok: true, value: '*' };
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { ok: false, message: `"${raw}" is not an origin (https://host[:port])` };
  }
  if (!/^https?:\/\/[^/?#@\s]+\/?$/i.test(s) || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
    return { ok: false, message: `"${raw}" is not an origin (https://host[:port], no path)` };
  }
  return { ok: true, value: u.origin };
}

export function parseCors(input: { origins: string; methods: string; headers: string }): Parsed<CorsSettings | null> {
  const origins = splitList(input.origins);
  const methods = splitList(input.methods).map((m) => m.toUpperCase());
  const headers = splitList(input.headers);
  if (!origins.length && !methods.length && !headers.length) return { ok: true, value: null };
  if (!origins.length) return { ok: false, message: 'name at least one allowed origin (or * for any)' };
  if (origins.length > MAX_CORS_ENTRIES || headers.length > MAX_CORS_ENTRIES) return { ok: false, message: `at most ${MAX_CORS_ENTRIES} origins and ${MAX_CORS_ENTRIES} headers` };
  const out: CorsSettings = { origins: [], methods: [], headers: [] };
  for (const o of origins) {
    const p = parseOrigin(o);
    if (!p.ok) return p;
    if (!out.origins.includes(p.value)) out.origins.push(p.value);
  }
  if (out.origins.includes('*') && out.origins.length > 1) return { ok: false, message: '* allows every origin: give it alone' };
  for (const m of methods.length ? methods : ['GET']) {
    if (!(CORS_METHODS as readonly string[]).includes(m)) return { ok: false, message: `"${m}" is not a method (${CORS_METHODS.join(', ')})` };
    if (!out.methods.includes(m)) out.methods.push(m);
  }
  for (const h of headers) {
    if (!TOKEN_RE.test(h) || h.length > 100) return { ok: false, message: `"${h}" is not a header name` };
    if (!out.headers.includes(h.toLowerCase())) out.headers.push(h.toLowerCase());
  }
  return { ok: true, value: out };
}

export function parseKeyName(raw: unknown): Parsed<string> {
  const s = typeof raw === 'string' ? raw.trim() : '';
  if (!s) return { ok: false, message: 'give the key a name' };
  if (s.length > KEY_NAME_MAX) return { ok: false, message: `a key name has at most ${KEY_NAME_MAX} characters` };
  if ([...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return { ok: false, message: 'a key name cannot hold control characters' };
  return { ok: true, value: s };
}

// ── what the platform is given ──────────────────────────────────────────────────────────────

/** The client application of a key: deterministic, so a retry finds what an earlier try made. */
export function clientAppNameFor(uuid: string, keyId: string): string {
  return `aag-${uuid.toLowerCase()}-${keyId}`;
}

/** The prefix every client application of an add-on's keys starts with (teardown finds them by it). */
export function clientAppPrefixFor(uuid: string): string {
  return `aag-${uuid.toLowerCase()}-`;
}

export function headerInjectionConfiguration(secret: string) {
  return { inboundHeaders: [{ key: ORIGIN_SECRET_HEADER, value: secret }], outboundHeaders: [] as { key: string; value: string }[] };
}

/** A caller's own X-Anypoint-Gateway-Secret is dropped before the gateway adds the real one. */
export function headerRemovalConfiguration() {
  return { inboundHeaders: [ORIGIN_SECRET_HEADER] };
}

export function clientIdEnforcementConfiguration() {
  return {
    credentialsOriginHasHttpBasicAuthenticationHeader: 'customExpression',
    clientIdExpression: `#[attributes.headers['${CLIENT_ID_HEADER}']]`,
    clientSecretExpression: `#[attributes.headers['${CLIENT_SECRET_HEADER}']]`,
  };
}

export function ipAllowlistConfiguration(cidrs: readonly string[]) {
  return { ipExpression: '#[attributes.remoteAddress]', ips: [...cidrs] };
}

export function corsConfiguration(cors: CorsSettings) {
  const anyOrigin = cors.origins.includes('*');
  return {
    publicResource: anyOrigin,
    supportCredentials: false,
    originGroups: anyOrigin
      ? []
      : [
          {
            origins: [...cors.origins],
            accessControlMaxAge: 30,
            allowedMethods: cors.methods.map((methodName) => ({ methodName, isAllowed: true })),
            headers: [...cors.headers],
            exposedHeaders: [] as string[],
          },
        ],
  };
}

/** The policies (asset id → configurationData) a placement must carry; an absent asset id is removed. */
export function wantedPolicies(settings: PolicySettings): Record<string, Record<string, unknown> | null> {
  return {
    [CLIENT_ID_ENFORCEMENT_ASSET_ID]: settings.enforcement ? clientIdEnforcementConfiguration() : null,
    [IP_ALLOWLIST_ASSET_ID]: settings.ipAllowlist.length ? ipAllowlistConfiguration(settings.ipAllowlist) : null,
    [CORS_ASSET_ID]: settings.cors ? corsConfiguration(settings.cors) : null,
  };
}

/** In words, for the page and the timeline. */
export function describeSettings(s: PolicySettings): string {
  const parts = [
    s.enforcement ? 'API keys required' : 'no API key required',
    s.ipAllowlist.length ? `sources ${s.ipAllowlist.join(', ')}` : 'any source',
    s.cors ? `CORS for ${s.cors.origins.join(', ')}` : 'no CORS',
  ];
  return parts.join('; ');
}

// ── asking for a change (the dashboard's forms) ─────────────────────────────────────────────

export type ChangeRequest =
  | { kind: 'settings'; settings: PolicySettings; summary: string }
  | { kind: 'key-create'; key: { id: string; name: string } }
  | { kind: 'key-revoke'; keyId: string }
  | { kind: 'rotate' };

export type StartOutcome<R> = { ok: true; rec: R; change: PolicyChange } | { ok: false; status: 404 | 409 | 422; message: string };

/**
 * The record with a change under way (pure): one change at a time, only on a running add-on,
 * within the plan's key limit. The policy workflow then applies it.
 */
export function startChange<R extends { state: string; boundary?: Boundary; next?: unknown; retired?: unknown; keyRevealSealed?: string }>(
  rec: R,
  req: ChangeRequest,
  meta: { id: string; by: string; at: string; maxKeys: number },
): StartOutcome<R> {
  if (rec.state !== 'provisioned') return { ok: false, status: 409, message: 'the gateway is not running, so its policies cannot change now' };
  // a move copies the settings in force to the new gateway: a change meanwhile would miss it
  if (rec.next || rec.retired) return { ok: false, status: 409, message: 'a plan change is moving the add-on to another gateway; try again in a few minutes, once it is done' };
  const b = boundaryOf(rec);
  if (b.change) return { ok: false, status: 409, message: `another change is under way (${b.change.summary}); try again once it is done` };
  const base = { id: meta.id, by: meta.by, at: meta.at };
  let change: PolicyChange;
  let keys = b.keys;
  switch (req.kind) {
    case 'settings':
      change = { ...base, kind: 'settings', settings: req.settings, summary: req.summary };
      break;
    case 'key-create':
      if (b.keys.length >= meta.maxKeys) return { ok: false, status: 422, message: `the plan allows ${meta.maxKeys} API keys; revoke one first, or change to a larger plan` };
      // one unseen secret at a time: a second key would take the first one's place before it was shown
      if (rec.keyRevealSealed) return { ok: false, status: 409, message: 'the last key’s secret has not been shown yet: reload the dashboard to copy it, then create the next key' };
      change = { ...base, kind: 'key-create', keyId: req.key.id, summary: `API key "${req.key.name}" created` };
      keys = [...b.keys, { id: req.key.id, name: req.key.name, createdAt: meta.at, createdBy: meta.by, state: 'creating' }];
      break;
    case 'key-revoke': {
      const key = b.keys.find((k) => k.id === req.keyId);
      if (!key) return { ok: false, status: 404, message: 'no such API key' };
      change = { ...base, kind: 'key-revoke', keyId: key.id, summary: `API key "${key.name}" revoked` };
      break;
    }
    case 'rotate':
      change = { ...base, kind: 'rotate', summary: 'origin secret rotated' };
      break;
  }
  return { ok: true, rec: { ...rec, boundary: { ...b, keys, change } }, change };
}
