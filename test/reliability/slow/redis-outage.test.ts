import request from 'supertest';
import { countFor, figures, freePort, measured, ONE, PrivateRedis, sleep, spawnWorker, startEnv, stopAll, waitUntil, type Child, type Env } from '../support/harness';

/**
 * Redis outages on a private redis-server: the worker process keeps going once Redis is back,
 * every job finishes, and the web tier (the product's fail-fast web connection) answers 503 while
 * Redis is away and recovers by itself. With AOF on, a kill -9 + restart of Redis loses no add-on.
 */
const fig = figures('redis-outage');
const OUTAGE_MS = 8_000; // longer than BullMQ's drainDelay (5 s)

afterAll(async () => {
  await stopAll();
});

async function setup(tag: string, redis: PrivateRedis) {
  // the env's web tier is startWeb's: the product's fail-fast web connection
  const env = await startEnv(tag, { redisUrl: redis.url, deployDelayMs: 2_000 });
  const app = env.app;
  const worker = await spawnWorker(env, {}, `${tag}-worker`);
  const provision = async () => {
    const body = env.heroku.createAddon({ plan: 'test' });
    const res = await request(app).post('/heroku/resources').set('Authorization', env.auth).send(body).timeout(10_000);
    return { uuid: body.uuid, status: res.status };
  };
  return { env, app, worker, provision };
}

async function teardown(s: { env: Env; worker: Child }) {
  await s.worker.stop();
  await s.env.close();
}

async function during(provision: () => Promise<{ status: number }>, ms: number): Promise<number[]> {
  const out: number[] = [];
  const until = Date.now() + ms;
  while (Date.now() < until && out.length < 50) {
    const t0 = Date.now();
    out.push((await provision()).status);
    await sleep(Math.max(0, 500 - (Date.now() - t0)));
  }
  return out;
}

describe('Redis outages', () => {
  it(`Redis unreachable for ${OUTAGE_MS / 1000} s (SIGSTOP, no persistence): 503 meanwhile, then every job finishes`, async () => {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    const s = await setup('outage', redis);
    try {
      await measured(fig, { scenario: `Redis frozen ${OUTAGE_MS / 1000} s mid-provision (no persistence)`, subset: 'slow', addons: 10 }, async () => {
        const uuids: string[] = [];
        for (let i = 0; i < 10; i++) {
          const p = await s.provision();
          expect(p.status).toBe(202);
          uuids.push(p.uuid);
        }
        await sleep(300);
        redis.pause();
        const t0 = Date.now();
        const statuses = await during(s.provision, OUTAGE_MS);
        redis.resume();
        expect(statuses.length).toBeGreaterThan(3);
        expect(statuses.every((st) => st === 503)).toBe(true);
        const back = await waitUntil(async () => {
          const p = await s.provision();
          if (p.status === 202) uuids.push(p.uuid);
          return p.status === 202 ? Date.now() : undefined;
        }, 15_000, 'the web tier to answer 202 again', 200);
        for (const u of uuids) await s.env.waitFor(u, (r) => r.state === 'provisioned', 60_000, 'provisioned after the outage');
        const done = Date.now();
        await sleep(300);
        const inv = s.env.anypoint.inspect();
        for (const u of uuids) {
          expect(countFor(inv, u)).toEqual(ONE);
          expect(s.env.heroku.actionCount(u, 'provision')).toBe(1);
        }
        expect(s.worker.running).toBe(true);
        return {
          anypoint: `${uuids.length} × one of everything`,
          outcome: `${uuids.length}/${uuids.length} provisioned; web ${statuses.length}×503 during the outage, 202 ${back - (t0 + OUTAGE_MS)} ms after; worker process never restarted`,
          timing: `all provisioned ${done - (t0 + OUTAGE_MS)} ms after Redis came back`,
        };
      });
    } finally {
      await teardown(s);
      await redis.stop();
    }
  }, 150_000);

  it('AOF on (appendfsync always): kill -9 of Redis mid-provision and a restart lose no add-on', async () => {
    const port = await freePort();
    const args = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    const redis = new PrivateRedis(port, args);
    await redis.start();
    const s = await setup('aof', redis);
    try {
      await measured(fig, { scenario: 'Redis kill -9 + restart with AOF, mid-provision', subset: 'slow', addons: 10 }, async () => {
        const uuids: string[] = [];
        for (let i = 0; i < 10; i++) {
          const p = await s.provision();
          expect(p.status).toBe(202);
          uuids.push(p.uuid);
        }
        await sleep(500);
        await redis.stop('SIGKILL');
        const t0 = Date.now();
        const statuses = await during(s.provision, 6_000);
        expect(statuses.every((st) => st === 503)).toBe(true);
        await redis.start(); // same port, same dir: replays the AOF
        const restarted = Date.now();
        for (const u of uuids) await s.env.waitFor(u, (r) => r.state === 'provisioned', 60_000, 'provisioned after the restart');
        const done = Date.now();
        await sleep(300);
        const inv = s.env.anypoint.inspect();
        for (const u of uuids) {
          expect(countFor(inv, u)).toEqual(ONE);
          expect(s.env.heroku.actionCount(u, 'provision')).toBe(1);
        }
        return {
          anypoint: '10 × one of everything',
          outcome: `10/10 records survived and provisioned; web ${statuses.length}×503 while Redis was down`,
          timing: `down ${restarted - t0} ms; all provisioned ${done - restarted} ms after the restart`,
        };
      });
    } finally {
      await teardown(s);
      await redis.stop();
    }
  }, 150_000);
});
