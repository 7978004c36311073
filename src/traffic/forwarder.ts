import type { Logger } from '../logger';
import type { SecretBox } from '../secrets';
import type { AddonRecord } from '../domain/addon';
import { isPermanent, isUpstreamError } from '../clients/errors';
import type { AddonStore } from '../store/addons';
import type { TrafficStore } from '../store/traffic';
import type { TrafficMetrics } from './metrics';

/**
 * The log forwarder: each add-on's outbox (lines the poll queued) goes to its app's log input,
 * which puts them in `heroku logs`.
 *
 * - **Framing.** Each line is one RFC 5424 syslog message (`<190>1 <time> host anypoint-api-gateway
 *   gateway - - <line>`: local7.info, the call's own time), octet-counted (`<bytes> <message>`,
 *   RFC 6587) and batched in one `application/logplex-1` body with `Logplex-Msg-Count`; up to
 *   BATCH_LINES lines or BATCH_BYTES a post.
 * - **At least once.** A batch leaves the outbox only after the log input took it (2xx). A worker
 *   that dies before that sends it again; one that dies between the 2xx and the acknowledgement
 *   (a few Redis microseconds) sends that one batch twice.
 * - **Retry with backoff.** 5xx, 429 or no answer: the batch stays, and the add-on's log input is
 *   tried again after 1 s, 2 s, 4 s … up to 5 minutes (kept in Redis, so any worker honours it).
 *   Nothing is lost while the outbox has room (10,000 lines an add-on; beyond, the oldest go,
 *   counted as `backlog`).
 * - **Dropped, never blocking.** Any other 4xx refuses the batch for good: it is dropped and
 *   counted (`aag_log_lines_dropped_total{reason="refused"}`). Add-ons are forwarded side by side
 *   (FORWARD_CONCURRENCY at a time, each post bounded by a timeout), so a slow or refusing log
 *   input holds up no other add-on.
 */

export const SYSLOG_APP_NAME = 'anypoint-api-gateway';
export const SYSLOG_PROC = 'gateway';
/** local7 (23) × 8 + informational (6). */
export const SYSLOG_PRI = 190;
export const BATCH_LINES = 100;
export const BATCH_BYTES = 256 * 1024;
/** Batches one add-on may send in one run (then the others get their turn). */
export const MAX_BATCHES_PER_RUN = 20;
export const FORWARD_CONCURRENCY = 16;
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/** One syslog message (RFC 5424) for a line the poll queued (`<ISO time> <line>`). */
export function syslogMessage(entry: string): string {
  const at = entry.indexOf(' ');
  const time = at > 0 ? entry.slice(0, at) : new Date().toISOString();
  const msg = at > 0 ? entry.slice(at + 1) : entry;
  return `<${SYSLOG_PRI}>1 ${time} host ${SYSLOG_APP_NAME} ${SYSLOG_PROC} - - ${msg}`;
}

/** The `application/logplex-1` body: each message octet-counted (its UTF-8 length, a space, the message). */
export function logplexBody(messages: readonly string[]): string {
  return messages.map((m) => `${Buffer.byteLength(m, 'utf8')} ${m}`).join('');
}

/** The wait before the next try after `failures` failures in a row (jittered: half to all of it). */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const full = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(full * (0.5 + random() / 2));
}

export interface LogInput {
  post(url: string, body: string, count: number): Promise<void>;
}

export interface ForwardDeps {
  addons: AddonStore;
  traffic: TrafficStore;
  box: SecretBox;
  logInput: LogInput;
  metrics: TrafficMetrics;
  logger: Logger;
  now: () => number;
  /** Test seam: awaited at `traffic.forward:before-post` and `:after-post`. */
  checkpoint?: (point: string) => Promise<void>;
}

export interface ForwardResult {
  addons: number;
  posts: number;
  forwarded: number;
  dropped: number;
  /** Add-ons left for later (backoff). */
  waiting: number;
}

async function pool<T>(items: readonly T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (i < items.length) await fn(items[i++]);
    }),
  );
}

