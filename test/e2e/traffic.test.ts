import type { Registry } from 'prom-client';
import { callGateway, startStack, startUpstream, type Stack } from '../helpers/stack';

/**
 * What a Heroku user sees of the gateway in `heroku logs`: every call through the gateway becomes
 * one line in the app's log (the Heroku stand-in's log input), the refused ones marked; a log
 * input that fails for a while loses nothing; one that refuses for good does not hold up another
 * add-on's lines. The worker runs the traffic jobs on a short cycle (TRAFFIC_POLL_MS 400 ms, no
 * settle time: the stand-in's export shows events at once).
 */

const POLL_MS = 400;
let stack: Stack;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

beforeAll(async () => {
  stack = await startStack('e2e-traffic', { config: { TRAFFIC_POLL_MS: String(POLL_MS), TRAFFIC_SETTLE_MS: '0' } });
  upstream = await startUpstream();
});
afterAll(async () => {
  await stack?.close();
  await upstream?.close();
});

async function provisioned(appName: string, plan = 'test') {
  const { uuid } = await stack.provision({ plan, appName, options: { upstream: upstream.url } });
  const rec = await stack.waitForState(uuid, 'provisioned');
  return { uuid, proxyUrl: rec.placement!.proxyUrl! };
}

async function send(proxyUrl: string, n: number, path = '/orders'): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await callGateway(proxyUrl, `${path}?i=${i}`)).status);
  return statuses;
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0);
}

it('100 calls through a test add-on (60/min) are 100 lines in its app\'s log within two poll cycles, 40 of them refused by the rate limit', async () => {
  const { uuid, proxyUrl } = await provisioned('traffic-shop');
  const statuses = await send(proxyUrl, 100);
  const sentAt = Date.now();
  expect(statuses.filter((s) => s === 429)).toHaveLength(40);

  const lines = await until('100 lines in the app log', () => stack.heroku.logs(uuid).length >= 100 && stack.heroku.logs(uuid), 10_000);
  const took = Date.now() - sentAt;
  // two poll cycles, plus the forwarder's turn after the poll
  expect(took).toBeLessThan(2 * POLL_MS + 1_000);
  await new Promise((r) => setTimeout(r, 3 * POLL_MS));
  expect(stack.heroku.logs(uuid)).toHaveLength(100);
  const refused = lines.filter((l) => / status=429 /.test(l.message) && / outcome=BLOCKED policy="Rate limiting" /.test(l.message));
  expect(refused).toHaveLength(40);
  expect(lines.filter((l) => / status=200 .* outcome=PROCESSED /.test(l.message))).toHaveLength(60);
  // as heroku logs shows them: the add-on's name and process, the call's own time
  expect(new Set(lines.map((l) => `${l.source}[${l.proc}]`))).toEqual(new Set(['anypoint-api-gateway[gateway]']));
  expect(lines[0].message).toMatch(/^method=GET path=\/orders status=200 duration_ms=\d+ outcome=PROCESSED client_ip=127\.0\.0\.1 id=\S+$/);
  expect(Date.parse(lines[0].at)).toBeLessThanOrEqual(sentAt);
  // one line per call: no message id twice
  expect(new Set(lines.map((l) => /id=(\S+)$/.exec(l.message)?.[1])).size).toBe(100);
  expect(await metric(stack.worker.metrics.registry, 'aag_log_lines_forwarded_total')).toBeGreaterThanOrEqual(100);
});

it('a log input answering 5xx for a while loses nothing: the lines come once it takes them again', async () => {
  const { uuid, proxyUrl } = await provisioned('traffic-flaky');
  stack.heroku.setFaults([{ path: '/logs', method: 'POST', status: 500, times: 2 }]);
  try {
    await send(proxyUrl, 30);
    const lines = await until('30 lines after the failures', () => stack.heroku.logs(uuid).length >= 30 && stack.heroku.logs(uuid), 15_000);
    expect(lines).toHaveLength(30);
    const posts = stack.heroku.calls().filter((c) => c.path === '/logs');
    expect(posts.filter((c) => c.status === 500).length).toBe(2);
    await new Promise((r) => setTimeout(r, 3 * POLL_MS));
    expect(stack.heroku.logs(uuid)).toHaveLength(30);
    expect(await metric(stack.worker.metrics.registry, 'aag_log_posts_total', { outcome: 'retry' })).toBeGreaterThanOrEqual(1);
  } finally {
    stack.heroku.clearFaults();
  }
});

