import request from 'supertest';
import { resourceToken } from '../../src/domain/sso';
import { configSecrets, dumpPrefix, figures, herokuTokensOf, leaks, measured, sleep, spawnWorker, startEnv, startWorkers, stopAll, truthOf, type Child, type Env, type InProcessWorkers, type Secret } from './support/harness';

/**
 * Secrets: after a mixed run (provisions, a crash, a plan change, SSO, a permanent failure,
 * deprovisions) no plaintext secret is in the logs, the child's output, BullMQ job data or any Redis
 * value under the prefix. Truth: Heroku hears "provisioned" once, and only after the proxy started.
 */
const fig = figures('secrets-truth');
let env: Env;
let workers: InProcessWorkers;
let child: Child | undefined;

beforeAll(async () => {
  env = await startEnv('secrets', { deployDelayMs: 600 });
  workers = await startWorkers(env);
});
afterAll(async () => {
  await workers?.close();
  await child?.stop();
  await env?.close();
  await stopAll();
});

describe('secrets and truth to Heroku', () => {
  const uuids: string[] = [];
  const grants: Secret[] = [];

  it('Heroku hears "provisioned" exactly once per add-on, never before the proxy is STARTED', async () => {
    await measured(fig, { scenario: 'truth: provision action after STARTED, once', subset: 'fast', addons: 8 }, async () => {
      child = await spawnWorker(env, {}, 'worker-child'); // a second worker process competes for the jobs
      for (let i = 0; i < 8; i++) {
        const body = env.heroku.createAddon({ plan: i % 2 ? 'basic' : 'test' });
        grants.push({ name: `grant code ${i}`, value: body.oauth_grant.code });
        const res = await request(env.app).post('/heroku/resources').set('Authorization', env.auth).send(body);
        expect(res.status).toBe(202);
        uuids.push(body.uuid);
      }
      const gaps: number[] = [];
      for (const u of uuids) {
        const rec = await env.waitFor(u, (r) => r.state === 'provisioned', 20_000);
        const t = truthOf(env, rec);
        expect(t.actions).toBe(1);
        expect(t.actionAt).toBeGreaterThanOrEqual(t.startedAt);
        gaps.push(t.actionAt - t.startedAt);
        // the config var came before "provisioned" too
        const calls = env.heroku.calls().filter((c) => c.path.startsWith(`/addons/${u}`));
        const patch = calls.findIndex((c) => c.method === 'PATCH' && c.status === 200);
        const action = calls.findIndex((c) => c.path.endsWith('/actions/provision') && c.status === 200);
        expect(patch).toBeGreaterThanOrEqual(0);
        expect(action).toBeGreaterThan(patch);
      }
      return { anypoint: '8 × one of everything', outcome: 'provision action ×1 each, all after STARTED and after the config vars', timing: `action − STARTED: min ${Math.min(...gaps)} ms, max ${Math.max(...gaps)} ms` };
    });
  }, 60_000);

  it('no plaintext secret in logs, child output, job data or any Redis value', async () => {
    await measured(fig, { scenario: 'secrets: logs, child stdout, job data, Redis values', subset: 'fast', addons: 9 }, async () => {
      const tokens = await herokuTokensOf(env, uuids);
      expect(tokens.length).toBeGreaterThanOrEqual(uuids.length * 2);
      // plan change, SSO sign-in, a permanent failure, deprovisions
      await request(env.app).put(`/heroku/resources/${uuids[0]}`).set('Authorization', env.auth).send({ plan: 'premium' }).expect(200);
      const ts = String(Math.floor(Date.now() / 1000));
      const ssoForm = { resource_id: uuids[1], timestamp: ts, resource_token: resourceToken(uuids[1], env.config.SSO_SALT, ts) };
      await request(env.app).post('/sso/login').type('form').send(ssoForm).expect(302);
      // the used token is kept by its hash only (the dump below would show it in clear); a replay is refused
      await request(env.app).post('/sso/login').type('form').send(ssoForm).expect(403);
      await request(env.app).get(`/heroku/resources/${uuids[1]}?token=${ssoForm.resource_token}&timestamp=${ts}`).expect(404);
      env.heroku.setFaults([{ path: '/addons/:addon/config', method: 'PATCH', status: 403 }]);
      const failing = await env.provision();
      const failed = await env.waitFor(failing.uuid, (r) => r.state === 'failed', 20_000);
      env.heroku.clearFaults();
      expect(failed.failureReason).toBeTruthy();
      for (const u of uuids.slice(2, 5)) await request(env.app).delete(`/heroku/resources/${u}`).set('Authorization', env.auth).expect(204);
      for (const u of uuids.slice(2, 5)) await env.waitFor(u, (r) => r.state === 'deprovisioned', 20_000);
      await env.waitFor(uuids[0], (r) => r.placement?.policyPlan === 'premium', 20_000);
      await sleep(300);

      const jobs = [];
      for (const q of env.jobs.all()) jobs.push(...(await q.getJobs(['completed', 'failed', 'delayed', 'waiting', 'active'])));
      const jobData = JSON.stringify(jobs.map((j) => ({ id: j.id, data: j.data, returnvalue: j.returnvalue, failedReason: j.failedReason, stacktrace: j.stacktrace })));
      const dump = await dumpPrefix(env.redis, env.prefix);
      const secrets = [...configSecrets(env.config), ...tokens, ...grants, { name: 'SSO resource_token', value: ssoForm.resource_token }];
      const haystacks = [
        { name: 'in-process logs', text: env.logs.text() },
        { name: 'child worker output', text: child?.out ?? '' },
        { name: 'BullMQ job data', text: jobData },
        { name: `Redis values under ${env.prefix}`, text: dump.text },
      ];
      expect(leaks(haystacks, secrets)).toEqual([]);
      expect(jobs.length).toBeGreaterThan(0);
      expect(dump.keys).toBeGreaterThan(10);
      return {
        anypoint: '-',
        outcome: `${secrets.length} secrets (${tokens.length} Heroku tokens, ${grants.length} grant codes, ${configSecrets(env.config).length} config secrets) × ${haystacks.length} haystacks: 0 found`,
        timing: `${dump.keys} Redis keys, ${jobs.length} jobs, ${env.logs.lines.length + (child?.out.split('\n').length ?? 0)} log lines scanned`,
      };
    });
  }, 60_000);
});
