import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { SecretBox } from '../secrets';
import type { AddonStore } from '../store/addons';
import type { SubjectLocks } from '../store/lock';
import { TrafficStore } from '../store/traffic';
import type { AnypointClient } from '../clients/anypoint';
import { LogInputClient } from '../clients/heroku';
import type { ResponseInfo } from '../clients/http';
import { startTrafficJobs, type TrafficJobs } from '../jobs';
import { createTrafficMetrics } from './metrics';
import { pollOnce, type PollResult } from './poll';
import { forwardOnce, type ForwardResult } from './forwarder';

export * from './metrics';
export * from './poll';
export * from './forwarder';

export type TrafficWorker = TrafficJobs<PollResult, ForwardResult> & { store: TrafficStore };

/** Forwarding runs at least this often (retries of a log input that failed wait for their backoff). */
export const FORWARD_EVERY_MS = 5_000;

/**
 * The worker's traffic pipeline, wired from the config: the poll (analytics export → outboxes and
 * counts) and the forwarder (outboxes → log inputs), scheduled by src/jobs/traffic.ts. Off when
 * TRAFFIC_POLL_MS is 0.
 */
export function startTraffic(
  config: Config,
  parts: {
    redis: Redis;
    addons: AddonStore;
    box: SecretBox;
    anypoint: AnypointClient;
    locks: SubjectLocks;
    registry: Registry;
    logger: Logger;
    now?: () => Date;
    sleep?: (ms: number) => Promise<void>;
    onResponse?: (info: ResponseInfo) => void;
    checkpoint?: (point: string) => Promise<void>;
  },
): TrafficWorker | null {
  if (!config.TRAFFIC_POLL_MS) return null;
  const store = new TrafficStore(parts.redis, config.KEY_PREFIX);
  const metrics = createTrafficMetrics(parts.registry);
  const now = () => (parts.now ? parts.now().getTime() : Date.now());
  // http to a loopback address only where the upstream check is lenient (development, the stand-ins)
  const logInput = new LogInputClient({ allowHttpLoopback: config.UPSTREAM_CHECK === 'lenient', sleep: parts.sleep, onResponse: parts.onResponse, logger: parts.logger });
  const common = { addons: parts.addons, traffic: store, metrics, logger: parts.logger, now, checkpoint: parts.checkpoint };
  const jobs = startTrafficJobs({
    locks: parts.locks,
    pollMs: config.TRAFFIC_POLL_MS,
    forwardMs: Math.min(config.TRAFFIC_POLL_MS, FORWARD_EVERY_MS),
    poll: () =>
      pollOnce({
        ...common,
        analytics: parts.anypoint.analytics,
        settleMs: config.TRAFFIC_SETTLE_MS,
        pollMs: config.TRAFFIC_POLL_MS,
        callsPerMinute: config.TRAFFIC_EXPORT_CALLS_PER_MINUTE,
      }),
    forward: () => forwardOnce({ ...common, box: parts.box, logInput }),
    queued: (r) => r.lines > 0,
    logger: parts.logger,
  });
  return { ...jobs, store };
}
