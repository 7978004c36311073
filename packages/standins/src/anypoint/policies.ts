/**
 * The configuration shapes of the MuleSoft policy templates the stand-in enforces beyond the rate
 * limit (header-injection, header-removal, client-id-enforcement, ip-allowlist, cors), their checks (a bad
 * configurationData is a 400 naming the field, as API Manager answers a config that fails the
 * template's schema) and what the data plane needs to enforce them. Sources of each shape: README.md,
 * "Policy configurations". The same shape serves both technologies (mule4 and flexGateway).
 */
import net from 'node:net';
import type http from 'node:http';
import { isObject } from './http';

type Cfg = Record<string, unknown>;
type Check = (cfg: Cfg) => string | null;

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function unknownKeys(cfg: Cfg, allowed: readonly string[]): string | null {
  const extra = Object.keys(cfg).filter((k) => !allowed.includes(k));
  return extra.length ? `unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${allowed.join(', ')})` : null;
}

function stringList(v: unknown, name: string, { nonEmpty = false } = {}): string | null {
  if (!Array.isArray(v) || !v.every(isStr)) return `${name} must be an array of strings`;
  if (nonEmpty && v.length === 0) return `${name} must not be empty`;
  return null;
}

// ── expressions ────────────────────────────────────────────────────────────────────────────
/** The DataWeave expressions the stand-in evaluates (the platform takes any DataWeave 2.0). */
export type Expression = { kind: 'header'; name: string } | { kind: 'query'; name: string } | { kind: 'remoteAddress' };

const EXPR_RE = /^#\[\s*attributes\.(headers|queryParams)\[\s*(?:'([^']+)'|"([^"]+)")\s*\]\s*\]$/;

