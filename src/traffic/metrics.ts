import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The traffic pipeline's series (worker only), registered on the process' registry. No add-on ids
 * as labels.
 */
export interface TrafficMetrics {
  /** Analytics export calls, by outcome: ok, capped (read again in halves), rate_limited, error. */
  exportCalls: Counter<'outcome'>;
  /** Events read, by kind: new, duplicate (seen before: the dedup window), unknown (an API no add-on has), early (before the add-on's cursor). */
  events: Counter<'kind'>;
  pollSeconds: Histogram<never>;
  /** How far behind now the slowest add-on's cursor is (seconds), after the last poll. */
  lagSeconds: Gauge<never>;
  /** Log lines a log input accepted. */
  linesForwarded: Counter<never>;
  /** Log lines given up, by reason: refused (the log input answered 4xx), backlog (the outbox was full), removed (the add-on went away), invalid (an unusable log input URL). */
  linesDropped: Counter<'reason'>;
  /** Posts to log inputs, by outcome: ok, retry (5xx, 429, no answer: kept for later), refused (4xx). */
  logPosts: Counter<'outcome'>;
}

export const DROP_REASONS = ['refused', 'backlog', 'removed', 'invalid'] as const;

export function createTrafficMetrics(registry: Registry): TrafficMetrics {
  const registers = [registry];
  const exportCalls = new Counter({ name: 'aag_traffic_export_calls_total', help: 'Analytics Events Export calls, by outcome (ok, capped, rate_limited, error).', labelNames: ['outcome'] as const, registers });
  for (const outcome of ['ok', 'capped', 'rate_limited', 'error']) exportCalls.inc({ outcome }, 0);
  const events = new Counter({ name: 'aag_traffic_events_total', help: 'Gateway events read from the export, by kind (new, duplicate, unknown, early).', labelNames: ['kind'] as const, registers });
  for (const kind of ['new', 'duplicate', 'unknown', 'early']) events.inc({ kind }, 0);
  const pollSeconds = new Histogram({ name: 'aag_traffic_poll_seconds', help: 'Duration of one traffic poll cycle.', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60], registers });
  const lagSeconds = new Gauge({ name: 'aag_traffic_lag_seconds', help: 'How far behind now the slowest add-on cursor was after the last poll (TRAFFIC_SETTLE_MS included).', registers });
  const linesForwarded = new Counter({ name: 'aag_log_lines_forwarded_total', help: 'Log lines accepted by the apps\' log inputs (heroku logs).', registers });
  const linesDropped = new Counter({ name: 'aag_log_lines_dropped_total', help: 'Log lines given up, by reason (refused: 4xx from the log input; backlog: outbox full; removed: add-on gone; invalid: unusable log input URL).', labelNames: ['reason'] as const, registers });
  for (const reason of DROP_REASONS) linesDropped.inc({ reason }, 0);
  const logPosts = new Counter({ name: 'aag_log_posts_total', help: 'Batches posted to log inputs, by outcome (ok, retry, refused).', labelNames: ['outcome'] as const, registers });
  for (const outcome of ['ok', 'retry', 'refused']) logPosts.inc({ outcome }, 0);
  return { exportCalls, events, pollSeconds, lagSeconds, linesForwarded, linesDropped, logPosts };
}
