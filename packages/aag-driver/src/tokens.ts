import { createHash } from 'node:crypto';

/**
 * Heroku's single sign-on tokens, computed here on their own (not with the service's helpers) so
 * that the check compares the service against the protocol, not against itself.
 */

const hex = (algo: 'sha1' | 'sha256', s: string) => createHash(algo).update(s, 'utf8').digest('hex');

/** SHA-256 hex of `<uuid>:<salt>:<timestamp>:<user_id>:<email>`. */
export function userScopedToken(uuid: string, salt: string, timestamp: string, userId: string, email: string): string {
  return hex('sha256', `${uuid}:${salt}:${timestamp}:${userId}:${email}`);
}

/** SHA-1 hex of `<uuid>:<salt>:<timestamp>` (also the legacy `token` of the GET form). */
export function resourceToken(uuid: string, salt: string, timestamp: string): string {
  return hex('sha1', `${uuid}:${salt}:${timestamp}`);
}

export interface SsoFormInput {
  uuid: string;
  salt: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  userId?: string;
  email?: string;
  app?: string;
  navData?: string;
  /** Which token(s) to send. Default: both, as Heroku does today. */
  tokens?: 'user_scoped' | 'resource' | 'both';
}

export const DEFAULT_SSO_USER = { userId: '5a1b2c3d-0000-4000-8000-00000000beef', email: 'driver@example.com' };

/** The form fields Heroku's dashboard posts to `sso_url`. */
export function ssoForm(input: SsoFormInput): Record<string, string> {
  const ts = String(input.timestamp ?? Math.floor(Date.now() / 1000));
  const userId = input.userId ?? DEFAULT_SSO_USER.userId;
  const email = input.email ?? DEFAULT_SSO_USER.email;
  const which = input.tokens ?? 'both';
  const form: Record<string, string> = { resource_id: input.uuid, timestamp: ts, user_id: userId, email };
  if (which !== 'resource') form.user_scoped_resource_token = userScopedToken(input.uuid, input.salt, ts, userId, email);
  if (which !== 'user_scoped') form.resource_token = resourceToken(input.uuid, input.salt, ts);
  form.app = input.app ?? 'driver-app';
  form.context_app = form.app;
  form['nav-data'] = input.navData ?? Buffer.from(JSON.stringify({ addon: input.uuid, appname: form.app })).toString('base64');
  return form;
}

export function formBody(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}
