import { describeStorm, faultStorm } from '../support/faults';
import { figures, measured, stopAll } from '../support/harness';

const fig = figures('faults-200');

afterAll(async () => {
  await stopAll();
});

it('200 add-ons while both stand-ins answer 20 % 5xx, 429 bursts and latency spikes: all provisioned, nothing orphaned', async () => {
  await measured(fig, { scenario: '200 add-ons under 20 % 5xx + 429 bursts + latency spikes', subset: 'slow', addons: 200 }, async () => {
    const r = await faultStorm(200, { timeoutMs: 240_000 });
    expect(r.provisioned).toBe(200);
    expect(r.perAddonOk).toBe(200);
    expect(r.totals).toEqual({ assets: 200, softDeletedAssets: 0, apis: 200, policies: 600, applications: 0 });
    // a burst of 200 add-ons in one region makes exactly ceil(200 / 50) shared gateways
    expect(r.gateways).toBe(4);
    expect(r.orphans).toBe(0);
    expect(r.actionsOk).toBe(200);
    expect(r.truthOk).toBe(200);
    return describeStorm(r);
  });
}, 300_000);
