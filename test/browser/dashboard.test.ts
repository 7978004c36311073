import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { startStack, startUpstream, type Stack } from '../helpers/stack';

/**
 * The dashboard as a person sees it: headless Chromium (Debian's) signs in through Heroku's SSO
 * form post, lands on the dashboard, and we read what the page shows. A screenshot is kept in
 * test-artifacts/dashboard.png.
 */

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let server: http.Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack('browser');
  upstream = await startUpstream();
  server = http.createServer(stack.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  await stack?.close();
  await upstream?.close();
});

/** The page Heroku's dashboard serves: a form that posts the SSO fields to our sso_url. */
function ssoForm(uuid: string, salt: string): string {
  const ts = String(Math.floor(Date.now() / 1000));
  const userId = 'user-42@heroku.com';
  const email = 'ada@example.com';
  const token = createHash('sha256').update(`${uuid}:${salt}:${ts}:${userId}:${email}`).digest('hex');
  const fields = { resource_id: uuid, timestamp: ts, user_id: userId, email, user_scoped_resource_token: token, app: 'acme-shop', 'nav-data': 'nav123' };
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
  return `<html><body><form method="post" action="${base}/sso/login">${inputs}<button id="go" type="submit">Open Anypoint API Gateway</button></form></body></html>`;
}

it('signs in through the SSO form post and shows the add-on: name, plan and limit, state, steps, proxy URL, config vars, plans', async () => {
  const { uuid } = await stack.provision({ plan: 'basic', options: { upstream: upstream.url } });
  const rec = await stack.waitForState(uuid, 'provisioned');

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent(ssoForm(uuid, stack.config.SSO_SALT));
  await Promise.all([page.waitForURL(`${base}/dashboard/${uuid}`), page.click('#go')]);

  expect(await page.title()).toContain('Anypoint API Gateway');
  expect(await page.textContent('[data-testid="state"]')).toBe('provisioned');
  expect(await page.textContent('[data-testid="plan"]')).toContain('1,000 requests / minute');
  expect(await page.textContent('#proxy-url')).toBe(rec.placement!.proxyUrl);
  const body = await page.textContent('body');
  expect(body).toContain(rec.name);
  expect(body).toContain('ANYPOINT_API_GATEWAY_URL');
  expect(body).toContain('ANYPOINT_API_GATEWAY_API_ID');
  expect(body).toContain('ada@example.com');
  expect(body).toContain('Premium');
  expect(await page.locator('table >> text=Applying the rate limit').count()).toBe(1);
  expect(await page.getAttribute('a:has-text("open in API Manager")', 'href')).toContain(`/apis/${rec.placement!.apiId}`);
  // the session cookie is HttpOnly: page scripts cannot read it
  expect(await page.evaluate<string>('document.cookie')).not.toContain('aag_session');
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'aag_session')?.httpOnly).toBe(true);
  expect(cookies.find((c) => c.name === 'heroku-nav-data')?.value).toBe('nav123');

  fs.mkdirSync(path.resolve(__dirname, '../../test-artifacts'), { recursive: true });
  await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/dashboard.png'), fullPage: true });
  await context.close();
});

it('without a session the dashboard says how to get in (401)', async () => {
  const { uuid } = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
  const context = await browser.newContext();
  const page = await context.newPage();
  const res = await page.goto(`${base}/dashboard/${uuid}`);
  expect(res?.status()).toBe(401);
  expect(await page.textContent('body')).toContain('heroku addons:open anypoint-api-gateway');
  await context.close();
});
