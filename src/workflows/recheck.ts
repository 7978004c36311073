import { isPermanent } from '../clients/errors';
import type { AddonStore } from '../store/addons';
import { describeError } from '../engine';
import type { WorkflowDeps } from './deps';
import { wantedUpstream } from './follow-app';

/**
 * The slow re-check (Heroku's webhooks may not be enabled for us, or a delivery may be lost): each
 * provisioned add-on that follows its app's own host has its app's domains read again once every
 * `APP_RECHECK_INTERVAL_MS`, and `follow-app` runs when the upstream they give differs. Spread: a
 * sweep checks at most `ceil(add-ons × SWEEP_INTERVAL_MS / APP_RECHECK_INTERVAL_MS)` add-ons, the
 * longest unchecked first, so the checks come evenly (10,000 add-ons every 6 h: 28 a minute, one
 * Platform API call each, on as many tokens), never in a burst.
 */
export async function recheckApps(
  deps: WorkflowDeps,
  addons: AddonStore,
  schedule: (ref: { workflow: string; id: string; key?: string }) => Promise<void>,
  now = deps.now().getTime(),
): Promise<{ checked: string[]; changed: string[] }> {
  const interval = deps.config.APP_RECHECK_INTERVAL_MS;
  const live = (await addons.getMany(await addons.allIds())).filter((r) => r.state === 'provisioned' && !r.options.upstream && !!r.herokuTokensSealed);
  const since = (r: (typeof live)[number]) => Date.parse(r.resources.appCheckedAt ?? r.provisionedAt ?? r.updatedAt) || 0;
  const budget = Math.ceil((live.length * deps.config.SWEEP_INTERVAL_MS) / interval);
  const due = live
    .filter((r) => now - since(r) >= interval)
    .sort((a, b) => since(a) - since(b))
    .slice(0, budget);
  const checked: string[] = [];
  const changed: string[] = [];
  for (const rec of due) {
    let found: string | null;
    try {
      found = (await wantedUpstream(deps, rec)).url;
    } catch (err) {
      deps.logger.warn({ addon: rec.uuid, err: { message: describeError(err) } }, 'app re-check failed');
      // refused for good (e.g. the add-on is gone on Heroku's side): not asked again before the next interval
      if (!isPermanent(err)) continue;
      found = null;
    }
    const at = new Date(now).toISOString();
    const why = found ? `the periodic re-check found the app at ${new URL(found).host}` : undefined;
    await addons.update(rec.uuid, (cur) =>
      cur.state === 'provisioned' ? { ...cur, resources: { ...cur.resources, appCheckedAt: at, ...(why ? { followReason: why } : {}) } } : null,
    );
    checked.push(rec.uuid);
    if (found) {
      await schedule({ workflow: 'follow-app', id: rec.uuid, key: `recheck-${now}` });
      changed.push(rec.uuid);
    }
  }
  return { checked, changed };
}
