import { crashCase, describeCrash } from './support/crash';
import { figures, measured, ONE, stopAll } from './support/harness';

/** Fast subset: two representative kill -9s of a real worker process (the full matrix is in slow/). */
const fig = figures('crash-fast');

afterAll(async () => {
  await stopAll();
});

describe('kill -9 of the worker process, then a restart', () => {
  it.each(['provision.createAsset:after', 'provision.reportProvisioned:after'])('crash at %s: ends provisioned with one of everything, Heroku told once', async (point) => {
    await measured(fig, { scenario: `crash at ${point}`, subset: 'fast', addons: 1 }, async () => {
      const r = await crashCase(point);
      expect(r.killed).toBe(true);
      expect(r.final.state).toBe('provisioned');
      expect(r.counts).toEqual(ONE);
      expect(r.provisionActions).toBe(1);
      expect(r.deprovisionActions).toBe(0);
      expect(r.truthOk).toBe(true);
      expect(r.leaked).toEqual([]);
      return describeCrash(r);
    });
  }, 60_000);
});
