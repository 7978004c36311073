import { checkUpstream, upstreamPolicy, type HostResolver } from '../../src/clients/dns';
import { blockedAddress, validateUpstream } from '../../src/domain/upstream';
import { testConfig } from '../helpers/context';
import { REAL_DNS, tableResolver } from '../helpers/dns';

/**
 * The upstream rules (issue 15 item 1, issue 17 item 1): the URL's text, then what its host resolves
 * to. DNS here is a table that answers as the public DNS does.
 */

const strict = (resolve: HostResolver = tableResolver(REAL_DNS), ownHosts: string[] = []) => ({ policy: { mode: 'strict' as const, ownHosts }, resolve, timeoutMs: 200 });
const lenient = (resolve: HostResolver = tableResolver(REAL_DNS)) => ({ policy: { mode: 'lenient' as const }, resolve, timeoutMs: 200 });

describe('the names of issue 15, resolved as the real DNS does', () => {
  it.each([
    ['https://169.254.169.254.nip.io', /cloud metadata/],
    ['https://127.0.0.1.nip.io', /loopback/],
    ['https://localtest.me', /loopback/],
    ['https://10.0.0.1.sslip.io:6379', /443/],
    ['https://10.0.0.1.sslip.io', /private/],
  ])('strict refuses %s', async (url, why) => {
    const v = await checkUpstream(url, strict());
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message).toMatch(why);
  });

  it.each(['https://169.254.169.254.nip.io', 'https://127.0.0.1.nip.io', 'https://localtest.me', 'https://10.0.0.1.sslip.io'])('lenient refuses %s too: it resolves, to an internal address', async (url) => {
    expect((await checkUpstream(url, lenient())).ok).toBe(false);
  });

  it('a public name is accepted, once its every address is public', async () => {
    expect(await checkUpstream('https://api.example.com/v1/', strict())).toEqual({ ok: true, url: 'https://api.example.com/v1' });
    // one internal address among public ones is enough to refuse
    const mixed = tableResolver({ 'api.example.com': ['93.184.215.14', '10.1.2.3'] });
    expect((await checkUpstream('https://api.example.com', strict(mixed))).ok).toBe(false);
  });
});

describe('addresses an upstream must never reach', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.10', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    // IPv4 carried inside IPv6: mapped, compatible, NAT64, 6to4
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::169.254.169.254', 'metadata'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:a9fe:a9fe::', 'metadata'],
    ['255.255.255.255', 'reserved'],
  ])('%s is %s', (ip, kind) => {
    expect(blockedAddress(ip)?.kind).toBe(kind);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (ip) => {
    expect(blockedAddress(ip)).toBeNull();
  });
});

describe('strict', () => {
  it.each([
    ['http://api.example.com', /https/],
    ['https://api.example.com:8443', /443/],
    ['https://169.254.169.254/', /cloud metadata/],
    ['https://[::ffff:169.254.169.254]/', /cloud metadata/],
    ['https://[fd00:ec2::254]/', /cloud metadata/],
    ['https://0x7f.1/', /loopback/],
    ['https://2130706433/', /loopback/],
    ['https://93.184.215.14/', /not an IP address/],
    ['https://metadata.google.internal/', /metadata/],
    ['https://db.internal/', /public domain/],
    ['https://printer.local/', /public domain/],
    ['https://localhost/', /public domain/],
    ['https://intranet/', /public domain/],
    ['https://other-tenant.us-e2.cloudhub.io/', /CloudHub/],
    ['https://cloudhub.io/', /CloudHub/],
    ['http://127.0.0.1:8080', /https/],
  ])('refuses %s', async (url, why) => {
    const v = await checkUpstream(url, strict());
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.message).toMatch(why);
  });

  it("refuses the service's own host (PUBLIC_URL)", async () => {
    const resolve = tableResolver({ 'aag.example.com': ['93.184.215.14'] });
    const v = await checkUpstream('https://AAG.example.com/', strict(resolve, ['aag.example.com']));
    expect(v).toMatchObject({ ok: false, message: expect.stringMatching(/service itself/) });
    const policy = upstreamPolicy(testConfig({ UPSTREAM_CHECK: 'strict', PUBLIC_URL: 'https://aag.example.com' }));
    expect(validateUpstream('https://aag.example.com/x', policy).ok).toBe(false);
  });

  it('fails closed: a name that does not resolve is refused; a lookup that failed this time is refused as transient', async () => {
    expect(await checkUpstream('https://nowhere.example.org', strict())).toEqual({ ok: false, message: expect.stringMatching(/does not resolve/) });
    const servfail = tableResolver({}, { 'flaky.example.org': 'ESERVFAIL' });
    expect(await checkUpstream('https://flaky.example.org', strict(servfail))).toMatchObject({ ok: false, transient: true });
  });

  it('a lookup that hangs is cut at the timeout and refused as transient', async () => {
    const hang: HostResolver = () => new Promise(() => undefined);
    const t0 = Date.now();
    const v = await checkUpstream('https://slow.example.org', { ...strict(hang), timeoutMs: 150 });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(v).toMatchObject({ ok: false, transient: true, message: expect.stringMatching(/ETIMEOUT/) });
  });

  it('resolves the host only when its text passed (no lookup for a refused URL)', async () => {
    const resolve = tableResolver(REAL_DNS);
    await checkUpstream('https://10.0.0.1.sslip.io:6379', strict(resolve));
    await checkUpstream('https://metadata.google.internal', strict(resolve));
    expect(resolve.calls).toEqual([]);
  });
});

describe('lenient', () => {
  it('accepts a name that does not resolve, with a warning', async () => {
    const v = await checkUpstream('https://myapp-1a2b3c.herokuapp.com', lenient(tableResolver({})));
    expect(v).toEqual({ ok: true, url: 'https://myapp-1a2b3c.herokuapp.com', warning: expect.stringMatching(/did not resolve \(ENOTFOUND\).*UPSTREAM_CHECK=lenient/) });
  });

  it('accepts http(s) to a loopback literal on any port (the local stand-ins), without a lookup', async () => {
    const resolve = tableResolver({});
    expect(await checkUpstream('http://127.0.0.1:5050/api', lenient(resolve))).toEqual({ ok: true, url: 'http://127.0.0.1:5050/api' });
    expect((await checkUpstream('http://localhost:5050', lenient(resolve))).ok).toBe(true);
    expect((await checkUpstream('http://[::1]:5050', lenient(resolve))).ok).toBe(true);
    expect(resolve.calls).toEqual([]);
  });

  it.each(['http://10.0.0.1:8080', 'https://192.168.1.1', 'https://169.254.169.254', 'http://169.254.169.254', 'https://[fd00:ec2::254]', 'https://metadata.google.internal', 'http://api.example.com'])(
    'still refuses %s',
    async (url) => {
      expect((await checkUpstream(url, lenient())).ok).toBe(false);
    },
  );
});
