import { z } from 'zod';
import { parsePlanTargets, parseRegionSpaces, TARGETS } from './domain/targets';

/**
 * Every setting of the service, read from the environment once and validated.
 * A missing or malformed value stops the process with a message naming the variable.
 */

// Development secrets: fine on a laptop, refused when NODE_ENV=production.
export const DEV_SECRETS = {
  ADDON_PASSWORD: 'dev-addon-password-0123456789abcdef',
  SSO_SALT: 'dev-sso-salt-0123456789abcdef0123',
  HEROKU_OAUTH_CLIENT_SECRET: 'dev-heroku-oauth-client-secret',
  SESSION_SECRET: 'dev-session-secret-0123456789abcdef0123',
  // 32 bytes, base64
  ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  ANYPOINT_CLIENT_ID: 'dev-anypoint-client',
  ANYPOINT_CLIENT_SECRET: 'dev-anypoint-client-secret',
  ADMIN_PASSWORD: 'dev-admin-password',
} as const;

const url = (protocols: string[]) =>
  z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL (${protocols.join(' or ')})`);

const intFrom = (def: number, min = 0) =>
  z.coerce.number().int().min(min).default(def);

const isKey = (v: string) => /^[0-9a-f]{64}$/i.test(v) || (/^[A-Za-z0-9+/_-]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32);
const encryptionKey = z.string().refine(isKey, { message: 'must be 32 bytes, base64 or 64 hex characters' });

/** `id:key,id:key` (newest first): ids of letters, digits, _ and -, each key as ENCRYPTION_KEY. */
const encryptionKeys = z.string().refine(
  (v) => {
    const entries = v.split(',').map((e) => e.trim());
    const ids = entries.map((e) => e.slice(0, e.indexOf(':')));
    return entries.every((e) => /^[A-Za-z0-9_-]{1,16}:/.test(e) && isKey(e.slice(e.indexOf(':') + 1))) && new Set(ids).size === ids.length;
  },
  { message: 'must be id:key pairs separated by commas, newest first (ids unique, 1-16 of A-Z a-z 0-9 _ -; each key 32 bytes, base64 or 64 hex)' },
);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: intFrom(5000, 0).pipe(z.number().max(65535)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Heroku Redis gives a self-signed certificate on rediss:// URLs; verify it only when asked. */
  REDIS_TLS_REJECT_UNAUTHORIZED: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Prefix of every Redis key this service writes (records and BullMQ queues). */
  KEY_PREFIX: z.string().regex(/^[A-Za-z0-9_{}.-]+$/, 'letters, digits, _ . - { } only').default('aag'),
  ADDON_ID: z.string().regex(/^[a-z][a-z0-9-]*$/, 'lower-case slug').default('anypoint-api-gateway'),
  ADDON_PASSWORD: z.string().min(16, 'at least 16 characters').default(DEV_SECRETS.ADDON_PASSWORD),
  SSO_SALT: z.string().min(16, 'at least 16 characters').default(DEV_SECRETS.SSO_SALT),
  HEROKU_OAUTH_CLIENT_SECRET: z.string().min(8).default(DEV_SECRETS.HEROKU_OAUTH_CLIENT_SECRET),
  SESSION_SECRET: z.string().min(32, 'at least 32 characters').default(DEV_SECRETS.SESSION_SECRET),
  ENCRYPTION_KEY: encryptionKey.default(DEV_SECRETS.ENCRYPTION_KEY),
  /**
   * Several keys for rotation, newest first (`k2:<key>,k1:<key>`): the first seals, every one opens.
   * Unset: ENCRYPTION_KEY alone, under the id `k0`. See `npm run reseal`.
   */
  ENCRYPTION_KEYS: encryptionKeys.optional(),
  ADMIN_PASSWORD: z.string().min(12, 'at least 12 characters').default(DEV_SECRETS.ADMIN_PASSWORD),
  HEROKU_API_URL: url(['https:', 'http:']).default('https://api.heroku.com'),
  HEROKU_ID_URL: url(['https:', 'http:']).default('https://id.heroku.com'),
  ANYPOINT_BASE_URL: url(['https:', 'http:']).default('https://anypoint.mulesoft.com'),
  ANYPOINT_CLIENT_ID: z.string().min(1).default(DEV_SECRETS.ANYPOINT_CLIENT_ID),
  ANYPOINT_CLIENT_SECRET: z.string().min(1).default(DEV_SECRETS.ANYPOINT_CLIENT_SECRET),
  ANYPOINT_ENVIRONMENT: z.string().min(1).default('Sandbox'),
  /** Fallback when the proxy-template lookup (Mule 4 proxies on CloudHub 2.0) fails. */
  ANYPOINT_PROXY_TEMPLATE_VERSION: z.string().min(1).default('2.0.0'),
  /** Where add-ons run unless PLAN_TARGETS names their plan: `omni` (a shared managed Omni Gateway) or `ch2` (a dedicated CloudHub 2.0 proxy). */
  ANYPOINT_DEFAULT_TARGET: z.enum(TARGETS).default('omni'),
  /** Plans that run elsewhere than the default, e.g. `premium:ch2`. */
  PLAN_TARGETS: z
    .string()
    .default('')
    .transform((v, ctx) => {
      try {
        return parsePlanTargets(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** The CloudHub 2.0 space each Heroku region's gateways and proxies run in (omni needs a private space). */
  ANYPOINT_REGION_SPACES: z
    .string()
    .default('us:Cloudhub-US-East-2,eu:Cloudhub-EU-West-1')
    .transform((v, ctx) => {
      try {
        return parseRegionSpaces(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Pin the Mule runtime of CloudHub 2.0 proxies to a version the platform offers (default: the newest LTS it offers). */
  ANYPOINT_RUNTIME_VERSION: z.string().min(1).optional(),
  /** Pin the runtime of new managed gateways to a version the platform offers (default: the newest of the LTS channel). */
  OMNI_GATEWAY_RUNTIME_VERSION: z.string().min(1).optional(),
  /** APIs one gateway holds at most (default: what the platform reports, else 50, the figure MuleSoft's spec gives). */
  OMNI_GATEWAY_API_LIMIT: z.coerce.number().int().min(1).optional(),
  /** Size of new managed gateways. */
  OMNI_GATEWAY_SIZE: z.enum(['small', 'large']).default('small'),
  /** How long an empty gateway beyond its region's first stays before the sweep removes it. */
  OMNI_GATEWAY_IDLE_GRACE_MS: intFrom(3600_000, 0),
  /** How long a new gateway may take to run before its creation counts as failed. */
  OMNI_GATEWAY_DEADLINE_MS: intFrom(30 * 60_000, 1),
  /** Public base URL of this service (links in the dashboard, manifest). */
  PUBLIC_URL: url(['https:', 'http:']).optional(),
  /** How long provisioning may wait for the proxy to run before it is a permanent failure. */
  DEPLOY_DEADLINE_MS: intFrom(15 * 60_000, 1),
  /**
   * How long provisioning may keep retrying transient failures before it gives up and compensates:
   * under Heroku's 12 hours, so Heroku hears "deprovision" from us rather than a silent time-out.
   */
  PROVISION_DEADLINE_MS: intFrom(11 * 3600_000, 1),
  /** How often a waiting provision job looks at its deployment again. */
  DEPLOY_POLL_MS: intFrom(10_000, 1),
  /** How long the platform takes to put a changed policy in force on the gateways: a console change counts as live after it. */
  POLICY_APPLY_MS: intFrom(60_000, 0),
  /** How long an origin-secret rotation gives Heroku to restart the app with both values before the gateway sends the new one. */
  ORIGIN_SECRET_RESTART_MS: intFrom(5 * 60_000, 0),
  WORKER_CONCURRENCY: intFrom(10, 1),
  /** First delay of BullMQ's exponential backoff after a retryable failure. */
  JOB_BACKOFF_MS: intFrom(1_000, 1),
  HTTP_TIMEOUT_MS: intFrom(15_000, 1),
  HTTP_MAX_TRIES: intFrom(5, 1),
  HTTP_BACKOFF_BASE_MS: intFrom(250, 0),
  HTTP_BACKOFF_MAX_MS: intFrom(30_000, 0),
  SWEEP_INTERVAL_MS: intFrom(60_000, 1),
  /** How often each provisioned add-on's app domains are read again (a rename Heroku's webhooks did not tell us about); spread over the sweeps. */
  APP_RECHECK_INTERVAL_MS: intFrom(6 * 3600_000, 1_000),
  /** A record untouched for this long whose job is missing is re-queued by the sweeper. */
  SWEEP_STALE_MS: intFrom(30_000, 0),
  SESSION_TTL_SECONDS: intFrom(3600, 60),
  /** How long a removed or failed add-on's record (its tombstone: a late provision gets 410) is kept. */
  TOMBSTONE_TTL_DAYS: intFrom(30, 1),
  /** Port of the worker's small ops server (/metrics, /healthz, /readyz); 0 picks a free port. */
  WORKER_METRICS_PORT: intFrom(9464, 0).pipe(z.number().max(65535)),
  /** /readyz: a waiting job older than this, with no worker progress for as long, means "not ready". */
  READINESS_STALE_MS: intFrom(60_000, 1_000),
  /** BullMQ: how often a worker looks for jobs whose worker died (stalled), and how long a job lock lives. */
  WORKER_STALLED_INTERVAL_MS: intFrom(30_000, 100),
  WORKER_LOCK_DURATION_MS: intFrom(30_000, 100),
  /** TTL of the per-add-on workflow lock (renewed while held; a killed worker's lock expires after this). */
  ADDON_LOCK_TTL_MS: intFrom(30_000, 100),
  /** Connect to a Redis Cluster (REDIS_URL names one node); KEY_PREFIX must then carry a hash tag, e.g. `{aag}`. */
  REDIS_CLUSTER: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /**
   * How `--upstream` and app hosts are checked: `strict` resolves the host and refuses internal
   * addresses, other ports than 443, names that do not resolve; `lenient` (development, tests, the
   * demo) accepts a name that does not resolve (with a warning) and http to a loopback literal.
   * Default: strict in production, lenient otherwise; production refuses lenient.
   */
  UPSTREAM_CHECK: z.enum(['strict', 'lenient']).optional(),
  /** Fair use: live add-ons per Heroku app, per app owner (checked by the worker), and of the free plan overall (checked at request time). */
  MAX_ADDONS_PER_APP: intFrom(5, 1),
  MAX_ADDONS_PER_OWNER: intFrom(20, 1),
  MAX_FREE_ADDONS: intFrom(1_000, 0),
  /** Failed Basic-auth attempts (Heroku's and the operator's) per source IP and window before 429. */
  AUTH_FAILURE_LIMIT: intFrom(10, 1),
  AUTH_FAILURE_WINDOW_SECONDS: intFrom(60, 1),
  /** How often the worker reads gateway traffic from Anypoint's analytics export (heroku logs, dashboard); 0 turns it off. */
  TRAFFIC_POLL_MS: intFrom(60_000, 0),
  /** A read window ends this long before now: the export shows events with a delay (MuleSoft: up to 10 minutes). */
  TRAFFIC_SETTLE_MS: intFrom(120_000, 0),
  /** Export calls a minute at most (MuleSoft allows 10 per organisation; the rest is left for the operator's own reports). */
  TRAFFIC_EXPORT_CALLS_PER_MINUTE: intFrom(8, 1),
});

type Parsed = z.infer<typeof schema>;
export type Config = Omit<Parsed, 'UPSTREAM_CHECK'> & { UPSTREAM_CHECK: 'strict' | 'lenient' };

/** The name of every setting the service reads (those without a default included). */
export const SETTING_NAMES: readonly string[] = Object.keys(schema.shape);

export class ConfigError extends Error {}

const SECRET_KEYS = Object.keys(DEV_SECRETS) as (keyof typeof DEV_SECRETS)[];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Heroku Redis sets REDIS_TLS_URL beside REDIS_URL; prefer TLS when offered.
  const source: Record<string, string | undefined> = { ...env };
  if (source.REDIS_TLS_URL && !env.REDIS_URL_FORCE_PLAIN) source.REDIS_URL = source.REDIS_TLS_URL;
  for (const k of Object.keys(source)) if (source[k] === '') delete source[k];

  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const cfg: Config = { ...parsed.data, UPSTREAM_CHECK: parsed.data.UPSTREAM_CHECK ?? (parsed.data.NODE_ENV === 'production' ? 'strict' : 'lenient') };
  const problems = failClosed(cfg, source, env);
  if (problems.length) throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  return cfg;
}

/** URLs that must be https in production: tokens and Basic credentials travel over them. */
const PLATFORM_URLS = ['HEROKU_API_URL', 'HEROKU_ID_URL', 'ANYPOINT_BASE_URL', 'PUBLIC_URL'] as const;

/** What a valid-looking configuration must still not do (each line names a variable, never a secret value). */
function failClosed(cfg: Config, source: Record<string, string | undefined>, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  // placeholders of addon-manifest.json / app.json copied as they are
  for (const k of Object.keys(schema.shape)) if (source[k]?.startsWith('REPLACE_WITH_')) out.push(`${k}: still holds a placeholder (REPLACE_WITH_…); set the real value`);
  if (env.DYNO && cfg.NODE_ENV !== 'production') out.push(`NODE_ENV: must be production on Heroku (DYNO is set), not ${cfg.NODE_ENV}`);
  if (source.ENCRYPTION_KEYS && source.ENCRYPTION_KEY && !encryptionKeyring(cfg).some((k) => k.key.equals(keyBytes(source.ENCRYPTION_KEY as string)))) {
    out.push('ENCRYPTION_KEY: is set but is not one of ENCRYPTION_KEYS; add it (k0:<its value>) so what it sealed stays readable, or unset it');
  }
  if (cfg.NODE_ENV !== 'production') return out;
  const dev = SECRET_KEYS.filter((k) => (k === 'ENCRYPTION_KEY' && cfg.ENCRYPTION_KEYS ? false : cfg[k] === DEV_SECRETS[k]));
  out.push(...dev.map((k) => `${k}: must be set (development default refused in production)`));
  if (cfg.ENCRYPTION_KEYS && encryptionKeyring(cfg).some((k) => k.key.equals(keyBytes(DEV_SECRETS.ENCRYPTION_KEY)))) {
    out.push('ENCRYPTION_KEYS: holds the development key (refused in production)');
  }
  for (const k of PLATFORM_URLS) if (cfg[k] && new URL(cfg[k]).protocol !== 'https:') out.push(`${k}: must be an https:// URL in production`);
  if (cfg.UPSTREAM_CHECK !== 'strict') out.push('UPSTREAM_CHECK: must be strict in production');
  return out;
}

