import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { encryptionKeyring } from '../../src/config';
import { newRecord, type AddonRecord } from '../../src/domain/addon';
import { createLogger } from '../../src/logger';
import { SecretBox } from '../../src/secrets';
import { AddonStore } from '../../src/store/addons';
import { AppRechecks } from '../../src/store/rechecks';
import { connectRedis } from '../../src/store/redis';
import type { WorkflowDeps } from '../../src/workflows';
import { recheckApps } from '../../src/workflows/recheck';
import { deletePrefix, REDIS_URL, testConfig, uniquePrefix } from '../helpers/context';

/**
 * The slow re-check's spread (issue 13): 10,000 provisioned add-ons, APP_RECHECK_INTERVAL_MS 6 h,
 * a sweep a minute. Each sweep reads at most ⌈10,000 × 60 s / 6 h⌉ = 28 apps (one Platform API call
 * each), so an hour makes 1,680 calls at most, far under Heroku's 4,500 an hour even if every
 * add-on were on one account; every add-on comes round once per interval; a changed app (and only
 * it) gets follow-app.
 */

const N = 10_000;
const MINUTE = 60_000;
const INTERVAL = 6 * 3600_000;

let redis: Redis;
const prefix = uniquePrefix('recheck');
beforeAll(() => {
  redis = connectRedis({ REDIS_URL, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'worker');
});
afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

it('10,000 add-ons: at most 28 app reads a sweep, 1,680 an hour, each add-on once per interval; a renamed app gets follow-app', async () => {
  const config = testConfig({ KEY_PREFIX: prefix, APP_RECHECK_INTERVAL_MS: String(INTERVAL), SWEEP_INTERVAL_MS: String(MINUTE) });
  const box = new SecretBox(encryptionKeyring(config));
  const addons = new AddonStore(redis, prefix);
  const rechecks = new AppRechecks(redis, prefix);
  const t0 = Date.parse('2026-11-30T00:00:00Z');
  const ids: string[] = [];
  for (let i = 0; i < N; i += 1000) {
    const pipe = redis.pipeline();
    for (let j = i; j < i + 1000; j++) {
      const uuid = randomUUID();
      ids.push(uuid);
      const rec: AddonRecord = {
        ...newRecord({ uuid, plan: 'test', target: 'omni', region: 'us', name: `a-${j}`, options: {}, now: new Date(t0) }),
        state: 'provisioned',
        provisionedAt: new Date(t0).toISOString(),
        placement: { target: 'omni', region: 'us', apiId: String(j) },
        herokuTokensSealed: box.sealField(uuid, 'herokuTokensSealed', { accessToken: `a-${j}`, refreshToken: 'r', expiresAt: '2099-01-01T00:00:00Z' }),
        resources: { herokuAppId: `app-${j}`, upstreamUrl: `https://app-${j}.herokuapp.com` },
      };
      pipe.set(addons.key(uuid), JSON.stringify(rec));
    }
    await pipe.exec();
  }

  // the Platform API as the re-check calls it: app-7 was renamed
  const reads: string[] = [];
  const deps = {
    config,
    logger: createLogger({ level: 'silent' }),
    box,
    store: addons,
    now: () => new Date(t0),
    heroku: {
      oauth: {},
      platform: () => ({
        getAppDomains: async (appId: string) => {
          reads.push(appId);
          const host = appId === 'app-7' ? 'app-7-renamed.herokuapp.com' : `${appId}.herokuapp.com`;
          return [{ hostname: host, kind: 'heroku', app: { name: appId } }];
        },
      }),
    },
  } as unknown as WorkflowDeps;
  const queued: string[] = [];
  const schedule = async (ref: { workflow: string; id: string }) => void queued.push(`${ref.workflow}:${ref.id}`);

  // the first sweep enrolls every add-on; none is due before an interval has passed
  const first = await recheckApps(deps, { addons, rechecks }, schedule, t0);
  expect(first.checked).toHaveLength(0);
  expect(await rechecks.size()).toBe(N);

  // an interval later: 6 h of sweeps, one a minute (the first ones checked are due again right after)
  const perSweep: number[] = [];
  const seen = new Map<string, number>();
  for (let m = 0; m < 6 * 60; m++) {
    const before = reads.length;
    const r = await recheckApps(deps, { addons, rechecks }, schedule, t0 + INTERVAL + m * MINUTE);
    perSweep.push(reads.length - before);
    for (const id of r.checked) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  const budget = Math.ceil((N * MINUTE) / INTERVAL);
  expect(budget).toBe(28);
  expect(Math.max(...perSweep)).toBe(budget);
  // the busiest hour of the run
  let busiestHour = 0;
  for (let m = 0; m + 60 <= perSweep.length; m++) busiestHour = Math.max(busiestHour, perSweep.slice(m, m + 60).reduce((a, b) => a + b, 0));
  expect(busiestHour).toBeLessThanOrEqual(60 * budget);
  expect(busiestHour).toBeLessThan(4_500);
  // every add-on read once in the interval, none twice
  expect(seen.size).toBe(N);
  expect(Math.max(...seen.values())).toBe(1);
  // the renamed one, and only it, gets follow-app, with the reason recorded
  const renamed = ids[7];
  expect(queued).toEqual([`follow-app:${renamed}`]);
  const rec = (await addons.get(renamed))!;
  expect(rec.resources.followReason).toBe('the periodic re-check found the app at app-7-renamed.herokuapp.com');
  console.log(`app re-check, ${N} add-ons every 6 h: at most ${Math.max(...perSweep)} reads a sweep, ${busiestHour} in the busiest hour (Heroku allows 4,500 an hour per account)`);
}, 120_000);
