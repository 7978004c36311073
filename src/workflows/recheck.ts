import { isPermanent } from '../clients/errors';
import type { AddonStore } from '../store/addons';
import type { AppRechecks } from '../store/rechecks';
import { describeError } from '../engine';
import type { WorkflowDeps } from './deps';
import { wantedUpstream } from './follow-app';

/**
 * The slow re-check (Heroku's webhooks may not be enabled for us, or a delivery may be lost): each
 * provisioned add-on that follows its app's own host has its app's domains read again once every
 * `APP_RECHECK_INTERVAL_MS`, and `follow-app` runs when the upstream they give differs.
 *
 * Spread: a sweep reads at most `ceil(add-ons × SWEEP_INTERVAL_MS / APP_RECHECK_INTERVAL_MS)` of
 * them, the longest unchecked first (a sorted set of when each was last checked, `AppRechecks`), so
 * the checks come evenly (10,000 add-ons every 6 h: 28 a minute, one Platform API call each, on as
 * many tokens), never in a burst; a sweep reads the keys of the records to enroll new ones, and the
 * records of the due ones only.
 */
export async function recheckApps(
  deps: WorkflowDeps,
  stores: { addons: AddonStore; rechecks: AppRechecks },
  schedule: (ref: { workflow: string; id: string; key?: string }) => Promise<void>,
  now = deps.now().getTime(),
): Promise<{ checked: string[]; changed: string[] }> {
  const { addons, rechecks } = stores;
  const interval = deps.config.APP_RECHECK_INTERVAL_MS;
  await rechecks.enroll(await addons.allIds(), now);
  const budget = Math.ceil(((await rechecks.size()) * deps.config.SWEEP_INTERVAL_MS) / interval);
  const dueIds = await rechecks.due(now - interval, budget);
  const byId = new Map((await addons.getMany(dueIds)).map((r) => [r.uuid, r]));
  const checked: string[] = [];
  const changed: string[] = [];
  for (const uuid of dueIds) {
    const rec = byId.get(uuid);
    // gone (a tombstone expired): forgotten; not provisioned, or its upstream the user's: looked at again an interval later
    if (!rec) {
      await rechecks.drop(uuid);
      continue;
    }
    if (rec.state !== 'provisioned' || rec.options.upstream || !rec.herokuTokensSealed) {
      await rechecks.mark(uuid, now);
      continue;
    }
    let found: string | null;
    try {
      found = (await wantedUpstream(deps, rec)).url;
    } catch (err) {
      deps.logger.warn({ addon: uuid, err: { message: describeError(err) } }, 'app re-check failed');
      // a passing failure: tried again at the next sweep; refused for good (the add-on gone on Heroku's side): an interval later
      if (!isPermanent(err)) continue;
      found = null;
    }
    const at = new Date(now).toISOString();
    const why = found ? `the periodic re-check found the app at ${new URL(found).host}` : undefined;
    await addons.update(uuid, (cur) =>
      cur.state === 'provisioned' ? { ...cur, resources: { ...cur.resources, appCheckedAt: at, ...(why ? { followReason: why } : {}) } } : null,
    );
    await rechecks.mark(uuid, now);
    checked.push(uuid);
    if (found) {
      await schedule({ workflow: 'follow-app', id: uuid, key: `recheck-${now}` });
      changed.push(uuid);
    }
  }
  return { checked, changed };
}
