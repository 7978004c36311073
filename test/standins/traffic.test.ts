import request from 'supertest';
import { createAnypointSandbox, createHerokuSandbox, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ENVIRONMENTS, DEFAULT_ORG_ID, type AnypointSandbox, type HerokuSandbox } from '@aag/standins';

/**
 * The stand-ins' side of gateway traffic: the Anypoint stand-in's events export (as MuleSoft's
 * spec describes it: every request and answer is checked against it, test/helpers/contract-check)
 * and the Heroku stand-in's log input (logplex framing checked, lines kept per app).
 */

const EVENTS = `/analytics/1.0/${DEFAULT_ORG_ID}/environments/${DEFAULT_ENVIRONMENTS[0].id}/events`;
let T0 = Date.now() - 60_000;

describe('Anypoint stand-in: the Analytics Events Export', () => {
  let sb: AnypointSandbox;
  let token: string;
  beforeAll(async () => {
    sb = createAnypointSandbox({});
    await sb.start(0);
  });
  afterAll(() => sb.close());
  beforeEach(async () => {
    sb.reset();
    const res = await request(sb.app).post('/accounts/api/v2/oauth2/token').send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET });
    token = res.body.access_token as string;
    T0 = Date.now() - 60_000;
    for (let i = 0; i < 10; i++) {
      sb.analytics.add({
        'Message ID': `m-${i}`,
        Timestamp: new Date(T0 + i * 1_000).toISOString(),
        'API ID': i < 7 ? '101' : '102',
        'API Name': 'heroku-addon-x',
        'API Version': '1.0.0',
        'API Version ID': i < 7 ? '101' : '102',
        Verb: 'GET',
        'Resource Path': i % 2 ? '/orders/1' : '/status',
        'Status Code': i === 3 ? 429 : 200,
        'Response Time': 4,
        'Request Outcome': i === 3 ? 'BLOCKED' : 'PROCESSED',
        'Violated Policy Name': i === 3 ? 'Rate limiting' : null,
        'Client IP': '127.0.0.1',
      });
    }
  });
  const get = (q: Record<string, string | number>) => request(sb.app).get(EVENTS).set('Authorization', `Bearer ${token}`).query(q);

  it('JSON events of a window (both ends inclusive), oldest first, with the asked fields and the ones that always come', async () => {
    const res = await get({ format: 'json', apiIds: '101', fields: 'Message ID.Status Code.Request Outcome', startDate: new Date(T0 + 2_000).toISOString(), endDate: new Date(T0 + 5_000).toISOString() });
    expect(res.status).toBe(200);
    expect(res.body.map((e: Record<string, unknown>) => e['Message ID'])).toEqual(['m-2', 'm-3', 'm-4', 'm-5']);
    expect(Object.keys(res.body[0]).sort()).toEqual(['API ID', 'API Name', 'API Version', 'API Version ID', 'Message ID', 'Request Outcome', 'Status Code', 'Timestamp']);
    expect(res.body[1]).toMatchObject({ 'Status Code': 429, 'Request Outcome': 'BLOCKED' });
  });

  it('apiIds lists or all APIs; apiVersionIds narrows only with apiIds; pathPrefix; maxResults; duration back from now', async () => {
    expect((await get({ format: 'json', duration: '1h' })).body).toHaveLength(10);
    expect((await get({ format: 'json', duration: '1h', apiIds: '*' })).body).toHaveLength(10);
    expect((await get({ format: 'json', duration: '1h', apiIds: '102,999' })).body).toHaveLength(3);
    expect((await get({ format: 'json', duration: '1h', apiIds: '101,102', apiVersionIds: '102' })).body).toHaveLength(3);
    expect((await get({ format: 'json', duration: '1h', apiVersionIds: '102' })).body).toHaveLength(10);
    expect((await get({ format: 'json', duration: '1h', pathPrefix: '/orders' })).body).toHaveLength(5);
    expect((await get({ format: 'json', duration: '1h', maxResults: 4 })).body.map((e: Record<string, unknown>) => e['Message ID'])).toEqual(['m-0', 'm-1', 'm-2', 'm-3']);
    expect((await get({ format: 'json', duration: '1s' })).body).toHaveLength(0);
  });

  it('CSV with the asked fields; refused: a format other than json/csv, an unknown field, csv without fields, maxResults over 20,000, a bad duration', async () => {
    const csv = await get({ format: 'csv', fields: 'Message ID,Status Code', apiIds: '102', duration: '1h' });
    expect(csv.status).toBe(200);
    expect(csv.text.split('\n')[0]).toBe('"Message ID","Status Code",Timestamp,"API Name","API ID","API Version","API Version ID"');
    expect(csv.text.split('\n')).toHaveLength(4);
    for (const [q, msg] of [
      [{ format: 'xml' }, /format must be json or csv/],
      [{ format: 'json', fields: 'Message ID.Colour' }, /Unknown field "Colour"/],
      [{ format: 'csv' }, /fields is required/],
      [{ format: 'json', maxResults: 20_001 }, /maxResults/],
      [{ format: 'json', duration: '3 weeks' }, /duration/],
    ] as const) {
      const res = await get(q);
      expect([res.status, res.body.message]).toEqual([400, expect.stringMatching(msg)]);
    }
  });

  it("knobs: the platform's delay hides the newest events; past the calls a minute, 429 with Retry-After; a bearer token is needed", async () => {
    sb.analytics.delayMs = 54_500;
    expect((await get({ format: 'json', duration: '1h' })).body.map((e: Record<string, unknown>) => e['Message ID'])).toEqual(['m-0', 'm-1', 'm-2', 'm-3', 'm-4', 'm-5']);
    sb.analytics.delayMs = 0;
    sb.analytics.rateLimitPerMinute = 2;
    expect((await get({ format: 'json' })).status).toBe(200);
    expect((await get({ format: 'json' })).status).toBe(200);
    const third = await get({ format: 'json' });
    expect(third.status).toBe(429);
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    sb.analytics.rateLimitPerMinute = null;
    expect((await request(sb.app).get(EVENTS).query({ format: 'json' })).status).toBe(401);
    const control = await request(sb.app).get('/__sandbox/analytics');
    expect(control.body).toMatchObject({ events: 10, rateLimitPerMinute: null });
  });
});

