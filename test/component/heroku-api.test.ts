import request from 'supertest';
import { randomUUID } from 'node:crypto';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';

let ctx: AppContext;
let auth: string;

beforeAll(async () => {
  ctx = await appContext('heroku-api');
  auth = basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD);
});
afterAll(async () => {
  await ctx.close();
});

const post = (body: unknown, a = auth) =>
  request(ctx.app).post('/heroku/resources').set('Authorization', a).set('Accept', 'application/vnd.heroku-addons+json; version=3').send(body as object);

async function tombstone(uuid: string) {
  await ctx.store.update(uuid, (r) => ({ ...r, state: 'deprovisioning' }));
  await ctx.store.update(uuid, (r) => ({ ...r, state: 'deprovisioned' }));
}

async function jobIds(queue: 'provision' | 'deprovision' | 'plan-change'): Promise<string[]> {
  const jobs = await ctx.jobs.queue(queue).getJobs(['waiting', 'delayed', 'active', 'completed', 'failed', 'prioritized']);
  return jobs.map((j) => j.id as string);
}

describe('POST /heroku/resources (provision)', () => {
  it('answers 202 with the uuid, writes the record and queues one job whose data holds no secret', async () => {
    const body = provisionBody({ options: { upstream: 'https://api.example.com' } });
    const res = await post(body);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ id: body.uuid, message: expect.any(String) });
    expect(res.body).not.toHaveProperty('config');

    const rec = await ctx.store.get(body.uuid);
    expect(rec).toMatchObject({ uuid: body.uuid, state: 'provisioning', plan: 'test', region: body.region, name: body.name, options: { upstream: 'https://api.example.com' } });
    // the grant is stored sealed, never in clear
    expect(JSON.stringify(rec)).not.toContain(body.oauth_grant.code);
    expect(ctx.box.openField<{ code: string }>(body.uuid, 'oauthGrantSealed', rec!.oauthGrantSealed!).code).toBe(body.oauth_grant.code);

    const job = await ctx.jobs.queue('provision').getJob(`provision_${body.uuid}`);
    expect(job?.data).toEqual({ id: body.uuid });
    expect(job?.id).not.toContain(':');
  });

  it('accepts application/vnd.heroku-addons+json bodies and unknown keys', async () => {
    const body = { ...provisionBody(), brand_new_field: { anything: true } };
    const res = await request(ctx.app)
      .post('/heroku/resources')
      .set('Authorization', auth)
      .set('Content-Type', 'application/vnd.heroku-addons+json; version=3')
      .send(JSON.stringify(body));
    expect(res.status).toBe(202);
  });

  it('100 concurrent identical provisions give the same 202 body, one record and one job', async () => {
    const body = provisionBody();
    const results = await Promise.all(Array.from({ length: 100 }, () => post(body)));
    expect(new Set(results.map((r) => r.status))).toEqual(new Set([202]));
    expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
    const ids = (await ctx.store.allIds()).filter((id) => id === body.uuid);
    expect(ids).toHaveLength(1);
    expect((await jobIds('provision')).filter((id) => id.includes(body.uuid))).toEqual([`provision_${body.uuid}`]);
  });

  it('the same uuid with a different plan → 409 and nothing changes', async () => {
    const body = provisionBody();
    expect((await post(body)).status).toBe(202);
    const before = await ctx.store.get(body.uuid);
    const res = await post({ ...body, plan: 'premium' });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/plan/);
    expect(await ctx.store.get(body.uuid)).toEqual(before);
  });

  it('a deprovisioned uuid → 410', async () => {
    const body = provisionBody();
    await post(body);
    await tombstone(body.uuid);
    const res = await post(body);
    expect(res.status).toBe(410);
  });

  it('unknown plan → 422 naming the valid plans; nothing written', async () => {
    const body = provisionBody({ plan: 'platinum' });
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.message).toContain('test, basic, premium');
    expect(await ctx.store.get(body.uuid)).toBeNull();
  });

  it('unsupported region → 422', async () => {
    const body = provisionBody({ region: 'amazon-web-services::ap-northeast-1' });
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/region/);
    expect(await ctx.store.get(body.uuid)).toBeNull();
  });

  it('an upstream option that is not https → 422', async () => {
    const body = provisionBody({ options: { upstream: 'http://insecure.example.com' } });
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/upstream/);
  });

  it('a bare --flag (an option that is boolean true) is accepted and stored as the string "true"', async () => {
    const body = provisionBody({ options: { upstream: 'https://api.example.com', verbose: true, 'no-cache': false } });
    const res = await post(body);
    expect(res.status).toBe(202);
    expect((await ctx.store.get(body.uuid))?.options).toEqual({ upstream: 'https://api.example.com', verbose: 'true', 'no-cache': 'false' });
  });

  it('--upstream given as a bare flag → 422 saying it needs a URL; nothing written, no job', async () => {
    const body = provisionBody({ options: { upstream: true } });
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('option --upstream needs a value: use --upstream=https://<your app host>');
    expect(await ctx.store.get(body.uuid)).toBeNull();
    expect(await jobIds('provision')).not.toContain(`provision_${body.uuid}`);
  });

  it.each([
    ['null', { oauth_grant: null }],
    ['missing', { oauth_grant: undefined }],
  ])('a %s oauth_grant → 422 with a message the user sees; nothing written, no job', async (_label, override) => {
    const body = provisionBody(override);
    const res = await post(body);
    expect(res.status).toBe(422);
    expect(res.body.message).toMatch(/without an OAuth grant.*cannot report back to Heroku.*nothing was created/);
    expect(await ctx.store.get(body.uuid)).toBeNull();
    expect(await jobIds('provision')).not.toContain(`provision_${body.uuid}`);
  });

  it.each([
    ['malformed JSON', '{"uuid": ', 400],
    ['a JSON array', '[1,2]', 400],
    ['missing uuid', JSON.stringify({ plan: 'test' }), 422],
    ['a uuid that is not a UUID', JSON.stringify({ uuid: '../../etc', plan: 'test' }), 422],
    ['wrong types', JSON.stringify({ uuid: randomUUID(), plan: 42 }), 422],
    ['options neither strings nor booleans', JSON.stringify({ uuid: randomUUID(), plan: 'test', options: { a: 1 } }), 422],
    ['an option that is an object', JSON.stringify({ uuid: randomUUID(), plan: 'test', options: { a: { b: 'c' } } }), 422],
  ])('%s → the right 4xx with a message', async (_label, raw, status) => {
    const res = await request(ctx.app).post('/heroku/resources').set('Authorization', auth).set('Content-Type', 'application/json').send(raw);
    expect(res.status).toBe(status);
    expect(typeof res.body.message).toBe('string');
  });

  it('a body over the limit → 413', async () => {
    const res = await post({ ...provisionBody(), padding: 'x'.repeat(200_000) });
    expect(res.status).toBe(413);
  });

  it('missing or wrong credentials → 401 with WWW-Authenticate, nothing written', async () => {
    const body = provisionBody();
    const none = await request(ctx.app).post('/heroku/resources').send(body);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
    const wrong = await post(body, basic(ctx.config.ADDON_ID, 'not-the-password'));
    expect(wrong.status).toBe(401);
    const wrongUser = await post(body, basic('someone-else', ctx.config.ADDON_PASSWORD));
    expect(wrongUser.status).toBe(401);
    expect(await ctx.store.get(body.uuid)).toBeNull();
  });
});

