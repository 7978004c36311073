/**
 * The traffic clients: the Analytics Events Export (checked against MuleSoft's spec, contractNock)
 * and Heroku's log input (logplex), whose URL carries credentials that must travel as Basic auth
 * and never show in an error.
 */
import nock from 'nock';
import { createAnypointClient } from '../../src/clients/anypoint';
import { InvalidLogInputUrl, LogInputClient, logInputTarget } from '../../src/clients/heroku';
import { isPermanent, isRetryable, UnexpectedResponseError, UpstreamError } from '../../src/clients/errors';
import { ANYPOINT, ENV, ORG, TOKEN, anypointCfg, contractNock, expectViolation, mockAnypointContext, recordingSleep, setupNock, vendorExample } from './helpers';

setupNock();

const EVENTS = `/analytics/1.0/${ORG}/environments/${ENV}/events`;
const FROM = Date.parse('2026-11-28T10:00:00.000Z');
const TO = Date.parse('2026-11-28T10:01:00.000Z');

function make() {
  mockAnypointContext();
  const rec = recordingSleep();
  return createAnypointClient(anypointCfg, { sleep: rec.sleep, random: () => 0.5 });
}

const row = (over: Record<string, unknown> = {}) => ({
  'API ID': '18000001',
  'API Name': 'heroku-addon-x',
  'API Version ID': '18000001',
  Timestamp: '2026-11-28T10:00:05.120Z',
  'Message ID': 'm-1',
  Verb: 'GET',
  'Resource Path': '/orders',
  'Status Code': 429,
  'Response Time': 3,
  'Request Outcome': 'BLOCKED',
  'Violated Policy Name': 'Rate limiting',
  'Client IP': '203.0.113.9',
  ...over,
});

describe('Analytics Events Export', () => {
  it('asks for one window of JSON events, the fields it reads (period-delimited) and the API ids (comma list)', async () => {
    let query: Record<string, string> = {};
    contractNock(ANYPOINT, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
      .get(EVENTS)
      .query((q) => {
        query = q as Record<string, string>;
        return true;
      })
      .reply(200, [row(), row({ 'Message ID': 'm-2', 'Status Code': '200', 'Request Outcome': 'PROCESSED', 'Violated Policy Name': null, 'Response Time': '41' })]);
    const page = await make().analytics.events({ apiIds: ['18000001', '18000002'], from: FROM, to: TO });
    expect(query).toEqual({
      format: 'json',
      fields: 'Message ID.Verb.Resource Path.Status Code.Response Time.Request Outcome.Violated Policy Name.Client IP',
      apiIds: '18000001,18000002',
      startDate: '2026-11-28T10:00:00.000Z',
      endDate: '2026-11-28T10:01:00.000Z',
      maxResults: '20000',
    });
    expect(page.capped).toBe(false);
    expect(page.events).toEqual([
      { id: 'm-1', apiId: '18000001', at: Date.parse('2026-11-28T10:00:05.120Z'), method: 'GET', path: '/orders', status: 429, durationMs: 3, outcome: 'BLOCKED', policy: 'Rate limiting', clientIp: '203.0.113.9' },
      { id: 'm-2', apiId: '18000001', at: Date.parse('2026-11-28T10:00:05.120Z'), method: 'GET', path: '/orders', status: 200, durationMs: 41, outcome: 'PROCESSED', policy: undefined, clientIp: '203.0.113.9' },
    ]);
  });

  it('without API ids it asks for the whole environment; an answer of maxResults rows is capped; rows outside [from, to) or without API or time are left out', async () => {
    let query: Record<string, string> = {};
    contractNock(ANYPOINT)
      .get(EVENTS)
      .query((q) => {
        query = q as Record<string, string>;
        return true;
      })
      .reply(200, [row(), row({ 'Message ID': 'late', Timestamp: '2026-11-28T10:01:00.000Z' }), row({ 'API ID': null }), { Timestamp: 'never' }]);
    const page = await make().analytics.events({ from: FROM, to: TO, maxResults: 4 });
    expect(query.apiIds).toBeUndefined();
    expect(query.maxResults).toBe('4');
    expect(page).toMatchObject({ rows: 4, capped: true });
    expect(page.events.map((e) => e.id)).toEqual(['m-1']);
  });

  it("reads the vendor's own example (no Message ID: an id is derived from the event's fields, the same each time)", async () => {
    const example = vendorExample('anypoint', 'GET', EVENTS, 200) as Record<string, unknown>[];
    const withTime = example.map((e) => ({ ...e, 'API ID': '2804', Timestamp: '2026-11-28T10:00:01.000Z' }));
    contractNock(ANYPOINT).get(EVENTS).query(true).times(2).reply(200, withTime);
    const client = make();
    const a = await client.analytics.events({ from: FROM, to: TO });
    const b = await client.analytics.events({ from: FROM, to: TO });
    expect(a.events).toHaveLength(1);
    expect(a.events[0]).toMatchObject({ apiId: '2804', method: 'GET', path: '/api/teams', status: 200, outcome: 'PROCESSED' });
    expect(a.events[0].id).toMatch(/^h[0-9a-f]{24}$/);
    expect(b.events[0].id).toBe(a.events[0].id);
  });

  it('one try per call: a 429 is thrown at once with its Retry-After (the caller keeps the budget); a non-array answer is unexpected', async () => {
    contractNock(ANYPOINT).get(EVENTS).query(true).reply(429, { message: 'slow down' }, { 'Retry-After': '42' }).get(EVENTS).query(true).reply(200, { data: [] });
    const client = make();
    const err = await client.analytics.events({ from: FROM, to: TO }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ status: 429, retryAfterMs: 42_000, attempts: 1 });
    // a malformed answer on purpose (the spec says an array)
    expectViolation({ where: 'body', operation: /\/events$/ });
    await expect(client.analytics.events({ from: FROM, to: TO })).rejects.toBeInstanceOf(UnexpectedResponseError);
  });
});