describe("Heroku stand-in: the add-on's log input", () => {
  let heroku: HerokuSandbox;
  let url: string;
  beforeAll(async () => {
    heroku = createHerokuSandbox({});
    ({ url } = await heroku.start(0));
  });
  afterAll(() => heroku.close());
  beforeEach(() => heroku.reset());

  const frame = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;
  const msg = (text: string) => `<190>1 2026-11-28T10:00:05.120Z host anypoint-api-gateway gateway - - ${text}`;
  function post(logUrl: string, body: string, count: number, type = 'application/logplex-1') {
    const u = new URL(logUrl);
    return request(url)
      .post(u.pathname)
      .set('Authorization', `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`)
      .set('Content-Type', type)
      .set('Logplex-Msg-Count', String(count))
      .send(body);
  }

  it('each add-on gets a log input on the stand-in with credentials of its own; good frames land in its app log, as heroku logs shows them', async () => {
    const a = heroku.createAddon({ plan: 'test', appName: 'shop' });
    const b = heroku.createAddon({ plan: 'basic', appName: 'shop' });
    const other = heroku.createAddon({ plan: 'test', appName: 'blog' });
    expect(a.log_input_url).toMatch(new RegExp(`^http://token:t\\.[0-9a-f]{32}@127\\.0\\.0\\.1:\\d+/logs$`));
    expect(new Set([a, b, other].map((x) => x.log_input_url)).size).toBe(3);
    expect((await post(a.log_input_url, frame(msg('one')) + frame(msg('twö')), 2)).status).toBe(204);
    expect((await post(b.log_input_url, frame(msg('three')), 1)).status).toBe(204);
    // both add-ons are on app "shop": one app log
    expect(heroku.logs(a.uuid).map((l) => l.message)).toEqual(['one', 'twö', 'three']);
    expect(heroku.logs(other.uuid)).toEqual([]);
    expect(heroku.logs(a.uuid)[0]).toMatchObject({ at: '2026-11-28T10:00:05.120Z', source: 'anypoint-api-gateway', proc: 'gateway' });
    const control = await request(url).get(`/__sandbox/addons/${a.uuid}/logs`);
    expect(control.body).toMatchObject({ app: 'shop', lines: [{ message: 'one' }, { message: 'twö' }, { message: 'three' }] });
    // the call log never keeps the lines or the credentials
    const calls = heroku.calls().filter((c) => c.path === '/logs');
    expect(calls).toHaveLength(2);
    expect(JSON.stringify(calls)).not.toMatch(/one|three|t\.[0-9a-f]{32}/);
  });

  it('refuses, keeping nothing: unknown credentials 401, another content type 415, a count that does not match 400, a bad frame 400', async () => {
    const a = heroku.createAddon({ plan: 'test', appName: 'shop' });
    const wrong = a.log_input_url.replace(/t\.[0-9a-f]{32}/, `t.${'0'.repeat(32)}`);
    expect((await post(wrong, frame(msg('x')), 1)).status).toBe(401);
    expect((await post(a.log_input_url, frame(msg('x')), 1, 'text/plain')).status).toBe(415);
    const mismatch = await post(a.log_input_url, frame(msg('x')), 2);
    expect([mismatch.status, mismatch.body.message]).toEqual([400, 'Logplex-Msg-Count says 2, the body holds 1 frames']);
    expect((await post(a.log_input_url, `3 ${msg('x')}`, 1)).status).toBe(400);
    const notSyslog = await post(a.log_input_url, frame('hello there'), 1);
    expect([notSyslog.status, notSyslog.body.message]).toEqual([400, expect.stringMatching(/frame 1: not an RFC 5424 message/)]);
    expect(heroku.logs(a.uuid)).toEqual([]);
  });

  it('a log input told to refuse answers that status (a drain gone for good); fault rules on /logs play one that fails for a while', async () => {
    const a = heroku.createAddon({ plan: 'test', appName: 'shop' });
    heroku.refuseLogInput(a.uuid, 403);
    expect((await post(a.log_input_url, frame(msg('x')), 1)).status).toBe(403);
    heroku.refuseLogInput(a.uuid, null);
    heroku.setFaults([{ path: '/logs', status: 503, times: 1 }]);
    expect((await post(a.log_input_url, frame(msg('x')), 1)).status).toBe(503);
    expect((await post(a.log_input_url, frame(msg('y')), 1)).status).toBe(204);
    expect(heroku.logs(a.uuid).map((l) => l.message)).toEqual(['y']);
  });
});