it("a log input that refuses for good (403) drops that add-on's lines, counted, and does not hold up another add-on's", async () => {
  const refusing = await provisioned('traffic-refusing');
  const fine = await provisioned('traffic-fine', 'basic');
  stack.heroku.refuseLogInput(refusing.uuid, 403);
  const dropped0 = await metric(stack.worker.metrics.registry, 'aag_log_lines_dropped_total', { reason: 'refused' });
  await Promise.all([send(refusing.proxyUrl, 25, '/a'), send(fine.proxyUrl, 25, '/b')]);
  const lines = await until('the other add-on gets its 25 lines', () => stack.heroku.logs(fine.uuid).length >= 25 && stack.heroku.logs(fine.uuid), 10_000);
  expect(lines).toHaveLength(25);
  expect(lines.every((l) => l.message.includes('path=/b'))).toBe(true);
  const dropped = await (async () => {
    const end = Date.now() + 10_000;
    for (;;) {
      const d = (await metric(stack.worker.metrics.registry, 'aag_log_lines_dropped_total', { reason: 'refused' })) - dropped0;
      if (d >= 25 || Date.now() > end) return d;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  expect(dropped).toBe(25);
  expect(stack.heroku.logs(refusing.uuid)).toHaveLength(0);
  // nothing waits for it: its outbox is empty and it is off the pending set
  expect(await stack.worker.traffic!.store.outboxLength(refusing.uuid)).toBe(0);
});

it('an add-on without a log input (a Fir app, an older add-on) gets no lines, and its calls still count on the dashboard', async () => {
  const body = stack.heroku.createAddon({ plan: 'test', appName: 'traffic-fir', options: { upstream: upstream.url } });
  const { log_input_url: _omitted, ...withoutLogInput } = body;
  const { default: request } = await import('supertest');
  const res = await request(stack.app).post('/heroku/resources').set('Authorization', stack.auth).send(withoutLogInput);
  expect(res.status).toBe(202);
  const rec = await stack.waitForState(body.uuid, 'provisioned');
  expect(rec.logInputUrlSealed).toBeUndefined();
  await send(rec.placement!.proxyUrl!, 5);
  const store = stack.worker.traffic!.store;
  const counted = await (async () => {
    const end = Date.now() + 10_000;
    for (;;) {
      const s = await store.read(body.uuid, Date.now());
      const n = s.minutes.reduce((a, m) => a + m.n, 0);
      if (n >= 5 || Date.now() > end) return n;
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  expect(counted).toBe(5);
  expect(stack.heroku.logs(body.uuid)).toHaveLength(0);
  expect(await store.outboxLength(body.uuid)).toBe(0);
});

it('the log input URL (it carries credentials) is kept sealed: not in the record as text, not in any log line, not in the dashboard data', async () => {
  const { uuid } = await provisioned('traffic-secret');
  const raw = (await stack.redis.get(stack.store.key(uuid))) ?? '';
  const rec = JSON.parse(raw) as { logInputUrlSealed?: string };
  expect(rec.logInputUrlSealed).toMatch(/^v2\./);
  const url = stack.worker.deps.box.openField<string>(uuid, 'logInputUrlSealed', rec.logInputUrlSealed!);
  const secret = decodeURIComponent(new URL(url).password);
  expect(secret).toMatch(/^t\.[0-9a-f]{32}$/);
  expect(raw).not.toContain(secret);
  expect(stack.logs.text()).not.toContain(secret);
  const { publicView } = await import('../../src/domain/addon');
  expect(JSON.stringify(publicView(JSON.parse(raw)))).not.toContain('logInputUrlSealed');
});
