import { parseArgs } from 'node:util';

/** Command-line options of `aag-driver`, with defaults from the environment, then the service's development defaults. */

export class UsageError extends Error {}

export interface Credentials {
  /** The manifest id: the Basic-auth user name. */
  id: string;
  password: string;
  salt: string;
}

export interface DriverOptions extends Credentials {
  command: string;
  args: string[];
  service: string;
  heroku?: string;
  plan: string;
  upstream?: string;
  app?: string;
  /** Seconds. */
  wait: number;
  follow: boolean;
  /** logs: keep printing new lines (for --wait seconds when given, else until interrupted). */
  tail: boolean;
  /** Whether --wait was given (logs --tail stops after it). */
  waitGiven: boolean;
  userId?: string;
  email?: string;
  help: boolean;
}

export const DEFAULT_ADDON_ID = 'anypoint-api-gateway';
/**
 * The service's development defaults of the manifest password and SSO salt (src/config.ts
 * DEV_SECRETS; a test keeps the two equal). The driver imports nothing from the product.
 */
export const SERVICE_DEV_DEFAULTS = {
  ADDON_PASSWORD: 'dev-addon-password-0123456789abcdef',
  SSO_SALT: 'dev-sso-salt-0123456789abcdef0123',
} as const;
export const DEFAULT_HEROKU_SANDBOX = 'http://127.0.0.1:4100';

function httpUrl(v: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`${flag}: not a URL: "${v}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag}: must be an http(s) URL`);
  return v.replace(/\/+$/, '');
}

/** Commands that talk to the Heroku stand-in only. */
const STAND_IN_ONLY = new Set(['logs', 'rename', 'domain']);

export function parseDriverArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DriverOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  const [command = '', ...args] = parsed.positionals;
  const wait = v.wait === undefined ? 120 : Number(v.wait);
  if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`--wait: expected seconds, got "${v.wait}"`);
  const help = v.help === true;
  if (!help && !command) throw new UsageError('a command is needed');
  // logs reads the Heroku stand-in only
  if (!help && !v.service && !STAND_IN_ONLY.has(command)) throw new UsageError('--service URL is needed');
  return {
    command,
    args,
    service: v.service ? httpUrl(v.service, '--service') : '',
    heroku: v.heroku ? httpUrl(v.heroku, '--heroku') : undefined,
    id: v.id ?? (env.ADDON_ID || DEFAULT_ADDON_ID),
    password: v.password ?? (env.ADDON_PASSWORD || SERVICE_DEV_DEFAULTS.ADDON_PASSWORD),
    salt: v.salt ?? (env.SSO_SALT || SERVICE_DEV_DEFAULTS.SSO_SALT),
    plan: v.plan ?? 'test',
    upstream: v.upstream,
    app: v.app,
    wait,
    follow: v.follow === true,
    tail: v.tail === true,
    waitGiven: v.wait !== undefined,
    userId: v['user-id'],
    email: v.email,
    help,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      service: { type: 'string' },
      heroku: { type: 'string' },
      id: { type: 'string' },
      password: { type: 'string' },
      salt: { type: 'string' },
      plan: { type: 'string' },
      upstream: { type: 'string' },
      app: { type: 'string' },
      wait: { type: 'string' },
      follow: { type: 'boolean' },
      tail: { type: 'boolean' },
      'user-id': { type: 'string' },
      email: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export const USAGE = `usage: aag-driver <command> --service URL [--heroku URL] [--id ID] [--password PW] [--salt SALT]

Plays Heroku against a running anypoint-api-gateway (or any add-on service).

commands:
  provision [--plan test] [--upstream URL] [--app NAME] [--wait 120]
        a fresh add-on from the Heroku stand-in (--heroku, default ${DEFAULT_HEROKU_SANDBOX}), POSTed to the
        service; waits until the stand-in records the provision action; prints the uuid and config vars
  plan <uuid> <plan>          PUT /heroku/resources/<uuid>
  deprovision <uuid>          DELETE /heroku/resources/<uuid>
  sso <uuid> [--follow] [--user-id ID] [--email EMAIL]
        prints a curl line and an auto-submitting HTML form; --follow signs in and opens the dashboard
  check [--wait 120]          conformance run over the add-on protocol; with --heroku also the async part
                              (exit 1 on any failure)
  logs <uuid> [--tail] [--wait SECONDS]
        the lines the add-on's app log holds in the Heroku stand-in (--heroku), as heroku logs prints them;
        --tail keeps printing new ones (for --wait seconds when given, else until Ctrl-C); no --service needed
  rename <uuid> <new-name>    renames the add-on's app in the Heroku stand-in (--heroku): its old herokuapp.com
                              host stops answering, a new one answers, the add-on's webhooks are told (api:app)
  domain add|remove|list <uuid> [<hostname>]
                              adds or removes a domain of the add-on's app in the Heroku stand-in (api:domain)

credentials default to ADDON_ID, ADDON_PASSWORD, SSO_SALT, then the service's development defaults.`;
