import { createHash } from 'node:crypto';
import { assetIdFor, cloudHubNameFor, isValidCloudHubName } from '../../src/domain/naming';
import { findPlan, rateLimitConfiguration, PLANS } from '../../src/domain/plans';
import { readSession, signSession, SSO_REPLAY_WINDOW_SECONDS, tokenFingerprint, verifySso } from '../../src/domain/sso';
import { readOptions } from '../../src/domain/options';
import { validateUpstream } from '../../src/domain/upstream';
import { ADDON_STATES, canMove, isFinal, newRecord, pendingWork, publicView, type AddonRecord } from '../../src/domain/addon';
import { basePathFor, gatewayNameFor, gatewayProxyUrl, parsePlanTargets, parseRegionSpaces, proxyAppNameFor, targetForPlan } from '../../src/domain/targets';
import { parseRuntimeOption, pickRuntime, type RuntimeOption } from '../../src/domain/runtimes';
import { regionOf } from '../../src/domain/regions';
import { withEvent, TIMELINE_LIMIT } from '../../src/domain/progress';
import { SecretBox } from '../../src/secrets';
import { scrub } from '../../src/redact';
import { cappedBackoff, jobIdFor, MAX_JOB_BACKOFF_MS } from '../../src/jobs';

const UUID = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('naming', () => {
  it('derives valid, deterministic CloudHub names within 42 chars, with suffixes', () => {
    for (let i = 0; i < 10; i++) {
      const n = cloudHubNameFor(UUID, i);
      expect(isValidCloudHubName(n)).toBe(true);
      expect(n.length).toBeLessThanOrEqual(42);
      expect(cloudHubNameFor(UUID.toUpperCase(), i)).toBe(n);
    }
    expect(new Set(Array.from({ length: 5 }, (_, i) => cloudHubNameFor(UUID, i))).size).toBe(5);
    expect(isValidCloudHubName('ab')).toBe(false);
    expect(isValidCloudHubName('abc-')).toBe(false);
    expect(isValidCloudHubName('ABC')).toBe(false);
    expect(isValidCloudHubName('a'.repeat(43))).toBe(false);
  });

  it('asset ids are lower-case and job ids never contain a colon', () => {
    expect(assetIdFor(UUID.toUpperCase())).toBe(`heroku-addon-${UUID}`);
    expect(jobIdFor({ workflow: 'plan-change', id: UUID, key: 'anypoint-api-gateway:basic' })).not.toContain(':');
  });
});

describe('plans', () => {
  it('maps plans to rate limits and tolerates the add-on prefix', () => {
    expect(PLANS.map((p) => [p.slug, p.maximumRequests])).toEqual([['test', 60], ['basic', 1000], ['premium', 10000]]);
    expect(findPlan('anypoint-api-gateway:premium')?.slug).toBe('premium');
    expect(findPlan('gold')).toBeUndefined();
    expect(rateLimitConfiguration(findPlan('basic')!)).toEqual({ rateLimits: [{ maximumRequests: 1000, timePeriodInMilliseconds: 60000 }], exposeHeaders: true, clusterizable: true });
  });
});

