/**
 * Baseline for the provisioning pipeline: the product's own provision steps (`PROVISION.steps`),
 * run in a plain loop over in-memory records, WORKER_CONCURRENCY add-ons at a time, with the same
 * clients built from the same config as the worker's (`createAnypointClient`, `createHerokuClients`)
 * — so the same HTTP calls to the same stand-ins — and no queue, no Redis, no lock. Each step's
 * `change` is applied to the record in memory; a step that throws the engine's `Wait` sleeps `ms`
 * in place and runs again; any other retryable error sleeps JOB_BACKOFF_MS and runs again.
 *
 * Env: the worker's environment (read by the product's `loadConfig`) and PORT.
 * `POST /run` with `{"addons": [<provision body of the Heroku stand-in's createAddon>, ...]}` runs
 * them all and answers `{ms, provisioned, failed, waits, retries, cpuMs, reasons}` when every one
 * has finished. `GET /healthz` answers 200.
 *
 * On the omni target the add-ons share the region's first gateway, made by the product's warm-up
 * before any round: the baseline finds it by name once and hands every add-on a place on it (the
 * bench's stand-in lets one gateway hold every add-on), with no Redis behind the pool.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { encryptionKeyring, loadConfigOrExit, secretValues } from '../../src/config';
import { systemResolver } from '../../src/clients/dns';
import { createLogger } from '../../src/logger';
import { newRecord, type AddonRecord } from '../../src/domain/addon';
import { SecretBox } from '../../src/secrets';
import { createAnypointClient } from '../../src/clients/anypoint';
import { createHerokuClients } from '../../src/clients/heroku';
import { isPermanent } from '../../src/clients/errors';
import { PermanentFailure, Wait } from '../../src/engine';
import { stepsOf } from '../../src/engine';
import { PROVISION, WORKER_RESOLVE_TIMEOUT_MS, type WorkflowDeps } from '../../src/workflows';
import type { AddonStore } from '../../src/store/addons';
import type { GatewayRecord, GatewayStore } from '../../src/store/gateways';
import { targetForPlan } from '../../src/domain/targets';
import { gatewayNameFor } from '../../src/domain/targets';

interface ProvisionBody {
  uuid: string;
  name?: string;
  plan: string;
  region: string;
  callback_url?: string;
  oauth_grant?: { code: string; expires_at: string } | null;
  options?: Record<string, string>;
}

const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, name: 'bench/baseline-pipeline', secrets: secretValues(config) });
const box = new SecretBox(encryptionKeyring(config));
const records = new Map<string, AddonRecord>();

/**
 * The records live in memory. The store calls a provision step can make are the write of
 * refreshed Heroku tokens (`platformFor`'s onRefresh) and the fair-use claim (checkLimits); both
 * update the in-memory record (no limits: the baseline has no sets).
 */
const memoryStore = {
  async get(uuid: string) {
    return records.get(uuid) ?? null;
  },
  async update(uuid: string, fn: (r: AddonRecord) => AddonRecord | null) {
    const cur = records.get(uuid);
    if (!cur) throw new Error(`no add-on record for ${uuid}`);
    const next = fn(cur);
    if (next) records.set(uuid, next);
    return { record: next ?? cur, changed: !!next };
  },
} as unknown as AddonStore;

const clientOpts = { logger };
const anypoint = createAnypointClient(config, clientOpts);

/** The region's first gateway, found once by name (the product's warm-up made it). */
let firstGateway: Promise<GatewayRecord> | undefined;
function gatewayOf(): Promise<GatewayRecord> {
  firstGateway ??= (async () => {
    const name = gatewayNameFor('us', 1);
    const gw = await anypoint.gateways.findByName(name);
    if (!gw?.publicUrl) throw new Error(`no running gateway ${name}: the product's warm-up makes it`);
    const at = new Date().toISOString();
    return { slot: 'us-1', region: 'us', n: 1, name, state: 'running', gatewayId: gw.id, publicUrl: gw.publicUrl, runtimeVersion: gw.runtimeVersion, apiLimit: gw.apiLimit, createdAt: at, updatedAt: at, timeline: [], rev: 1 };
  })();
  return firstGateway;
}
const memoryPool = {
  reserve: async () => ({ slot: 'us-1', created: false }),
  get: async () => gatewayOf(),
  release: async () => 1,
} as unknown as GatewayStore;

