import { startStack } from '../helpers/stack';
import { tableResolver } from '../helpers/dns';
import type { HostResolver } from '../../src/clients/dns';

/**
 * The worker checks the upstream again right before the gateway is pointed at it (the provision's
 * findUpstream step; `guardUpstream` for any later re-route): a name that was public when Heroku
 * asked and resolves to an internal address by then never reaches Anypoint.
 */

it('strict: a name rebound to the metadata address after the web checked it → failed at "Finding the app", nothing made, Heroku told', async () => {
  const resolve = tableResolver({ 'rebind.example.com': ['93.184.215.14'] });
  const stack = await startStack('e2e-rebind', {
    config: { UPSTREAM_CHECK: 'strict' },
    resolve,
    hooks: {
      checkpoint: (point) => {
        if (point === 'provision.findUpstream:before') resolve.table['rebind.example.com'] = ['169.254.169.254'];
      },
    },
  });
  try {
    const { uuid, status } = await stack.provision({ options: { upstream: 'https://rebind.example.com' } });
    expect(status).toBe(202);
    const rec = await stack.waitForState(uuid, 'failed');
    expect(rec.failureReason).toMatch(/^Finding the app failed: the upstream rebind\.example\.com resolves to a cloud metadata service \(169\.254\.169\.254\), which a gateway must not reach\. Create the add-on again with --upstream/);
    expect(rec.resources.upstreamUrl).toBeUndefined();
    const inv = stack.anypoint.inspect();
    expect(inv.assets.length + inv.apis.length + inv.applications.length).toBe(0);
    expect(stack.heroku.actionCount(uuid, 'deprovision')).toBe(1);
    expect(stack.heroku.actionCount(uuid, 'provision')).toBe(0);
    // looked up twice: by the web, and by the worker before pointing the gateway
    expect(resolve.calls.filter((h) => h === 'rebind.example.com')).toHaveLength(2);
  } finally {
    await stack.close();
  }
});

it('strict: a lookup that fails this time is retried (never skipped), and provisioning goes on once DNS answers', async () => {
  let calls = 0;
  let failures = 2;
  const resolve: HostResolver = async (host) => {
    if (host !== 'api.example.com') throw Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' });
    // the web's lookup passes; the worker's first two fail with SERVFAIL
    if (calls++ > 0 && failures-- > 0) throw Object.assign(new Error('ESERVFAIL'), { code: 'ESERVFAIL' });
    return ['93.184.215.14'];
  };
  const stack = await startStack('e2e-dnsflaky', { config: { UPSTREAM_CHECK: 'strict' }, resolve });
  try {
    const { uuid } = await stack.provision({ options: { upstream: 'https://api.example.com' } });
    const rec = await stack.waitForState(uuid, 'provisioned', 30_000);
    expect(rec.resources.upstreamUrl).toBe('https://api.example.com');
    const retries = rec.timeline.filter((e) => e.step === 'findUpstream' && e.status === 'retrying');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0].message).toMatch(/could not be looked up just now \(ESERVFAIL\).*trying again automatically/);
  } finally {
    await stack.close();
  }
});

it("lenient: the app's host that does not resolve here is accepted, with the warning on the timeline and in the log", async () => {
  const stack = await startStack('e2e-lenient', { resolve: tableResolver({}) });
  try {
    expect(stack.config.UPSTREAM_CHECK).toBe('lenient');
    const { uuid } = await stack.provision({});
    const rec = await stack.waitForState(uuid, 'provisioned');
    const host = new URL(rec.resources.upstreamUrl!).hostname;
    expect(host).toMatch(/\.herokuapp\.com$/);
    const note = rec.timeline.find((e) => e.step === 'findUpstream' && e.status === 'done')?.message;
    expect(note).toBe(`${host} did not resolve (ENOTFOUND); accepted because UPSTREAM_CHECK=lenient`);
    expect(stack.logs.text()).toContain(`"warning":"${host} did not resolve (ENOTFOUND)`);
  } finally {
    await stack.close();
  }
});