describe('PUT /heroku/resources/:id (plan change)', () => {
  const put = (id: string, body: unknown) => request(ctx.app).put(`/heroku/resources/${id}`).set('Authorization', auth).send(body as object);

  it('unknown id → 404', async () => {
    expect((await put(randomUUID(), { plan: 'basic' })).status).toBe(404);
  });

  it('changes the plan, queues a plan-change job; the same plan again is a 200 no-op', async () => {
    const body = provisionBody();
    await post(body);
    // as the worker leaves it: provisioned, its policy on plan test
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'provisioned', placement: { target: 'omni', region: 'us', apiId: '1', policyId: '2', policyPlan: 'test' } }));
    const res = await put(body.uuid, { plan: 'premium', heroku_id: 'app123@heroku.com' });
    expect(res.status).toBe(200);
    expect(res.body.message).toEqual(expect.any(String));
    expect((await ctx.store.get(body.uuid))?.plan).toBe('premium');
    expect(await jobIds('plan-change')).toContain(`plan-change_${body.uuid}_premium`);

    const rev = (await ctx.store.get(body.uuid))!.rev;
    const again = await put(body.uuid, { plan: 'premium' });
    expect(again.status).toBe(200);
    expect((await ctx.store.get(body.uuid))!.rev).toBe(rev);

    // a late repeat of the original provision request still gets the same 202
    const late = await post(body);
    expect(late.status).toBe(202);
    expect(late.body.id).toBe(body.uuid);
    expect((await ctx.store.get(body.uuid))?.plan).toBe('premium');
  });

  it('unknown plan → 422; deprovisioned → 410; bad credentials → 401', async () => {
    const body = provisionBody();
    await post(body);
    expect((await put(body.uuid, { plan: 'gold' })).status).toBe(422);
    expect((await ctx.store.get(body.uuid))?.plan).toBe('test');
    expect((await request(ctx.app).put(`/heroku/resources/${body.uuid}`).send({ plan: 'basic' })).status).toBe(401);
    await tombstone(body.uuid);
    expect((await put(body.uuid, { plan: 'basic' })).status).toBe(410);
  });
});

