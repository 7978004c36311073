import { figures, measured, stopAll } from './support/harness';
import { CALLS, crashAt, idOf } from './support/traffic';

/**
 * kill -9 of a real worker process in the middle of the traffic pipeline, then a fresh worker: the
 * app's log (the Heroku stand-in's log input) must hold exactly one line per call. The kill
 * points: after the poll read the events and before it committed them; after the forwarder took
 * a batch and before it posted it. (The one window at-least-once leaves open, between the log
 * input taking a batch and the acknowledgement, is in slow/traffic-duplicate.test.ts.)
 */
const fig = figures('traffic-crash');

afterAll(async () => {
  await stopAll();
});

describe('kill -9 of the worker in the traffic pipeline, then a restart', () => {
  it.each(['traffic.poll:before-commit', 'traffic.forward:before-post'])(
    'killed at %s: exactly one line per call in heroku logs',
    async (point) => {
      await measured(fig, { scenario: `crash at ${point}`, subset: 'fast', addons: 1 }, async () => {
        const r = await crashAt(point);
        expect(r.killed).toBe(true);
        expect(r.lines).toHaveLength(CALLS);
        expect(new Set(r.lines.map(idOf)).size).toBe(CALLS);
        expect(r.lines.filter((l) => l.includes('status=429'))).toHaveLength(40);
        return { anypoint: '-', outcome: `${r.lines.length} lines for ${CALLS} calls, ${new Set(r.lines.map(idOf)).size} distinct`, timing: `all lines ${r.recoveryMs} ms after the kill` };
      });
    },
    90_000,
  );
});
