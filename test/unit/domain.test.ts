import { createHash } from 'node:crypto';
import { assetIdFor, cloudHubNameFor, isValidCloudHubName } from '../../src/domain/naming';
import { findPlan, rateLimitConfiguration, PLANS } from '../../src/domain/plans';
import { readSession, signSession, verifySso } from '../../src/domain/sso';
import { validateUpstream } from '../../src/domain/upstream';
import { canMove, newRecord, publicView } from '../../src/domain/addon';
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
    expect(verifySso({ id: UUID, timestamp: ts, resourceToken: sha1 }, salt, now)).toEqual({ ok: true, kind: 'resource' });
    expect(verifySso({ id: UUID, timestamp: ts, legacyToken: sha1 }, salt, now)).toEqual({ ok: true, kind: 'legacy' });
    expect(verifySso({ id: UUID, timestamp: ts, userScopedToken: sha256, userId: 'u1', email: 'a@b.c' }, salt, now)).toEqual({ ok: true, kind: 'user_scoped' });
    expect(verifySso({ id: UUID, timestamp: ts, userScopedToken: sha256, resourceToken: sha1, userId: 'u1', email: 'x@b.c' }, salt, now)).toEqual({ ok: false, reason: 'bad_token' });
    expect(verifySso({ id: UUID, timestamp: ts, resourceToken: sha1 }, salt, now + 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySso({ id: UUID, timestamp: ts, resourceToken: sha1 }, salt, now - 61)).toEqual({ ok: false, reason: 'future' });
    expect(verifySso({ id: UUID, timestamp: 'abc', resourceToken: sha1 }, salt, now)).toEqual({ ok: false, reason: 'bad_timestamp' });
    expect(verifySso({ id: UUID, timestamp: ts }, salt, now)).toEqual({ ok: false, reason: 'missing_token' });
  });

  it('sessions are tamper-evident and expire', () => {
    const v = signSession({ uuid: UUID, heroku: true, exp: now + 10 }, 's'.repeat(32));
    expect(readSession(v, 's'.repeat(32), now)?.uuid).toBe(UUID);
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

describe('add-on record', () => {
  it('allows only the state moves of the machine', () => {
    expect(canMove('provisioning', 'provisioned')).toBe(true);
    expect(canMove('provisioned', 'provisioning')).toBe(false);
    expect(canMove('deprovisioned', 'provisioning')).toBe(false);
    expect(canMove('deprovisioning', 'deprovisioned')).toBe(true);
  });

  it('bounds the timeline and hides sealed secrets from the public view', () => {
    let r = newRecord({ uuid: UUID, plan: 'test', region: 'us', name: 'n', options: {}, oauthGrantSealed: 'sealed', now: new Date() });
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