describe('sso', () => {
  const salt = 'salt-salt-salt-salt';
  const now = 1_800_000_000;
  const ts = String(now);
  it('verifies all three token kinds and prefers the user-scoped one', () => {
    const sha1 = createHash('sha1').update(`${UUID}:${salt}:${ts}`).digest('hex');
    const sha256 = createHash('sha256').update(`${UUID}:${salt}:${ts}:u1:a@b.c`).digest('hex');
    expect(verifySso({ id: UUID, timestamp: ts, resourceToken: sha1 }, salt, now)).toEqual({ ok: true, kind: 'resource', tokens: [sha1] });
    expect(verifySso({ id: UUID, timestamp: ts, legacyToken: sha1.toUpperCase() }, salt, now)).toEqual({ ok: true, kind: 'legacy', tokens: [sha1] });
    expect(verifySso({ id: UUID, timestamp: ts, userScopedToken: sha256, userId: 'u1', email: 'a@b.c' }, salt, now)).toEqual({ ok: true, kind: 'user_scoped', tokens: [sha256] });
    // Heroku's form carries both: the user-scoped one decides, and the valid resource_token is marked used beside it
    expect(verifySso({ id: UUID, timestamp: ts, userScopedToken: sha256, resourceToken: sha1, userId: 'u1', email: 'a@b.c' }, salt, now)).toEqual({ ok: true, kind: 'user_scoped', tokens: [sha256, sha1] });
    expect(verifySso({ id: UUID, timestamp: ts, userScopedToken: sha256, resourceToken: 'f'.repeat(40), userId: 'u1', email: 'a@b.c' }, salt, now)).toEqual({ ok: true, kind: 'user_scoped', tokens: [sha256] });
    expect(verifySso({ id: UUID, timestamp: ts, userScopedToken: sha256, resourceToken: sha1, userId: 'u1', email: 'x@b.c' }, salt, now)).toEqual({ ok: false, reason: 'bad_token' });
    expect(verifySso({ id: UUID, timestamp: ts, resourceToken: sha1 }, salt, now + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySso({ id: UUID, timestamp: ts, resourceToken: sha1 }, salt, now - 61)).toEqual({ ok: false, reason: 'future' });
    expect(verifySso({ id: UUID, timestamp: 'abc', resourceToken: sha1 }, salt, now)).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verifySso({ id: UUID, timestamp: ts }, salt, now)).toEqual({ ok: false, reason: 'missing_token' });
  });

  it('a used token is remembered by its SHA-256 for the whole window a token is accepted in (5 min old, 1 min ahead)', () => {
    expect(SSO_REPLAY_WINDOW_SECONDS).toBe(360);
    expect(tokenFingerprint('ABC')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(tokenFingerprint('abc')).not.toContain('abc');
  });

  it('sessions are tamper-evident, name a server-side session and expire', () => {
    const v = signSession({ sid: 'sid-1', uuid: UUID, heroku: true, exp: now + 10 }, 's'.repeat(32));
    expect(readSession(v, 's'.repeat(32), now)).toEqual({ sid: 'sid-1', uuid: UUID, heroku: true, exp: now + 10 });
    // a cookie of the old format (no session id) opens nothing
    expect(readSession(signSession({ uuid: UUID, heroku: true, exp: now + 10 } as never, 's'.repeat(32)), 's'.repeat(32), now)).toBeNull();
    expect(readSession(v, 'x'.repeat(32), now)).toBeNull();
    expect(readSession(v, 's'.repeat(32), now + 11)).toBeNull();
    expect(readSession(v.replace(/^./, 'A'), 's'.repeat(32), now)).toBeNull();
  });
});

describe('upstream', () => {
  it('accepts https URLs only (loopback http only when allowed)', () => {
    const strict = { mode: 'strict' } as const;
    expect(validateUpstream('https://api.example.com/v1/', strict)).toEqual({ ok: true, url: 'https://api.example.com/v1', host: 'api.example.com', resolve: true });
    expect(validateUpstream('http://api.example.com', strict).ok).toBe(false);
    expect(validateUpstream('https://user:pw@api.example.com', strict).ok).toBe(false);
    expect(validateUpstream('https://10.0.0.1/', strict).ok).toBe(false);
    expect(validateUpstream('https://localhost./', strict).ok).toBe(false);
    expect(validateUpstream('https://foo.localhost./', strict).ok).toBe(false);
    expect(validateUpstream('javascript:alert(1)', strict).ok).toBe(false);
    expect(validateUpstream('not a url', strict).ok).toBe(false);
    expect(validateUpstream('http://127.0.0.1:8080', strict).ok).toBe(false);
    expect(validateUpstream('http://127.0.0.1:8080', { mode: 'lenient' })).toEqual({ ok: true, url: 'http://127.0.0.1:8080', host: '127.0.0.1', resolve: false });
  });
});

describe('provision options', () => {
  it('stores a bare --flag (boolean) as a string and refuses it for an option that needs a value', () => {
    expect(readOptions({ upstream: 'https://api.example.com', verbose: true, quiet: false })).toEqual({ ok: true, options: { upstream: 'https://api.example.com', verbose: 'true', quiet: 'false' } });
    expect(readOptions(null)).toEqual({ ok: true, options: {} });
    expect(readOptions({ upstream: true })).toEqual({ ok: false, message: 'option --upstream needs a value: use --upstream=https://<your app host>' });
  });
});

describe('add-on record', () => {
  it('final states (failed, deprovisioned) are the ones a tombstone TTL applies to', () => {
    expect(ADDON_STATES.filter(isFinal)).toEqual(['failed', 'deprovisioned']);
  });

  it('allows only the state moves of the machine', () => {
    expect(canMove('provisioning', 'provisioned')).toBe(true);
    expect(canMove('provisioned', 'provisioning')).toBe(false);
    expect(canMove('deprovisioned', 'provisioning')).toBe(false);
    expect(canMove('deprovisioning', 'deprovisioned')).toBe(true);
  });

  it('bounds the timeline and hides sealed secrets from the public view', () => {
    let r = newRecord({ uuid: UUID, plan: 'test', target: 'omni', region: 'us', name: 'n', options: {}, oauthGrantSealed: 'sealed', now: new Date() });
    for (let i = 0; i < TIMELINE_LIMIT + 10; i++) r = withEvent(r, { step: 'createAsset', status: 'retrying', at: String(i) });
    expect(r.timeline).toHaveLength(TIMELINE_LIMIT);
    expect(r.timeline[TIMELINE_LIMIT - 1].at).toBe(String(TIMELINE_LIMIT + 9));
    expect(publicView(r)).not.toHaveProperty('oauthGrantSealed');
  });
});

describe('secret box and scrub', () => {
  it('seals with AES-256-GCM and detects tampering', () => {
    const box = new SecretBox(Buffer.alloc(32, 1));
    const sealed = box.seal('tok-123', 'a');
    expect(sealed).not.toContain('tok-123');
    expect(box.open(sealed, 'a')).toBe('tok-123');
    expect(box.seal('tok-123', 'a')).not.toBe(sealed);
    const parts = sealed.split('.');
    parts[4] = Buffer.from('other').toString('base64url');
    expect(() => box.open(parts.join('.'), 'a')).toThrow();
    expect(() => new SecretBox(Buffer.alloc(31)).seal('x', 'a')).toThrow();
  });

  it('scrub masks known secrets and bearer/basic credentials', () => {
    expect(scrub('key=supersecret Bearer abc.def Basic Zm9vOmJhcg==', ['supersecret'])).toBe('key=[redacted] Bearer [redacted] Basic [redacted]');
  });
});

describe('job backoff', () => {
  it('grows exponentially from the base, is capped at 5 minutes, and is jittered', () => {
    const top = cappedBackoff(1000, () => 1);
    expect([1, 2, 3, 4].map(top)).toEqual([1000, 2000, 4000, 8000]);
    expect(top(25)).toBe(MAX_JOB_BACKOFF_MS);
    expect(cappedBackoff(1000, () => 0)(3)).toBe(2000);
  });
});

describe('secret box IVs', () => {
  it('never repeats an IV across many seals (pool refills included)', () => {
    const box = new SecretBox(Buffer.alloc(32, 3));
    const ivs = new Set(Array.from({ length: 1000 }, () => box.seal('x', 'a').split('.')[2]));
    expect(ivs.size).toBe(1000);
  });
});

describe('targets', () => {
  it('parses PLAN_TARGETS and ANYPOINT_REGION_SPACES, naming what is wrong', () => {
    expect(parsePlanTargets('premium:ch2, basic:omni')).toEqual({ premium: 'ch2', basic: 'omni' });
    expect(parsePlanTargets('')).toEqual({});
    expect(() => parsePlanTargets('premium:ch1')).toThrow(/premium:ch1/);
    expect(parseRegionSpaces('us:Cloudhub-US-East-2,eu:Cloudhub-EU-West-1')).toEqual({ us: 'Cloudhub-US-East-2', eu: 'Cloudhub-EU-West-1' });
    expect(() => parseRegionSpaces('us:Cloudhub-US-East-2')).toThrow(/region eu/);
    expect(() => parseRegionSpaces('ap:Somewhere,us:a,eu:b')).toThrow(/ap:Somewhere/);
  });

  it('a plan runs on its PLAN_TARGETS target, else the default', () => {
    const s = { defaultTarget: 'omni' as const, planTargets: { premium: 'ch2' as const } };
    expect(targetForPlan('premium', s)).toBe('ch2');
    expect(targetForPlan('basic', s)).toBe('omni');
  });

  it('derives deterministic names from the uuid and the region', () => {
    expect(basePathFor(UUID.toUpperCase())).toBe('/0f8fad5bd9cb469fa16570867728950e');
    expect(proxyAppNameFor(UUID)).toBe('aag-0f8fad5bd9cb469fa16570867728950e');
    expect(proxyAppNameFor(UUID).length).toBeLessThanOrEqual(42);
    expect(gatewayNameFor('eu', 3)).toBe('aag-eu-3');
    expect(gatewayProxyUrl('https://gw.example/', '/abc')).toBe('https://gw.example/abc/');
    expect(regionOf('amazon-web-services::eu-west-1')).toBe('eu');
    expect(regionOf('us')).toBe('us');
  });
});

describe('runtime versions', () => {
  const offered = [
    { baseVersion: '4.9.7', tag: '4.9.7:2', channel: 'LTS' },
    { baseVersion: '4.11.2', tag: '4.11.2:1e', channel: 'EDGE' },
    { baseVersion: '4.9.8', tag: '4.9.8:3', channel: 'LTS' },
    '4.10.1:2e',
    { version: '4.6.22' },
  ].map(parseRuntimeOption) as RuntimeOption[];

  it('picks the newest LTS the platform offers, never an Edge build', () => {
    expect(pickRuntime(offered)).toEqual({ ok: true, value: '4.9.8:3' });
  });

  it('takes an operator pin only when it is offered, and says what is', () => {
    expect(pickRuntime(offered, '4.9.7')).toEqual({ ok: true, value: '4.9.7:2' });
    const refused = pickRuntime(offered, '4.4.0');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.message).toMatch(/4\.4\.0 is not offered.*4\.9\.8:3/);
    expect(pickRuntime(offered.filter((o) => o.channel === 'edge')).ok).toBe(false);
  });
});

