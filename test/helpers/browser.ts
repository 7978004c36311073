import { createHash } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';

/**
 * Debian's Chromium, headless, as this machine runs it: without the background-networking flags it
 * tries Google's hosts at every start and the closed network refuses them.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * The page Heroku's dashboard serves: a form that posts the SSO fields (a user-scoped token for
 * `user`) to our sso_url, submitted by its `#go` button.
 */
export function ssoFormPage(base: string, uuid: string, salt: string, user: { userId: string; email: string }, extra: Record<string, string> = {}): string {
  const ts = String(Math.floor(Date.now() / 1000));
  const token = createHash('sha256').update(`${uuid}:${salt}:${ts}:${user.userId}:${user.email}`).digest('hex');
  const fields = { resource_id: uuid, timestamp: ts, user_id: user.userId, email: user.email, user_scoped_resource_token: token, ...extra };
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
  return `<html><body><form method="post" action="${base}/sso/login">${inputs}<button id="go" type="submit">Open Anypoint API Gateway</button></form></body></html>`;
}
