import {
  countEvent,
  emptyCounts,
  eventFromExport,
  isRateLimited,
  latencyBin,
  logInputUrlOf,
  logLine,
  minuteDeltas,
  parseSlot,
  pathDeltas,
  pathKey,
  percentile,
  planThatFits,
  trafficView,
  type GatewayEvent,
  type Slot,
} from '../../src/domain/traffic';
import { findPlan } from '../../src/domain/plans';
import { backoffMs, BACKOFF_MAX_MS, logplexBody, syslogMessage } from '../../src/traffic/forwarder';
import { callBudget, groupsFor, liveAddons } from '../../src/traffic/poll';
import type { AddonRecord } from '../../src/domain/addon';
import { parseFrames, parseSyslog } from '../../packages/standins/src/heroku/logs';

const T0 = Date.parse('2026-11-28T10:00:00.000Z');
const ev = (over: Partial<GatewayEvent> = {}): GatewayEvent => ({
  id: 'm-1',
  apiId: '1',
  at: T0,
  method: 'GET',
  path: '/orders',
  status: 200,
  durationMs: 12,
  outcome: 'PROCESSED',
  ...over,
});

describe('one call, one heroku logs line', () => {
  it('reads as the issue says: method, path, status, duration, outcome, the policy and client of a refused call, and its id', () => {
    expect(logLine(ev({ status: 429, durationMs: 3, outcome: 'BLOCKED', policy: 'Rate limiting', clientIp: '203.0.113.9', id: 'ab-12' }))).toBe(
      'method=GET path=/orders status=429 duration_ms=3 outcome=BLOCKED policy="Rate limiting" client_ip=203.0.113.9 id=ab-12',
    );
    expect(logLine(ev({ status: null, durationMs: null }))).toBe('method=GET path=/orders status=- duration_ms=- outcome=PROCESSED id=m-1');
  });

  it('a path with spaces, quotes or line breaks stays one quoted value on one line', () => {
    const line = logLine(ev({ path: '/a b/"x"\nforged=1\\' }));
    expect(line).toContain('path="/a b/\\"x\\"\\x0aforged=1\\\\"');
    expect(line).not.toContain('\n');
    expect(logLine(ev({ path: '/x'.repeat(600) })).length).toBeLessThan(600);
  });

  it('only a call blocked by the rate limit counts as rate limited (not another policy, not an upstream 429)', () => {
    expect(isRateLimited({ outcome: 'BLOCKED', policy: 'Rate limiting', status: 429 })).toBe(true);
    expect(isRateLimited({ outcome: 'BLOCKED', policy: 'Rate Limiting - SLA based', status: 429 })).toBe(true);
    expect(isRateLimited({ outcome: 'BLOCKED', status: 429 })).toBe(true);
    expect(isRateLimited({ outcome: 'BLOCKED', policy: 'IP Allowlist', status: 403 })).toBe(false);
    expect(isRateLimited({ outcome: 'PROCESSED', status: 429 })).toBe(false);
  });

  it('an export row: numbers as strings read, no API or no time is no event', () => {
    expect(eventFromExport({ 'API ID': 7, Timestamp: '2026-11-28T10:00:00Z', 'Status Code': '503', 'Response Time': '9', Verb: 'post', 'Message ID': 'x' })).toMatchObject({
      apiId: '7',
      status: 503,
      durationMs: 9,
      method: 'POST',
      outcome: 'PROCESSED',
    });
    expect(eventFromExport({ Timestamp: '2026-11-28T10:00:00Z' })).toBeNull();
    expect(eventFromExport({ 'API ID': '7', Timestamp: 'soon' })).toBeNull();
    expect(eventFromExport('x')).toBeNull();
  });

  it('log_input_url: an http(s) URL, else none', () => {
    expect(logInputUrlOf('https://token:t@1.us.logplex.io/logs')).toBe('https://token:t@1.us.logplex.io/logs');
    for (const bad of [undefined, null, '', 'ftp://x/logs', 'no url', 42]) expect(logInputUrlOf(bad)).toBeUndefined();
  });
});

