import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium, ssoFormPage } from '../helpers/browser';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';

/**
 * The dashboard's traffic section as a person sees it: 100 calls through a test add-on (60 a
 * minute), then headless Chromium signs in through Heroku's SSO form and reads the chart: 100
 * calls, 40 refused by the rate limit, the plan's limit drawn at 60, a text alternative, no CSP
 * refusal (inline SVG, no script). Screenshot: test-artifacts/dashboard-traffic.png.
 */

let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let server: http.Server;
let base: string;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack('browser-traffic', { config: { TRAFFIC_POLL_MS: '400', TRAFFIC_SETTLE_MS: '0' } });
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

const ssoForm = (uuid: string, salt: string) => ssoFormPage(base, uuid, salt, { userId: 'user-7@heroku.com', email: 'grace@example.com' });

it('shows the last hour: 100 calls, 40 refused by the rate limit, the plan limit at 60 on the chart, with a text alternative and no CSP refusal', async () => {
  const { uuid } = await stack.provision({ plan: 'test', appName: 'chart-shop', options: { upstream: upstream.url } });
  const rec = await stack.waitForState(uuid, 'provisioned');
  for (let i = 0; i < 100; i++) await callGateway(rec.placement!.proxyUrl!, i % 4 === 0 ? '/orders' : '/status');
  // the figures are in once the lines are (same commit)
  const end = Date.now() + 10_000;
  while (stack.heroku.logs(uuid).length < 100 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  expect(stack.heroku.logs(uuid)).toHaveLength(100);

  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const refused: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  await page.setContent(ssoForm(uuid, stack.config.SSO_SALT));
  await Promise.all([page.waitForURL(`${base}/dashboard/${uuid}`), page.click('#go')]);

  expect(await page.textContent('[data-testid="traffic-hour-total"]')).toBe('100');
  expect(await page.textContent('[data-testid="traffic-hour-limited"]')).toBe('40');
  expect(await page.textContent('[data-testid="traffic-day-total"]')).toBe('100');
  expect(await page.textContent('[data-testid="traffic-hour-errors"]')).toBe('0 / 0');
  expect(await page.textContent('[data-testid="traffic-hour-latency"]')).toMatch(/^about \d+ ms \/ about \d+ ms$/);
  // the bars drawn add up to the calls and the refusals
  const bars = await page.$$eval('[data-testid="traffic-hour-chart"] g[data-n]', (gs) => gs.map((g) => [Number(g.getAttribute('data-n')), Number(g.getAttribute('data-limited'))]));
  expect(bars.reduce((a, [n]) => a + n, 0)).toBe(100);
  expect(bars.reduce((a, [, l]) => a + l, 0)).toBe(40);
  expect(await page.getAttribute('[data-testid="traffic-hour-limit"]', 'data-limit')).toBe('60');
  expect(await page.textContent('[data-testid="traffic-hour-chart"] text:has-text("plan limit")')).toBe('Test plan limit: 60 / minute');
  // the chart is an image with a name and a description a screen reader reads
  expect(await page.getAttribute('[data-testid="traffic-hour-chart"]', 'role')).toBe('img');
  expect(await page.textContent('#traffic-hour-desc')).toContain('100 calls in all, 40 refused by the rate limit');
  // which plan would fit
  expect(await page.textContent('[data-testid="traffic-fit"]')).toMatch(/had 100 calls; the Test plan allows 60 a minute, so 40 calls were refused with 429\. The Basic plan \(1,000 a minute\) would fit/);
  // top paths: 75 to /status, 25 to /orders
  const top = await page.$$eval('[data-testid="traffic"] h3 + svg + dl + table tbody tr', (rows) => rows.map((r) => r.textContent));
  expect(top.slice(0, 2)).toEqual(['/status75', '/orders25']);
  expect(await page.getAttribute('[data-testid="docs-link"]', 'href')).toBe('https://devcenter.heroku.com/articles/anypoint-api-gateway');
  expect(refused).toEqual([]);

  fs.mkdirSync(path.resolve(__dirname, '../../test-artifacts'), { recursive: true });
  await page.locator('[data-testid="traffic"]').screenshot({ path: path.resolve(__dirname, '../../test-artifacts/dashboard-traffic.png') });
  await context.close();
});
