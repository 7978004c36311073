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
    // listening, so Heroku's webhook deliveries reach the service (its PUBLIC_URL)
    stack = await startStack('driver', { listen: true });
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
    for (const name of [
      'async: the stand-in records the provision action',
      'async: config vars are exactly',
      'async: after deprovision the record ends',
      ...Object.values(BREAKERS).flatMap((b) => b.fails),
    ]) {
      expect([name, r.lines.some((l) => l.startsWith(`ok   ${name}`))]).toEqual([name, true]);
    }
    expect(r.lines.some((l) => l.startsWith('# the tombstone expires after TOMBSTONE_TTL_DAYS'))).toBe(true);
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

/**
 * A service that breaks one rule: the real stack behind a front that changes one behaviour back to
 * what the rule forbids. Each new check must FAIL against its breaker (and pass against the stack).
 */
type Breaker = (stack: Stack) => express.RequestHandler;

const BREAKERS: Record<string, { breaker: Breaker; fails: string[] }> = {
  'refuses boolean options': {
    breaker: () => (req, res, next) => {
      const options = (req.body as { options?: Record<string, unknown> } | undefined)?.options ?? {};
      if (req.method === 'POST' && req.path === '/heroku/resources' && Object.values(options).some((v) => typeof v === 'boolean')) {
        res.status(422).json({ message: 'options must be strings' });
        return;
      }
      next();
    },
    fails: ['provision: a bare --flag'],
  },
  'accepts a null grant with 202': {
    breaker: () => (req, res, next) => {
      const body = req.body as { uuid?: string; oauth_grant?: unknown } | undefined;
      if (req.method === 'POST' && req.path === '/heroku/resources' && body && body.oauth_grant == null) {
        res.status(202).json({ id: body.uuid, message: 'provisioning' });
        return;
      }
      next();
    },
    fails: ['provision: oauth_grant null → 422', 'provision: oauth_grant missing → 422'],
  },
  'serves the v1 GET sign-in': {
    breaker: () => (req, res, next) => {
      if (req.method === 'GET' && req.path.startsWith('/heroku/resources/') && req.query.token) {
        res.cookie('aag_session', 'signed-in').status(302).setHeader('Location', `/dashboard/${req.path.split('/').pop()}`);
        res.end();
        return;
      }
      next();
    },
    fails: ['sso: the v1 GET form'],
  },
  'lets a sign-on form be replayed': {
    breaker: (stack) => async (req, _res, next) => {
      if (req.method === 'POST' && req.path === '/sso/login') {
        const used = await stack.redis.keys(`${stack.config.KEY_PREFIX}:sso:used:*`);
        if (used.length) await stack.redis.del(...used);
      }
      next();
    },
    fails: ['sso: a sign-on form used once'],
  },
  'sends no security headers': {
    breaker: () => (_req, res, next) => {
      const set = res.setHeader.bind(res);
      res.setHeader = ((name: string, value: string | number | readonly string[]) =>
        /^(content-security-policy|x-content-type-options|referrer-policy|cache-control|x-frame-options)$/i.test(name) ? res : set(name, value)) as typeof res.setHeader;
      next();
    },
    fails: ['sso: user-scoped token → 302', "sso: the dashboard's headers", 'console: /admin/queues cannot be framed'],
  },
  "shows the form's email as signed in without a user-scoped token": {
    breaker: () => {
      let email = '';
      return (req, res, next) => {
        if (req.method === 'POST' && req.path === '/sso/login') email = String((req.body as Record<string, unknown>).email ?? '');
        if (req.method === 'GET' && req.path.startsWith('/dashboard/')) {
          const send = res.send.bind(res);
          res.send = ((body: unknown) => send(typeof body === 'string' ? body.replace('</main>', `<p>Signed in as ${email}</p></main>`) : body)) as typeof res.send;
        }
        next();
      };
    },
    fails: ["sso: with only a resource_token the form's email is not shown"],
  },
  'signs out without ending the session': {
    breaker: () => (req, res, next) => {
      if (req.method === 'POST' && req.path === '/sso/logout') {
        res.status(303).setHeader('Location', '/signed-out');
        res.end();
        return;
      }
      next();
    },
    fails: ['sso: signing out'],
  },
  'forgets a removed add-on': {
    breaker: () => {
      const removed = new Set<string>();
      return (req, res, next) => {
        if (req.method === 'DELETE') removed.add(req.path.split('/').pop() ?? '');
        const uuid = (req.body as { uuid?: string } | undefined)?.uuid;
        if (req.method === 'POST' && req.path === '/heroku/resources' && uuid && removed.has(uuid)) {
          res.status(202).json({ id: uuid, message: 'provisioning' });
          return;
        }
        next();
      };
    },
    fails: ['provision after deprovision (same uuid) → 410'],
  },
};

describe('aag-driver check bites on each rule of issues 11 and 15', () => {
  let stack: Stack;
  beforeAll(async () => {
    // the check runs once per breaker, each with its deliberate wrong passwords: more than one window's AUTH_FAILURE_LIMIT
    stack = await startStack('driver-rules', { config: { AUTH_FAILURE_LIMIT: '1000' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(Object.keys(BREAKERS))('a service that %s fails its check', async (name) => {
    const { breaker, fails } = BREAKERS[name];
    const front = express();
    front.use(express.json({ type: ['application/json', 'application/*+json'], limit: '2mb' }), express.urlencoded({ extended: false }), breaker(stack), (req, res) => {
      stack.app(req, res);
    });
    const broken = await listen(front);
    try {
      const r = await runCheck({ service: broken.url, id: stack.config.ADDON_ID, password: stack.config.ADDON_PASSWORD, salt: stack.config.SSO_SALT, waitSeconds: 1, pollMs: 50 });
      for (const f of fails) expect([f, r.lines.some((l) => l.startsWith(`FAIL ${f}`))]).toEqual([f, true]);
      // the other new checks still pass: the breaker broke that one rule
      for (const other of Object.values(BREAKERS).flatMap((b) => b.fails).filter((f) => !fails.includes(f))) {
        expect([other, r.lines.some((l) => l.startsWith(`ok   ${other}`))]).toEqual([other, true]);
      }
    } finally {
      await broken.close();
    }
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
