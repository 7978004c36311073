/**
 * The stand-in app behind herokuapp.com that requires the origin secret (the Dev Center article's
 * check): refused without it, served with the current or the previous value, config read at restart;
 * through the stand-in gateway's header injection it is served, directly it is refused; a rotation
 * done in the right order under a steady stream of calls refuses none.
 */
import request from 'supertest';
import { createHerokuSandbox, createOriginApp, type OriginApp } from '@aag/standins';
import { APIS, client, gw, liveApi, policy, sleep, startKit, type Kit } from './boundary-kit';

const PREFIX = 'ANYPOINT_API_GATEWAY';
const direct = (url: string, headers: Record<string, string> = {}) => gw(`${url}/`, '/hello', { headers });

describe('origin app', () => {
  let app: OriginApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('refuses a call without the secret or with a wrong one; serves the current and the previous value; records what it saw', async () => {
    const config: Record<string, string> = { [`${PREFIX}_ORIGIN_SECRET`]: 'new-value', [`${PREFIX}_ORIGIN_SECRET_PREVIOUS`]: 'old-value' };
    app = createOriginApp({ config: () => config });
    const { url } = await app.start();
    expect((await direct(url)).status).toBe(403);
    expect((await direct(url, { 'x-anypoint-gateway-secret': 'guess' })).status).toBe(403);
    expect((await direct(url, { 'x-anypoint-gateway-secret': 'new-value' })).status).toBe(200);
    expect((await direct(url, { 'x-anypoint-gateway-secret': 'old-value' })).status).toBe(200);
    expect(app.calls().map((c) => [c.status, c.headers['x-anypoint-gateway-secret']])).toEqual([
      [403, undefined],
      [403, 'guess'],
      [200, 'new-value'],
      [200, 'old-value'],
    ]);
    const listed = await request(url).get('/__standin/calls').expect(200);
    expect(listed.body.calls).toHaveLength(4);
  });

  it('refuses everything while no secret is set, and reads a config change only once it has restarted', async () => {
    const config: Record<string, string> = {};
    app = createOriginApp({ config: () => config, restartDelayMs: 250, pollMs: 10 });
    const { url } = await app.start();
    expect((await direct(url, { 'x-anypoint-gateway-secret': '' })).status).toBe(403);
    config[`${PREFIX}_ORIGIN_SECRET`] = 's1';
    const t0 = Date.now();
    const before = await direct(url, { 'x-anypoint-gateway-secret': 's1' });
    if (Date.now() - t0 < 200) expect(before.status).toBe(403);
    await sleep(320);
    expect(app.restarts()).toBe(1);
    expect(app.env()).toEqual({ [`${PREFIX}_ORIGIN_SECRET`]: 's1' });
    expect((await direct(url, { 'x-anypoint-gateway-secret': 's1' })).status).toBe(200);
  });
});

