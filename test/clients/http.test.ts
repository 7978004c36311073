import http from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { ConflictError, UpstreamError, isPermanent, isRetryable } from '../../src/clients/errors';
import { HttpClient, type HttpClientOptions, type ResponseInfo, waitHint } from '../../src/clients/http';
import { netError, recordingSleep, setupNock } from './helpers';

setupNock();

const BASE = 'https://api.upstream.test';
const SECRET = 'super-secret-value-123456';

function client(extra: Partial<HttpClientOptions> = {}) {
  const rec = recordingSleep();
  const c = new HttpClient({
    api: 'exchange',
    baseURL: BASE,
    timeoutMs: 1_000,
    maxTries: 4,
    backoffBaseMs: 100,
    backoffMaxMs: 5_000,
    sleep: rec.sleep,
    random: () => 0.5,
    secrets: () => [SECRET],
    ...extra,
  });
  return { c, delays: rec.delays };
}

async function caught(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (err) {
    return err as UpstreamError;
  }
  throw new Error('expected a rejection');
}

describe('HttpClient: success and request shape', () => {
  it('returns status, data and headers; sends X-Request-Id and JSON', async () => {
    let seen: Record<string, unknown> = {};
    nock(BASE)
      .post('/things', { a: 1 })
      .query({ q: 'x' })
      .reply(function () {
        seen = { ...this.req.headers };
        return [201, { id: 7 }, { 'X-Thing': 'yes' }];
      });
    const { c } = client();
    const res = await c.post<{ id: number }>('/things', { a: 1 }, { query: { q: 'x', skip: undefined } });
    expect(res.status).toBe(201);
    expect(res.data.id).toBe(7);
    expect(res.headers['x-thing']).toBe('yes');
    expect(seen['x-request-id']).toBe(res.requestId);
    expect(res.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(seen['content-type'])).toContain('application/json');
  });

  it('uses a passed request id, else a fresh one per call', async () => {
    const ids: unknown[] = [];
    nock(BASE)
      .get('/a')
      .twice()
      .reply(function () {
        ids.push(this.req.headers['x-request-id']);
        return [200, {}];
      });
    const { c } = client();
    await c.get('/a', { requestId: 'explicit-1' });
    await c.get('/a');
    expect(ids[0]).toBe('explicit-1');
    expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps the same request id across retries', async () => {
    const ids: unknown[] = [];
    nock(BASE)
      .get('/a')
      .reply(function () {
        ids.push(this.req.headers['x-request-id']);
        return [503, {}];
      })
      .get('/a')
      .reply(function () {
        ids.push(this.req.headers['x-request-id']);
        return [200, {}];
      });
    const { c } = client();
    await c.get('/a');
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('returns okStatuses instead of throwing (404 = already gone)', async () => {
    nock(BASE).delete('/x').reply(404, { message: 'not found' });
    const { c } = client();
    const res = await c.delete('/x', { okStatuses: [404] });
    expect(res.status).toBe(404);
  });

  it('calls onResponse for every try with api, method, path, status and ms', async () => {
    nock(BASE).get('/m').reply(500).get('/m').reply(200, {});
    const seen: ResponseInfo[] = [];
    const { c } = client({ onResponse: (i) => seen.push(i) });
    await c.get('/m', { op: 'test.m' });
    expect(seen.map((s) => [s.api, s.op, s.method, s.path, s.status, s.attempt])).toEqual([
      ['exchange', 'test.m', 'GET', '/m', 500, 1],
      ['exchange', 'test.m', 'GET', '/m', 200, 2],
    ]);
    expect(seen.every((s) => typeof s.ms === 'number' && s.ms >= 0)).toBe(true);
  });

  it('a throwing onResponse hook does not break the call', async () => {
    nock(BASE).get('/m').reply(200, { ok: true });
    const { c } = client({
      onResponse: () => {
        throw new Error('metrics down');
      },
    });
    await expect(c.get('/m')).resolves.toMatchObject({ status: 200 });
  });

  it('a same-origin absolute link is followed', async () => {
    nock(BASE).get('/status/1').query({ a: '1' }).reply(200, { here: true });
    const { c } = client();
    const res = await c.get<{ here: boolean }>(`${BASE}/status/1?a=1`);
    expect(res.data.here).toBe(true);
  });
});

describe('HttpClient: retries and backoff', () => {
  it.each([429, 500, 502, 503, 504])('retries a GET on %i with exponential full-jitter backoff, bounded', async (status) => {
    nock(BASE).get('/r').times(4).reply(status, { code: 'BUSY' });
    const { c, delays } = client();
    const err = await caught(c.get('/r'));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBe(4);
    expect(err.code).toBe('BUSY');
    // random() = 0.5: half of 100, 200, 400
    expect(delays).toEqual([50, 100, 200]);
    expect(isRetryable(err)).toBe(true);
    expect(isPermanent(err)).toBe(false);
  });

  it('full jitter spans [0, ceiling) and the ceiling is capped by backoffMaxMs', async () => {
    nock(BASE).get('/r').times(6).reply(502);
    const { c, delays } = client({ maxTries: 6, backoffMaxMs: 500, random: () => 0.999 });
    await caught(c.get('/r'));
    expect(delays).toEqual([99, 199, 399, 499, 499]);
    const zero = client({ random: () => 0 });
    nock(BASE).get('/r').times(2).reply(502).get('/r').reply(200, {});
    await zero.c.get('/r');
    expect(zero.delays).toEqual([0, 0]);
  });

  it('recovers when a retry succeeds', async () => {
    nock(BASE).get('/r').reply(503).get('/r').reply(200, { ok: 1 });
    const { c, delays } = client();
    const res = await c.get<{ ok: number }>('/r');
    expect(res.data.ok).toBe(1);
    expect(delays).toHaveLength(1);
  });

  it('honours Retry-After in seconds', async () => {
    nock(BASE).get('/r').reply(429, {}, { 'Retry-After': '3' }).get('/r').reply(200, {});
    const { c, delays } = client();
    await c.get('/r');
    expect(delays).toEqual([3000]);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    nock(BASE).get('/r').reply(503, {}, { 'Retry-After': 'Thu, 01 Jan 2026 00:00:02 GMT' }).get('/r').reply(200, {});
    const { c, delays } = client({ now: () => now });
    await c.get('/r');
    expect(delays).toEqual([2000]);
  });

  it('honours X-RateLimit-Reset (epoch seconds) on a 429', async () => {
    const now = 1_800_000_000_000;
    nock(BASE)
      .get('/r')
      .reply(429, {}, { 'X-RateLimit-Reset': String(now / 1000 + 4), 'X-RateLimit-Remaining': '0' })
      .get('/r')
      .reply(200, {});
    const { c, delays } = client({ now: () => now });
    await c.get('/r');
    expect(delays).toEqual([4000]);
  });

  it('caps an upstream wait at backoffMaxMs and reports it on the error', async () => {
    nock(BASE).get('/r').times(2).reply(429, {}, { 'Retry-After': '120' });
    const { c, delays } = client({ maxTries: 2, backoffMaxMs: 5_000 });
    const err = await caught(c.get('/r'));
    expect(delays).toEqual([5000]);
    expect(err.retryAfterMs).toBe(120_000);
  });

  it('ignores X-RateLimit-Reset on a 503 while requests remain', () => {
    expect(waitHint(503, { 'x-ratelimit-reset': '1800000100', 'x-ratelimit-remaining': '10' }, 1_800_000_000_000)).toBeUndefined();
    expect(waitHint(503, { 'x-ratelimit-reset': '1800000100', 'x-ratelimit-remaining': '0' }, 1_800_000_000_000)).toBe(100_000);
    expect(waitHint(429, { 'retry-after': 'garbage' }, 0)).toBeUndefined();
  });

  it('does not retry other 4xx: permanent', async () => {
    const scope = nock(BASE).get('/p').reply(400, { message: 'bad' });
    const { c, delays } = client();
    const err = await caught(c.get('/p'));
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(isPermanent(err)).toBe(true);
    expect(delays).toEqual([]);
    scope.done();
  });

  it('409 becomes a ConflictError with the upstream code', async () => {
    nock(BASE).post('/c').reply(409, { code: 'ASSET_PRE_CONDITIONS_FAILED', message: 'exists' });
    const { c } = client();
    const err = await caught(c.post('/c', {}));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.status).toBe(409);
    expect(err.code).toBe('ASSET_PRE_CONDITIONS_FAILED');
    expect(err.retryable).toBe(false);
  });

  it.each(['ECONNRESET', 'ETIMEDOUT'])('retries a GET on connection error %s', async (code) => {
    nock(BASE).get('/e').replyWithError(netError(code)).get('/e').reply(200, { ok: true });
    const { c, delays } = client();
    const res = await c.get('/e');
    expect(res.status).toBe(200);
    expect(delays).toHaveLength(1);
  });

  it('retries on "socket hang up"', async () => {
    nock(BASE).get('/e').replyWithError('socket hang up').get('/e').reply(200, {});
    const { c } = client();
    await expect(c.get('/e')).resolves.toMatchObject({ status: 200 });
  });

  it('gives up on a connection error after maxTries with a retryable error', async () => {
    nock(BASE).get('/e').times(4).replyWithError(netError('ECONNRESET'));
    const { c, delays } = client();
    const err = await caught(c.get('/e'));
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err.status).toBeUndefined();
    expect(err.code).toBe('ECONNRESET');
    expect(err.retryable).toBe(true);
    expect(err.attempts).toBe(4);
    expect(delays).toHaveLength(3);
  });

  it('an unknown transport error is permanent and not retried', async () => {
    nock(BASE).get('/e').replyWithError(netError('ERR_TLS_CERT_ALTNAME_INVALID', 'bad cert'));
    const { c, delays } = client();
    const err = await caught(c.get('/e'));
    expect(err.retryable).toBe(false);
    expect(delays).toEqual([]);
  });
});

