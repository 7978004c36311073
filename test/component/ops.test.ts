import request from 'supertest';
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';
import { Worker } from 'bullmq';
import { progressKey } from '../../src/health';
import { bullPrefix } from '../../src/jobs';

let ctx: AppContext;
let app: Express;
let admin: string;
let heroku: string;

beforeAll(async () => {
  // the web tier as startWeb wires it: metrics, readiness, queue console, openapi
  ctx = await appContext('ops', { config: { PUBLIC_URL: 'https://aag.example.com' } });
  app = ctx.app;
  admin = basic('admin', ctx.config.ADMIN_PASSWORD);
  heroku = basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD);
});
afterAll(async () => {
  await ctx.close();
});

const provision = (body: Record<string, unknown>) => request(app).post('/heroku/resources').set('Authorization', heroku).send(body);

describe('/metrics', () => {
  it('needs the operator credentials', async () => {
    expect((await request(app).get('/metrics')).status).toBe(401);
    expect((await request(app).get('/metrics').set('Authorization', basic('admin', 'wrong-password-123'))).status).toBe(401);
    // Heroku's credentials are not the operator's
    expect((await request(app).get('/metrics').set('Authorization', heroku)).status).toBe(401);
    const res = await request(app).get('/metrics').set('Authorization', admin);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });

  it('exposes the named metrics, with the queue depth after a provision call', async () => {
    expect((await provision(provisionBody())).status).toBe(202);
    expect((await request(app).post('/sso/login').type('form').send({ id: randomUUID() })).status).toBe(400);

    const text = (await request(app).get('/metrics').set('Authorization', admin)).text;
    for (const name of [
      'aag_provisions_total',
      'aag_deprovisions_total',
      'aag_plan_changes_total',
      'aag_time_to_provisioned_seconds',
      'aag_step_duration_seconds',
      'aag_step_retries_total',
      'aag_upstream_calls_total',
      'aag_upstream_call_duration_seconds',
      'aag_queue_depth',
      'aag_sso_logins_total',
      'process_resident_memory_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toContain('aag_queue_depth{queue="provision",state="waiting"} 1');
    expect(text).toContain('aag_queue_depth{queue="deprovision",state="waiting"} 0');
    expect(text).toContain('aag_sso_logins_total{outcome="bad_request"} 1');
    expect(text).toContain('aag_provisions_total{outcome="succeeded"} 0');
    expect(text).not.toContain(ctx.config.ADMIN_PASSWORD);
  });
});

describe('/admin/queues', () => {
  it('needs the operator credentials: 401 without, 200 with', async () => {
    const none = await request(app).get('/admin/queues');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
    expect((await request(app).get('/admin/queues').set('Authorization', basic('root', ctx.config.ADMIN_PASSWORD))).status).toBe(401);
    expect((await request(app).get('/admin/queues/api/queues')).status).toBe(401);
    const ok = await request(app).get('/admin/queues').set('Authorization', admin);
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/<html/i);
  });

  it('its API lists the queue of every workflow and shows job data without secrets', async () => {
    const body = provisionBody();
    expect((await provision(body)).status).toBe(202);
    // job data holds ids only by design; a job that (wrongly) carried secrets is still shown redacted
    const leaked = { uuid: randomUUID(), token: `tok-${randomUUID()}`, nested: { client_secret: `sec-${randomUUID()}`, oauth_grant: { code: `code-${randomUUID()}` } } };
    await ctx.jobs.queue('provision').add('provision', leaked as never, { jobId: `leak_${leaked.uuid}` });

    const res = await request(app)
      .get('/admin/queues/api/queues')
      .query({ activeQueue: 'provision', status: 'latest', page: 1, jobsPerPage: 50 })
      .set('Authorization', admin);
    expect(res.status).toBe(200);
    const queues = res.body.queues as { name: string; jobs: { id: string; data: Record<string, unknown> }[] }[];
    expect(queues.map((q) => q.name).sort()).toEqual(['deprovision', 'follow-app', 'gateway', 'gateway-remove', 'move', 'plan-change', 'policy', 'provision', 'retire']);
    const jobs = queues.find((q) => q.name === 'provision')!.jobs;
    expect(jobs.find((j) => j.id === `provision_${body.uuid}`)?.data).toEqual({ id: body.uuid });
    expect(jobs.find((j) => j.id === `leak_${leaked.uuid}`)?.data).toEqual({ uuid: leaked.uuid, token: '[redacted]', nested: { client_secret: '[redacted]', oauth_grant: '[redacted]' } });
    for (const secret of [leaked.token, leaked.nested.client_secret, leaked.nested.oauth_grant.code, body.oauth_grant.code, ctx.config.ADMIN_PASSWORD]) {
      expect(res.text).not.toContain(secret);
    }
    await ctx.jobs.queue('provision').remove(`leak_${leaked.uuid}`);
  });

  it('refuses state-changing calls started by another site', async () => {
    const res = await request(app).put('/admin/queues/api/queues/pause').set('Authorization', admin).set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(await ctx.jobs.queue('provision').isPaused()).toBe(false);
  });

  it('is read-only but for retrying a job: every other write is refused (403) and changes nothing', async () => {
    const body = provisionBody();
    expect((await provision(body)).status).toBe(202);
    const jobId = `provision_${body.uuid}`;
    const writes: [string, string][] = [
      ['put', '/api/queues/pause'],
      ['put', '/api/queues/resume'],
      ['put', '/api/queues/provision/pause'],
      ['put', '/api/queues/provision/resume'],
      ['put', '/api/queues/provision/empty'],
      ['put', '/api/queues/provision/obliterate'],
      ['put', '/api/queues/provision/clean/waiting'],
      ['put', '/api/queues/provision/clean/completed'],
      ['put', '/api/queues/provision/retry/failed'],
      ['put', '/api/queues/provision/retry/retry'],
      ['put', '/api/queues/provision/clean/retry'],
      ['put', '/api/queues/provision/promote'],
      ['put', '/api/queues/provision/concurrency'],
      ['put', '/api/queues/provision/rate-limit'],
      ['post', '/api/queues/provision/add'],
      ['put', `/api/queues/provision/${jobId}/clean`],
      ['put', `/api/queues/provision/${jobId}/promote`],
      ['put', `/api/queues/provision/${jobId}/Retry`],
      ['put', `/api/queues/provision/${jobId}/retry/`],
      ['patch', `/api/queues/provision/${jobId}/update-data`],
      ['patch', `/api/queues/provision/${jobId}/delay`],
      ['patch', `/api/queues/provision/${jobId}/priority`],
      ['delete', `/api/queues/provision/${jobId}`],
    ];
    for (const [method, path] of writes) {
      const res = await request(app)[method as 'put'](`/admin/queues${path}`).set('Authorization', admin).set('Sec-Fetch-Site', 'same-origin').send({ name: 'x', data: {} });
      expect([method, path, res.status]).toEqual([method, path, 403]);
      expect(res.body.message).toBe('the queue console is read-only: only retrying a job is allowed');
    }
    const q = ctx.jobs.queue('provision');
    expect(await q.isPaused()).toBe(false);
    expect(await (await q.getJob(jobId))?.getState()).toBe('waiting');
  });

  it('retries a failed job (same-origin), the one write it keeps', async () => {
    const queue = ctx.jobs.queue('deprovision');
    const id = `deprovision_${randomUUID()}`;
    await queue.add('deprovision', { id: 'x' }, { jobId: id, attempts: 1 });
    const redisUrl = new URL(ctx.config.REDIS_URL);
    const worker = new Worker('deprovision', null, { connection: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379) }, prefix: bullPrefix(ctx.prefix), autorun: false });
    try {
      const job = await worker.getNextJob('tok');
      expect(job?.id).toBe(id);
      await job!.moveToFailed(new Error('boom'), 'tok');
      expect(await (await queue.getJob(id))!.getState()).toBe('failed');

      const res = await request(app).put(`/admin/queues/api/queues/deprovision/${id}/retry`).set('Authorization', admin).set('Sec-Fetch-Site', 'same-origin');
      expect(res.status).toBe(204);
      expect(await (await queue.getJob(id))!.getState()).toBe('waiting');
      // still refused from another site
      const cross = await request(app).put(`/admin/queues/api/queues/deprovision/${id}/retry`).set('Authorization', admin).set('Sec-Fetch-Site', 'cross-site');
      expect(cross.status).toBe(403);
    } finally {
      await worker.close();
      await queue.remove(id);
    }
  });

  it("cannot be framed and is never cached (its static files may be); its CSP allows only its own scripts", async () => {
    for (const res of [await request(app).get('/admin/queues'), await request(app).get('/admin/queues').set('Authorization', admin), await request(app).get('/admin/queues/api/queues').set('Authorization', admin)]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self';");
    }
    const html = (await request(app).get('/admin/queues').set('Authorization', admin)).text;
    const js = /src="(static\/js\/[^"]+)"/.exec(html)![1];
    const asset = await request(app).get(`/admin/queues/${js}`).set('Authorization', admin);
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).not.toBe('no-store');
  });
});

