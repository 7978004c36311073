import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium, ssoFormPage } from '../helpers/browser';
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
  stack = await startStack('browser', { config: { POLICY_APPLY_MS: '200' } });
  upstream = await startUpstream();
  server = http.createServer(stack.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await new Promise((r) => server?.close(r));
  await stack?.close();
  await upstream?.close();
});

const ssoForm = (uuid: string, salt: string) => ssoFormPage(base, uuid, salt, { userId: 'user-42@heroku.com', email: 'ada@example.com' }, { app: 'acme-shop', 'nav-data': 'nav123' });

it('signs in through the SSO form post and shows the add-on: name, plan and limit, state, steps, proxy URL, config vars, plans', async () => {
  const { uuid } = await stack.provision({ plan: 'basic', options: { upstream: upstream.url } });
  const rec = await stack.waitForState(uuid, 'provisioned');

  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  // anything the page's CSP blocks shows up as a console error ("Refused to …") and a report event
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  await page.setContent(ssoForm(uuid, stack.config.SSO_SALT));
  await Promise.all([page.waitForURL(`${base}/dashboard/${uuid}`), page.click('#go')]);
  await page.evaluate("document.addEventListener('securitypolicyviolation', (e) => { window.__cspViolations = (window.__cspViolations || []).concat(e.violatedDirective); })");

  expect(await page.title()).toContain('Anypoint API Gateway');
  expect(await page.textContent('[data-testid="state"]')).toBe('provisioned');
  expect(await page.textContent('[data-testid="plan"]')).toContain('1,000 requests / minute');
  expect(await page.textContent('#proxy-url')).toBe(rec.placement!.proxyUrl);
  const body = await page.textContent('body');
  expect(body).toContain(rec.name);
  expect(body).toContain('ANYPOINT_API_GATEWAY_URL');
  expect(body).toContain('ANYPOINT_API_GATEWAY_API_ID');
  // the user-scoped token vouched for her
  expect(await page.textContent('[data-testid="identity"]')).toBe('ada@example.com');
  expect(body).toContain('Premium');
  expect(await page.locator('table >> text=Applying the rate limit').count()).toBe(1);
  expect(await page.getAttribute('a:has-text("open in API Manager")', 'href')).toContain(`/apis/${rec.placement!.apiId}`);
  // the session cookie is HttpOnly: page scripts cannot read it
  expect(await page.evaluate<string>('document.cookie')).not.toContain('aag_session');
  const cookies = await context.cookies();
  expect(cookies.find((c) => c.name === 'aag_session')?.httpOnly).toBe(true);
  expect(cookies.find((c) => c.name === 'heroku-nav-data')?.value).toBe('nav123');

  // the Copy button works under the CSP (script-src 'self': its code is /assets/dashboard.js, no inline script)
  await page.click('#copy-proxy-url');
  await page.waitForFunction("document.getElementById('copy-proxy-url').textContent !== 'Copy'", undefined, { timeout: 5_000 });
  expect(await page.textContent('#copy-proxy-url')).toBe('Copied');
  expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(rec.placement?.proxyUrl);
  // the styles applied (the <style> block is allowed by its hash): the state badge has its colours
  expect(await page.evaluate<string>("getComputedStyle(document.querySelector('[data-testid=state]')).backgroundColor")).toBe('rgb(216, 245, 227)');
  // an inline script the page did not bring is refused by the CSP
  await page.evaluate("(() => { const s = document.createElement('script'); s.textContent = 'window.__injected = 1'; document.body.appendChild(s); })()");
  expect(await page.evaluate('window.__injected')).toBeUndefined();
  expect(await page.evaluate('window.__cspViolations')).toEqual(['script-src-elem']);
  expect(refused.filter((m) => !/script-src/.test(m))).toEqual([]);

  fs.mkdirSync(path.resolve(__dirname, '../../test-artifacts'), { recursive: true });
  await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/dashboard.png'), fullPage: true });

  // sign out: the button posts the form; the browser lands on the signed-out page and the dashboard is closed to it
  await Promise.all([page.waitForURL(`${base}/signed-out`), page.click('#sign-out')]);
  expect(await page.textContent('[data-testid="signed-out"]')).toBe('You have signed out.');
  const back = await page.goto(`${base}/dashboard/${uuid}`);
  expect(back?.status()).toBe(401);
  expect((await context.cookies()).find((c) => c.name === 'aag_session')).toBeUndefined();
  await context.close();
});