/** `#[attributes.headers['x']]`, `#[attributes.queryParams['x']]` or `#[attributes.remoteAddress]`; null otherwise. */
export function parseExpression(expr: string): Expression | null {
  const s = expr.trim();
  if (/^#\[\s*attributes\.remoteAddress\s*\]$/.test(s)) return { kind: 'remoteAddress' };
  const m = EXPR_RE.exec(s);
  if (!m) return null;
  const name = (m[2] ?? m[3]).trim();
  return m[1] === 'headers' ? { kind: 'header', name: name.toLowerCase() } : { kind: 'query', name };
}

function expressionProblem(v: unknown, name: string): string | null {
  if (!isStr(v) || !v.trim()) return `${name} must be a non-empty string`;
  if (!parseExpression(v)) {
    return `${name} ${JSON.stringify(v)} is not an expression the stand-in evaluates (#[attributes.headers['name']], #[attributes.queryParams['name']], #[attributes.remoteAddress])`;
  }
  return null;
}

/** The value an expression yields for a request (first value of a repeated header or parameter). */
export function evaluate(expr: Expression, req: http.IncomingMessage): string | undefined {
  if (expr.kind === 'remoteAddress') return req.socket.remoteAddress ?? undefined;
  if (expr.kind === 'header') {
    const v = req.headers[expr.name];
    return Array.isArray(v) ? v[0] : v;
  }
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get(expr.name);
  return q ?? undefined;
}

// ── header-injection ───────────────────────────────────────────────────────────────────────
export interface HeaderInjectionConfig {
  inboundHeaders?: { key: string; value: string }[];
  outboundHeaders?: { key: string; value: string }[];
}

const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function headerListProblem(v: unknown, name: string): string | null {
  if (v === undefined) return null;
  if (!Array.isArray(v)) return `${name} must be an array of {key, value}`;
  for (const [i, h] of v.entries()) {
    if (!isObject(h)) return `${name}[${i}] must be an object {key, value}`;
    const extra = unknownKeys(h, ['key', 'value']);
    if (extra) return `${name}[${i}]: ${extra}`;
    if (!isStr(h.key) || !TOKEN_RE.test(h.key)) return `${name}[${i}].key must be a header name`;
    if (!isStr(h.value)) return `${name}[${i}].value must be a string`;
    if (/[\r\n\0]/.test(h.value)) return `${name}[${i}].value must not contain CR, LF or NUL`;
  }
  return null;
}

const headerInjection: Check = (cfg) =>
  unknownKeys(cfg, ['inboundHeaders', 'outboundHeaders']) ??
  headerListProblem(cfg.inboundHeaders, 'inboundHeaders') ??
  headerListProblem(cfg.outboundHeaders, 'outboundHeaders');

/** Headers the policy overwrites rather than adds a value to (MuleSoft's docs name these). */
export const OVERWRITTEN_HEADERS = new Set(['access-control-allow-origin', 'content-type', 'content-length', 'transfer-encoding']);

/** Adds the configured headers to `headers` (a new value beside an existing one, except OVERWRITTEN_HEADERS). */
export function injectHeaders(headers: http.OutgoingHttpHeaders, list: { key: string; value: string }[] | undefined): void {
  for (const { key, value } of list ?? []) {
    const k = key.toLowerCase();
    const prior = headers[k];
    if (prior === undefined || OVERWRITTEN_HEADERS.has(k)) headers[k] = value;
    else headers[k] = [...(Array.isArray(prior) ? prior : [String(prior)]), value];
  }
}

// ── header-removal ─────────────────────────────────────────────────────────────────────────
export interface HeaderRemovalConfig {
  inboundHeaders?: string[];
  outboundHeaders?: string[];
}

/** Headers the policy never removes (MuleSoft's docs list them). */
export const KEPT_HEADERS = new Set(['accept', 'host', 'content-type', 'content-length', 'date', 'transfer-encoding', 'connection']);

function removalListProblem(v: unknown, name: string): string | null {
  if (v === undefined) return null;
  const p = stringList(v, name);
  if (p) return p;
  for (const [i, h] of (v as string[]).entries()) {
    if (!h.trim()) return `${name}[${i}] must not be empty`;
    try {
      new RegExp(`^(?:${h})$`, 'i');
    } catch {
      return `${name}[${i}] ${JSON.stringify(h)} is neither a header name nor a regular expression`;
    }
  }
  return null;
}

const headerRemoval: Check = (cfg) => {
  const p =
    unknownKeys(cfg, ['inboundHeaders', 'outboundHeaders']) ??
    removalListProblem(cfg.inboundHeaders, 'inboundHeaders') ??
    removalListProblem(cfg.outboundHeaders, 'outboundHeaders');
  if (p) return p;
  const n = ((cfg.inboundHeaders as string[] | undefined) ?? []).length + ((cfg.outboundHeaders as string[] | undefined) ?? []).length;
  return n === 0 ? 'inboundHeaders and outboundHeaders cannot both be empty' : null;
};

/** Removes from `headers` every header whose name matches an entry (a name or a regular expression, whole name, any case). */
export function removeHeaders(headers: http.OutgoingHttpHeaders, list: string[] | undefined): void {
  if (!list?.length) return;
  const res = list.map((h) => new RegExp(`^(?:${h})$`, 'i'));
  for (const k of Object.keys(headers)) {
    if (!KEPT_HEADERS.has(k.toLowerCase()) && res.some((r) => r.test(k))) delete headers[k];
  }
}

// ── client-id-enforcement ──────────────────────────────────────────────────────────────────
export const CREDENTIALS_ORIGINS = ['customExpression', 'httpBasicAuthenticationHeader'] as const;
export const DEFAULT_CLIENT_ID_EXPRESSION = "#[attributes.headers['client_id']]";
export const DEFAULT_CLIENT_SECRET_EXPRESSION = "#[attributes.headers['client_secret']]";

const clientIdEnforcement: Check = (cfg) => {
  const extra = unknownKeys(cfg, ['credentialsOriginHasHttpBasicAuthenticationHeader', 'clientIdExpression', 'clientSecretExpression']);
  if (extra) return extra;
  const origin = cfg.credentialsOriginHasHttpBasicAuthenticationHeader;
  if (origin !== undefined && !(CREDENTIALS_ORIGINS as readonly unknown[]).includes(origin)) {
    return `credentialsOriginHasHttpBasicAuthenticationHeader must be one of ${CREDENTIALS_ORIGINS.join(', ')}`;
  }
  if (cfg.clientIdExpression !== undefined) {
    const p = expressionProblem(cfg.clientIdExpression, 'clientIdExpression');
    if (p) return p;
  }
  if (cfg.clientSecretExpression !== undefined && cfg.clientSecretExpression !== null && cfg.clientSecretExpression !== '') {
    const p = expressionProblem(cfg.clientSecretExpression, 'clientSecretExpression');
    if (p) return p;
  }
  return null;
};

/**
 * The credentials a request carries under the policy: HTTP Basic (`Authorization: Basic
 * base64(id:secret)`) or the expressions (defaults: the `client_id` / `client_secret` headers). A
 * configuration without a client secret expression checks the client id alone (`secret` undefined).
 */
export function clientCredentials(req: http.IncomingMessage, cfg: Cfg): { id?: string; secret?: string; checkSecret: boolean } {
  if (cfg.credentialsOriginHasHttpBasicAuthenticationHeader === 'httpBasicAuthenticationHeader') {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(String(req.headers.authorization ?? ''));
    if (!m) return { checkSecret: true };
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { checkSecret: true };
    return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1), checkSecret: true };
  }
  const idExpr = parseExpression(isStr(cfg.clientIdExpression) ? cfg.clientIdExpression : DEFAULT_CLIENT_ID_EXPRESSION);
  const secretSource = cfg.clientSecretExpression === undefined ? DEFAULT_CLIENT_SECRET_EXPRESSION : cfg.clientSecretExpression;
  const secretExpr = isStr(secretSource) && secretSource !== '' ? parseExpression(secretSource) : null;
  return {
    id: idExpr ? evaluate(idExpr, req) : undefined,
    secret: secretExpr ? evaluate(secretExpr, req) : undefined,
    checkSecret: !!secretExpr,
  };
}