describe('/openapi.json', () => {
  let doc: {
    openapi: string;
    paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>;
    components: { securitySchemes: Record<string, { type: string; scheme: string }>; schemas: Record<string, { required?: string[]; properties: Record<string, { pattern?: string }> }> };
  };

  beforeAll(async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    doc = res.body;
  });

  it('is a 3.1 document of the Heroku-facing endpoints, served without credentials, with Basic security', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/heroku/resources', '/heroku/resources/{id}', '/sso/login', '/healthz']));
    expect(Object.values(doc.components.securitySchemes)).toContainEqual(expect.objectContaining({ type: 'http', scheme: 'basic' }));
    expect(doc.paths['/heroku/resources'].post.security).toEqual([{ herokuBasic: [] }]);
    const codes = new Set(Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((op) => (op && typeof op === 'object' && 'responses' in op ? Object.keys(op.responses) : []))));
    for (const c of ['200', '202', '204', '400', '401', '404', '409', '410', '413', '422', '503']) expect(codes).toContain(c);
    expect(JSON.stringify(doc)).not.toContain(ctx.config.ADDON_PASSWORD);
  });

  it('the provision schema lists uuid, plan and oauth_grant as required, exactly what the route requires', async () => {
    const schema = doc.components.schemas.ProvisionRequest;
    expect([...(schema.required ?? [])].sort()).toEqual(['oauth_grant', 'plan', 'uuid']);
    for (const field of Object.keys(schema.properties)) {
      const body: Record<string, unknown> = provisionBody();
      delete body[field];
      const res = await provision(body);
      expect([field, res.status]).toEqual([field, schema.required!.includes(field) ? 422 : 202]);
    }
    // the uuid pattern accepts what the route accepts (the route is case-insensitive)
    const upper = randomUUID().toUpperCase();
    expect(new RegExp(schema.properties.uuid.pattern!).test(upper)).toBe(true);
    expect((await provision(provisionBody({ uuid: upper }))).status).toBe(202);
  });

  it('the plan-change and SSO schemas require what their routes require', async () => {
    expect(doc.components.schemas.PlanChangeRequest.required).toEqual(['plan']);
    expect(doc.components.schemas.SsoForm.required).toEqual(['timestamp']);
    const body = provisionBody();
    expect((await provision(body)).status).toBe(202);
    const put = (b: object) => request(app).put(`/heroku/resources/${body.uuid}`).set('Authorization', heroku).send(b);
    expect((await put({ heroku_id: 'app123@heroku.com' })).status).toBe(422);
    expect((await put({ plan: 'basic' })).status).toBe(200);
  });
});

