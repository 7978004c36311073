import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResponseInfo } from './clients/http';
import type { AddonRecord } from './domain/addon';
import type { SsoHooks } from './http/sso';
import type { EngineHooks } from './engine';
import { withTimeout } from './health';

/**
 * Prometheus metrics: one Registry per process (web and worker each make one with `createMetrics`).
 * The hooks below are what the workflows, the HTTP client layer and SSO call; they only count,
 * never throw, and carry no identifiers (no uuid, no app name) as labels.
 */

/** What the queue-depth gauge reads on each scrape (a BullMQ Queue fits). */
export interface CountableQueue {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'paused', 'failed', 'completed'] as const;

const WORKFLOW_OUTCOMES = ['succeeded', 'failed', 'stopped'] as const;
const SSO_OUTCOMES = ['ok', 'bad_request', 'not_found', 'missing_token', 'bad_token', 'bad_timestamp', 'stale', 'future', 'replay'] as const;

export interface Metrics {
  registry: Registry;
  provisions: Counter<'outcome'>;
  deprovisions: Counter<'outcome'>;
  planChanges: Counter<'outcome'>;
  timeToProvisioned: Histogram<never>;
  stepDuration: Histogram<'step' | 'outcome'>;
  stepRetries: Counter<'step'>;
  leftovers: Counter<'workflow' | 'step'>;
  upstreamCalls: Counter<'api' | 'status'>;
  upstreamDuration: Histogram<'api'>;
  queueDepth: Gauge<'queue' | 'state'>;
  ssoLogins: Counter<'outcome'>;
  authFailures: Counter<'scope' | 'outcome'>;
}

export interface MetricsOptions {
  /** Queues whose job counts the `aag_queue_depth` gauge reads on scrape. */
  queues?: () => readonly CountableQueue[];
  /** Node process metrics (CPU, memory, event loop lag, GC); on unless turned off. */
  defaultMetrics?: boolean;
  /** Labels on every series (e.g. `{ process: 'web' }`). */
  defaultLabels?: Record<string, string>;
  /** Longest a scrape waits for the queue counts (Redis away must not hang /metrics). */
  queueTimeoutMs?: number;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultLabels) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const queueTimeoutMs = opts.queueTimeoutMs ?? 1_000;

  const provisions = new Counter({ name: 'aag_provisions_total', help: 'Provision workflows finished, by outcome (succeeded, failed, stopped).', labelNames: ['outcome'] as const, registers });
  const deprovisions = new Counter({ name: 'aag_deprovisions_total', help: 'Deprovision workflows finished, by outcome.', labelNames: ['outcome'] as const, registers });
  const planChanges = new Counter({ name: 'aag_plan_changes_total', help: 'Plan-change workflows finished, by outcome.', labelNames: ['outcome'] as const, registers });
  for (const c of [provisions, deprovisions, planChanges]) for (const outcome of WORKFLOW_OUTCOMES) c.inc({ outcome }, 0);

  const timeToProvisioned = new Histogram({
    name: 'aag_time_to_provisioned_seconds',
    help: 'Seconds from the add-on record being created (Heroku asked) to the add-on reported provisioned.',
    buckets: [5, 15, 30, 60, 120, 180, 300, 600, 900, 1800],
    registers,
  });
  const stepDuration = new Histogram({
    name: 'aag_step_duration_seconds',
    help: 'Duration of one run of a workflow step, by step and outcome (done, retrying, failed, waiting).',
    labelNames: ['step', 'outcome'] as const,
    buckets: [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const leftovers = new Counter({
    name: 'aag_leftovers_total',
    help: 'Pieces a teardown or a compensation could not remove for good (the record and the operator log name them; the operator removes them), by workflow and step.',
    labelNames: ['workflow', 'step'] as const,
    registers,
  });
  const stepRetries = new Counter({ name: 'aag_step_retries_total', help: 'Workflow step runs that ended in a retryable failure, by step.', labelNames: ['step'] as const, registers });
  const upstreamCalls = new Counter({
    name: 'aag_upstream_calls_total',
    help: 'Outbound HTTP calls (Anypoint, Heroku) by api and status code ("error" when no response came).',
    labelNames: ['api', 'status'] as const,
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'aag_upstream_call_duration_seconds',
    help: 'Duration of outbound HTTP calls, by api.',
    labelNames: ['api'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
    registers,
  });
  const ssoLogins = new Counter({ name: 'aag_sso_logins_total', help: 'Heroku SSO sign-ins, by outcome.', labelNames: ['outcome'] as const, registers });
  for (const outcome of SSO_OUTCOMES) ssoLogins.inc({ outcome }, 0);
  const authFailures = new Counter({
    name: 'aag_auth_failures_total',
    help: 'Basic-auth attempts refused, by scope (heroku, admin) and outcome (refused: wrong credentials; limited: 429, too many failures from that source).',
    labelNames: ['scope', 'outcome'] as const,
    registers,
  });
  for (const scope of ['heroku', 'admin']) for (const outcome of ['refused', 'limited']) authFailures.inc({ scope, outcome }, 0);

  const queues = opts.queues;
  const queueDepth = new Gauge({
    name: 'aag_queue_depth',
    help: 'Jobs per BullMQ queue and state, read from Redis on each scrape.',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      if (!queues) return;
      const list = queues();
      const counts = await Promise.all(
        list.map((q) =>
          withTimeout(q.getJobCounts(...QUEUE_STATES), queueTimeoutMs, 'queue counts').then(
            (c) => ({ name: q.name, c }),
            () => ({ name: q.name, c: null }),
          ),
        ),
      );
      this.reset();
      // a queue that could not be read is left out of this scrape (absent, not a misleading 0)
      for (const { name, c } of counts) {
        if (!c) continue;
        for (const state of QUEUE_STATES) this.set({ queue: name, state }, c[state] ?? 0);
      }
    },
  });

  return { registry, provisions, deprovisions, planChanges, timeToProvisioned, stepDuration, stepRetries, leftovers, upstreamCalls, upstreamDuration, queueDepth, ssoLogins, authFailures };
}

function safely<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch {
      // counting must never break the work it observes
    }
  };
}

