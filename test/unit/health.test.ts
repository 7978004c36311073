import {
  decideReadiness,
  oldestWaiting,
  ProgressMarker,
  progressKey,
  readReadinessFacts,
  startHeartbeat,
  waitingSince,
  workerReadiness,
  type ReadinessFacts,
  type WaitingQueue,
} from '../../src/health';

const NOW = 1_700_000_000_000;
const facts = (f: Partial<ReadinessFacts>): ReadinessFacts => ({ now: NOW, redis: 'up', lastProgressAt: null, oldestWaiting: null, ...f });

describe('decideReadiness', () => {
  it('Redis down → not ready, with the reason', () => {
    const v = decideReadiness(facts({ redis: 'down', redisError: 'connect ECONNREFUSED' }));
    expect(v).toMatchObject({ ok: false, redis: 'down' });
    expect(v.reason).toMatch(/Redis unreachable: connect ECONNREFUSED/);
  });

  it('idle: nothing waiting and no worker mark at all → ready', () => {
    expect(decideReadiness(facts({})).ok).toBe(true);
  });

  it('a job waiting less than the limit → ready even without any progress', () => {
    expect(decideReadiness(facts({ oldestWaiting: { queue: 'provision', since: NOW - 59_000 } })).ok).toBe(true);
  });

  it('old waiting job but recent progress (a busy worker) → ready', () => {
    const v = decideReadiness(facts({ oldestWaiting: { queue: 'provision', since: NOW - 300_000 }, lastProgressAt: NOW - 2_000 }));
    expect(v).toMatchObject({ ok: true, worker: { lastProgressAgeMs: 2_000 }, queues: { oldestWaitingAgeMs: 300_000, oldestWaitingQueue: 'provision' } });
  });

  it('old waiting job and stale progress → 503 with a reason naming the queue', () => {
    const v = decideReadiness(facts({ oldestWaiting: { queue: 'deprovision', since: NOW - 120_000 }, lastProgressAt: NOW - 90_000 }));
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/queue 'deprovision' has a job waiting for 120 s and no worker progress for 90 s/);
  });

  it('old waiting job and no progress mark ever → 503', () => {
    const v = decideReadiness(facts({ oldestWaiting: { queue: 'provision', since: NOW - 61_000 } }));
    expect(v.ok).toBe(false);
    expect(v.reason).toMatch(/no worker progress recorded/);
  });

  it('honours a custom limit', () => {
    const f = facts({ oldestWaiting: { queue: 'provision', since: NOW - 20_000 } });
    expect(decideReadiness(f, 10_000).ok).toBe(false);
    expect(decideReadiness(f, 30_000).ok).toBe(true);
  });
});

describe('waitingSince / oldestWaiting', () => {
  it('a fresh job counts from when it was added (plus any initial delay)', () => {
    expect(waitingSince({ timestamp: 1000 })).toBe(1000);
    expect(waitingSince({ timestamp: 1000, delay: 500 })).toBe(1500);
  });

  it('a job back from the delayed set counts from its last start plus its delay', () => {
    expect(waitingSince({ timestamp: 1000, processedOn: 50_000, delay: 10_000 })).toBe(60_000);
  });

  it('takes the oldest over all queues, skipping holes', async () => {
    const q = (name: string, jobs: ({ timestamp: number } | undefined)[]): WaitingQueue => ({ name, getJobs: async () => jobs });
    expect(await oldestWaiting([q('a', [{ timestamp: 5 }, undefined]), q('b', [{ timestamp: 3 }]), q('c', [])])).toEqual({ queue: 'b', since: 3 });
    expect(await oldestWaiting([q('a', [])])).toBeNull();
  });
});

describe('readReadinessFacts', () => {
  const queues: WaitingQueue[] = [{ name: 'provision', getJobs: async () => [{ timestamp: NOW - 1_000 }] }];

  it('reads the mark and the oldest job', async () => {
    const redis = { ping: async () => 'PONG', get: async (k: string) => (k === progressKey('p') ? String(NOW - 5) : null) };
    expect(await readReadinessFacts({ redis, queues, keyPrefix: 'p', now: () => NOW })).toEqual({
      now: NOW,
      redis: 'up',
      lastProgressAt: NOW - 5,
      oldestWaiting: { queue: 'provision', since: NOW - 1_000 },
    });
  });

  it('a Redis that never answers counts as down within the budget', async () => {
    const never = new Promise<never>(() => undefined);
    const redis = { ping: () => never, get: () => never };
    const t0 = Date.now();
    const f = await readReadinessFacts({ redis, queues, keyPrefix: 'p', timeoutMs: 200 });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(f).toMatchObject({ redis: 'down', redisError: 'no answer within the time limit' });
  });

  it('a failing Redis counts as down, and URLs in its error are not repeated', async () => {
    const redis = { ping: async () => Promise.reject(new Error('cannot reach redis://:hunter2@db.example:6379')), get: async () => null };
    const f = await readReadinessFacts({ redis, queues, keyPrefix: 'p' });
    expect(f.redis).toBe('down');
    expect(f.redisError).not.toContain('hunter2');
  });
});

describe('ProgressMarker', () => {
  it('writes epoch ms with a TTL, at most once per throttle window', async () => {
    const calls: unknown[][] = [];
    let t = NOW;
    const m = new ProgressMarker({ set: async (...a: unknown[]) => calls.push(a) }, 'pfx', { throttleMs: 1_000, ttlMs: 600_000, now: () => t });
    expect(m.mark()).toBe(true);
    await Promise.resolve();
    await Promise.resolve();
    t += 500;
    expect(m.mark()).toBe(false);
    t += 600;
    expect(m.mark()).toBe(true);
    expect(calls).toEqual([
      ['pfx:worker:progress', String(NOW), 'PX', 600_000],
      ['pfx:worker:progress', String(NOW + 1_100), 'PX', 600_000],
    ]);
  });

  it('never throws when Redis fails', async () => {
    const m = new ProgressMarker({ set: async () => Promise.reject(new Error('down')) }, 'pfx');
    expect(() => m.mark()).not.toThrow();
    await new Promise((r) => setTimeout(r, 5));
  });
});

describe('heartbeat and worker readiness', () => {
  it('the heartbeat marks only while alive() says so', async () => {
    const writes: string[] = [];
    const m = new ProgressMarker({ set: async (_k: string, v: string) => writes.push(v) }, 'p', { throttleMs: 0 });
    let alive = false;
    const hb = startHeartbeat(m, async () => alive, 20);
    await new Promise((r) => setTimeout(r, 70));
    expect(writes).toHaveLength(0);
    alive = true;
    await new Promise((r) => setTimeout(r, 70));
    hb.stop();
    expect(writes.length).toBeGreaterThan(0);
  });

  it('worker /readyz: Redis and running', async () => {
    expect(await workerReadiness({ ping: async () => 'PONG' }, () => true)()).toEqual({ ok: true, redis: 'up' });
    expect(await workerReadiness({ ping: async () => 'PONG' }, () => false)()).toMatchObject({ ok: false, reason: expect.stringMatching(/not running/) });
    const slow = await workerReadiness({ ping: () => new Promise<string>(() => undefined) }, () => true, 100)();
    expect(slow).toMatchObject({ ok: false, redis: 'down' });
  });
});