// ── ip-allowlist ───────────────────────────────────────────────────────────────────────────
export const DEFAULT_IP_EXPRESSION = "#[attributes.headers['x-forwarded-for']]";

/**
 * One allowlist entry as a subnet: an address (`192.168.1.1`, `::1`), a CIDR (`192.168.3.1/30`,
 * `2001:db8::/32`) or a partial IPv4 address, which MuleSoft's docs read as a range (`192.168.2` =
 * 192.168.2.0/24, `192.160` = 192.160.0.0/16). null when it is none of these.
 */
export function parseIpEntry(entry: string): { address: string; prefix: number; type: 'ipv4' | 'ipv6' } | null {
  const s = entry.trim();
  const [addr, bits, more] = s.split('/');
  if (more !== undefined) return null;
  let address = addr;
  let prefix: number | undefined;
  if (/^\d{1,3}(\.\d{1,3}){0,2}$/.test(addr) && bits === undefined) {
    const parts = addr.split('.');
    address = [...parts, ...Array(4 - parts.length).fill('0')].join('.');
    prefix = parts.length * 8;
  }
  const v = net.isIP(address);
  if (v === 0) return null;
  const max = v === 4 ? 32 : 128;
  if (bits !== undefined) {
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
    prefix = Number(bits);
  }
  return { address, prefix: prefix ?? max, type: v === 4 ? 'ipv4' : 'ipv6' };
}

const ipAllowlist: Check = (cfg) => {
  const extra = unknownKeys(cfg, ['ips', 'ipExpression']);
  if (extra) return extra;
  const list = stringList(cfg.ips, 'ips', { nonEmpty: true });
  if (list) return list;
  for (const [i, ip] of (cfg.ips as string[]).entries()) {
    if (!parseIpEntry(ip)) return `ips[${i}] ${JSON.stringify(ip)} is not an IP address or range`;
  }
  if (cfg.ipExpression !== undefined) return expressionProblem(cfg.ipExpression, 'ipExpression');
  return null;
};

/** A matcher for the policy's `ips`. */
export function allowlistOf(ips: string[]): net.BlockList {
  const list = new net.BlockList();
  for (const ip of ips) {
    const e = parseIpEntry(ip);
    if (e) list.addSubnet(e.address, e.prefix, e.type);
  }
  return list;
}

/** The first address of an X-Forwarded-For style list, IPv4-mapped IPv6 unwrapped; undefined when none. */
export function firstAddress(value: string | undefined): { address: string; type: 'ipv4' | 'ipv6' } | undefined {
  const first = String(value ?? '').split(',')[0].trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
  const v = net.isIP(first);
  return v ? { address: first, type: v === 4 ? 'ipv4' : 'ipv6' } : undefined;
}

// ── cors ───────────────────────────────────────────────────────────────────────────────────
export interface CorsOriginGroup {
  origins: string[];
  accessControlMaxAge?: number;
  allowedMethods?: { methodName: string; isAllowed: boolean }[];
  headers?: string[];
  exposedHeaders?: string[];
}

export interface CorsConfig {
  publicResource?: boolean;
  supportCredentials?: boolean;
  originGroups?: CorsOriginGroup[];
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];

function originProblem(o: string): boolean {
  try {
    const u = new URL(o);
    return !/^https?:$/.test(u.protocol) || u.origin !== o.replace(/\/$/, '') || u.pathname !== '/' || !!u.search || !!u.hash;
  } catch {
    return true;
  }
}

