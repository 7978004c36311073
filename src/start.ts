import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { buildApp } from './app';
import { encryptionKeyring, secretValues, type Config } from './config';
import { createLogger, type Logger } from './logger';
import { authMetricsHook, createMetrics, ssoMetricsHooks, upstreamMetricsHook, workflowMetricsHooks, type Metrics } from './metrics';
import { createReadiness, oldestWaiting, ProgressMarker, startHeartbeat, startOpsServer, workerReadiness } from './health';
import { mountOperatorRoutes } from './http/admin';
import { AddonStore } from './store/addons';
import { SessionStore } from './store/sessions';
import { connectRedis, whenReady } from './store/redis';
import { SubjectLocks } from './store/lock';
import { AuthFailures } from './store/auth-failures';
import { SecretBox } from './secrets';
import { JobQueues, startJobWorkers, startSweeper, type JobWorkers, type QueueSpec, type Sweeper } from './jobs';
import { Engine, type EngineHooks } from './engine';
import { createAnypointClient } from './clients/anypoint';
import { createHerokuClients } from './clients/heroku';
import type { ResponseInfo } from './clients/http';
import { systemResolver, type HostResolver } from './clients/dns';
import { recheckApps } from './workflows/recheck';
import { ADDON_WORKFLOWS, addonSubjects, GATEWAY_WORKFLOWS, pendingJobs, WORKER_RESOLVE_TIMEOUT_MS, type WorkflowDeps } from './workflows';
import { GatewayStore } from './store/gateways';
import { pendingWork } from './domain/addon';
import { startTraffic, type TrafficWorker } from './traffic';
import { TrafficStore } from './store/traffic';
import { WebhookEvents } from './store/webhook-events';
import { AppRechecks } from './store/rechecks';

/**
 * The one wiring of the service: `startWeb` and `startWorker` build every piece from the config.
 * The processes (server.ts, worker.ts), the tests, the reliability harness, the bench and the demo
 * all start the service through these two; `overrides` replace a piece for a test (the logger, the
 * clock, step hooks) without a second copy of the wiring.
 */

export interface Overrides {
  logger?: Logger;
  now?: () => Date;
  /** Engine hooks (test seams: checkpoints), called beside the metrics' own. */
  hooks?: EngineHooks;
  onResponse?: (info: ResponseInfo) => void;
  /** DNS for the upstream checks, web and worker (tests give a table). */
  resolve?: HostResolver;
  /** How the HTTP clients wait between tries (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  /** Web: how long to wait for the first Redis connection before starting anyway (default 5 s). */
  redisReadyMs?: number;
  /** Web: listen on `port` (default config.PORT; 0 = a free port) or not at all (false). */
  listen?: false | { port?: number; host?: string };
  /** Worker: run the sweeper (default true). */
  sweeper?: boolean;
  /** Worker: serve /metrics, /healthz, /readyz on WORKER_METRICS_PORT (default true). */
  opsServer?: boolean;
  /** Worker: run the traffic poll and forwarder (default: when TRAFFIC_POLL_MS is not 0). */
  traffic?: boolean;
}

/** Every workflow has its queue; repeatable work must not be blocked by its last run's job id. */
export const QUEUE_SPECS: readonly QueueSpec[] = [...Object.values(ADDON_WORKFLOWS), ...Object.values(GATEWAY_WORKFLOWS)].map((wf) => ({
  name: wf.name,
  keepFinished: !wf.repeatable,
}));

function loggerFor(config: Config, kind: 'web' | 'worker', overrides: Overrides): Logger {
  return overrides.logger ?? createLogger({ level: config.LOG_LEVEL, name: `anypoint-api-gateway/${kind}`, secrets: secretValues(config) });
}

function merge(...hooks: (EngineHooks | undefined)[]): EngineHooks {
  const list = hooks.filter((h): h is EngineHooks => !!h);
  return {
    step: (...a) => list.forEach((h) => h.step?.(...a)),
    finished: (...a) => list.forEach((h) => h.finished?.(...a)),
    leftover: (...a) => list.forEach((h) => h.leftover?.(...a)),
    checkpoint: async (point) => {
      for (const h of list) await h.checkpoint?.(point);
    },
  };
}