describe('HttpClient: retry modes for non-idempotent calls', () => {
  it('POST (safe) retries 429 and 503: the request surely was not processed', async () => {
    nock(BASE).post('/c').reply(429).post('/c').reply(503).post('/c').reply(201, { id: 1 });
    const { c, delays } = client();
    await expect(c.post('/c', {})).resolves.toMatchObject({ status: 201 });
    expect(delays).toHaveLength(2);
  });

  it.each([500, 502, 504])('POST (safe) does not retry %i: uncertain, retryable later', async (status) => {
    nock(BASE).post('/c').reply(status);
    const { c, delays } = client();
    const err = await caught(c.post('/c', {}));
    expect(err.status).toBe(status);
    expect(err.retryable).toBe(true);
    expect(err.uncertain).toBe(true);
    expect(err.attempts).toBe(1);
    expect(delays).toEqual([]);
  });

  it('POST (safe) does not retry a reset connection', async () => {
    nock(BASE).post('/c').replyWithError(netError('ECONNRESET'));
    const { c } = client();
    const err = await caught(c.post('/c', {}));
    expect(err.uncertain).toBe(true);
    expect(err.attempts).toBe(1);
  });

  it("POST with retry 'always' retries a 500", async () => {
    nock(BASE).post('/c').reply(500).post('/c').reply(201, {});
    const { c, delays } = client();
    await expect(c.post('/c', {}, { retry: 'always' })).resolves.toMatchObject({ status: 201 });
    expect(delays).toHaveLength(1);
  });

  it("retry 'none' makes a single try even for a GET", async () => {
    nock(BASE).get('/g').reply(503);
    const { c, delays } = client();
    const err = await caught(c.get('/g', { retry: 'none' }));
    expect(err.attempts).toBe(1);
    expect(err.retryable).toBe(true);
    expect(delays).toEqual([]);
  });

  it('PUT, PATCH and DELETE retry a 500 by default', async () => {
    nock(BASE).put('/x').reply(500).put('/x').reply(200, {});
    nock(BASE).patch('/x').reply(502).patch('/x').reply(200, {});
    nock(BASE).delete('/x').reply(504).delete('/x').reply(204);
    const { c, delays } = client();
    await c.put('/x', {});
    await c.patch('/x', {});
    await c.delete('/x');
    expect(delays).toHaveLength(3);
  });
});