/** The engine's hooks (step durations, retries, outcomes, time to provisioned). */
export function workflowMetricsHooks(m: Metrics, now: () => Date = () => new Date()): Required<Pick<EngineHooks, 'step' | 'finished' | 'leftover'>> {
  const counters: Record<string, Counter<'outcome'>> = { provision: m.provisions, deprovision: m.deprovisions, 'plan-change': m.planChanges };
  return {
    step: safely((_workflow: string, step: string, outcome: string, ms: number) => {
      m.stepDuration.observe({ step, outcome }, Math.max(0, ms) / 1000);
      if (outcome === 'retrying') m.stepRetries.inc({ step });
    }),
    leftover: safely((workflow: string, step: string) => m.leftovers.inc({ workflow, step })),
    finished: safely((workflow: string, outcome: string, subject: unknown) => {
      counters[workflow]?.inc({ outcome });
      const rec = subject as AddonRecord;
      if (workflow === 'provision' && outcome === 'succeeded') {
        const from = Date.parse(rec.createdAt);
        const to = rec.provisionedAt ? Date.parse(rec.provisionedAt) : now().getTime();
        if (Number.isFinite(from) && Number.isFinite(to) && to >= from) m.timeToProvisioned.observe((to - from) / 1000);
      }
    }),
  };
}

/** The outbound HTTP layer's `onResponse` hook. */
export function upstreamMetricsHook(m: Metrics): (info: ResponseInfo) => void {
  return safely((info: ResponseInfo) => {
    m.upstreamCalls.inc({ api: info.api, status: info.status === undefined ? 'error' : String(info.status) });
    m.upstreamDuration.observe({ api: info.api }, Math.max(0, info.ms) / 1000);
  });
}

/** The SSO hooks (sign-in outcomes). */
export function ssoMetricsHooks(m: Metrics): Required<SsoHooks> {
  return { onLogin: safely((outcome: string) => m.ssoLogins.inc({ outcome })) };
}

/** The Basic-auth refusal hook. */
export function authMetricsHook(m: Metrics): (scope: string, outcome: 'refused' | 'limited') => void {
  return safely((scope: string, outcome: string) => m.authFailures.inc({ scope, outcome }));
}

/** `GET /metrics` in the Prometheus text format. Mount it behind the operator credentials. */
export function metricsHandler(registry: Registry): RequestHandler {
  return async (_req, res) => {
    const body = await registry.metrics();
    res.setHeader('Content-Type', registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.send(body);
  };
}