it("signed in with only a resource_token, the dashboard names nobody; a replay of the same form is refused", async () => {
  const { uuid } = await stack.provision({ plan: 'test', options: { upstream: upstream.url } });
  const ts = String(Math.floor(Date.now() / 1000));
  const token = createHash('sha1').update(`${uuid}:${stack.config.SSO_SALT}:${ts}`).digest('hex');
  const fields = { resource_id: uuid, timestamp: ts, resource_token: token, email: 'eve@example.com', user_id: 'eve' };
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
  const html = `<html><body><form method="post" action="${base}/sso/login">${inputs}<button id="go" type="submit">Open</button></form></body></html>`;
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.setContent(html);
  await Promise.all([page.waitForURL(`${base}/dashboard/${uuid}`), page.click('#go')]);
  expect(await page.textContent('body')).not.toContain('eve@example.com');
  expect(await page.textContent('[data-testid="identity"]')).toContain('Heroku did not vouch for a user');
  const other = await browser.newContext();
  const replay = await other.newPage();
  await replay.setContent(html);
  const [res] = await Promise.all([replay.waitForResponse(`${base}/sso/login`), replay.click('#go')]);
  expect(res.status()).toBe(403);
  expect(await replay.textContent('body')).toContain('already used');
  await other.close();
  await context.close();
});

it('the queue console renders under its CSP (its own scripts and styles only) and its write buttons other than retry are refused', async () => {
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password: stack.config.ADMIN_PASSWORD } });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  const res = await page.goto(`${base}/admin/queues`);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  await page.waitForSelector('text=provision', { timeout: 15_000 });
  expect(await page.textContent('body')).toContain('plan-change');
  // only refusals of what the CSP is there to stop (Google's fonts) may show; scripts and styles load
  expect(refused.filter((m) => !/fonts\.googleapis\.com/.test(m))).toEqual([]);
  const pause = await page.evaluate<number>("fetch('api/queues/provision/pause', { method: 'PUT' }).then((r) => r.status)");
  expect(pause).toBe(403);
  // a retry gets past the guards from the console's own page (no-referrer makes its Origin "null"):
  // bull-board itself answers, here that no such job exists
  const retry = await page.evaluate<number>("fetch('api/queues/provision/no-such-job/retry', { method: 'PUT' }).then((r) => r.status)");
  expect(retry).toBe(404);
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

it('the policy console works from a real browser form: a key is created, its secret shown once; a forged form from another page is refused', async () => {
  const { uuid } = await stack.provision({ plan: 'basic', options: { upstream: upstream.url } });
  await stack.waitForState(uuid, 'provisioned');
  const context = await browser.newContext();
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  await page.setContent(ssoForm(uuid, stack.config.SSO_SALT));
  await Promise.all([page.waitForURL(`${base}/dashboard/${uuid}`), page.click('#go')]);

  // the browser's own form post (Origin: this service, the session's token): 303 back to the dashboard
  await page.fill('#create-key input[name="name"]', 'browser key');
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/dashboard/${uuid}/keys`)),
    page.click('#create-key button[type="submit"]'),
  ]);
  await page.waitForLoadState('load');
  let secret: string | null = null;
  // the key is made by a workflow (client application, contract, policy live): time, not a count of
  // reloads, bounds the wait, so a loaded machine does not run out of reloads first. The page the
  // form's 303 led to is read first: when the key was already made it shows (and spends) the secret.
  for (const until = Date.now() + 20_000; ; ) {
    secret = (await page.locator('#new-client-secret').count()) ? await page.textContent('#new-client-secret') : null;
    if (secret || Date.now() >= until) break;
    await page.waitForTimeout(100);
    await page.reload();
  }
  expect(secret).toBeTruthy();
  await page.reload();
  expect(await page.locator('#new-client-secret').count()).toBe(0);
  expect(await page.textContent('body')).toContain('browser key');
  expect(refused).toEqual([]);

  // another site's page posting the same form (the session cookie is SameSite=Lax: a cross-site POST carries none) changes nothing
  const evil = http.createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end(`<form method="post" action="${base}/dashboard/${uuid}/keys"><input name="name" value="evil"><button id="evil" type="submit">go</button></form>`);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.2', r));
  try {
    await page.goto(`http://127.0.0.2:${(evil.address() as AddressInfo).port}/`);
    const [answer] = await Promise.all([page.waitForResponse(`${base}/dashboard/${uuid}/keys`), page.click('#evil')]);
    expect([401, 403]).toContain(answer.status());
    const rec = await stack.store.get(uuid);
    expect(rec?.boundary?.keys.map((k) => k.name)).toEqual(['browser key']);
  } finally {
    await new Promise((r) => evil.close(r));
    await context.close();
  }
}, 60_000);
