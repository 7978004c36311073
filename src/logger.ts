import pino, { type Logger, type DestinationStream } from 'pino';

/**
 * pino with secret redaction. Paths cover headers, tokens, passwords and secrets wherever they sit
 * in a logged object; `scrub` additionally masks known secret values inside free text.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.Authorization',
  'headers.cookie',
  '*.authorization',
  '*.Authorization',
  'password',
  '*.password',
  'secret',
  '*.secret',
  '*.client_secret',
  'client_secret',
  '*.access_token',
  'access_token',
  '*.refresh_token',
  'refresh_token',
  '*.token',
  'token',
  '*.code',
  '*.oauth_grant',
  'oauth_grant',
  '*.resource_token',
  '*.user_scoped_resource_token',
  '*.sso_salt',
  'sso_salt',
];

export type { Logger };

export function createLogger(opts: { level?: string; name?: string } = {}, destination?: DestinationStream): Logger {
  return pino(
    {
      name: opts.name ?? 'anypoint-api-gateway',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** Masks each known secret value found in a string (for messages and error excerpts). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 6) out = out.split(s).join('[redacted]');
  }
  // Bearer tokens and Basic credentials in free text
  out = out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, '$1 [redacted]');
  return out;
}
