/**
 * The demo's traffic part (scripts/demo.ts calls it): the gateway's calls as the app's `heroku logs`
 * shows them (the Heroku stand-in's log input), and a screenshot of the dashboard's traffic chart
 * taken with headless Chromium when there is one.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { HerokuSandbox } from '@aag/standins';

const ROOT = path.resolve(__dirname, '..');

/** Waits until the app's log holds `calls` gateway lines, then prints the last `show` of them as heroku logs does, refused ones marked. */
export async function showLogLines(
  heroku: HerokuSandbox,
  uuid: string,
  calls: number,
  show: number,
  say: (mark: string, text: string) => void,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let lines = heroku.logs(uuid);
  while (lines.length < calls && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    lines = heroku.logs(uuid);
  }
  if (lines.length !== calls) throw new Error(`heroku logs holds ${lines.length} gateway lines for ${calls} calls`);
  const shown = lines.slice(-show);
  const refused = shown.filter((l) => / status=429 /.test(l.message)).length;
  say('✓', `heroku logs of the app: ${lines.length} gateway lines for ${calls} calls; the last ${show} (✗ = refused by the rate limit: ${refused}):`);
  for (const l of shown) {
    const time = `${new Date(Date.parse(l.at)).toISOString().slice(0, 23)}000+00:00`;
    console.log(`      ${/ status=429 /.test(l.message) ? '✗' : ' '} ${time} ${l.source}[${l.proc}]: ${l.message}`);
  }
}

/** Screenshots the dashboard's traffic section (signed in with `cookie`); answers the file, or why there is none. */
export async function screenshotTraffic(dashboardUrl: string, cookie: string): Promise<{ file?: string; why?: string }> {
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) return { why: `no Chromium at ${executablePath} (set CHROMIUM_PATH)` };
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const u = new URL(dashboardUrl);
    await context.addCookies(
      cookie.split('; ').map((c) => {
        const at = c.indexOf('=');
        return { name: c.slice(0, at), value: c.slice(at + 1), domain: u.hostname, path: '/' };
      }),
    );
    const page = await context.newPage();
    const res = await page.goto(dashboardUrl);
    if (res?.status() !== 200) return { why: `the dashboard answered ${res?.status()}` };
    const dir = path.join(ROOT, 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'demo-dashboard-traffic.png');
    await page.locator('[data-testid="traffic"]').screenshot({ path: file });
    return { file: path.relative(ROOT, file) };
  } finally {
    await browser.close();
  }
}
