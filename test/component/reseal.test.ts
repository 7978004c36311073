import { spawn } from 'node:child_process';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { newRecord } from '../../src/domain/addon';
import { resealAll } from '../../src/reseal';
import { SecretBox } from '../../src/secrets';
import { AddonStore } from '../../src/store/addons';
import { connectRedis } from '../../src/store/redis';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../helpers/context';

/**
 * Key rotation (issue 15 item 6): ENCRYPTION_KEYS gets a new key in front, every dyno restarts with
 * it, then `reseal` moves every record to it while the workers keep writing. Nothing written
 * meanwhile is lost, and every sealed value opens afterwards, under the new key.
 */

const ROOT = path.resolve(__dirname, '../..');
const K0 = { id: 'k0', key: randomBytes(32) };
const K1 = { id: 'k1', key: randomBytes(32) };
const ring = `${K1.id}:${K1.key.toString('base64')},${K0.id}:${K0.key.toString('base64')}`;

let redis: Redis;
const prefixes: string[] = [];
beforeAll(() => {
  redis = connectRedis({ REDIS_URL, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'worker');
});
afterAll(async () => {
  for (const p of prefixes) await deletePrefix(redis, p);
  redis.disconnect();
});

function storeFor(tag: string): AddonStore {
  const prefix = uniquePrefix(tag);
  prefixes.push(prefix);
  return new AddonStore(redis, prefix);
}

/** A v1 value, as the service sealed before the key id and the AAD. */
function sealV1(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

async function seed(store: AddonStore, n: number): Promise<string[]> {
  const oldBox = new SecretBox([K0]);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const uuid = randomUUID();
    const rec = newRecord({ uuid, plan: 'basic', target: 'omni', region: 'us', name: `r${i}`, options: {}, now: new Date() });
    if (i % 3 === 0) rec.oauthGrantSealed = oldBox.sealField(uuid, 'oauthGrantSealed', { code: `grant-${i}` });
    // the origin secret the gateway injects (issue 18), and a new API key not shown yet
    if (i % 3 === 2) rec.originSecretSealed = oldBox.sealField(uuid, 'originSecretSealed', { current: `origin-${i}` });
    if (i % 5 === 0) rec.keyRevealSealed = oldBox.sealField(uuid, 'keyRevealSealed', { clientSecret: `key-${i}` });
    // a third in the format of before (v1), the rest in v2 under the old key
    rec.herokuTokensSealed = i % 3 === 1 ? sealV1(K0.key, JSON.stringify({ n: 0 })) : oldBox.sealField(uuid, 'herokuTokensSealed', { n: 0 });
    await store.create(rec);
    ids.push(uuid);
  }
  return ids;
}

it('rotation under load: every record moves to the newest key, no concurrent write is lost, every value opens', async () => {
  const store = storeFor('reseal-load');
  const ids = await seed(store, 300);
  const box = new SecretBox([K1, K0]); // every process now runs with the new ring
  const writes = new Map<string, number>(ids.map((id) => [id, 0]));
  const created: string[] = [];
  let resealing = true;

  // four workers, each owning a quarter of the records: a token refresh (re-sealed under the new
  // key) and a non-secret change per write; plus new add-ons arriving meanwhile
  const WORKERS = 4;
  const worker = async (w: number) => {
    const mine = ids.filter((_, i) => i % WORKERS === w);
    let i = 0;
    while (resealing || i < 25) {
      const id = mine[i++ % mine.length];
      const n = writes.get(id)! + 1;
      await store.update(id, (r) => ({ ...r, herokuTokensSealed: box.sealField(id, 'herokuTokensSealed', { n }), options: { ...r.options, writes: String(n) } }));
      writes.set(id, n);
      if (i % 10 === 0) {
        const uuid = randomUUID();
        const rec = newRecord({ uuid, plan: 'test', target: 'omni', region: 'us', name: 'new', options: {}, now: new Date() });
        rec.herokuTokensSealed = box.sealField(uuid, 'herokuTokensSealed', { n: -1 });
        await store.create(rec);
        created.push(uuid);
      }
    }
  };
  const running = Array.from({ length: WORKERS }, (_, w) => worker(w));
  const report = await resealAll(store, box);
  resealing = false;
  await Promise.all(running);

  expect(report.unreadable).toEqual([]);
  expect(report.moved).toBeGreaterThan(0);
  expect(report.records).toBeGreaterThanOrEqual(ids.length);
  const total = [...writes.values()].reduce((a, b) => a + b, 0);
  expect(total).toBeGreaterThan(ids.length / 2); // the writers really ran alongside

  for (const id of [...ids, ...created]) {
    const rec = (await store.get(id))!;
    expect([id, box.isCurrent(rec.herokuTokensSealed!)]).toEqual([id, true]);
    const tokens = box.openField<{ n: number }>(id, 'herokuTokensSealed', rec.herokuTokensSealed!);
    if (writes.has(id)) {
      // the last write of its worker, whatever the reseal did meanwhile
      expect([id, tokens.n, rec.options.writes ?? '0']).toEqual([id, writes.get(id), String(writes.get(id))]);
    } else expect(tokens.n).toBe(-1);
    if (rec.originSecretSealed) {
      expect(box.isCurrent(rec.originSecretSealed)).toBe(true);
      expect(box.openField<{ current: string }>(id, 'originSecretSealed', rec.originSecretSealed).current).toMatch(/^origin-\d+$/);
    }
    if (rec.keyRevealSealed) {
      expect(box.isCurrent(rec.keyRevealSealed)).toBe(true);
      expect(box.openField<{ clientSecret: string }>(id, 'keyRevealSealed', rec.keyRevealSealed).clientSecret).toMatch(/^key-\d+$/);
    }
    if (rec.oauthGrantSealed) {
      expect(box.isCurrent(rec.oauthGrantSealed)).toBe(true);
      expect(box.openField<{ code: string }>(id, 'oauthGrantSealed', rec.oauthGrantSealed).code).toMatch(/^grant-\d+$/);
    }
  }
  // the old key can go now: a ring of the new key alone opens everything
  const newOnly = new SecretBox([K1]);
  for (const id of ids) newOnly.openField(id, 'herokuTokensSealed', (await store.get(id))!.herokuTokensSealed!);
  // and a second pass has nothing left to move
  expect((await resealAll(store, box)).moved).toBe(0);
}, 60_000);

function run(entry: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'info', REDIS_URL, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

it('the reseal command (src/reseal.ts, dist/src/reseal.js when built) moves the records, and exits 1 on a value no key opens', async () => {
  const store = storeFor('reseal-cli');
  const prefix = prefixes[prefixes.length - 1];
  const ids = await seed(store, 6);
  const stranger = randomUUID();
  const rec = newRecord({ uuid: stranger, plan: 'basic', target: 'omni', region: 'us', name: 'x', options: {}, now: new Date() });
  rec.herokuTokensSealed = new SecretBox([{ id: 'gone', key: randomBytes(32) }]).sealField(stranger, 'herokuTokensSealed', { n: 1 });
  await store.create(rec);

  const { code, out } = await run('src/reseal.ts', { KEY_PREFIX: prefix, ENCRYPTION_KEYS: ring });
  expect(code).toBe(1);
  expect(out).toMatch(/"records":7,"moved":6,"current":1,"unreadable":1,"key":"k1".*"msg":"reseal finished"/);
  expect(out).toContain(`"value":"${stranger}:herokuTokensSealed"`);
  expect(out).not.toContain(K1.key.toString('base64'));
  const box = new SecretBox([K1]);
  for (const id of ids) expect(box.openField<{ n: number }>(id, 'herokuTokensSealed', (await store.get(id))!.herokuTokensSealed!).n).toBe(0);

  await store.update(stranger, (r) => ({ ...r, herokuTokensSealed: undefined }));
  const again = await run('src/reseal.ts', { KEY_PREFIX: prefix, ENCRYPTION_KEYS: ring });
  expect(again.code).toBe(0);
  expect(again.out).toMatch(/"moved":0/);
}, 60_000);
