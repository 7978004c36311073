import { checkUpstream, upstreamPolicy } from '../clients/dns';
import { PermanentFailure, TransientFailure } from '../engine';
import type { WorkflowDeps } from './deps';

/** How long the worker waits for an upstream's DNS answer (no one waits on the worker). */
export const WORKER_RESOLVE_TIMEOUT_MS = 5_000;

/**
 * The upstream check the worker runs right before the gateway is pointed at an upstream (today the
 * provision's findUpstream step; any step that deploys or re-routes a proxy calls it first): the
 * URL's rules, then every address its host resolves to now (DNS may have changed since the web
 * checked it). Refused: a `PermanentFailure` in plain words. The lookup failing this time (strict
 * mode): a `TransientFailure`, retried by the queue. Lenient mode accepts a name that does not
 * resolve; the warning is logged and returned for the step's timeline note.
 */
export async function guardUpstream(deps: Pick<WorkflowDeps, 'config' | 'logger' | 'resolve'>, url: unknown, subject: string): Promise<{ url: string; warning?: string }> {
  const v = await checkUpstream(url, { policy: upstreamPolicy(deps.config), resolve: deps.resolve, timeoutMs: WORKER_RESOLVE_TIMEOUT_MS });
  if (v.ok) {
    if (v.warning) deps.logger.warn({ addon: subject, warning: v.warning }, 'upstream accepted without a DNS check');
    return { url: v.url, ...(v.warning ? { warning: v.warning } : {}) };
  }
  if (v.transient) throw new TransientFailure(`the upstream ${v.message}`);
  throw new PermanentFailure(`the upstream ${v.message}`, 'Create the add-on again with --upstream set to a public https:// URL of your app (port 443).');
}
