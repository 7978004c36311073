import {
  type Boundary,
  corsConfiguration,
  parseAllowlist,
  parseCidr,
  parseCors,
  parseKeyName,
  startChange,
  wantedKeys,
  wantedPolicies,
  wantedSettings,
} from '../../src/domain/boundary';
import { findPlan, PLANS } from '../../src/domain/plans';
import { pendingWork, publicView, type AddonRecord } from '../../src/domain/addon';

/** The boundary's pure rules: what the console accepts, what a change asks of the gateway, one change at a time, the plan's key limit. */

describe('IP allowlist entries', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['192.168.1.7', '192.168.1.7/32'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::1', '::1/128'],
    ['0.0.0.0/0', '0.0.0.0/0'],
  ])('%s is accepted as %s', (raw, canonical) => expect(parseCidr(raw)).toEqual({ ok: true, value: canonical }));

  it.each([
    ['10.0.0.0/33', /prefix length must be 0-32/],
    ['2001:db8::/129', /prefix length must be 0-128/],
    ['10.0.0/8', /not an IPv4 or IPv6 address/],
    ['example.com', /not an IPv4 or IPv6 address/],
    ['10.0.0.0/8/1', /prefix length/],
    ['10.0.0.0/-1', /prefix length/],
  ])('%s is refused', (raw, why) => {
    const p = parseCidr(raw);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toMatch(why);
  });

  it('a list: lines or commas, duplicates once, the first bad entry named, at most 50', () => {
    expect(parseAllowlist('10.0.0.0/8\n 127.0.0.1 , 10.0.0.0/8\n')).toEqual({ ok: true, value: ['10.0.0.0/8', '127.0.0.1/32'] });
    expect(parseAllowlist('')).toEqual({ ok: true, value: [] });
    expect(parseAllowlist('10.0.0.0/8, nope')).toEqual({ ok: false, message: '"nope" is not an IPv4 or IPv6 address' });
    expect(parseAllowlist(Array.from({ length: 51 }, (_, i) => `10.0.0.${i}`).join('\n')).ok).toBe(false);
  });
});

describe('CORS', () => {
  it('origins are scheme://host[:port]; methods from the list; headers are tokens; empty = no CORS', () => {
    expect(parseCors({ origins: 'https://shop.example.com\nhttp://localhost:3000', methods: 'get, post', headers: 'X-Requested-With' })).toEqual({
      ok: true,
      value: { origins: ['https://shop.example.com', 'http://localhost:3000'], methods: ['GET', 'POST'], headers: ['x-requested-with'] },
    });
    expect(parseCors({ origins: '', methods: '', headers: '' })).toEqual({ ok: true, value: null });
    expect(parseCors({ origins: 'https://a.example', methods: '', headers: '' })).toEqual({ ok: true, value: { origins: ['https://a.example'], methods: ['GET'], headers: [] } });
  });

  it.each([
    [{ origins: 'https://a.example/path', methods: '', headers: '' }, /not an origin/],
    [{ origins: 'ftp://a.example', methods: '', headers: '' }, /not an origin/],
    [{ origins: 'https://user@a.example', methods: '', headers: '' }, /not an origin/],
    [{ origins: 'https://a.example?x=1', methods: '', headers: '' }, /not an origin/],
    [{ origins: '*, https://a.example', methods: '', headers: '' }, /give it alone/],
    [{ origins: 'https://a.example', methods: 'FETCH', headers: '' }, /"FETCH" is not a method/],
    [{ origins: 'https://a.example', methods: 'GET', headers: 'X Bad' }, /"X Bad" is not a header name/],
    [{ origins: '', methods: 'GET', headers: '' }, /at least one allowed origin/],
  ])('%j is refused', (input, why) => {
    const p = parseCors(input);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.message).toMatch(why);
  });

  it('* is a public resource; named origins are one origin group', () => {
    expect(corsConfiguration({ origins: ['*'], methods: ['GET'], headers: [] })).toEqual({ publicResource: true, supportCredentials: false, originGroups: [] });
    expect(corsConfiguration({ origins: ['https://a.example'], methods: ['GET', 'POST'], headers: ['x-y'] }).originGroups).toEqual([
      { origins: ['https://a.example'], accessControlMaxAge: 30, allowedMethods: [{ methodName: 'GET', isAllowed: true }, { methodName: 'POST', isAllowed: true }], headers: ['x-y'], exposedHeaders: [] },
    ]);
  });
});

describe('key names', () => {
  it('trimmed, 1-60 characters, no control characters', () => {
    expect(parseKeyName('  mobile app ')).toEqual({ ok: true, value: 'mobile app' });
    expect(parseKeyName('').ok).toBe(false);
    expect(parseKeyName(undefined).ok).toBe(false);
    expect(parseKeyName('x'.repeat(61)).ok).toBe(false);
    expect(parseKeyName('a\u0007b').ok).toBe(false);
  });
});

