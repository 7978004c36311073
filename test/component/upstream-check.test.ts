import request from 'supertest';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';
import { REAL_DNS, tableResolver } from '../helpers/dns';
import type { HostResolver } from '../../src/clients/dns';

/**
 * `--upstream` at request time (issue 15 item 1, issue 17 item 1): the web resolves the host and
 * answers 422 (a message Heroku shows the user) for anything internal, without writing or queueing
 * anything. Strict in production, lenient elsewhere.
 */

async function withWeb(mode: 'strict' | 'lenient', resolve: HostResolver, fn: (ctx: AppContext, provision: (upstream: unknown) => Promise<request.Response>) => Promise<void>) {
  const ctx = await appContext(`upstream-${mode}`, { config: { UPSTREAM_CHECK: mode }, overrides: { resolve } });
  try {
    const auth = basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD);
    await fn(ctx, (upstream) => request(ctx.app).post('/heroku/resources').set('Authorization', auth).send(provisionBody({ options: { upstream } })));
  } finally {
    await ctx.close();
  }
}

describe('strict', () => {
  it.each(['https://169.254.169.254.nip.io', 'https://127.0.0.1.nip.io', 'https://localtest.me', 'https://10.0.0.1.sslip.io:6379'])(
    '%s → 422 naming the problem; nothing written, nothing queued',
    async (upstream) => {
      await withWeb('strict', tableResolver(REAL_DNS), async (ctx, provision) => {
        const res = await provision(upstream);
        expect(res.status).toBe(422);
        expect(res.body.message).toMatch(/^option --upstream: /);
        expect(res.body.message).toMatch(/metadata|loopback|443|private/);
        expect(await ctx.store.allIds()).toEqual([]);
        expect(await ctx.jobs.queue('provision').getJobCountByTypes('waiting', 'delayed', 'active')).toBe(0);
      });
    },
  );

  it('a public host → 202; a name that does not resolve → 422 (fails closed)', async () => {
    await withWeb('strict', tableResolver(REAL_DNS), async (_ctx, provision) => {
      expect((await provision('https://api.example.com')).status).toBe(202);
      const res = await provision('https://no-such-host.example.org');
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/does not resolve/);
    });
  });

  it('a DNS that hangs: the answer still comes within ~2 s (Heroku waits for it), and it is a refusal', async () => {
    await withWeb('strict', () => new Promise(() => undefined), async (_ctx, provision) => {
      const t0 = Date.now();
      const res = await provision('https://api.example.com');
      expect(Date.now() - t0).toBeLessThan(2_500);
      expect(res.status).toBe(422);
      expect(res.body.message).toMatch(/try again/);
    });
  });
});

describe('lenient (development, tests, the demo)', () => {
  it('a name that does not resolve → 202, with a warning in the log', async () => {
    await withWeb('lenient', tableResolver({}), async (ctx, provision) => {
      expect((await provision('https://myapp-1a2b3c.herokuapp.com')).status).toBe(202);
      expect(ctx.logs.text()).toMatch(/"warning":"myapp-1a2b3c.herokuapp.com did not resolve \(ENOTFOUND\).*"msg":"upstream accepted without a DNS check"/);
    });
  });

  it('http to a loopback literal → 202; private and metadata literals, and names resolving to them → 422', async () => {
    await withWeb('lenient', tableResolver(REAL_DNS), async (_ctx, provision) => {
      expect((await provision('http://127.0.0.1:5050')).status).toBe(202);
      for (const bad of ['http://10.0.0.1:6379', 'https://169.254.169.254', 'http://[fd00:ec2::254]', 'https://169.254.169.254.nip.io']) {
        expect([bad, (await provision(bad)).status]).toEqual([bad, 422]);
      }
    });
  });
});