const deps: WorkflowDeps = {
  config,
  logger,
  store: memoryStore,
  box,
  anypoint,
  heroku: createHerokuClients(config, clientOpts),
  gateways: memoryPool,
  schedule: async () => undefined,
  resolve: systemResolver(WORKER_RESOLVE_TIMEOUT_MS),
  now: () => new Date(),
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Tries per step for retryable failures (the product's JOB_ATTEMPTS). */
const MAX_TRIES = 25;

interface Tally {
  provisioned: number;
  failed: number;
  waits: number;
  retries: number;
  reasons: Record<string, number>;
}

/** One add-on: the record the web would write, then every provision step in order. */
async function provisionOne(body: ProvisionBody, t: Tally): Promise<void> {
  const uuid = body.uuid.toLowerCase();
  const grant = body.oauth_grant ? box.sealField(uuid, 'oauthGrantSealed', { code: body.oauth_grant.code, expires_at: body.oauth_grant.expires_at }) : undefined;
  const startedAt = new Date();
  records.set(
    uuid,
    newRecord({
      uuid,
      plan: body.plan,
      target: targetForPlan(body.plan, { defaultTarget: config.ANYPOINT_DEFAULT_TARGET, planTargets: config.PLAN_TARGETS }),
      region: body.region,
      name: body.name ?? uuid,
      callbackUrl: body.callback_url,
      options: body.options ?? {},
      oauthGrantSealed: grant,
      now: startedAt,
    }),
  );
  const done: string[] = [];
  try {
    for (const step of stepsOf(PROVISION.steps, records.get(uuid) as AddonRecord)) {
      for (let tries = 1; ; tries++) {
        try {
          const rec = records.get(uuid) as AddonRecord;
          const result = await step.run({ deps, rec, now: new Date(), workflow: PROVISION.name });
          const change = result?.change;
          if (change) records.set(uuid, change(records.get(uuid) as AddonRecord));
          done.push(step.name);
          break;
        } catch (err) {
          if (err instanceof Wait) {
            t.waits++;
            await sleep(err.ms);
            continue;
          }
          if (err instanceof PermanentFailure || isPermanent(err) || tries >= MAX_TRIES) throw err;
          t.retries++;
          await sleep(config.JOB_BACKOFF_MS);
        }
      }
    }
    records.set(uuid, PROVISION.succeeded(records.get(uuid) as AddonRecord, { startedAt: startedAt.toISOString(), done }, new Date()));
    t.provisioned++;
  } catch (err) {
    t.failed++;
    const reason = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 200) : String(err);
    t.reasons[reason] = (t.reasons[reason] ?? 0) + 1;
  } finally {
    records.delete(uuid);
  }
}

async function runAll(bodies: ProvisionBody[]) {
  const t: Tally = { provisioned: 0, failed: 0, waits: 0, retries: 0, reasons: {} };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.min(config.WORKER_CONCURRENCY, bodies.length) }, async () => {
      while (i < bodies.length) await provisionOne(bodies[i++], t);
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000, concurrency: config.WORKER_CONCURRENCY, ...t };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const server = createServer((req, res) => {
  const answer = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && req.url === '/healthz') return answer(200, { ok: true });
  if (req.method !== 'POST' || req.url !== '/run') return answer(404, { message: 'not found' });
  readBody(req)
    .then((raw) => runAll((JSON.parse(raw) as { addons: ProvisionBody[] }).addons))
    .then((r) => answer(200, r))
    .catch((err: unknown) => answer(500, { message: err instanceof Error ? err.message : String(err) }));
});
server.requestTimeout = 0;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