/** For the processes' entry points: a bad configuration prints what is wrong and exits 1. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

function keyBytes(v: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(v)) return Buffer.from(v, 'hex');
  return Buffer.from(v, 'base64');
}

/** The id ENCRYPTION_KEY has when it is the only key (what it sealed carries it). */
export const SINGLE_KEY_ID = 'k0';

/** The keys that seal and open secrets at rest, newest first: ENCRYPTION_KEYS, else ENCRYPTION_KEY as `k0`. */
export function encryptionKeyring(cfg: Pick<Config, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS'>): { id: string; key: Buffer }[] {
  if (!cfg.ENCRYPTION_KEYS) return [{ id: SINGLE_KEY_ID, key: keyBytes(cfg.ENCRYPTION_KEY) }];
  return cfg.ENCRYPTION_KEYS.split(',').map((e) => {
    const entry = e.trim();
    const at = entry.indexOf(':');
    return { id: entry.slice(0, at), key: keyBytes(entry.slice(at + 1)) };
  });
}

/** The newest key (the one that seals). */
export function encryptionKeyBytes(cfg: Pick<Config, 'ENCRYPTION_KEY' | 'ENCRYPTION_KEYS'>): Buffer {
  return encryptionKeyring(cfg)[0].key;
}

/** Values that must never appear in logs, job data or responses. */
export function secretValues(cfg: Config): string[] {
  return [
    cfg.ADDON_PASSWORD,
    cfg.SSO_SALT,
    cfg.HEROKU_OAUTH_CLIENT_SECRET,
    cfg.SESSION_SECRET,
    cfg.ENCRYPTION_KEY,
    ...(cfg.ENCRYPTION_KEYS ? [cfg.ENCRYPTION_KEYS, ...cfg.ENCRYPTION_KEYS.split(',').map((e) => e.slice(e.indexOf(':') + 1).trim())] : []),
    cfg.ANYPOINT_CLIENT_SECRET,
    cfg.ADMIN_PASSWORD,
  ];
}
