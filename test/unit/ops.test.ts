import { z } from 'zod';
import { createMetrics, ssoMetricsHooks, upstreamMetricsHook, workflowMetricsHooks } from '../../src/metrics';
import { REDACTED, redactDeep as redactSecrets } from '../../src/redact';
import { caseInsensitivePattern, requestSchema } from '../../src/http/openapi';
import { redisOptions } from '../../src/store/redis';
import { loadConfig } from '../../src/config';
import type { AddonRecord } from '../../src/domain/addon';

describe('metrics hooks', () => {
  it('count workflows, steps, retries, time to provisioned, upstream calls and SSO sign-ins', async () => {
    const m = createMetrics({ defaultMetrics: false, queues: () => [{ name: 'provision', getJobCounts: async () => ({ waiting: 3, active: 1 }) }] });
    const wf = workflowMetricsHooks(m);
    wf.step('provision', 'createAsset', 'done', 250);
    wf.step('provision', 'deployProxy', 'retrying', 100);
    wf.step('provision', 'deployProxy', 'retrying', 100);
    const rec = { createdAt: '2024-01-01T00:00:00.000Z', provisionedAt: '2024-01-01T00:02:00.000Z' } as AddonRecord;
    wf.finished('provision', 'succeeded', rec);
    wf.finished('deprovision', 'failed', rec);
    wf.finished('plan-change', 'succeeded', rec);
    const up = upstreamMetricsHook(m);
    up({ api: 'exchange', method: 'POST', path: '/x', status: 201, ms: 40, attempt: 1, requestId: 'r1' });
    up({ api: 'heroku', method: 'GET', path: '/y', ms: 15_000, attempt: 1, requestId: 'r2' });
    ssoMetricsHooks(m).onLogin('ok');

    const text = await m.registry.metrics();
    expect(text).toContain('aag_provisions_total{outcome="succeeded"} 1');
    expect(text).toContain('aag_provisions_total{outcome="failed"} 0');
    expect(text).toContain('aag_deprovisions_total{outcome="failed"} 1');
    expect(text).toContain('aag_plan_changes_total{outcome="succeeded"} 1');
    expect(text).toContain('aag_time_to_provisioned_seconds_sum 120');
    expect(text).toContain('aag_step_duration_seconds_count{step="createAsset",outcome="done"} 1');
    expect(text).toContain('aag_step_retries_total{step="deployProxy"} 2');
    expect(text).toContain('aag_upstream_calls_total{api="exchange",status="201"} 1');
    expect(text).toContain('aag_upstream_calls_total{api="heroku",status="error"} 1');
    expect(text).toContain('aag_upstream_call_duration_seconds_count{api="exchange"} 1');
    expect(text).toContain('aag_sso_logins_total{outcome="ok"} 1');
    expect(text).toContain('aag_queue_depth{queue="provision",state="waiting"} 3');
    expect(text).toContain('aag_queue_depth{queue="provision",state="delayed"} 0');
  });

  it('a queue that cannot be read is left out of the scrape instead of failing it', async () => {
    const m = createMetrics({
      defaultMetrics: false,
      queueTimeoutMs: 50,
      queues: () => [
        { name: 'stuck', getJobCounts: () => new Promise<Record<string, number>>(() => undefined) },
        { name: 'ok', getJobCounts: async () => ({ waiting: 1 }) },
      ],
    });
    const text = await m.registry.metrics();
    expect(text).toContain('aag_queue_depth{queue="ok",state="waiting"} 1');
    expect(text).not.toContain('queue="stuck"');
  });

  it('default process metrics are on by default', async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain('process_cpu_user_seconds_total');
  });
});

describe('redactDeep (the queue console, the logger)', () => {
  it('replaces every secret-looking key, deeply, and keeps ids', () => {
    const out = redactSecrets({
      uuid: 'u-1',
      plan: 'basic',
      token: 't',
      nested: { access_token: 'a', refreshToken: 'r', client_secret: 's', Password: 'p', list: [{ code: 'c' }], oauth_grant: { code: 'g' } },
      authorization: 'Basic xyz',
    });
    expect(out).toEqual({
      uuid: 'u-1',
      plan: 'basic',
      token: REDACTED,
      nested: { access_token: REDACTED, refreshToken: REDACTED, client_secret: REDACTED, Password: REDACTED, list: [{ code: REDACTED }], oauth_grant: REDACTED },
      authorization: REDACTED,
    });
    expect(redactSecrets('plain')).toBe('plain');
    expect(redactSecrets(null)).toBeNull();
  });
});

describe('openapi helpers', () => {
  it('spells case-insensitive patterns out, and the result accepts what the zod regex accepts', () => {
    const re = /^[0-9a-f]{8}-[0-9a-f]{4}$/i;
    const p = caseInsensitivePattern(re.source);
    expect(p).toBe('^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}$');
    for (const s of ['0123abcd-ABCD', 'deadbeef-0000', 'DEADBEEF-f00d']) expect(new RegExp(p).test(s)).toBe(re.test(s));
    expect(caseInsensitivePattern('^ab\\d[^x]$')).toBe('^[aA][bB]\\d[^xX]$');
    const js = requestSchema(z.object({ id: z.string().regex(/^abc$/i) })) as { properties: { id: { pattern: string } } };
    expect(js.properties.id.pattern).toBe('^[aA][bB][cC]$');
  });
});

describe('redisOptions', () => {
  it('rediss:// (Heroku Redis) gets TLS without certificate verification by default', () => {
    const cfg = loadConfig({ REDIS_TLS_URL: 'rediss://:pw@ec2-1-2-3-4.compute-1.amazonaws.com:6380', REDIS_URL: 'redis://:pw@ec2-1-2-3-4.compute-1.amazonaws.com:6379' });
    expect(cfg.REDIS_URL.startsWith('rediss://')).toBe(true);
    expect(redisOptions(cfg, 'web').tls).toEqual({ rejectUnauthorized: false });
    expect(redisOptions(cfg, 'worker').tls).toEqual({ rejectUnauthorized: false });
  });

  it('verifies the certificate when asked', () => {
    const cfg = loadConfig({ REDIS_URL: 'rediss://h:6380', REDIS_TLS_REJECT_UNAUTHORIZED: 'true' });
    expect(redisOptions(cfg, 'web').tls).toEqual({ rejectUnauthorized: true });
  });

  it('redis:// gets no TLS; web fails fast, worker waits (what BullMQ needs)', () => {
    const cfg = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' });
    const web = redisOptions(cfg, 'web');
    const worker = redisOptions(cfg, 'worker');
    expect(web.tls).toBeUndefined();
    expect(web).toMatchObject({ enableOfflineQueue: false, commandTimeout: 1_000 });
    expect(worker.maxRetriesPerRequest).toBeNull();
  });
});