export interface Web {
  config: Config;
  logger: Logger;
  app: Express;
  server: Server | null;
  /** http://127.0.0.1:<port> when listening. */
  url?: string;
  redis: Redis;
  store: AddonStore;
  jobs: JobQueues;
  box: SecretBox;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function startWeb(config: Config, overrides: Overrides = {}): Promise<Web> {
  const logger = loggerFor(config, 'web', overrides);
  // fail-fast: the web answers 503 within a second when Redis is away, instead of hanging
  const redis = connectRedis(config, 'web');
  // commands fail fast: give the first connection a moment, so the first calls do not answer 503
  if (!(await whenReady(redis, overrides.redisReadyMs ?? 5_000))) logger.warn('Redis not reachable yet; answering 503 until it is');
  const store = new AddonStore(redis, config.KEY_PREFIX, { tombstoneTtlMs: config.TOMBSTONE_TTL_DAYS * 86_400_000 });
  const jobs = new JobQueues(redis, config.KEY_PREFIX, QUEUE_SPECS, config.JOB_BACKOFF_MS);
  const box = new SecretBox(encryptionKeyring(config));
  const metrics = createMetrics({ queues: () => jobs.all() });
  const failures = new AuthFailures(redis, config.KEY_PREFIX, config.AUTH_FAILURE_LIMIT, config.AUTH_FAILURE_WINDOW_SECONDS);
  const authLimiter = { check: failures.check.bind(failures), fail: failures.fail.bind(failures), onRefusal: authMetricsHook(metrics) };
  const app = buildApp({
    config,
    logger,
    store,
    jobs,
    box,
    sessions: new SessionStore(redis, config.KEY_PREFIX),
    now: overrides.now,
    readiness: createReadiness({ redis, queues: jobs.all(), keyPrefix: config.KEY_PREFIX }, config.READINESS_STALE_MS),
    sso: ssoMetricsHooks(metrics),
    resolve: overrides.resolve,
    authLimiter,
    traffic: new TrafficStore(redis, config.KEY_PREFIX),
    webhookEvents: new WebhookEvents(redis, config.KEY_PREFIX),
    extra: (a) => mountOperatorRoutes(a, { jobs, adminPassword: config.ADMIN_PASSWORD, secrets: secretValues(config), registry: metrics.registry, publicUrl: config.PUBLIC_URL, limiter: authLimiter }),
  });
  let server: Server | null = null;
  if (overrides.listen !== false) {
    const port = overrides.listen?.port ?? config.PORT;
    const host = overrides.listen?.host;
    server = await new Promise<Server>((resolve, reject) => {
      const done = (err?: Error) => (err ? reject(err) : resolve(s));
      const s = host ? app.listen(port, host, done) : app.listen(port, done);
    });
    server.keepAliveTimeout = 65_000;
  }
  const port = server ? (server.address() as AddressInfo).port : undefined;
  return {
    config,
    logger,
    app,
    server,
    url: port ? `http://127.0.0.1:${port}` : undefined,
    redis,
    store,
    jobs,
    box,
    metrics,
    async close() {
      if (server) {
        const s = server;
        await new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
        });
      }
      await jobs.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}

export interface WorkerProcess {
  config: Config;
  logger: Logger;
  redis: Redis;
  store: AddonStore;
  gateways: GatewayStore;
  jobs: JobQueues;
  deps: WorkflowDeps;
  engine: Engine;
  workers: JobWorkers;
  sweeper: Sweeper | null;
  /** Gateway traffic → heroku logs and the dashboard's figures (null when off). */
  traffic: TrafficWorker | null;
  metrics: Metrics;
  /** The ops server's port, when it runs. */
  opsPort?: number;
  running(): boolean;
  close(): Promise<void>;
}

export async function startWorker(config: Config, overrides: Overrides = {}): Promise<WorkerProcess> {
  const logger = loggerFor(config, 'worker', overrides);
  const now = overrides.now ?? (() => new Date());
  const redis = connectRedis(config, 'worker');
  const store = new AddonStore(redis, config.KEY_PREFIX, { tombstoneTtlMs: config.TOMBSTONE_TTL_DAYS * 86_400_000 });
  const jobs = new JobQueues(redis, config.KEY_PREFIX, QUEUE_SPECS, config.JOB_BACKOFF_MS);
  const box = new SecretBox(encryptionKeyring(config));
  const metrics = createMetrics({ queues: () => jobs.all() });
  const onResponse = (info: ResponseInfo) => {
    upstreamMetricsHook(metrics)(info);
    overrides.onResponse?.(info);
  };
  const clientOpts = { logger, onResponse, sleep: overrides.sleep };
  const gateways = new GatewayStore(redis, config.KEY_PREFIX);
  const rechecks = new AppRechecks(redis, config.KEY_PREFIX);
  const deps: WorkflowDeps = {
    config,
    logger,
    store,
    box,
    anypoint: createAnypointClient(config, clientOpts),
    heroku: createHerokuClients(config, clientOpts),
    gateways,
    schedule: async (work) => {
      await jobs.enqueue(work);
    },
    resolve: overrides.resolve ?? systemResolver(WORKER_RESOLVE_TIMEOUT_MS),
    now,
  };
  const locks = new SubjectLocks(redis, config.KEY_PREFIX, config.ADDON_LOCK_TTL_MS);
  const engine = new Engine({ locks, logger, now, hooks: merge(workflowMetricsHooks(metrics), overrides.hooks) });
  const subjects = addonSubjects(store);
  const followUp = async (id: string) => {
    const rec = await store.get(id);
    const work = rec && pendingWork(rec);
    if (work) await jobs.enqueue({ workflow: work.workflow, id, key: work.key });
  };
  // readiness: progress marks when jobs finish or re-schedule, and a heartbeat while idle
  const marker = new ProgressMarker(redis, config.KEY_PREFIX);
  const workers = startJobWorkers(
    async (ref) => {
      const addonWf = ADDON_WORKFLOWS[ref.workflow];
      if (addonWf) {
        const outcome = await engine.run(addonWf, subjects, ref.id, deps);
        // the next work the add-on needs (after a move, its retirement; a plan changed meanwhile) is queued at once
        if (outcome.kind === 'finished') await followUp(ref.id);
        return outcome;
      }
      const gatewayWf = GATEWAY_WORKFLOWS[ref.workflow];
      if (gatewayWf) return engine.run(gatewayWf, gateways, ref.id, deps);
      throw new Error(`unknown workflow ${ref.workflow}`);
    },
    {
      connection: redis,
      keyPrefix: config.KEY_PREFIX,
      queues: jobs.names(),
      concurrency: config.WORKER_CONCURRENCY,
      stalledIntervalMs: config.WORKER_STALLED_INTERVAL_MS,
      lockDurationMs: config.WORKER_LOCK_DURATION_MS,
      backoffMs: config.JOB_BACKOFF_MS,
      logger,
      onProgress: () => marker.mark(),
    },
  );
  const sweeper =
    overrides.sweeper === false
      ? null
      : startSweeper({
          jobs,
          locks,
          intervalMs: config.SWEEP_INTERVAL_MS,
          pending: () => pendingJobs({ addons: store, gateways }, { staleMs: config.SWEEP_STALE_MS, idleGraceMs: config.OMNI_GATEWAY_IDLE_GRACE_MS }),
          also: () => recheckApps(deps, { addons: store, rechecks }, async (ref) => void (await jobs.enqueue(ref))),
          logger,
        });
  const traffic =
    overrides.traffic === false
      ? null
      : startTraffic(config, { redis, addons: store, box, anypoint: deps.anypoint, locks, registry: metrics.registry, logger, now: overrides.now, sleep: overrides.sleep, onResponse, checkpoint: overrides.hooks?.checkpoint && (async (p) => overrides.hooks?.checkpoint?.(p)) });
  let stopping = false;
  const running = () => !stopping && workers.running();
  const heartbeat = startHeartbeat(marker, async () => {
    if (!running()) return false;
    const oldest = await oldestWaiting(jobs.all());
    return !oldest || Date.now() - oldest.since <= config.READINESS_STALE_MS;
  });
  const ops =
    overrides.opsServer === false
      ? null
      : await startOpsServer({ port: config.WORKER_METRICS_PORT, registry: metrics.registry, readiness: workerReadiness(redis, running) }).catch((err: unknown) => {
          logger.warn({ port: config.WORKER_METRICS_PORT, err: { message: (err as Error).message } }, 'worker ops server (metrics) not started');
          return null;
        });
  return {
    config,
    logger,
    redis,
    store,
    gateways,
    jobs,
    deps,
    engine,
    workers,
    sweeper,
    traffic,
    metrics,
    opsPort: ops ? (ops.address() as AddressInfo).port : undefined,
    running,
    async close() {
      if (stopping) return;
      stopping = true;
      sweeper?.stop();
      traffic?.stop();
      heartbeat.stop();
      ops?.close();
      ops?.closeAllConnections();
      await workers.close().catch(() => undefined);
      await jobs.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}