describe("Heroku's log input", () => {
  const URL_ = 'https://token:t.s3cretlogtoken42@1.us.logplex.test/logs';

  it('takes the credentials out of the URL: Basic auth, the path alone; https only, http to loopback only when allowed', () => {
    expect(logInputTarget(URL_, { allowHttpLoopback: false })).toEqual({
      origin: 'https://1.us.logplex.test',
      path: '/logs',
      authorization: `Basic ${Buffer.from('token:t.s3cretlogtoken42').toString('base64')}`,
      secret: 't.s3cretlogtoken42',
    });
    expect(() => logInputTarget('http://token:x@1.us.logplex.test/logs', { allowHttpLoopback: true })).toThrow(InvalidLogInputUrl);
    expect(() => logInputTarget('http://token:x@127.0.0.1:4100/logs', { allowHttpLoopback: false })).toThrow(/must be https/);
    expect(logInputTarget('http://token:x@127.0.0.1:4100/logs', { allowHttpLoopback: true }).origin).toBe('http://127.0.0.1:4100');
    expect(() => logInputTarget('not a url', { allowHttpLoopback: true })).toThrow(InvalidLogInputUrl);
  });

  it('posts the body as application/logplex-1 with Logplex-Msg-Count; 503 is tried again, a 500 is left to the caller (maybe taken), 403 is permanent; no error names the secret', async () => {
    let seen: Record<string, unknown> = {};
    nock('https://1.us.logplex.test')
      .post('/logs', (b) => {
        seen.body = b;
        return true;
      })
      .reply(function () {
        seen = { ...seen, headers: this.req.headers };
        return [503, ''];
      })
      .post('/logs')
      .reply(204)
      .post('/logs')
      .reply(500, 'boom t.s3cretlogtoken42')
      .post('/logs')
      .reply(403, { message: 'no such drain' });
    const rec = recordingSleep();
    const client = new LogInputClient({ allowHttpLoopback: false, sleep: rec.sleep });
    await client.post(URL_, '5 hello', 1);
    expect(seen.body).toBe('5 hello');
    const h = seen.headers as Record<string, string>;
    expect(h['content-type']).toBe('application/logplex-1');
    expect(h['logplex-msg-count']).toBe('1');
    expect(h.authorization).toBe(`Basic ${Buffer.from('token:t.s3cretlogtoken42').toString('base64')}`);
    expect(rec.delays).toHaveLength(1);
    const e500 = (await client.post(URL_, '5 hello', 1).catch((e: unknown) => e)) as UpstreamError;
    expect(isRetryable(e500)).toBe(true);
    expect(JSON.stringify(e500.toJSON())).not.toContain('s3cretlogtoken42');
    expect(e500.message).not.toContain('s3cretlogtoken42');
    const e403 = await client.post(URL_, '5 hello', 1).catch((e: unknown) => e);
    expect(isPermanent(e403)).toBe(true);
    expect(String((e403 as Error).message)).not.toContain('s3cret');
    expect(nock.isDone()).toBe(true);
  });
});
