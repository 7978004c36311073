/**
 * The one place that knows what is secret. Used by the logger, the HTTP layer's error excerpts,
 * the queue console, health answers and the worker's error records:
 * - by key: any field whose name looks secret (token, secret, password, authorization, cookie,
 *   salt, session, credential, api key, private key, an OAuth grant or `code`) is replaced (our own
 *   logs name error codes `errorCode` for that reason);
 * - by value: known secret values (the service's own secrets, the tokens of the call at hand) are
 *   masked wherever they appear in text;
 * - by shape: `Bearer …` / `Basic …` credentials, secret-named JSON fields inside text, and the
 *   user:password part of URLs.
 */

export const REDACTED = '[redacted]';

/** Field names whose values are secret. */
export const SECRET_KEY = /token|secret|passw(or)?d|authori[sz]ation|cookie|credential|api[-_]?key|private[-_]?key|salt|session|grant|^code$|log_input_url/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Shortest value masked by value (shorter ones would mask ordinary words). */
const MIN_SECRET_LENGTH = 6;

const BEARER = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const JSON_SECRET_FIELD = /("(?:[A-Za-z_-]*(?:token|secret|passw(?:or)?d|authori[sz]ation|cookie|session|salt|grant|credential|api[-_]?key)[A-Za-z_-]*|code)"\s*:\s*")[^"]*"/gi;
const FORM_SECRET_FIELD = /\b((?:access_token|refresh_token|client_secret|code|token|password)=)[^&\s"]+/gi;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]*:[^/\s@]*@/gi;

/** Masks known secret values and secret-shaped parts of a text. */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= MIN_SECRET_LENGTH && out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out
    .replace(BEARER, `$1 ${REDACTED}`)
    .replace(JSON_SECRET_FIELD, `$1${REDACTED}"`)
    .replace(FORM_SECRET_FIELD, `$1${REDACTED}`)
    .replace(URL_USERINFO, `$1${REDACTED}@`);
}

/** A deep copy of `value` with secret-named fields replaced and strings scrubbed of known secrets. */
export function redactDeep(value: unknown, secrets: readonly (string | undefined)[] = [], depth = 0): unknown {
  if (depth > 20) return REDACTED;
  if (typeof value === 'string') return scrub(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, secrets, depth + 1));
  if (value instanceof Error) return redactDeep({ name: value.name, message: value.message }, secrets, depth + 1);
  if (value && typeof value === 'object') {
    const src = typeof (value as { toJSON?: unknown }).toJSON === 'function' ? (value as { toJSON(): unknown }).toJSON() : value;
    if (!src || typeof src !== 'object') return redactDeep(src, secrets, depth + 1);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) {
      out[k] = isSecretKey(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactDeep(v, secrets, depth + 1);
    }
    return out;
  }
  return value;
}

export const EXCERPT_MAX = 300;

/** A short, scrubbed one-line excerpt of a response body, for errors and logs. */
export function excerpt(data: unknown, secrets: readonly (string | undefined)[] = [], max = EXCERPT_MAX): string | undefined {
  if (data === undefined || data === null || data === '') return undefined;
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else {
    try {
      text = JSON.stringify(redactDeep(data, secrets));
    } catch {
      text = String(data);
    }
  }
  text = scrub(text.replace(/\s+/g, ' ').trim(), secrets);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
