import http from 'node:http';
import request from 'supertest';
import { Webhooks } from '@aag/standins';
import type { AddonRecord } from '../../src/domain/addon';
import { renderDashboard } from '../../src/http/views';
import { tableResolver } from '../helpers/dns';
import { callGateway, startStack, type Stack } from '../helpers/stack';

/**
 * Follow the app (issue 13): Heroku renames the app in the stand-in (its old herokuapp.com host
 * stops answering, a new one answers), Heroku's webhook reaches the receiver, follow-app points the
 * route at the new host on the add-on's target, and the gateway URL serves the app again. Without
 * webhooks the slow re-check finds it. Forged deliveries change nothing; repeats run follow-app once.
 */

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hostOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { host?: string }).host;
  } catch {
    return undefined;
  }
}

function countFor(stack: Stack, uuid: string) {
  const inv = stack.anypoint.inspect();
  return {
    apis: inv.apis.filter((a) => String(a.assetId).includes(uuid)).length,
    applications: inv.applications.filter((a) => a.name.includes(uuid.replace(/-/g, ''))).length,
  };
}

/** follow-app runs that read the app (each run reads it once). */
const runsOf = (rec: AddonRecord) => rec.timeline.filter((e) => e.workflow === 'follow-app' && e.step === 'readApp' && e.status === 'done').length;

async function provisioned(stack: Stack): Promise<{ uuid: string; rec: AddonRecord; host: string }> {
  const { uuid, status } = await stack.provision({});
  expect(status).toBe(202);
  const rec = await stack.waitForState(uuid, 'provisioned');
  return { uuid, rec, host: new URL(rec.resources.upstreamUrl!).host };
}