/** The next batch: up to BATCH_LINES lines and BATCH_BYTES (one line alone may be more). */
function cut(lines: readonly string[]): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (const l of lines) {
    const b = Buffer.byteLength(l, 'utf8') + 64;
    if (out.length && bytes + b > BATCH_BYTES) break;
    out.push(l);
    bytes += b;
  }
  return out;
}

export async function forwardOnce(deps: ForwardDeps): Promise<ForwardResult> {
  const result: ForwardResult = { addons: 0, posts: 0, forwarded: 0, dropped: 0, waiting: 0 };
  const pending = await deps.traffic.pending();
  if (!pending.length) return result;
  const records = new Map((await deps.addons.getMany(pending)).map((r) => [r.uuid, r]));
  result.addons = pending.length;
  await pool(pending, FORWARD_CONCURRENCY, async (uuid) => {
    try {
      await forwardAddon(deps, uuid, records.get(uuid), result);
    } catch (err) {
      // Redis trouble or a bug: this add-on waits for the next run; the others go on
      deps.logger.warn({ addon: uuid, err: { name: (err as Error).name, message: (err as Error).message } }, 'traffic: forwarding failed');
    }
  });
  return result;
}

async function dropAll(deps: ForwardDeps, uuid: string, reason: 'removed' | 'invalid', result: ForwardResult): Promise<void> {
  for (;;) {
    const batch = await deps.traffic.batch(uuid, 1_000);
    if (!batch.length) break;
    const n = await deps.traffic.ack(uuid, batch);
    deps.metrics.linesDropped.inc({ reason }, n);
    result.dropped += n;
    if (n === 0) break;
  }
  await deps.traffic.release(uuid);
}

async function forwardAddon(deps: ForwardDeps, uuid: string, rec: AddonRecord | undefined, result: ForwardResult): Promise<void> {
  if (!rec?.logInputUrlSealed) return dropAll(deps, uuid, 'removed', result);
  const state = await deps.traffic.drainState(uuid);
  if (state.nextAt > deps.now()) {
    result.waiting += 1;
    return;
  }
  const url = deps.box.openField<string>(uuid, 'logInputUrlSealed', rec.logInputUrlSealed);
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const batch = cut(await deps.traffic.batch(uuid, BATCH_LINES));
    if (!batch.length) {
      await deps.traffic.release(uuid);
      break;
    }
    await deps.checkpoint?.('traffic.forward:before-post');
    try {
      result.posts += 1;
      await deps.logInput.post(url, logplexBody(batch.map(syslogMessage)), batch.length);
    } catch (err) {
      if (isPermanent(err)) {
        // refused for good (a 4xx, or a URL we may not post to): dropped and counted, never retried
        const n = await deps.traffic.ack(uuid, batch);
        const reason = isUpstreamError(err) ? 'refused' : 'invalid';
        deps.metrics.linesDropped.inc({ reason }, n);
        deps.metrics.logPosts.inc({ outcome: 'refused' });
        result.dropped += n;
        deps.logger.warn({ addon: uuid, status: isUpstreamError(err) ? err.status : undefined, lines: n, reason }, 'traffic: the log input refused a batch for good; dropped');
        continue;
      }
      const failures = state.failures + 1;
      await deps.traffic.setDrainState(uuid, { failures, nextAt: deps.now() + backoffMs(failures) });
      deps.metrics.logPosts.inc({ outcome: 'retry' });
      result.waiting += 1;
      deps.logger.info({ addon: uuid, status: isUpstreamError(err) ? err.status : undefined, failures }, 'traffic: the log input did not take a batch; trying again later');
      return;
    }
    await deps.checkpoint?.('traffic.forward:after-post');
    const n = await deps.traffic.ack(uuid, batch);
    deps.metrics.linesForwarded.inc(n);
    deps.metrics.logPosts.inc({ outcome: 'ok' });
    result.forwarded += n;
    if (state.failures) {
      state.failures = 0;
      await deps.traffic.setDrainState(uuid, null);
    }
  }
}