describe('/readyz', () => {
  it('200 when Redis answers and nothing has waited long', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', ok: true, redis: 'up' });
  });

  it('503 with a reason when an old job waits and the worker progress mark is stale; 200 again once a worker progresses', async () => {
    const uuid = randomUUID();
    await ctx.jobs.queue('deprovision').add('deprovision', { id: uuid }, { jobId: `old_${uuid}`, timestamp: Date.now() - 120_000 });
    await ctx.redis.set(progressKey(ctx.prefix), String(Date.now() - 90_000), 'PX', 60_000);

    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('unavailable');
    expect(res.body.reason).toMatch(/queue 'deprovision' has a job waiting for 1\d\d s and no worker progress for 9\d s/);

    await ctx.redis.del(progressKey(ctx.prefix));
    expect((await request(app).get('/readyz')).status).toBe(503);

    await ctx.redis.set(progressKey(ctx.prefix), String(Date.now()), 'PX', 60_000);
    expect((await request(app).get('/readyz')).status).toBe(200);
    await ctx.jobs.queue('deprovision').remove(`old_${uuid}`);
    await ctx.redis.del(progressKey(ctx.prefix));
    expect((await request(app).get('/readyz')).status).toBe(200);
  });

  it('503 within ~1 s when Redis is unreachable (the web tier as production wires it)', async () => {
    const born = Date.now();
    const dead = await appContext('ops-dead', { config: { REDIS_URL: 'redis://127.0.0.1:1' }, overrides: { redisReadyMs: 0 } });
    try {
      const t0 = Date.now();
      const res = await request(dead.app).get('/readyz');
      expect(Date.now() - t0).toBeLessThan(1_500);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'unavailable', ok: false, redis: 'down', reason: expect.stringMatching(/^Redis unreachable/) });
      // liveness does not depend on Redis
      expect((await request(dead.app).get('/healthz')).status).toBe(200);
    } finally {
      await Promise.race([dead.web.close(), new Promise((r) => setTimeout(r, 500))]);
      // commands sent while connecting keep their 1 s timeout timers after a disconnect: let them run out
      await new Promise((r) => setTimeout(r, Math.max(0, 1_100 - (Date.now() - born))));
    }
  });
});