describe.each(['omni', 'ch2'] as const)('on the %s target', (target) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(`e2e-follow-${target}`, { config: { ANYPOINT_DEFAULT_TARGET: target, DEPLOY_POLL_MS: String(POLL_MS) }, resolve: tableResolver({}), listen: true });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('a rename: the gateway URL serves the app at its new host within 2 × DEPLOY_POLL_MS + 1 s, the old host is not used after, the delivery answered 2xx', async () => {
    const { uuid, rec, host: oldHost } = await provisioned(stack);
    expect(rec.resources.webhookState).toBe('subscribed');
    const proxyUrl = rec.placement!.proxyUrl!;
    const first = await callGateway(proxyUrl, '/hello');
    expect(first.status).toBe(200);
    expect(hostOf(first.body)).toBe(oldHost);

    const t0 = Date.now();
    const renamed = stack.heroku.renameApp(uuid, `renamed-${target}-app`);
    expect(renamed.oldHost).toBe(oldHost);
    expect(renamed.deliveries).toHaveLength(1);
    const newHost = renamed.newHost!;
    // the old host is gone at once: the stand-in's router answers Heroku's "no such app"
    let servedAfter: number | undefined;
    while (Date.now() - t0 < 2 * POLL_MS + 1000) {
      const r = await callGateway(proxyUrl, '/hello');
      if (r.status === 200 && hostOf(r.body) === newHost) {
        servedAfter = Date.now() - t0;
        break;
      }
      await sleep(20);
    }
    expect(servedAfter).toBeDefined();
    const oldHits = stack.heroku.routerHits(oldHost);
    for (let i = 0; i < 10; i++) {
      const r = await callGateway(proxyUrl, `/again/${i}`);
      expect(r.status).toBe(200);
      expect(hostOf(r.body)).toBe(newHost);
    }
    expect(stack.heroku.routerHits(oldHost)).toBe(oldHits);

    const after = await stack.waitFor(uuid, (r) => r.resources.upstreamUrl === `https://${newHost}` && !r.runs);
    expect(after.resources.upstreamChangeReason).toBe('Heroku told us: app update (api:app)');
    expect(after.resources.upstreamChangedAt).toBeDefined();
    expect(after.resources.herokuAppName).toBe(`renamed-${target}-app`);
    expect(after.timeline.some((e) => e.step === 'recordUpstream' && e.message === `upstream now https://${newHost} (Heroku told us: app update (api:app))`)).toBe(true);
    // the dashboard: the current upstream, when it last changed and why
    const page = renderDashboard(after, { anypointBaseUrl: 'https://anypoint.test', csrf: 'x' });
    expect(page).toContain(`<code>https://${newHost}</code> <span class="muted" data-testid="upstream-changed">— changed ${after.resources.upstreamChangedAt}: Heroku told us: app update (api:app)</span>`);
    const deliveries = stack.heroku.webhooks.deliveries(uuid);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0].status).toBe('succeeded');
    expect(deliveries[0].answers).toEqual([204]);
    // exactly one route: one API instance (and on ch2 one proxy application)
    expect(countFor(stack, uuid)).toEqual({ apis: 1, applications: target === 'ch2' ? 1 : 0 });

    // teardown deletes the webhook
    expect(stack.heroku.webhooks.list(uuid)).toHaveLength(1);
    const secrets = stack.web.box.openField<{ authorization: string; secret: string }>(uuid, 'webhookSecretsSealed', after.webhookSecretsSealed!);
    const del = await request(stack.app).delete(`/heroku/resources/${uuid}`).set('Authorization', stack.auth);
    expect(del.status).toBe(204);
    const gone = await stack.waitForState(uuid, 'deprovisioned');
    expect(gone.leftovers ?? []).toEqual([]);
    expect(stack.heroku.webhooks.list(uuid)).toHaveLength(0);
    expect(countFor(stack, uuid)).toEqual({ apis: 0, applications: 0 });
    // a late delivery for the removed add-on, validly signed: 204 (Heroku stops), nothing written
    const late = Webhooks.signed({ id: 'wh', ...secrets }, { id: crypto.randomUUID(), eventId: crypto.randomUUID(), include: 'api:app' }, { resource: 'app', action: 'update', data: {} }, new Date().toISOString());
    expect((await request(stack.app).post(`/heroku/webhooks/${uuid}`).set(late.headers).send(late.body)).status).toBe(204);
    expect((await stack.store.get(uuid))!.rev).toBe(gone.rev);
    // every request we sent and every answer the stand-ins gave is valid against the vendors' specs
    expect(stack.heroku.violations.unexpected()).toEqual([]);
    expect(stack.anypoint.violations.unexpected()).toEqual([]);
    console.log(`follow-app on ${target}: the gateway served the new host ${servedAfter} ms after the rename (bound ${2 * POLL_MS + 1000} ms)`);
  }, 30_000);

  it('a domain added, then the herokuapp.com host removed: nothing changes first, then the route follows to the custom domain', async () => {
    const { uuid, rec, host: oldHost } = await provisioned(stack);
    expect(stack.heroku.addDomain(uuid, `api-${target}.example.org`).deliveries).toHaveLength(1);
    // the app still has its own host: follow-app runs and changes nothing
    const same = await stack.waitFor(uuid, (r) => runsOf(r) === 1 && !r.runs);
    expect(same.resources.upstreamUrl).toBe(rec.resources.upstreamUrl);
    expect(same.timeline.find((e) => e.step === 'readApp')?.message).toBe(`unchanged: ${oldHost}`);
    expect(stack.heroku.removeDomain(uuid, oldHost).deliveries).toHaveLength(1);
    const custom = stack.heroku.hostsOf(uuid).find((d) => d.kind === 'custom')!.hostname;
    // a custom domain's DNS points at Heroku's router (its CNAME): so does the stand-in gateway's
    stack.anypoint.routeHosts(`.${custom.split('.').slice(-2).join('.')}`, stack.routerUrl);
    const after = await stack.waitFor(uuid, (r) => r.resources.upstreamUrl === `https://${custom}` && !r.runs);
    expect(after.resources.upstreamChangeReason).toBe('Heroku told us: domain destroy (api:domain)');
    const r = await callGateway(after.placement!.proxyUrl!, '/x');
    expect(r.status).toBe(200);
    expect(hostOf(r.body)).toBe(custom);
    expect(countFor(stack, uuid)).toEqual({ apis: 1, applications: target === 'ch2' ? 1 : 0 });
  }, 30_000);
});