describe('HttpClient: real sockets (timeouts, refused connections)', () => {
  let server: http.Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((req) => {
      hits += 1;
      void req; // never answers
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('times a hanging GET out (ECONNABORTED), retries, then fails retryable', async () => {
    hits = 0;
    const { c, delays } = client({ baseURL: `http://127.0.0.1:${port}`, timeoutMs: 400, maxTries: 2 });
    const err = await caught(c.get('/slow'));
    expect(err.code).toBe('ECONNABORTED');
    expect(err.retryable).toBe(true);
    expect(err.uncertain).toBe(true);
    expect(err.attempts).toBe(2);
    expect(hits).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('a timed-out POST is not repeated by default', async () => {
    hits = 0;
    const { c } = client({ baseURL: `http://127.0.0.1:${port}`, timeoutMs: 400 });
    const err = await caught(c.post('/create', { a: 1 }));
    expect(err.retryable).toBe(true);
    expect(err.uncertain).toBe(true);
    expect(err.attempts).toBe(1);
    expect(hits).toBe(1);
  });

  it('retries a refused connection, even for a POST', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { c, delays } = client({ baseURL: `http://127.0.0.1:${deadPort}`, maxTries: 3 });
    const err = await caught(c.post('/c', {}));
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.uncertain).toBe(false);
    expect(err.attempts).toBe(3);
    expect(delays).toHaveLength(2);
  });
});

describe('HttpClient: tokens and secrets', () => {
  it('refreshes the token once on a 401 and repeats the call once', async () => {
    const auths: unknown[] = [];
    nock(BASE)
      .get('/t')
      .times(2)
      .reply(function () {
        auths.push(this.req.headers.authorization);
        return auths.length === 1 ? [401, { message: 'expired' }] : [200, { ok: true }];
      });
    const get = jest.fn(async () => 'old-token-123456');
    const refresh = jest.fn(async () => 'new-token-654321');
    const { c, delays } = client({ auth: { get, refresh } });
    const res = await c.get('/t');
    expect(res.status).toBe(200);
    expect(auths).toEqual(['Bearer old-token-123456', 'Bearer new-token-654321']);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(refresh).toHaveBeenCalledWith('old-token-123456');
    expect(delays).toEqual([]);
  });

  it('a second 401 is permanent and never names the token', async () => {
    nock(BASE).get('/t').times(2).reply(401, { message: 'no', echo: 'Bearer new-token-654321' });
    const refresh = jest.fn(async () => 'new-token-654321');
    const { c } = client({ auth: { get: async () => 'old-token-123456', refresh } });
    const err = await caught(c.get('/t'));
    expect(err.status).toBe(401);
    expect(err.retryable).toBe(false);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(String(err)).not.toContain('new-token-654321');
    expect(JSON.stringify(err)).not.toContain('new-token-654321');
  });

  it('scrubs known secrets and token-like fields from the message and excerpt, and cuts it short', async () => {
    const body = { message: `bad client secret ${SECRET}`, access_token: 'tok-xyz-987654321', filler: 'x'.repeat(1000) };
    nock(BASE).post('/s').query({ client_secret: SECRET }).reply(400, body);
    const { c } = client({ auth: { get: async () => 'bearer-value-abcdef', refresh: async () => 'b' } });
    const err = await caught(c.post('/s', { client_secret: SECRET }, { query: { client_secret: SECRET } }));
    for (const text of [String(err), JSON.stringify(err), err.stack ?? '']) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('tok-xyz-987654321');
      expect(text).not.toContain('bearer-value-abcdef');
      expect(text).not.toMatch(/authorization/i);
    }
    expect(err.path).toBe('/s');
    expect(err.bodyExcerpt!.length).toBeLessThanOrEqual(300);
    expect(err.bodyExcerpt).toContain('[redacted]');
    expect(err.api).toBe('exchange');
    expect(err.method).toBe('POST');
  });

  it('the token of the failing call is scrubbed even when not listed as a secret', async () => {
    nock(BASE).get('/t').reply(403, `forbidden for token per-call-token-1234567`);
    const { c } = client({ secrets: undefined, auth: { get: async () => 'per-call-token-1234567', refresh: async () => 'x' } });
    const err = await caught(c.get('/t'));
    expect(JSON.stringify(err)).not.toContain('per-call-token-1234567');
  });

  it('a connection error never carries request headers', async () => {
    nock(BASE).get('/t').replyWithError(netError('ECONNRESET'));
    const { c } = client({ maxTries: 1, auth: { get: async () => 'hidden-token-0000000', refresh: async () => 'x' } });
    const err = await caught(c.get('/t'));
    expect(JSON.stringify(err)).not.toContain('hidden-token-0000000');
    expect(Object.keys(err)).not.toContain('config');
    expect(Object.keys(err)).not.toContain('cause');
  });
});
