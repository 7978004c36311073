import { createAnypointClient } from '../clients/anypoint';
import { createHerokuClients } from '../clients/heroku';
import type { Runtime } from '../runtime';
import type { WorkflowDeps, WorkflowHooks } from './deps';
import type { ResponseInfo } from '../clients/http';

export * from './deps';
export * from './outcomes';
export { runProvision, compensate } from './provision';
export { runDeprovision } from './deprovision';
export { runPlanChange } from './plan-change';
export { startRunner, type Runner } from './runner';

/** Wires the remote clients to a runtime. */
export function createWorkflowDeps(
  rt: Pick<Runtime, 'config' | 'logger' | 'store' | 'box' | 'queues'>,
  opts: { hooks?: WorkflowHooks; onResponse?: (info: ResponseInfo) => void; sleep?: (ms: number) => Promise<void> } = {},
): WorkflowDeps {
  const common = { logger: rt.logger, onResponse: opts.onResponse, sleep: opts.sleep };
  return {
    config: rt.config,
    logger: rt.logger,
    store: rt.store,
    box: rt.box,
    queues: rt.queues,
    anypoint: createAnypointClient(rt.config, common),
    heroku: createHerokuClients(rt.config, common),
    hooks: opts.hooks,
  };
}