describe('without webhooks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('e2e-follow-nowh', { config: { APP_RECHECK_INTERVAL_MS: '1000' }, resolve: tableResolver({}), listen: true });
    stack.heroku.refuseWebhooks(403);
  });
  afterAll(async () => {
    await stack.close();
  });

  it('Heroku refuses webhooks (403): provisioning goes on, and the slow re-check finds the rename', async () => {
    const { uuid, rec } = await provisioned(stack);
    expect(rec.resources.webhookState).toBe('refused');
    expect(rec.timeline.find((e) => e.step === 'subscribeWebhooks')?.message).toBe('Heroku refused add-on webhooks (403): the periodic re-check follows the app instead');
    expect(rec.webhookSecretsSealed).toBeDefined();
    const renamed = stack.heroku.renameApp(uuid, 'quietly-renamed');
    expect(renamed.deliveries).toHaveLength(0);
    // not due yet: nothing read
    const early = await stack.worker.sweeper!.sweepOnce();
    expect(early).not.toBeNull();
    expect((await stack.store.get(uuid))!.resources.followReason).toBeUndefined();
    await sleep(1_100);
    await stack.worker.sweeper!.sweepOnce();
    const after = await stack.waitFor(uuid, (r) => r.resources.upstreamUrl === `https://${renamed.newHost}` && !r.runs);
    expect(after.resources.upstreamChangeReason).toBe(`the periodic re-check found the app at ${renamed.newHost}`);
    const r = await callGateway(after.placement!.proxyUrl!, '/x');
    expect(r.status).toBe(200);
    expect(hostOf(r.body)).toBe(renamed.newHost);
    // checked again within the interval: nothing read, nothing queued
    const calls = stack.heroku.calls().filter((c) => c.addonUuid === uuid && c.path.endsWith('/domains')).length;
    await stack.worker.sweeper!.sweepOnce();
    expect(stack.heroku.calls().filter((c) => c.addonUuid === uuid && c.path.endsWith('/domains')).length).toBe(calls);
  }, 30_000);

  it('any other refusal of the subscription for good (422) costs the add-on only its webhooks: it is provisioned, nothing is left', async () => {
    stack.heroku.refuseWebhooks(null);
    stack.heroku.setFaults([{ path: '/addons/:addon/webhooks', method: 'POST', status: 422 }]);
    try {
      const { uuid, rec } = await provisioned(stack);
      expect(rec.resources.webhookState).toBe('refused');
      expect(rec.timeline.find((e) => e.step === 'subscribeWebhooks')?.message).toBe('Heroku refused the webhook subscription (422): the periodic re-check follows the app instead');
      expect(stack.heroku.addon(uuid)?.state).toBe('provisioned');
    } finally {
      stack.heroku.setFaults([]);
      stack.heroku.refuseWebhooks(403);
    }
  }, 30_000);
});

