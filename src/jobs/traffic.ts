import type { Logger } from '../logger';
import type { SubjectLocks } from '../store/lock';

/**
 * The traffic jobs, scheduled like the sweeper: every `pollMs` one worker (under a Redis lock)
 * reads the gateways' events and queues their lines (`poll`); every `forwardMs`, and at once after
 * a poll that queued lines, one worker sends the queued lines to the apps' log inputs (`forward`,
 * under a lock of its own, so a slow log input never delays the next poll).
 */
export interface TrafficJobsOptions<P, F> {
  locks: SubjectLocks;
  pollMs: number;
  forwardMs: number;
  poll: () => Promise<P>;
  forward: () => Promise<F>;
  /** Whether a poll result queued lines (then forwarding starts at once). */
  queued?: (p: P) => boolean;
  logger: Logger;
}

export interface TrafficJobs<P, F> {
  /** One poll now; `null` when another process holds the poll lock. */
  pollOnce(): Promise<P | null>;
  /** One forwarding run now; `null` when another process holds the forward lock. */
  forwardOnce(): Promise<F | null>;
  stop(): void;
}

export const TRAFFIC_POLL_LOCK = 'traffic-poll';
export const TRAFFIC_FORWARD_LOCK = 'traffic-forward';

export function startTrafficJobs<P, F>(opts: TrafficJobsOptions<P, F>): TrafficJobs<P, F> {
  async function pollOnce(): Promise<P | null> {
    const held = await opts.locks.withLock(TRAFFIC_POLL_LOCK, opts.poll);
    return held.acquired ? held.value : null;
  }
  async function forwardOnce(): Promise<F | null> {
    const held = await opts.locks.withLock(TRAFFIC_FORWARD_LOCK, opts.forward);
    return held.acquired ? held.value : null;
  }

  let stopped = false;
  let polling = false;
  let forwarding = false;
  const forwardTick = () => {
    if (forwarding || stopped) return;
    forwarding = true;
    forwardOnce()
      .catch((err: unknown) => opts.logger.warn({ err: { message: (err as Error).message } }, 'traffic forwarding failed'))
      .finally(() => {
        forwarding = false;
      });
  };
  const pollTimer = setInterval(() => {
    if (polling || stopped) return;
    polling = true;
    pollOnce()
      .then((r) => {
        if (r !== null && (opts.queued?.(r) ?? true)) forwardTick();
      })
      .catch((err: unknown) => opts.logger.warn({ err: { message: (err as Error).message } }, 'traffic poll failed'))
      .finally(() => {
        polling = false;
      });
  }, opts.pollMs);
  pollTimer.unref();
  const forwardTimer = setInterval(forwardTick, opts.forwardMs);
  forwardTimer.unref();
  return {
    pollOnce,
    forwardOnce,
    stop: () => {
      stopped = true;
      clearInterval(pollTimer);
      clearInterval(forwardTimer);
    },
  };
}