describe('plans decide how many keys', () => {
  it('test 2, basic 20, premium 200', () => {
    expect(PLANS.map((p) => [p.slug, p.maxApiKeys])).toEqual([
      ['test', 2],
      ['basic', 20],
      ['premium', 200],
    ]);
  });
});

describe('a change', () => {
  const live = { state: 'provisioned' } as { state: string; boundary?: Boundary };
  const meta = { id: 'c1', by: 'dev@example.com', at: '2026-01-01T00:00:00.000Z', maxKeys: findPlan('test')!.maxApiKeys };

  it('the first key switches enforcement on; a revoked key is no longer wanted; settings are what they ask', () => {
    const made = startChange(live, { kind: 'key-create', key: { id: 'k1', name: 'one' } }, meta);
    expect(made.ok).toBe(true);
    if (!made.ok) return;
    const b = made.rec.boundary!;
    expect(b.keys).toEqual([{ id: 'k1', name: 'one', createdAt: meta.at, createdBy: meta.by, state: 'creating' }]);
    expect(wantedSettings(b).enforcement).toBe(true);
    expect(b.settings.enforcement).toBe(false);
    const revoking: Boundary = { settings: { enforcement: true, ipAllowlist: [], cors: null }, keys: [{ ...b.keys[0], state: 'active' }], change: { id: 'c2', kind: 'key-revoke', keyId: 'k1', by: 'x', at: '', summary: '' } };
    expect(wantedKeys(revoking)).toEqual([]);
    expect(wantedPolicies(wantedSettings(revoking))['client-id-enforcement']).not.toBeNull();
    expect(wantedPolicies({ enforcement: false, ipAllowlist: [], cors: null })).toEqual({ 'client-id-enforcement': null, 'ip-allowlist': null, cors: null });
  });

  it('one at a time, only while the gateway runs, within the plan’s key limit; an unknown key is a 404', () => {
    const first = startChange(live, { kind: 'rotate' }, meta);
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(startChange(first.rec, { kind: 'rotate' }, meta)).toMatchObject({ ok: false, status: 409, message: expect.stringMatching(/another change is under way \(origin secret rotated\)/) });
    expect(startChange({ state: 'provisioning' }, { kind: 'rotate' }, meta)).toMatchObject({ ok: false, status: 409 });
    // a move copies the settings in force to the new gateway: no change while it is under way
    expect(startChange({ ...live, next: { target: 'ch2' } }, { kind: 'rotate' }, meta)).toMatchObject({ ok: false, status: 409, message: expect.stringMatching(/moving the add-on to another gateway/) });
    expect(startChange({ ...live, retired: { target: 'omni' } }, { kind: 'rotate' }, meta)).toMatchObject({ ok: false, status: 409 });
    const full = { state: 'provisioned', boundary: { settings: { enforcement: true, ipAllowlist: [], cors: null }, keys: [1, 2].map((i) => ({ id: `k${i}`, name: `k${i}`, createdAt: '', createdBy: '', state: 'active' as const })) } };
    expect(startChange(full, { kind: 'key-create', key: { id: 'k3', name: 'three' } }, meta)).toMatchObject({ ok: false, status: 422, message: expect.stringMatching(/allows 2 API keys/) });
    expect(startChange(full, { kind: 'key-revoke', keyId: 'nope' }, meta)).toMatchObject({ ok: false, status: 404 });
    // a key whose secret the dashboard has not shown yet: no second key until it has been
    const unseen = { ...live, keyRevealSealed: 'v2.sealed' };
    expect(startChange(unseen, { kind: 'key-create', key: { id: 'k2', name: 'two' } }, meta)).toMatchObject({ ok: false, status: 409, message: expect.stringMatching(/has not been shown yet/) });
    expect(startChange(unseen, { kind: 'rotate' }, meta).ok).toBe(true);
  });

  it('a change under way is work the sweeper re-drives; the sealed secrets never leave the service', () => {
    const rec = { uuid: 'u', state: 'provisioned', plan: 'test', target: 'omni', timeline: [], resources: {}, boundary: { settings: { enforcement: false, ipAllowlist: [], cors: null }, keys: [], change: { id: 'c9', kind: 'rotate', by: 'x', at: '', summary: 's' } }, originSecretSealed: 'v2.sealed', keyRevealSealed: 'v2.key' } as unknown as AddonRecord;
    expect(pendingWork(rec)).toEqual({ workflow: 'policy', key: 'c9' });
    const view = publicView(rec) as Record<string, unknown>;
    expect(view.originSecretSealed).toBeUndefined();
    expect(view.keyRevealSealed).toBeUndefined();
  });
});