describe('the receiver', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack('e2e-follow-recv', { resolve: tableResolver({}), listen: true });
  });
  afterAll(async () => {
    await stack.close();
  });

  function secretsOf(rec: AddonRecord) {
    return stack.web.box.openField<{ authorization: string; secret: string }>(rec.uuid, 'webhookSecretsSealed', rec.webhookSecretsSealed!);
  }
  const event = { resource: 'app', action: 'update' as const, data: { id: 'x', name: 'y' } };
  const sign = (s: { authorization: string | null; secret: string | null }) =>
    Webhooks.signed({ id: 'wh', ...s }, { id: crypto.randomUUID(), eventId: crypto.randomUUID(), include: 'api:app' }, event, new Date().toISOString());
  const post = (uuid: string, body: string, headers: Record<string, string>) => request(stack.app).post(`/heroku/webhooks/${uuid}`).set(headers).send(body);

  it('forged deliveries (bad HMAC, bad authorization, body altered after signing, a replayed event) change nothing; bad bodies are 400; unknown ids 204', async () => {
    const { uuid, rec } = await provisioned(stack);
    const secrets = secretsOf(rec);
    const before = (await stack.store.get(uuid))!;
    const forged = [
      sign({ authorization: secrets.authorization, secret: 'not-the-secret' }),
      sign({ authorization: 'Bearer not-the-authorization', secret: secrets.secret }),
      sign({ authorization: null, secret: secrets.secret }),
      sign({ authorization: secrets.authorization, secret: null }),
    ];
    for (const f of forged) expect((await post(uuid, f.body, f.headers)).status).toBe(401);
    const good = sign(secrets);
    const altered = good.body.replace('"update"', '"destroy"');
    expect((await post(uuid, altered, good.headers)).status).toBe(401);
    // signed but not an event
    for (const body of ['{not json', JSON.stringify({ id: 'e1' }), JSON.stringify([1, 2])]) {
      const s = Webhooks.signed({ id: 'wh', ...secrets }, { id: 'd', eventId: 'e', include: 'api:app' }, event, 'now');
      const { createHmac } = await import('node:crypto');
      const headers = { ...s.headers, 'Heroku-Webhook-Hmac-SHA256': createHmac('sha256', secrets.secret).update(body).digest('base64') };
      expect((await post(uuid, body, headers)).status).toBe(400);
    }
    const untouched = (await stack.store.get(uuid))!;
    expect(untouched.rev).toBe(before.rev);
    expect(untouched.timeline.filter((e) => e.step === 'webhook')).toHaveLength(0);

    // the real one is taken once; its replay changes nothing
    expect((await post(uuid, good.body, good.headers)).status).toBe(204);
    const once = await stack.waitFor(uuid, (r) => runsOf(r) === 1 && !r.runs);
    expect((await post(uuid, good.body, good.headers)).status).toBe(204);
    await sleep(300);
    const later = (await stack.store.get(uuid))!;
    expect(later.rev).toBe(once.rev);
    expect(runsOf(later)).toBe(1);
    // unchanged app: the run changed nothing
    expect(later.resources.upstreamUrl).toBe(rec.resources.upstreamUrl);
    expect(later.resources.upstreamChangedAt).toBeUndefined();

    // unknown or malformed ids: 2xx, so Heroku stops retrying; nothing written
    expect((await post(crypto.randomUUID(), good.body, good.headers)).status).toBe(204);
    expect((await post('not-a-uuid', good.body, good.headers)).status).toBe(204);
    expect(stack.logs.text()).toContain('webhook for an unknown or removed add-on ignored');
    // the secrets never reach the log
    expect(stack.logs.text()).not.toContain(secrets.secret);
    expect(stack.logs.text()).not.toContain(secrets.authorization.split(' ')[1]);
  }, 30_000);

  it('1,000 deliveries of one event run follow-app once, each answered 204', async () => {
    const { uuid, rec } = await provisioned(stack);
    const good = sign(secretsOf(rec));
    const url = new URL(`/heroku/webhooks/${uuid}`, stack.web.url);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const once = () =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(url, { method: 'POST', headers: good.headers, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(good.body);
      });
    const t0 = Date.now();
    const statuses = await Promise.all(Array.from({ length: 1000 }, once));
    const ms = Date.now() - t0;
    agent.destroy();
    expect(statuses.filter((s) => s === 204)).toHaveLength(1000);
    await stack.waitFor(uuid, (r) => runsOf(r) >= 1 && !r.runs);
    await sleep(500);
    const after = (await stack.store.get(uuid))!;
    expect(runsOf(after)).toBe(1);
    expect(after.timeline.filter((e) => e.step === 'webhook')).toHaveLength(1);
    console.log(`1,000 duplicate deliveries answered in ${ms} ms (${(ms / 1000).toFixed(2)} ms each on average, 50 at a time)`);
  }, 30_000);
});

describe('subscribing, when a try dies after Heroku made the webhook', () => {
  let stack: Stack;
  let fail = 1;
  beforeAll(async () => {
    stack = await startStack('e2e-follow-adopt', {
      resolve: tableResolver({}),
      listen: true,
      hooks: {
        checkpoint: (point) => {
          // the webhook exists at Heroku, the record does not know it yet
          if (point === 'provision.subscribeWebhooks:after' && fail-- > 0) throw new Error('worker lost after the subscription');
        },
      },
    });
  });
  afterAll(async () => {
    await stack.close();
  });

  it('the next try finds it by its URL and adopts it: one subscription, and deliveries to it verify', async () => {
    const { uuid, rec } = await provisioned(stack);
    expect(rec.timeline.some((e) => e.step === 'subscribeWebhooks' && e.status === 'retrying')).toBe(true);
    expect(rec.timeline.find((e) => e.step === 'subscribeWebhooks' && e.status === 'done')?.message).toBe('webhook of an earlier try adopted');
    const subs = stack.heroku.webhooks.list(uuid);
    expect(subs).toHaveLength(1);
    expect(rec.resources.webhookId).toBe(subs[0].id);
    // the secrets it was made with are the ones the record holds
    const renamed = stack.heroku.renameApp(uuid, 'adopted-app');
    await stack.waitFor(uuid, (r) => r.resources.upstreamUrl === `https://${renamed.newHost}` && !r.runs);
    expect(stack.heroku.webhooks.deliveries(uuid).map((d) => d.answers)).toEqual([[204]]);
  }, 30_000);
});
