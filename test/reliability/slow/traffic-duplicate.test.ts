import { figures, measured, stopAll } from '../support/harness';
import { CALLS, crashAt, idOf } from '../support/traffic';

/**
 * The one window the traffic pipeline's at-least-once delivery leaves open: a worker killed after
 * the log input took a batch and before it acknowledged the batch sends that batch again, and
 * nothing more (the next batches are not touched, nothing is lost).
 */
const fig = figures('traffic-duplicate');

afterAll(async () => {
  await stopAll();
});

it('killed between the log input taking a batch and the acknowledgement: that one batch twice, nothing lost (at least once)', async () => {
  await measured(fig, { scenario: 'crash at traffic.forward:after-post', subset: 'slow', addons: 1 }, async () => {
    const r = await crashAt('traffic.forward:after-post');
    expect(r.killed).toBe(true);
    const ids = r.lines.map(idOf);
    expect(new Set(ids).size).toBe(CALLS);
    const extra = r.lines.length - CALLS;
    expect(extra).toBeGreaterThan(0);
    expect(extra).toBeLessThanOrEqual(100);
    // the repeated lines are the first batch, once more, in order
    expect(ids.slice(extra, 2 * extra)).toEqual(ids.slice(0, extra));
    return { anypoint: '-', outcome: `${r.lines.length} lines for ${CALLS} calls: the batch in flight (${extra} lines) twice`, timing: `all lines ${r.recoveryMs} ms after the kill` };
  });
}, 90_000);