describe('pending work', () => {
  const base = (extra: Partial<AddonRecord>): AddonRecord => ({ ...newRecord({ uuid: UUID, plan: 'basic', target: 'omni', region: 'us', name: 'n', options: {}, now: new Date() }), state: 'provisioned', ...extra });
  const placed = { target: 'omni' as const, region: 'us' as const, policyId: 'p1', policyPlan: 'basic' };

  it('one workflow at a time: retire, then a move, then a policy rewrite', () => {
    expect(pendingWork(base({ placement: placed }))).toBeNull();
    expect(pendingWork(base({ placement: placed, plan: 'test' }))).toEqual({ workflow: 'plan-change', key: 'test' });
    expect(pendingWork(base({ placement: placed, plan: 'premium', target: 'ch2' }))).toEqual({ workflow: 'move', key: 'premium' });
    expect(pendingWork(base({ placement: { ...placed, target: 'ch2' }, retired: placed, plan: 'premium', target: 'ch2' }))).toEqual({ workflow: 'retire' });
    // a change refused for good is not re-driven until the plan changes again
    expect(pendingWork(base({ placement: placed, plan: 'premium', target: 'ch2', resources: { planChangeFailedFor: 'premium' } }))).toBeNull();
    expect(pendingWork(base({ state: 'deprovisioning' }))).toEqual({ workflow: 'deprovision' });
  });

  it('a follow-app run or a dashboard change cut short finishes before a move starts (the move waits for them)', () => {
    const run = { startedAt: '2026-01-01T00:00:00.000Z', done: [] };
    const moving = { placement: placed, plan: 'premium', target: 'ch2' as const };
    expect(pendingWork(base({ ...moving, runs: { 'follow-app': run } }))).toEqual({ workflow: 'follow-app', key: 'resume' });
    const change = { id: 'c1', kind: 'rotate' as const, by: 'x', at: '', summary: 's' };
    const boundary = { settings: { enforcement: false, ipAllowlist: [], cors: null }, keys: [], change };
    expect(pendingWork(base({ ...moving, boundary }))).toEqual({ workflow: 'policy', key: 'c1' });
    // a change the app reported but no run has taken up waits for the move (follow-app runs after it)
    expect(pendingWork(base({ ...moving, resources: { followReason: 'renamed' } }))).toEqual({ workflow: 'move', key: 'premium' });
    expect(pendingWork(base({ placement: placed, resources: { followReason: 'renamed' } }))).toEqual({ workflow: 'follow-app', key: 'resume' });
  });
});
