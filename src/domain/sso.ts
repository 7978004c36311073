import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Heroku single sign-on tokens (pure):
 * - user_scoped_resource_token = sha256 hex of `<uuid>:<salt>:<timestamp>:<user_id>:<email>` (preferred)
 * - resource_token             = sha1 hex of `<uuid>:<salt>:<timestamp>`
 * - legacy token               = sha1 hex of `<id>:<salt>:<timestamp>`
 */

export const SSO_MAX_AGE_SECONDS = 5 * 60;
export const SSO_MAX_SKEW_SECONDS = 60;
/**
 * How long a used token must be remembered: a token is accepted while its timestamp is at most
 * SSO_MAX_AGE_SECONDS old, and a timestamp may be up to SSO_MAX_SKEW_SECONDS ahead of our clock.
 */
export const SSO_REPLAY_WINDOW_SECONDS = SSO_MAX_AGE_SECONDS + SSO_MAX_SKEW_SECONDS;

/** What is kept of a used token: its SHA-256 (the token itself never reaches storage). */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token.toLowerCase()).digest('hex');
}

export function resourceToken(uuid: string, salt: string, timestamp: string): string {
  return createHash('sha1').update(`${uuid}:${salt}:${timestamp}`).digest('hex');
}

export function userScopedResourceToken(uuid: string, salt: string, timestamp: string, userId: string, email: string): string {
  return createHash('sha256').update(`${uuid}:${salt}:${timestamp}:${userId}:${email}`).digest('hex');
}

/** Constant-time comparison of two strings (false on different lengths, without leaking where). */
export function safeEqual(a: string, b: string): boolean {
  const ba = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ba.length !== bb.length) {
    timingSafeEqual(ba, ba);
    return false;
  }
  return timingSafeEqual(ba, bb);
}

export interface SsoInput {
  id: string;
  timestamp: string;
  userScopedToken?: string;
  resourceToken?: string;
  legacyToken?: string;
  userId?: string;
  email?: string;
}

export type SsoVerdict =
  | {
      ok: true;
      /** `user_scoped`: the user id and email are vouched for; otherwise only the add-on is. */
      kind: 'user_scoped' | 'resource' | 'legacy';
      /**
       * The valid tokens of the form, the deciding one first: each is single-use. A form Heroku
       * made carries both tokens; marking the resource_token used too stops a replay that drops
       * the user-scoped one.
       */
      tokens: string[];
    }
  | { ok: false; reason: 'missing_token' | 'bad_token' | 'stale' | 'future' | 'bad_timestamp' };

export function verifySso(input: SsoInput, salt: string, nowSeconds: number): SsoVerdict {
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const ts = Number(input.timestamp);
  let verdict: SsoVerdict;
  if (input.userScopedToken) {
    const given = input.userScopedToken.toLowerCase();
    const expected = userScopedResourceToken(input.id, salt, input.timestamp, input.userId ?? '', input.email ?? '');
    const resource = input.resourceToken?.toLowerCase();
    const alsoValid = resource !== undefined && safeEqual(resourceToken(input.id, salt, input.timestamp), resource) ? [resource] : [];
    verdict = safeEqual(expected, given) ? { ok: true, kind: 'user_scoped', tokens: [given, ...alsoValid] } : { ok: false, reason: 'bad_token' };
  } else if (input.resourceToken || input.legacyToken) {
    const given = (input.resourceToken ?? input.legacyToken ?? '').toLowerCase();
    const expected = resourceToken(input.id, salt, input.timestamp);
    verdict = safeEqual(expected, given)
      ? { ok: true, kind: input.resourceToken ? 'resource' : 'legacy', tokens: [given] }
      : { ok: false, reason: 'bad_token' };
  } else {
    return { ok: false, reason: 'missing_token' };
  }
  if (!verdict.ok) return verdict;
  if (ts < nowSeconds - SSO_MAX_AGE_SECONDS) return { ok: false, reason: 'stale' };
  if (ts > nowSeconds + SSO_MAX_SKEW_SECONDS) return { ok: false, reason: 'future' };
  return verdict;
}

/**
 * The session cookie's value: base64url(JSON).hmac — tamper-evident, not secret. It names a
 * server-side session (`sid`, kept in Redis until it expires or the user signs out: a cookie alone
 * could not be revoked); what the dashboard shows of the user lives there, not here.
 */
export interface SessionData {
  sid: string;
  uuid: string;
  heroku: true;
  exp: number;
}

export function signSession(data: SessionData, secret: string): string {
  const body = Buffer.from(JSON.stringify(data)).toString('base64url');
  const mac = createHmac('sha256', secret).update(body).digest('base64url');
  return `${body}.${mac}`;
}

export function readSession(value: string | undefined, secret: string, nowSeconds: number): SessionData | null {
  if (!value || value.length > 4096) return null;
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return null;
  const body = value.slice(0, dot);
  const mac = createHmac('sha256', secret).update(body).digest('base64url');
  if (!safeEqual(mac, value.slice(dot + 1))) return null;
  try {
    const data = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionData;
    if (typeof data.exp !== 'number' || data.exp < nowSeconds || typeof data.uuid !== 'string' || typeof data.sid !== 'string') return null;
    return data;
  } catch {
    return null;
  }
}
