import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startStack, type Stack } from '../helpers/stack';
import { runCheck } from '@aag/driver/src/check';
import { main } from '@aag/driver/src/cli';
import { parseDriverArgs, SERVICE_DEV_DEFAULTS, UsageError } from '@aag/driver/src/options';
import { resourceToken, userScopedToken } from '@aag/driver/src/tokens';
import { DEV_SECRETS } from '../../src/config';

function listen(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

describe('aag-driver check against the whole stack', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    stack = await startStack('driver');
    web = await listen(stack.app);
  });
  afterAll(async () => {
    await web?.close();
    await stack?.close();
  });

  it('passes every check, the async part included', async () => {
    const r = await runCheck({
      service: web.url,
      heroku: stack.herokuUrl,
      id: stack.config.ADDON_ID,
      password: stack.config.ADDON_PASSWORD,
      salt: stack.config.SSO_SALT,
      waitSeconds: 15,
      pollMs: 50,
    });
    const failures = r.lines.filter((l) => l.startsWith('FAIL'));
    expect(failures).toEqual([]);
    expect(r.failed).toBe(0);
    expect(r.passed).toBeGreaterThanOrEqual(40);
    expect(r.lines).toContain(`${r.passed} passed, 0 failed`);
    for (const name of ['async: the stand-in records the provision action', 'async: config vars are exactly', 'async: after deprovision the record ends']) {
      expect(r.lines.some((l) => l.startsWith(`ok   ${name}`))).toBe(true);
    }
  }, 20_000);

  it('fails every check that wrong credentials or a wrong salt would break', async () => {
    const r = await runCheck({ service: web.url, id: stack.config.ADDON_ID, password: 'not-the-password-at-all', salt: 'not-the-salt-0000000000', waitSeconds: 1 });
    expect(r.failed).toBeGreaterThan(10);
    expect(r.lines.some((l) => l.startsWith('FAIL provision: good credentials → 202'))).toBe(true);
    expect(r.lines.some((l) => l.startsWith('FAIL sso: user-scoped token → 302'))).toBe(true);
    // the refusals still hold
    expect(r.lines).toContain('ok   provision: no credentials → 401 with WWW-Authenticate');
  }, 20_000);
});

describe('aag-driver check can fail', () => {
  it('reports a service that answers 200 to everything, exit code 1', async () => {
    const app = express();
    app.use((_req, res) => {
      res.status(200).json({ ok: true });
    });
    const broken = await listen(app);
    try {
      const r = await runCheck({ service: broken.url, id: 'anypoint-api-gateway', password: DEV_SECRETS.ADDON_PASSWORD, salt: DEV_SECRETS.SSO_SALT, waitSeconds: 1 });
      expect(r.passed).toBe(0);
      expect(r.failed).toBeGreaterThan(30);
      expect(r.lines[r.lines.length - 1]).toBe(`0 passed, ${r.failed} failed`);
      expect(r.lines).toContain('FAIL provision: no credentials → 401 with WWW-Authenticate: expected 401, got 200 {"ok":true}');

      const printed: string[] = [];
      const code = await main(['check', '--service', broken.url, '--wait', '1'], {}, (l) => printed.push(l));
      expect(code).toBe(1);
      expect(printed[printed.length - 1]).toMatch(/^0 passed, \d+ failed$/);
    } finally {
      await broken.close();
    }
  });

  it('reports a service that is not there, with the async part as FAIL, not skipped', async () => {
    const gone = await listen((_req, res) => res.end());
    await gone.close();
    const heroku = await listen((_req, res) => {
      res.statusCode = 500;
      res.end();
    });
    try {
      const r = await runCheck({ service: gone.url, heroku: heroku.url, id: 'x', password: 'y', salt: 'z', waitSeconds: 1 });
      expect(r.passed).toBe(0);
      expect(r.lines.some((l) => l.startsWith('FAIL heroku stand-in: a new add-on'))).toBe(true);
      expect(r.lines.some((l) => l.startsWith('FAIL async: the stand-in records the provision action'))).toBe(true);
      expect(r.lines.some((l) => l.startsWith('FAIL async: after deprovision the record ends'))).toBe(true);
      expect(r.lines.some((l) => /ECONNREFUSED/.test(l))).toBe(true);
    } finally {
      await heroku.close();
    }
  });
});

describe('aag-driver pieces', () => {
  it('computes the SSO tokens as the protocol says', () => {
    // sha1("u:s:1") and sha256("u:s:1:i:e"), computed with sha1sum / sha256sum
    expect(resourceToken('u', 's', '1')).toBe('5002aba17dce1c9cb1df93c1c4cdf538425de07a');
    expect(userScopedToken('u', 's', '1', 'i', 'e')).toBe('b67f71523a482742f29375d76b7d57aff24b7b2cdf0def5ca36a512a5877062f');
  });

  it('reads flags, then env, then the development defaults', () => {
    const o = parseDriverArgs(['check', '--service', 'http://127.0.0.1:5000/', '--wait', '5'], { ADDON_PASSWORD: 'from-env-password' });
    expect(o).toMatchObject({ command: 'check', service: 'http://127.0.0.1:5000', id: 'anypoint-api-gateway', password: 'from-env-password', salt: DEV_SECRETS.SSO_SALT, wait: 5 });
    expect(parseDriverArgs(['plan', 'u', 'basic', '--service', 'http://x', '--id', 'other'], {}).args).toEqual(['u', 'basic']);
    expect(() => parseDriverArgs(['check'], {})).toThrow(UsageError);
    expect(() => parseDriverArgs(['check', '--service', 'ftp://x'], {})).toThrow(/http/);
    expect(() => parseDriverArgs(['check', '--service', 'http://x', '--bogus'], {})).toThrow(UsageError);
  });
});

describe('the driver stands apart from the product', () => {
  it("keeps the service's development password and salt as its defaults", () => {
    expect(SERVICE_DEV_DEFAULTS).toEqual({ ADDON_PASSWORD: DEV_SECRETS.ADDON_PASSWORD, SSO_SALT: DEV_SECRETS.SSO_SALT });
  });
});
