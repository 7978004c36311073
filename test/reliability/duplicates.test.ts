import { countFor, figures, fmtCounts, listen, measured, NONE, ONE, rawRequest, closeAgent, sleep, startEnv, startWorkers, stopAll, totals, truthOf, type Env, type InProcessWorkers } from './support/harness';

/** Duplicate storms: Heroku retries, users double-click, the network repeats itself. */
const fig = figures('duplicates');
let env: Env;
let workers: InProcessWorkers;
let web: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  env = await startEnv('dupes', { deployDelayMs: 200 });
  workers = await startWorkers(env);
  web = await listen(env.app);
});
afterAll(async () => {
  await workers?.close();
  await web?.close();
  closeAgent();
  await env?.close();
  await stopAll();
});

const json = () => ({ 'Content-Type': 'application/json', Authorization: env.auth, Connection: 'keep-alive' });
const post = (body: unknown) => rawRequest(web.url, { method: 'POST', path: '/heroku/resources', headers: json(), body: JSON.stringify(body) });
const del = (uuid: string) => rawRequest(web.url, { method: 'DELETE', path: `/heroku/resources/${uuid}`, headers: { Authorization: env.auth } });

function tally(statuses: number[]): string {
  const m = new Map<number, number>();
  for (const s of statuses) m.set(s, (m.get(s) ?? 0) + 1);
  return [...m].map(([s, n]) => `${n}×${s}`).join(', ');
}

describe('duplicate storms', () => {
  it('200 concurrent identical provisions → 202 every time, one of everything, Heroku told once', async () => {
    await measured(fig, { scenario: '200 concurrent identical provisions', subset: 'fast', addons: 1 }, async () => {
      const body = env.heroku.createAddon({ plan: 'basic' });
      const t0 = Date.now();
      const res = await Promise.all(Array.from({ length: 200 }, () => post(body)));
      const answered = Date.now() - t0;
      expect(res.map((r) => r.status)).toEqual(Array(200).fill(202));
      const rec = await env.waitFor(body.uuid, (r) => r.state === 'provisioned', 20_000);
      await sleep(300);
      expect(countFor(env.anypoint.inspect(), body.uuid)).toEqual(ONE);
      expect(env.heroku.actionCount(body.uuid, 'provision')).toBe(1);
      expect(truthOf(env, rec).ok).toBe(true);
      expect(await env.store.allIds()).toEqual([body.uuid]);
      return { anypoint: fmtCounts(countFor(env.anypoint.inspect(), body.uuid)), outcome: `${tally(res.map((r) => r.status))}; provisioned; Heroku provision 1`, timing: `200 answers in ${answered} ms` };
    });
  }, 60_000);

  it('10 add-ons × 20 concurrent duplicates each (200 requests) → one of everything per add-on', async () => {
    await measured(fig, { scenario: '10 add-ons × 20 concurrent duplicates', subset: 'fast', addons: 10 }, async () => {
      const bodies = Array.from({ length: 10 }, () => env.heroku.createAddon({ plan: 'test' }));
      const res = await Promise.all(bodies.flatMap((b) => Array.from({ length: 20 }, () => post(b))));
      expect(res.every((r) => r.status === 202)).toBe(true);
      for (const b of bodies) await env.waitFor(b.uuid, (r) => r.state === 'provisioned', 20_000);
      await sleep(300);
      const inv = env.anypoint.inspect();
      for (const b of bodies) {
        expect(countFor(inv, b.uuid)).toEqual(ONE);
        expect(env.heroku.actionCount(b.uuid, 'provision')).toBe(1);
      }
      expect(totals(inv)).toEqual({ assets: 11, softDeletedAssets: 0, apis: 11, policies: 33, applications: 0 });
      return { anypoint: fmtCounts(totals(inv)) + ' (11 add-ons)', outcome: `${tally(res.map((r) => r.status))}; 10/10 provisioned; Heroku provision 1 each`, timing: '-' };
    });
  }, 60_000);

  it('repeated deprovisions → 204 every time, nothing left; provision after deprovision → 410 every time', async () => {
    await measured(fig, { scenario: '50 concurrent deprovisions, then 20 provisions of the same uuid', subset: 'fast', addons: 1 }, async () => {
      const [uuid] = await env.store.allIds().then((ids) => ids.slice(0, 1));
      const body = { uuid, plan: 'basic', region: 'us', oauth_grant: { code: 'replayed-code-0000' } };
      const dels = await Promise.all(Array.from({ length: 50 }, () => del(uuid)));
      expect(dels.map((r) => r.status)).toEqual(Array(50).fill(204));
      await env.waitFor(uuid, (r) => r.state === 'deprovisioned', 20_000);
      const again = await Promise.all(Array.from({ length: 10 }, () => del(uuid)));
      expect(again.map((r) => r.status)).toEqual(Array(10).fill(204));
      const reprov = await Promise.all(Array.from({ length: 20 }, () => post(body)));
      expect(reprov.map((r) => r.status)).toEqual(Array(20).fill(410));
      const put = await rawRequest(web.url, { method: 'PUT', path: `/heroku/resources/${uuid}`, headers: json(), body: JSON.stringify({ plan: 'premium' }) });
      expect(put.status).toBe(410);
      await sleep(300);
      const rec = await env.record(uuid);
      expect(rec?.state).toBe('deprovisioned');
      expect(rec?.herokuTokensSealed).toBeUndefined();
      expect(countFor(env.anypoint.inspect(), uuid)).toEqual(NONE);
      expect(env.heroku.actionCount(uuid, 'provision')).toBe(1);
      return { anypoint: fmtCounts(countFor(env.anypoint.inspect(), uuid)), outcome: `DELETE ${tally(dels.map((r) => r.status))} + ${tally(again.map((r) => r.status))}; POST again ${tally(reprov.map((r) => r.status))}; PUT ${put.status}`, timing: '-' };
    });
  }, 60_000);
});
