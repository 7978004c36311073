
import { countFor, figures, fmtCounts, measured, NONE, ONE_CH2, sleep, startEnv, startWorkers, stopAll, totals, truthOf, waitUntil, type Env, type InProcessWorkers } from './support/harness';

/**
 * Lost jobs: the record says there is work (provisioning / deprovisioning) but its BullMQ job is
 * gone. The sweeper (on the worker's interval) must find it and the work must finish within
 * SWEEP_STALE_MS + SWEEP_INTERVAL_MS + the remaining work + a margin.
 */
const fig = figures('lost-job');
const DEPLOY_DELAY_MS = 1_500;
let env: Env;
let workers: InProcessWorkers;

beforeAll(async () => {
  // dedicated proxies (ch2): their deployment takes DEPLOY_DELAY_MS, the window the jobs are lost in
  env = await startEnv('lost', { deployDelayMs: DEPLOY_DELAY_MS, config: { ANYPOINT_DEFAULT_TARGET: 'ch2' } });
  workers = await startWorkers(env);
});
afterAll(async () => {
  await workers?.close();
  await env?.close();
  await stopAll();
});

/** The bound we promise: the record must be stale, the sweeper must come round, the work must run. */
const bound = () => env.config.SWEEP_STALE_MS + env.config.SWEEP_INTERVAL_MS + DEPLOY_DELAY_MS + 3_000;

async function removeJob(kind: 'provision' | 'deprovision', uuid: string): Promise<void> {
  const ref = { workflow: kind, id: uuid };
  await waitUntil(async () => {
    const job = await env.jobs.job(ref);
    if (!job) return true;
    await job.remove(); // throws while a worker holds it (active); try again
    return !(await env.jobs.job(ref));
  }, 5_000, `removing the ${kind} job of ${uuid}`, 10);
}

describe('lost jobs are found by the sweeper', () => {
  it('provision jobs deleted from Redis while provisioning: every add-on still ends provisioned, within the bound', async () => {
    await measured(fig, { scenario: 'lost provision jobs (job.remove() while waiting for the deploy)', subset: 'fast', addons: 5 }, async () => {
      const uuids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await env.provision();
        expect(p.status).toBe(202);
        uuids.push(p.uuid);
      }
      const took: number[] = [];
      await Promise.all(
        uuids.map(async (uuid) => {
          await env.waitFor(uuid, (r) => !!r.placement?.proxyDeploymentId, 10_000, 'the deployment to start');
          await removeJob('provision', uuid);
          const t0 = Date.now();
          expect((await env.record(uuid))?.state).toBe('provisioning');
          const rec = await env.waitFor(uuid, (r) => r.state === 'provisioned', bound() + 5_000, 'provisioned after the job was lost');
          took.push(Date.now() - t0);
          expect(truthOf(env, rec).ok).toBe(true);
          expect(countFor(env.anypoint.inspect(), uuid)).toEqual(ONE_CH2);
        }),
      );
      const worst = Math.max(...took);
      expect(worst).toBeLessThan(bound());
      expect(totals(env.anypoint.inspect())).toEqual({ assets: 5, softDeletedAssets: 0, apis: 5, policies: 15, applications: 5 });
      for (const u of uuids) expect(env.heroku.actionCount(u, 'provision')).toBe(1);
      return { anypoint: fmtCounts(totals(env.anypoint.inspect())), outcome: '5/5 provisioned; Heroku provision 1 each', timing: `recovered in max ${worst} ms (bound ${bound()} ms)` };
    });
  }, 60_000);

  it('deprovision whose job never arrived (record deprovisioning, no job): torn down within the bound', async () => {
    await measured(fig, { scenario: 'lost deprovision jobs (record deprovisioning, job missing)', subset: 'fast', addons: 3 }, async () => {
      const ids = (await env.store.allIds()).slice(0, 3);
      expect(ids).toHaveLength(3);
      const t0 = Date.now();
      for (const id of ids) {
        await env.store.update(id, (r) => ({ ...r, state: 'deprovisioning', deprovisionRequestedAt: new Date().toISOString() }));
        expect(await env.jobs.job({ workflow: 'deprovision', id })).toBeUndefined();
      }
      for (const id of ids) await env.waitFor(id, (r) => r.state === 'deprovisioned', bound() + 5_000, 'deprovisioned after the lost job');
      const took = Date.now() - t0;
      expect(took).toBeLessThan(bound());
      await sleep(200);
      for (const id of ids) expect(countFor(env.anypoint.inspect(), id)).toEqual(NONE);
      expect(totals(env.anypoint.inspect())).toEqual({ assets: 2, softDeletedAssets: 0, apis: 2, policies: 6, applications: 2 });
      return { anypoint: fmtCounts(totals(env.anypoint.inspect())) + ' (the 2 still provisioned)', outcome: '3/3 deprovisioned', timing: `all done ${took} ms after the loss (bound ${bound()} ms)` };
    });
  }, 60_000);
});
