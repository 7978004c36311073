import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createHerokuSandbox, type HerokuSandbox } from '@aag/standins';

/**
 * The Heroku stand-in's add-on webhooks (schema `add-on-webhook`), their signed deliveries with
 * `sync` retries, the app rename and domain changes that trigger them, and Heroku's router (an old
 * host answers "no such app"). Every request here is a valid one except where a test sends a bad
 * body on purpose (those are named).
 */

const SECRET = 'dev-heroku-oauth-client-secret';
const WEBHOOKS = 'application/vnd.heroku+json; version=3.webhooks';

async function provisioned(sb: HerokuSandbox) {
  const body = sb.createAddon({ plan: 'test' });
  const res = await request(sb.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code: body.oauth_grant.code, client_secret: SECRET });
  expect(res.status).toBe(200);
  const token = res.body.access_token as string;
  const call = (r: request.Test) => r.set('Accept', WEBHOOKS).set('Authorization', `Bearer ${token}`);
  return { uuid: body.uuid, call };
}

/** A receiver that answers the statuses given in turn (then 204), keeping what it got. */
async function receiver(statuses: number[] = []) {
  const got: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/heroku/webhooks/x`,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const until = async (pred: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Heroku stand-in: add-on webhooks', () => {
  let sb: HerokuSandbox;
  beforeEach(async () => {
    sb = createHerokuSandbox({ webhookRetryDelayMs: 30 });
    await sb.start(0);
  });
  afterEach(async () => {
    await sb.close();
  });

  it('create, list, get, delete as the schema has them; no secret in any answer; bad bodies 422; refused as a whole with 403 when switched off', async () => {
    const { uuid, call } = await provisioned(sb);
    const made = await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({
      include: ['api:app', 'api:domain'],
      level: 'sync',
      url: 'https://example.com/heroku/webhooks/1',
      authorization: 'Bearer abc',
      secret: 's3cret',
    });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      addon: { id: uuid, name: expect.any(String) },
      created_at: expect.any(String),
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      include: ['api:app', 'api:domain'],
      level: 'sync',
      updated_at: expect.any(String),
      url: 'https://example.com/heroku/webhooks/1',
    });
    expect(JSON.stringify(made.body)).not.toMatch(/s3cret|abc/);
    const list = await call(request(sb.app).get(`/addons/${uuid}/webhooks`));
    expect(list.status).toBe(200);
    expect(list.body.map((w: { id: string }) => w.id)).toEqual([made.body.id]);
    expect((await call(request(sb.app).get(`/addons/${uuid}/webhooks/${made.body.id}`))).body.url).toBe('https://example.com/heroku/webhooks/1');

    sb.violations.expect({ direction: 'request', where: 'body', operation: /webhooks$/ });
    const again = await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({ include: ['api:app'], level: 'sync', url: 'https://example.com/heroku/webhooks/1' });
    expect([again.status, again.body.message]).toEqual([422, 'Url has already been taken']);
    expect((await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({ include: ['api:release'], level: 'sync', url: 'https://example.com/2' })).status).toBe(422);
    expect((await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({ include: ['api:app'], level: 'often', url: 'https://example.com/2' })).status).toBe(422);
    expect((await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({ include: ['api:app'], level: 'sync', url: 'http://example.com/2' })).status).toBe(422);

    const del = await call(request(sb.app).delete(`/addons/${uuid}/webhooks/${made.body.id}`));
    expect(del.status).toBe(200);
    expect((await call(request(sb.app).get(`/addons/${uuid}/webhooks/${made.body.id}`))).status).toBe(404);
    expect((await call(request(sb.app).delete(`/addons/${uuid}/webhooks/${made.body.id}`))).status).toBe(404);

    sb.refuseWebhooks(403);
    const refused = await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({ include: ['api:app'], level: 'sync', url: 'https://example.com/3' });
    expect([refused.status, refused.body.id]).toEqual([403, 'forbidden']);
    expect((await call(request(sb.app).get(`/addons/${uuid}/webhooks`))).status).toBe(403);
    expect(sb.violations.unexpected()).toEqual([]);
  });

  it('a rename: the old host stops answering on the router, the new one answers; the delivery is signed and retried (sync) until a 2xx', async () => {
    const { uuid, call } = await provisioned(sb);
    const rx = await receiver([500, 503]);
    try {
      await call(request(sb.app).post(`/addons/${uuid}/webhooks`)).send({ include: ['api:app'], level: 'sync', url: rx.url, authorization: 'Bearer auth-1', secret: 'key-1' }).expect(201);
      const oldHost = sb.hostsOf(uuid).find((d) => d.kind === 'heroku')!.hostname;
      const r = sb.renameApp(uuid, 'brand-new-name');
      expect(r.oldHost).toBe(oldHost);
      expect(r.newHost).toMatch(/^brand-new-name-[0-9a-f]{12}\.herokuapp\.com$/);
      expect(sb.hostsOf(uuid).map((d) => d.hostname)).not.toContain(oldHost);
      await until(() => sb.webhooks.deliveries(uuid)[0]?.status === 'succeeded');
      const [d] = sb.webhooks.deliveries(uuid);
      expect(d.answers).toEqual([500, 503, 204]);
      expect(rx.got).toHaveLength(3);
      const bodies = rx.got.map((g) => JSON.parse(g.body) as { id: string; resource: string; action: string; data: { name: string }; previous_data: { name: string }; webhook_metadata: { event: { id: string }; delivery: { id: string }; attempt: { id: string } } });
      // one event, one delivery, three attempts
      expect(new Set(bodies.map((b) => b.webhook_metadata.event.id)).size).toBe(1);
      expect(new Set(bodies.map((b) => b.webhook_metadata.delivery.id)).size).toBe(1);
      expect(new Set(bodies.map((b) => b.webhook_metadata.attempt.id)).size).toBe(3);
      expect(bodies[0]).toMatchObject({ resource: 'app', action: 'update', data: { name: 'brand-new-name' }, previous_data: { name: expect.any(String) } });
      for (const g of rx.got) {
        expect(g.headers.authorization).toBe('Bearer auth-1');
        expect(g.headers['heroku-webhook-hmac-sha256']).toBe(createHmac('sha256', 'key-1').update(g.body).digest('base64'));
      }

    } finally {
      await rx.close();
    }
  });
});

describe("Heroku stand-in: the router (Heroku's, by Host header)", () => {
  it('an app answers on its hosts; an old name and a removed domain answer 404 "no such app"', async () => {
    const sb = createHerokuSandbox();
    const { routerUrl } = await sb.start(0);
    try {
      const { uuid } = await provisioned(sb);
      const get = (host: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const u = new URL(routerUrl);
          const req = http.request({ host: '127.0.0.1', port: Number(u.port), path: '/ping', headers: { Host: host } }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        });
      const host = sb.hostsOf(uuid).find((d) => d.kind === 'heroku')!.hostname;
      const before = await get(host);
      expect(before.status).toBe(200);
      expect(JSON.parse(before.body)).toMatchObject({ host, path: '/ping' });
      const { newHost } = sb.renameApp(uuid, 'moved-on');
      expect((await get(host)).status).toBe(404);
      expect((await get(host)).body).toContain('There is no app configured at that hostname');
      expect(JSON.parse((await get(newHost!)).body)).toMatchObject({ app: 'moved-on', host: newHost });
      sb.addDomain(uuid, 'api.example.org');
      expect((await get('api.example.org')).status).toBe(200);
      sb.removeDomain(uuid, 'api.example.org');
      expect((await get('api.example.org')).status).toBe(404);
      expect(sb.routerHits(host)).toBe(3);
      expect(() => sb.renameApp(uuid, 'Not A Name')).toThrow(/lowercase/);
    } finally {
      await sb.close();
    }
  });
});