describe('DELETE /heroku/resources/:id (deprovision)', () => {
  const del = (id: string, a = auth) => request(ctx.app).delete(`/heroku/resources/${id}`).set('Authorization', a);

  it('marks the record deprovisioning, queues the teardown, 204 with no body; a repeat is 204 too', async () => {
    const body = provisionBody();
    await post(body);
    const res = await del(body.uuid);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const rec = await ctx.store.get(body.uuid);
    expect(rec?.state).toBe('deprovisioning');
    expect(rec?.deprovisionRequestedAt).toEqual(expect.any(String));
    expect(await jobIds('deprovision')).toContain(`deprovision_${body.uuid}`);
    expect((await del(body.uuid)).status).toBe(204);
    // a provision of the same uuid now is refused
    expect((await post(body)).status).toBe(410);
  });

  it(`a tombstone expires after TOMBSTONE_TTL_DAYS (${30} by default); within it a provision of the uuid still gets 410`, async () => {
    const body = provisionBody();
    await post(body);
    expect(await ctx.redis.pttl(ctx.store.key(body.uuid))).toBe(-1); // a live add-on never expires
    await del(body.uuid);
    expect(await ctx.redis.pttl(ctx.store.key(body.uuid))).toBe(-1); // nor one being removed
    // the deprovision workflow's last write (the engine writes the tombstone through the store)
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'deprovisioned', deprovisionedAt: new Date().toISOString() }));
    const ttl = await ctx.redis.pttl(ctx.store.key(body.uuid));
    expect(ctx.config.TOMBSTONE_TTL_DAYS).toBe(30);
    expect(ttl).toBeGreaterThan(30 * 86_400_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(30 * 86_400_000);
    expect((await post(body)).status).toBe(410);
    expect((await del(body.uuid)).status).toBe(204);
  });

  it('a failed add-on (final too) gets the TTL; a DELETE of it lifts the TTL while its teardown runs, and the tombstone gets it again', async () => {
    const body = provisionBody();
    await post(body);
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'failed', failureReason: 'x' }));
    expect(await ctx.redis.pttl(ctx.store.key(body.uuid))).toBeGreaterThan(29 * 86_400_000);
    expect((await post(body)).status).toBe(410);
    await del(body.uuid);
    expect((await ctx.store.get(body.uuid))?.state).toBe('deprovisioning');
    expect(await ctx.redis.pttl(ctx.store.key(body.uuid))).toBe(-1);
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'deprovisioned' }));
    expect(await ctx.redis.pttl(ctx.store.key(body.uuid))).toBeGreaterThan(29 * 86_400_000);
  });

  it('TOMBSTONE_TTL_DAYS sets the TTL', async () => {
    const short = await appContext('heroku-api-ttl', { config: { TOMBSTONE_TTL_DAYS: '2' } });
    try {
      const body = provisionBody();
      expect((await request(short.app).post('/heroku/resources').set('Authorization', auth).send(body)).status).toBe(202);
      await short.store.update(body.uuid, (r) => ({ ...r, state: 'deprovisioning' }));
      await short.store.update(body.uuid, (r) => ({ ...r, state: 'deprovisioned' }));
      const ttl = await short.redis.pttl(short.store.key(body.uuid));
      expect(ttl).toBeGreaterThan(2 * 86_400_000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(2 * 86_400_000);
    } finally {
      await short.close();
    }
  });

  it('a tombstone answers 204 again; never seen → 404; bad credentials → 401', async () => {
    const body = provisionBody();
    await post(body);
    await tombstone(body.uuid);
    expect((await del(body.uuid)).status).toBe(204);
    expect((await del(randomUUID())).status).toBe(404);
    expect((await del('not-a-uuid')).status).toBe(404);
    expect((await del(body.uuid, basic('x', 'y'))).status).toBe(401);
  });
});

describe('when Redis is unreachable', () => {
  it('answers 503 with a message within a second, for each call', async () => {
    // the web tier exactly as production wires it, on a Redis that is not there
    const dead = await appContext('dead', { config: { REDIS_URL: 'redis://127.0.0.1:1' }, overrides: { redisReadyMs: 0 } });
    const app = dead.app;
    try {
      for (const call of [
        () => request(app).post('/heroku/resources').set('Authorization', auth).send(provisionBody()),
        () => request(app).put(`/heroku/resources/${randomUUID()}`).set('Authorization', auth).send({ plan: 'basic' }),
        () => request(app).delete(`/heroku/resources/${randomUUID()}`).set('Authorization', auth),
      ]) {
        const t0 = Date.now();
        const res = await call();
        expect(res.status).toBe(503);
        expect(res.body.message).toMatch(/data store/);
        expect(Date.now() - t0).toBeLessThan(1000);
      }
    } finally {
      await dead.web.close();
    }
  });
});

describe('a bug on the request path', () => {
  it('is a 500 naming the request id, logged with its cause — not a 503 Heroku would retry forever', async () => {
    const spy = jest.spyOn(ctx.store, 'get').mockRejectedValueOnce(new TypeError("Cannot read properties of undefined (reading 'plan')"));
    try {
      const res = await request(ctx.app).put(`/heroku/resources/${randomUUID()}`).set('Authorization', auth).set('X-Request-Id', 'req-bug-1').send({ plan: 'basic' });
      expect(res.status).toBe(500);
      expect(res.body.message).toBe('internal error (request req-bug-1)');
      const line = ctx.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'unhandled error');
      expect(line).toMatchObject({ reqId: 'req-bug-1', err: { name: 'TypeError', message: expect.stringContaining("reading 'plan'") } });
      expect(String((line?.err as { stack?: string }).stack)).toContain('TypeError');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('GET /healthz', () => {
  it('answers 200', async () => {
    const res = await request(ctx.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
  });
});
