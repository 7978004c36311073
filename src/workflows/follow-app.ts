import type { AddonRecord } from '../domain/addon';
import { upstreamForHost } from '../domain/upstream';
import { pickFollowHost } from '../clients/heroku';
import { PermanentFailure } from '../engine';
import { TARGET_STEPS } from '../targets';
import { type AddonStep, type AddonWorkflow, made, platformFor, type WorkflowDeps } from './deps';
import { guardUpstream } from './upstream';

/**
 * follow-app: the app was renamed or its domains changed (a webhook from Heroku, or the periodic
 * re-check noticed). Its domains are read again, the upstream picked by the provisioning rule (its
 * `kind: heroku` herokuapp.com host; when it has none any more, its custom domain; an `--upstream`
 * the user chose is kept), the route on the
 * current target pointed there and waited for until live, and the change recorded (what, when,
 * why). Nothing changes when the upstream is the same. Under the add-on's lock like every workflow.
 */

/** What the app's hosts say the upstream should be now: a URL, or null with the reason it stays. */
export async function wantedUpstream(deps: WorkflowDeps, rec: AddonRecord): Promise<{ url: string | null; note: string; appName?: string }> {
  if (rec.options.upstream) return { url: null, note: 'the upstream you chose (--upstream) is kept' };
  const platform = platformFor(deps, rec);
  let appId = rec.resources.herokuAppId;
  if (!appId) {
    const addon = await platform.getAddon(rec.uuid);
    if (!addon) throw new PermanentFailure('Heroku does not know this add-on any more');
    appId = addon.app.id;
  }
  const domains = await platform.getAppDomains(appId);
  const appName = domains.map((d) => (d.app as { name?: unknown } | undefined)?.name).find((n): n is string => typeof n === 'string');
  const host = pickFollowHost(domains);
  if (!host) return { url: null, note: 'the app has no host the gateway could use now: the route stays as it is', appName };
  const url = upstreamForHost(host);
  if (url === rec.resources.upstreamUrl) return { url: null, note: `unchanged: ${host}`, appName };
  return { url, note: `the app now answers at ${host}`, appName };
}

const readApp: AddonStep = {
  name: 'readApp',
  label: 'Reading the app’s domains',
  async run({ deps, rec, now }) {
    const want = await wantedUpstream(deps, rec);
    const seen = { appCheckedAt: now.toISOString(), ...(want.appName ? { herokuAppName: want.appName } : {}) };
    if (!want.url) return made({ ...seen, followUpstream: undefined }, {}, want.note);
    // the same check as provisioning's, right before the gateway is pointed there
    const { url, warning } = await guardUpstream(deps, want.url, rec.uuid);
    return made({ ...seen, followUpstream: url }, {}, warning ? `${want.note}; ${warning}` : want.note);
  },
};

const recordUpstream: AddonStep = {
  name: 'recordUpstream',
  label: 'Recording the new route',
  async run({ rec, now }) {
    const to = rec.resources.followUpstream;
    if (!to) return made({ followReason: undefined });
    const why = rec.resources.followReason ?? 'the app changed';
    return made(
      { upstreamUrl: to, followUpstream: undefined, followReason: undefined, upstreamChangedAt: now.toISOString(), upstreamChangeReason: why },
      {},
      `upstream now ${to} (${why})`,
    );
  },
};

export const FOLLOW_APP: AddonWorkflow = {
  name: 'follow-app',
  steps: (rec) => [readApp, ...TARGET_STEPS[rec.placement?.target ?? rec.target].reroute('placement'), recordUpstream],
  repeatable: true,
  // a move or a retirement first: its own steps point the new placement at the upstream the record holds
  applies: (rec) => rec.state === 'provisioned' && !!rec.placement && !rec.next && !rec.retired,
  wanted: (rec) => rec.state === 'provisioned',
  advice: 'The gateway keeps the route it had; the next change of the app or the periodic re-check tries again.',
  succeeded: (rec) => rec,
  failed: (rec) => ({ ...rec, resources: { ...rec.resources, followUpstream: undefined, followReason: undefined } }),
};