describe('origin app behind the stand-in gateway, its config in the Heroku stand-in', () => {
  let kit: Kit;
  let app: OriginApp;
  const heroku = createHerokuSandbox();
  const ACCEPT = 'application/vnd.heroku+json; version=3';
  let herokuToken: string;
  let uuid: string;
  let appUrl: string;

  beforeAll(async () => {
    const body = heroku.createAddon({ plan: 'test', appName: 'origin-demo' });
    uuid = body.uuid;
    herokuToken = (await request(heroku.app).post('/oauth/token').type('form').send({ grant_type: 'authorization_code', code: body.oauth_grant.code, client_secret: 'dev-heroku-oauth-client-secret' }).expect(200)).body
      .access_token as string;
    app = createOriginApp({ config: () => heroku.addon(uuid)?.config ?? {}, restartDelayMs: 150, pollMs: 10 });
    appUrl = (await app.start()).url;
    kit = await startKit({ policyApplyDelayMs: 100 });
    // the instances point at the origin app
    kit.upstreamUrl = appUrl;
  });
  afterAll(async () => {
    await app.close();
    await kit.close();
  });

  const setConfig = (config: { name: string; value: string | null }[]) =>
    request(heroku.app).patch(`/addons/${uuid}/config`).set('Accept', ACCEPT).set('Authorization', `Bearer ${herokuToken}`).send({ config }).expect(200);

  it('serves gateway calls (header injection) and refuses direct ones; a rotation under a steady stream refuses none', async () => {
    const c = await client(kit);
    const api = await liveApi(kit, c, 'origin-rotation', 'ch2');
    await setConfig([{ name: `${PREFIX}_ORIGIN_SECRET`, value: 'first' }]);
    const pid = (await c.post(`${APIS}/${api.apiId}/policies`).send(policy('header-injection', { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'first' }] })).expect(201)).body.id;
    await sleep(300); // restart of the app and the policy's apply delay
    expect((await gw(api.proxyUrl, '/through')).status).toBe(200);
    expect((await direct(appUrl)).status).toBe(403);

    // a steady stream of calls through the gateway during the rotation
    const statuses: number[] = [];
    let running = true;
    const stream = (async () => {
      while (running) {
        statuses.push((await gw(api.proxyUrl, '/stream')).status);
        await sleep(5);
      }
    })();
    const restarts = app.restarts();
    // 1. the app learns the new value and keeps the old one as previous (Heroku restarts it)
    await setConfig([
      { name: `${PREFIX}_ORIGIN_SECRET`, value: 'second' },
      { name: `${PREFIX}_ORIGIN_SECRET_PREVIOUS`, value: 'first' },
    ]);
    while (app.restarts() === restarts) await sleep(10);
    // 2. only then the gateway sends the new value (live after the apply delay)
    await c.patch(`${APIS}/${api.apiId}/policies/${pid}`).send({ configurationData: { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'second' }] } }).expect(200);
    await sleep(250);
    // 3. the previous value goes once the new one is live
    await setConfig([{ name: `${PREFIX}_ORIGIN_SECRET_PREVIOUS`, value: null }]);
    await sleep(250);
    running = false;
    await stream;

    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(heroku.addon(uuid)!.config).toEqual({ [`${PREFIX}_ORIGIN_SECRET`]: 'second' });
    const seen = app.calls().filter((x) => x.path === '/stream');
    expect(seen.at(-1)!.headers['x-anypoint-gateway-secret']).toBe('second');
    expect(seen.some((x) => x.headers['x-anypoint-gateway-secret'] === 'first')).toBe(true);
    // the old value no longer opens the app
    expect((await direct(appUrl, { 'x-anypoint-gateway-secret': 'first' })).status).toBe(403);
  });

  it('the wrong order (gateway first, app restarted later) refuses calls in between', async () => {
    const c = await client(kit);
    const api = await liveApi(kit, c, 'origin-wrong-order', 'omni');
    await setConfig([{ name: `${PREFIX}_ORIGIN_SECRET`, value: 'alpha' }, { name: `${PREFIX}_ORIGIN_SECRET_PREVIOUS`, value: null }]);
    const pid = (await c.post(`${APIS}/${api.apiId}/policies`).send(policy('header-injection', { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'alpha' }] })).expect(201)).body.id;
    await sleep(300);
    expect((await gw(api.proxyUrl, '/')).status).toBe(200);
    await c.patch(`${APIS}/${api.apiId}/policies/${pid}`).send({ configurationData: { inboundHeaders: [{ key: 'X-Anypoint-Gateway-Secret', value: 'beta' }] } }).expect(200);
    await sleep(150);
    // the gateway sends beta; the app still knows alpha only
    expect((await gw(api.proxyUrl, '/')).status).toBe(403);
    await setConfig([{ name: `${PREFIX}_ORIGIN_SECRET`, value: 'beta' }]);
    await sleep(250);
    expect((await gw(api.proxyUrl, '/')).status).toBe(200);
  });
});
