import type { Config } from '../config';
import type { Logger } from '../logger';
import type { AddonRecord, AddonResources, StepEvent, StepName } from '../domain/addon';
import { withEvent } from '../domain/addon';
import type { AddonStore } from '../store/addons';
import type { SecretBox } from '../secrets';
import type { AnypointClient } from '../clients/anypoint';
import type { HerokuClients, HerokuPlatformClient, HerokuTokens } from '../clients/heroku';
import { RefreshingHerokuTokenSource } from '../clients/heroku';
import type { AddonQueues } from '../queue';
import { PermanentFailure } from './outcomes';

/** Everything a workflow needs; workflows know nothing of Express or BullMQ. */
export interface WorkflowDeps {
  config: Config;
  logger: Logger;
  store: AddonStore;
  box: SecretBox;
  anypoint: AnypointClient;
  heroku: HerokuClients;
  queues: AddonQueues;
  now?: () => Date;
  hooks?: WorkflowHooks;
}

/** Observation points (metrics); all optional. */
export interface WorkflowHooks {
  step?: (step: StepName, outcome: 'done' | 'skipped' | 'retrying' | 'failed' | 'waiting', ms: number) => void;
  finished?: (workflow: 'provision' | 'deprovision' | 'plan-change', outcome: 'succeeded' | 'failed' | 'stopped', rec: AddonRecord) => void;
  /** Test seam: called right before and right after each step's remote work. */
  checkpoint?: (point: string) => Promise<void> | void;
}

export const nowOf = (deps: WorkflowDeps) => (deps.now ?? (() => new Date()))();

/** Records what a step made (always: a teardown must know it) and a timeline event. */
export async function record(
  deps: WorkflowDeps,
  uuid: string,
  patch: Partial<AddonResources>,
  ev?: Omit<StepEvent, 'at'>,
  extra: (r: AddonRecord) => Partial<AddonRecord> = () => ({}),
): Promise<AddonRecord> {
  const at = nowOf(deps).toISOString();
  const { record } = await deps.store.update(uuid, (r) => {
    let next: AddonRecord = { ...r, resources: { ...r.resources, ...patch }, ...extra(r) };
    if (ev) next = withEvent(next, { ...ev, at });
    return next;
  });
  return record;
}

export async function note(deps: WorkflowDeps, uuid: string, ev: Omit<StepEvent, 'at'>): Promise<void> {
  await record(deps, uuid, {}, ev);
}

/** The add-on's Heroku Platform API client, over its stored (sealed) tokens, refreshing as needed. */
export function platformFor(deps: WorkflowDeps, rec: AddonRecord): HerokuPlatformClient {
  if (!rec.herokuTokensSealed) throw new PermanentFailure('no Heroku authorisation was stored for this add-on');
  const tokens = deps.box.openJson<HerokuTokens>(rec.herokuTokensSealed);
  const source = new RefreshingHerokuTokenSource({
    tokens,
    oauth: deps.heroku.oauth,
    earlyRefreshMs: 5 * 60_000,
    onRefresh: async (next) => {
      await deps.store.update(rec.uuid, (r) => ({ ...r, herokuTokensSealed: deps.box.sealJson(next) }));
    },
  });
  return deps.heroku.platform({ get: () => source.get(), refresh: () => source.refresh() });
}
