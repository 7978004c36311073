import type { Config } from '../config';
import type { Logger } from '../logger';
import type { AddonRecord, AddonResources } from '../domain/addon';
import type { AddonStore } from '../store/addons';
import type { GatewayStore } from '../store/gateways';
import type { SecretBox } from '../secrets';
import type { AnypointClient } from '../clients/anypoint';
import type { HerokuClients, HerokuPlatformClient, HerokuTokens } from '../clients/heroku';
import type { HostResolver } from '../clients/dns';
import { RefreshingHerokuTokenSource } from '../clients/heroku';
import { PermanentFailure, type Step, type StepResult, type SubjectStore, type Workflow } from '../engine';

/** The add-on store as steps write it (the preflight's smoke keeps its one record in memory). */
export type AddonRecordStore = Pick<AddonStore, 'update'>;
/** The gateway pool as steps use it (the preflight's smoke has a pool of one throwaway gateway). */
export type GatewayPool = Pick<GatewayStore, 'reserve' | 'get' | 'release'>;

/** Everything a workflow step needs; workflows know nothing of Express or BullMQ. */
export interface WorkflowDeps {
  config: Config;
  logger: Logger;
  store: AddonRecordStore;
  box: SecretBox;
  anypoint: AnypointClient;
  heroku: HerokuClients;
  /** The shared gateways' pool (omni target). */
  gateways: GatewayPool;
  /** Makes sure work is queued (e.g. a gateway slot's creation); a no-op when it is. */
  schedule: (work: { workflow: string; id: string; key?: string }) => Promise<void>;
  /** DNS for the upstream check before the gateway is pointed anywhere (tests give a table). */
  resolve: HostResolver;
  now: () => Date;
}

export type AddonStep = Step<AddonRecord, WorkflowDeps>;
export type AddonWorkflow = Workflow<AddonRecord, WorkflowDeps>;

/** A step's result that records remote ids (and optionally other record fields). */
export function made(patch: Partial<AddonResources>, extra: Partial<AddonRecord> = {}, note?: string): StepResult<AddonRecord> {
  return { change: (r) => ({ ...r, ...extra, resources: { ...r.resources, ...patch } }), note };
}

/** The add-on store as the engine sees it. */
export function addonSubjects(store: AddonStore): SubjectStore<AddonRecord> {
  return {
    get: (id) => store.get(id),
    update: async (id, fn, from) => (await store.update(id, fn, { from })).record,
  };
}

/** The add-on's Heroku Platform API client, over its stored (sealed) tokens, refreshing as needed. */
export function platformFor(deps: WorkflowDeps, rec: AddonRecord): HerokuPlatformClient {
  if (!rec.herokuTokensSealed) throw new PermanentFailure('no Heroku authorisation was stored for this add-on');
  const tokens = deps.box.openField<HerokuTokens>(rec.uuid, 'herokuTokensSealed', rec.herokuTokensSealed);
  const source = new RefreshingHerokuTokenSource({
    tokens,
    oauth: deps.heroku.oauth,
    earlyRefreshMs: 5 * 60_000,
    onRefresh: async (next) => {
      await deps.store.update(rec.uuid, (r) => ({ ...r, herokuTokensSealed: deps.box.sealField(rec.uuid, 'herokuTokensSealed', next) }));
    },
  });
  return deps.heroku.platform({ get: () => source.get(), refresh: () => source.refresh() });
}