describe('counts', () => {
  it('per minute: calls, refused by the rate limit or another policy, upstream 4xx/5xx, latency of the calls that reached the upstream', () => {
    const events = [
      ev(),
      ev({ at: T0 + 1_000, status: 404, durationMs: 30 }),
      ev({ at: T0 + 2_000, status: 502, durationMs: 7_000 }),
      ev({ at: T0 + 3_000, status: 429, outcome: 'BLOCKED', policy: 'Rate limiting', durationMs: 1 }),
      ev({ at: T0 + 4_000, status: 403, outcome: 'BLOCKED', policy: 'IP Allowlist', durationMs: 1 }),
      ev({ at: T0 + 60_000 }),
    ];
    const [m0, m1] = minuteDeltas(events);
    const minute = T0 / 60_000;
    expect(m0).toBe(`${minute},5,1,1,1,1,0:0:1:1:0:0:0:0:0:0:1:0`);
    expect(m1).toBe(`${minute + 1},1,0,0,0,0,0:0:1:0:0:0:0:0:0:0:0:0`);
    expect(latencyBin(5)).toBe(0);
    expect(latencyBin(5.1)).toBe(1);
    expect(latencyBin(10_001)).toBe(11);
  });

  it('percentiles from the histogram: interpolated inside the bin, none without calls', () => {
    const c = emptyCounts();
    for (let i = 0; i < 50; i++) countEvent(c, ev({ durationMs: 20 })); // bin 10–25
    for (let i = 0; i < 50; i++) countEvent(c, ev({ durationMs: 400 })); // bin 250–500
    expect(percentile(c.lat, 0.5)).toBe(25);
    expect(percentile(c.lat, 0.95)).toBe(475);
    expect(percentile(emptyCounts().lat, 0.5)).toBeNull();
    const slow = emptyCounts();
    countEvent(slow, ev({ durationMs: 60_000 }));
    expect(percentile(slow.lat, 0.95)).toBe(10_000);
  });

  it('paths: no query string, cut long; counted per 10-minute and hourly slot', () => {
    expect(pathKey('/orders?id=1')).toBe('/orders');
    expect(pathKey(`/${'x'.repeat(100)}`)).toHaveLength(48);
    const d = pathDeltas([ev(), ev({ path: '/orders?x=2' }), ev({ path: '/status' })]);
    expect(d).toEqual(
      expect.arrayContaining([
        { kind: 't', slot: Math.floor(T0 / 600_000), path: '/orders', count: 2 },
        { kind: 'h', slot: Math.floor(T0 / 3_600_000), path: '/orders', count: 2 },
        { kind: 't', slot: Math.floor(T0 / 600_000), path: '/status', count: 1 },
      ]),
    );
  });

  it('a stored slot reads back; a malformed one is ignored', () => {
    expect(parseSlot('100,5,1,1,1,1,5,0:0:1')).toMatchObject({ period: 100, n: 5, peak: 5, lat: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(parseSlot('100,5')).toBeNull();
    expect(parseSlot('x,1,1,1,1,1,1,1')).toBeNull();
  });
});

describe("the dashboard's figures", () => {
  const now = T0 + 30 * 60_000 + 5_000;
  const slot = (period: number, n: number, limited: number, peak = n): Slot => ({ period, n, limited, blocked: 0, c4: 0, c5: 1, peak, lat: [0, 0, n - limited, 0, 0, 0, 0, 0, 0, 0, 0, 0] });

  it('the last hour from minute slots, the last day from quarter slots; stale slots of the ring are left out', () => {
    const m = Math.floor(now / 60_000);
    const q = Math.floor(now / 900_000);
    const view = trafficView(
      {
        minutes: [slot(m, 100, 40), slot(m - 1, 10, 0), slot(m - 60, 999, 0)],
        quarters: [slot(q, 110, 40, 100), slot(q - 95, 5, 0), slot(q - 96, 999, 999)],
        paths: [
          { kind: 't', slot: Math.floor(now / 600_000), counts: new Map([['/a', 70], ['/b', 40]]) },
          { kind: 'h', slot: Math.floor(now / 3_600_000) - 30, counts: new Map([['/old', 1_000]]) },
          { kind: 'h', slot: Math.floor(now / 3_600_000), counts: new Map([['/b', 60]]) },
        ],
      },
      findPlan('test'),
      now,
    );
    expect(view.hour).toMatchObject({ total: 110, limited: 40, c5: 2, peakPerMinute: 100 });
    expect(view.hour.points).toHaveLength(60);
    expect(view.hour.points[59]).toMatchObject({ at: m * 60_000, n: 100, limited: 40 });
    expect(view.hour.topPaths).toEqual([
      { path: '/a', count: 70 },
      { path: '/b', count: 40 },
    ]);
    expect(view.day).toMatchObject({ total: 115, limited: 40, peakPerMinute: 100 });
    expect(view.day.points).toHaveLength(96);
    expect(view.day.topPaths).toEqual([{ path: '/b', count: 60 }]);
    expect(view.limitPerMinute).toBe(60);
    expect(view.fits?.slug).toBe('basic');
    expect(view.hour.p50).not.toBeNull();
  });

  it('the plan that fits: the smallest whose per-minute limit covers the busiest minute', () => {
    expect(planThatFits(0)?.slug).toBe('test');
    expect(planThatFits(60)?.slug).toBe('test');
    expect(planThatFits(61)?.slug).toBe('basic');
    expect(planThatFits(10_000)?.slug).toBe('premium');
    expect(planThatFits(10_001)).toBeNull();
  });
});

describe('logplex framing (what the Heroku stand-in checks)', () => {
  it('an RFC 5424 message at the call\'s time, octet-counted in UTF-8 bytes, that the stand-in parses back', () => {
    const entry = `2026-11-28T10:00:05.120Z ${logLine(ev({ path: '/café' }))}`;
    const msg = syslogMessage(entry);
    expect(msg).toBe(`<190>1 2026-11-28T10:00:05.120Z host anypoint-api-gateway gateway - - ${logLine(ev({ path: '/café' }))}`);
    const body = logplexBody([msg, msg]);
    expect(body.startsWith(`${Buffer.byteLength(msg)} <190>1`)).toBe(true);
    const frames = parseFrames(Buffer.from(body));
    expect(frames).toEqual({ messages: [msg, msg] });
    expect(parseSyslog(msg)).toEqual({ at: '2026-11-28T10:00:05.120Z', source: 'anypoint-api-gateway', proc: 'gateway', message: logLine(ev({ path: '/café' })) });
  });

  it('the stand-in refuses a wrong count, a length past the body, and a message that is not RFC 5424', () => {
    expect(parseFrames(Buffer.from('99 <190>1 x'))).toEqual({ error: expect.stringMatching(/runs past the body/) });
    expect(parseFrames(Buffer.from('<190>1 no count'))).toEqual({ error: expect.stringMatching(/expected "<length> "/) });
    expect(parseSyslog('<999>1 2026-11-28T10:00:05Z host app proc - - m')).toEqual({ error: expect.stringMatching(/PRI/) });
    expect(parseSyslog('<190>2 2026-11-28T10:00:05Z host app proc - - m')).toEqual({ error: expect.stringMatching(/VERSION/) });
    expect(parseSyslog('<190>1 yesterday host app proc - - m')).toEqual({ error: expect.stringMatching(/RFC 3339/) });
    expect(parseSyslog('hello')).toEqual({ error: expect.stringMatching(/not an RFC 5424/) });
  });

  it('backoff: 1 s, 2 s, 4 s … at most 5 minutes, jittered down to half', () => {
    expect(backoffMs(1, () => 1)).toBe(1_000);
    expect(backoffMs(3, () => 1)).toBe(4_000);
    expect(backoffMs(30, () => 1)).toBe(BACKOFF_MAX_MS);
    expect(backoffMs(3, () => 0)).toBe(2_000);
  });
});

describe('sharing export calls', () => {
  const rec = (uuid: string, apiId: string, extra: Partial<AddonRecord> = {}) =>
    ({ uuid, state: 'provisioned', provisionedAt: new Date(T0).toISOString(), placement: { target: 'omni', region: 'us', apiId }, ...extra }) as unknown as AddonRecord;

  it('provisioned add-ons with an API instance (and a second one while moving); others are not read', () => {
    const live = liveAddons([
      rec('a', '1'),
      rec('b', '2', { next: { target: 'ch2', region: 'us', apiId: '3' } }),
      rec('c', '4', { state: 'provisioning' }),
      rec('d', '5', { placement: undefined }),
      rec('e', '6', { logInputUrlSealed: 'v2.x' }),
    ]);
    expect(live.map((a) => [a.uuid, a.apiIds, a.hasLog])).toEqual([
      ['a', ['1'], false],
      ['b', ['2', '3'], false],
      ['e', ['6'], true],
    ]);
  });

  it('the budget is the calls a minute over the poll interval (at least one)', () => {
    expect(callBudget(8, 60_000)).toBe(8);
    expect(callBudget(8, 15_000)).toBe(2);
    expect(callBudget(8, 1_000)).toBe(1);
  });

  it('API id lists while they fit the budget; past it one call for the whole environment', () => {
    const live = liveAddons(Array.from({ length: 10 }, (_, i) => rec(`u${i}`, String(100 + i))));
    const lists = groupsFor(live, 8, 3);
    expect(lists.mode).toBe('list');
    expect(lists.groups.map((g) => g.apiIds)).toEqual([['100', '101', '102'], ['103', '104', '105'], ['106', '107', '108'], ['109']]);
    const env = groupsFor(live, 3, 3);
    expect(env.mode).toBe('environment');
    expect(env.groups).toHaveLength(1);
    expect(env.groups[0].apiIds).toBeUndefined();
    expect(env.groups[0].addons).toHaveLength(10);
    expect(groupsFor([], 8, 3)).toEqual({ mode: 'none', groups: [] });
  });
});