const cors: Check = (cfg) => {
  const extra = unknownKeys(cfg, ['publicResource', 'supportCredentials', 'originGroups']);
  if (extra) return extra;
  for (const k of ['publicResource', 'supportCredentials'] as const) {
    if (cfg[k] !== undefined && typeof cfg[k] !== 'boolean') return `${k} must be a boolean`;
  }
  const groups = cfg.originGroups ?? [];
  if (!Array.isArray(groups)) return 'originGroups must be an array';
  for (const [i, g] of groups.entries()) {
    const at = `originGroups[${i}]`;
    if (!isObject(g)) return `${at} must be an object`;
    const ex = unknownKeys(g, ['origins', 'accessControlMaxAge', 'allowedMethods', 'headers', 'exposedHeaders']);
    if (ex) return `${at}: ${ex}`;
    const o = stringList(g.origins, `${at}.origins`, { nonEmpty: true });
    if (o) return o;
    const bad = (g.origins as string[]).find(originProblem);
    if (bad !== undefined) return `${at}.origins: ${JSON.stringify(bad)} is not an origin (scheme://host[:port])`;
    if (g.accessControlMaxAge !== undefined && !isNonNegInt(g.accessControlMaxAge)) return `${at}.accessControlMaxAge must be a non-negative integer (seconds)`;
    if (g.allowedMethods !== undefined) {
      if (!Array.isArray(g.allowedMethods)) return `${at}.allowedMethods must be an array of {methodName, isAllowed}`;
      for (const [j, m] of g.allowedMethods.entries()) {
        if (!isObject(m) || !isStr(m.methodName) || !METHODS.includes(m.methodName) || typeof m.isAllowed !== 'boolean') {
          return `${at}.allowedMethods[${j}] must be {methodName: one of ${METHODS.join(', ')}, isAllowed: boolean}`;
        }
        const mx = unknownKeys(m, ['methodName', 'isAllowed']);
        if (mx) return `${at}.allowedMethods[${j}]: ${mx}`;
      }
    }
    for (const k of ['headers', 'exposedHeaders'] as const) {
      if (g[k] === undefined) continue;
      const p = stringList(g[k], `${at}.${k}`);
      if (p) return p;
      const badHeader = (g[k] as string[]).find((h) => !TOKEN_RE.test(h));
      if (badHeader !== undefined) return `${at}.${k}: ${JSON.stringify(badHeader)} is not a header name`;
    }
  }
  if (cfg.publicResource === false && groups.length === 0) return 'originGroups must name at least one group when publicResource is false';
  return null;
};

/** Safelisted request headers a preflight may name without the group listing them (Fetch standard). */
const SAFELISTED = new Set(['accept', 'accept-language', 'content-language', 'content-type']);

/**
 * The CORS answer for a request with an `Origin`: the headers to add, or null when the origin (or
 * the preflight's method or headers) is not allowed — then no CORS header is sent. A public resource
 * allows every origin, method and header (`*`, or the origin itself with credentials).
 */
export function corsHeaders(cfg: CorsConfig, req: http.IncomingMessage, preflight: boolean): http.OutgoingHttpHeaders | null {
  const origin = String(req.headers.origin ?? '');
  if (!origin) return null;
  const creds = cfg.supportCredentials === true;
  const out: http.OutgoingHttpHeaders = {};
  if (cfg.publicResource !== false) {
    out['access-control-allow-origin'] = creds ? origin : '*';
    if (creds) {
      out['access-control-allow-credentials'] = 'true';
      out.vary = 'Origin';
    }
    if (preflight) {
      out['access-control-allow-methods'] = String(req.headers['access-control-request-method'] ?? METHODS.join(', '));
      const asked = req.headers['access-control-request-headers'];
      if (asked) out['access-control-allow-headers'] = String(asked);
    }
    return out;
  }
  const group = (cfg.originGroups ?? []).find((g) => g.origins.some((o) => o.replace(/\/$/, '').toLowerCase() === origin.toLowerCase()));
  if (!group) return null;
  const allowed = (group.allowedMethods ?? []).filter((m) => m.isAllowed).map((m) => m.methodName);
  const method = preflight ? String(req.headers['access-control-request-method'] ?? '').toUpperCase() : (req.method ?? 'GET').toUpperCase();
  if (group.allowedMethods !== undefined && !allowed.includes(method)) return null;
  out['access-control-allow-origin'] = origin;
  out.vary = 'Origin';
  if (creds) out['access-control-allow-credentials'] = 'true';
  if (preflight) {
    const asked = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const listed = new Set((group.headers ?? []).map((h) => h.toLowerCase()));
    if (asked.some((h) => !listed.has(h) && !SAFELISTED.has(h))) return null;
    out['access-control-allow-methods'] = (group.allowedMethods === undefined ? METHODS : allowed).join(', ');
    if (group.headers?.length) out['access-control-allow-headers'] = group.headers.join(', ');
    if (group.accessControlMaxAge !== undefined) out['access-control-max-age'] = String(group.accessControlMaxAge);
  } else if (group.exposedHeaders?.length) {
    out['access-control-expose-headers'] = group.exposedHeaders.join(', ');
  }
  return out;
}

/** A CORS preflight: OPTIONS with an Origin and Access-Control-Request-Method. */
export function isPreflight(req: http.IncomingMessage): boolean {
  return req.method === 'OPTIONS' && !!req.headers.origin && !!req.headers['access-control-request-method'];
}

/** The configuration checks of these templates (null = valid). */
export const BOUNDARY_POLICY_CHECKS: Record<string, Check> = {
  'header-injection': headerInjection,
  'header-removal': headerRemoval,
  'client-id-enforcement': clientIdEnforcement,
  'ip-allowlist': ipAllowlist,
  cors,
};
