import { CRASH_POINTS, crashCase, describeCrash } from './support/crash';
import { figures, measured, ONE, ONE_CH2, stopAll } from './support/harness';

/** Fast subset: representative kill -9s of a real worker process (the full matrix is in slow/). */
const fig = figures('crash-fast');

afterAll(async () => {
  await stopAll();
});

/** One point per kind: an ordinary step, the shared gateway's creation, a dedicated proxy's deploy, the report to Heroku. */
const picks = [
  ['provision.createAsset:after', 'omni'],
  ['gateway.createGateway:after', 'omni'],
  ['provision.ch2.deployProxy:after', 'ch2'],
  ['provision.reportProvisioned:after', 'ch2'],
];
const cases = CRASH_POINTS.filter((c) => picks.some(([point, target]) => c.point === point && c.target === target && !c.scenario.startsWith('policy')));

/** The dashboard's changes: a key's contract applied, a rotation between the app's config vars and the gateway. */
const policyPicks = [
  ['policy.policy.apply:after', 'policy-key', 'omni'],
  ['policy.rotate.configVars:after', 'policy-rotate', 'ch2'],
];
const policyCases = CRASH_POINTS.filter((c) => policyPicks.some(([point, scenario, target]) => c.point === point && c.scenario === scenario && c.target === target));

describe('kill -9 of the worker process, then a restart', () => {
  it('covers each pick', () => {
    expect(cases).toHaveLength(picks.length);
    expect(policyCases).toHaveLength(policyPicks.length);
  });

  it.each(policyCases.map((c) => [`${c.point} (${c.scenario}, ${c.target})`, c] as const))(
    'crash at %s: the change ends once, the gateway sends the secret the app holds, no key is left behind',
    async (_name, c) => {
      await measured(fig, { scenario: `crash at ${c.point} (${c.scenario}, ${c.target})`, subset: 'fast', addons: 1 }, async () => {
        const r = await crashCase(c);
        expect(r.killed).toBe(true);
        expect(r.final.state).toBe('provisioned');
        expect(r.final.boundary?.change).toBeUndefined();
        expect(r.final.boundary?.lastFailure).toBeUndefined();
        expect(r.secretInStep).toBe(true);
        expect([r.clientApps, r.contracts]).toEqual([0, 0]);
        expect(r.policyAssets).toEqual(c.scenario === 'policy-key' ? ['client-id-enforcement', 'header-injection', 'header-removal', 'rate-limiting'] : ['header-injection', 'header-removal', 'rate-limiting']);
        expect(r.provisionActions).toBe(1);
        expect(r.truthOk).toBe(true);
        expect(r.leaked).toEqual([]);
        return describeCrash(r);
      });
    },
    60_000,
  );

  it.each(cases.map((c) => [`${c.point} (${c.target})`, c] as const))(
    'crash at %s: ends provisioned with one of everything, Heroku told once',
    async (_name, c) => {
      await measured(fig, { scenario: `crash at ${c.point} (${c.target})`, subset: 'fast', addons: 1 }, async () => {
        const r = await crashCase(c);
        expect(r.killed).toBe(true);
        expect(r.final.state).toBe('provisioned');
        expect(r.counts).toEqual(c.target === 'ch2' ? ONE_CH2 : ONE);
        expect(r.gateways.length).toBeLessThanOrEqual(1);
        expect(r.provisionActions).toBe(1);
        expect(r.deprovisionActions).toBe(0);
        expect(r.truthOk).toBe(true);
        expect(r.leaked).toEqual([]);
        return describeCrash(r);
      });
    },
    60_000,
  );
});
