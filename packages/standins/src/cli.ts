/**
 * `npm run sandbox`: starts the local Heroku and Anypoint stand-ins and prints the environment
 * that points the service at them. Runs until SIGINT/SIGTERM, then closes both.
 *
 *   npm run sandbox -- [--heroku-port N] [--anypoint-port N] [--gateway-port N]
 *
 * Ports also come from SANDBOX_HEROKU_PORT, SANDBOX_ANYPOINT_PORT, SANDBOX_GATEWAY_PORT
 * (flags win); defaults 4100, 4200, 4300; 0 picks a free port. The Heroku stand-in checks the
 * same HEROKU_OAUTH_CLIENT_SECRET the service sends, and the Anypoint stand-in accepts the same
 * ANYPOINT_CLIENT_ID / ANYPOINT_CLIENT_SECRET, when those are set.
 *
 * Everything printed on stdout is a valid .env file (`npm run -s sandbox > .env.sandbox`).
 */
import { createHerokuSandbox } from './heroku';
import { createAnypointSandbox } from './anypoint';

export interface SandboxPorts {
  heroku: number;
  anypoint: number;
  gateway: number;
}

export const DEFAULT_PORTS: SandboxPorts = { heroku: 4100, anypoint: 4200, gateway: 4300 };

const FLAGS: Record<string, keyof SandboxPorts> = {
  '--heroku-port': 'heroku',
  '--anypoint-port': 'anypoint',
  '--gateway-port': 'gateway',
};
const ENV: Record<keyof SandboxPorts, string> = {
  heroku: 'SANDBOX_HEROKU_PORT',
  anypoint: 'SANDBOX_ANYPOINT_PORT',
  gateway: 'SANDBOX_GATEWAY_PORT',
};

export class UsageError extends Error {}

function port(value: string, from: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new UsageError(`${from}: expected a port number 0-65535, got "${value}"`);
  }
  return n;
}

/** Ports from flags (`--x-port N` or `--x-port=N`), then env, then defaults. `help` when asked for. */
export function parsePorts(argv: string[], env: NodeJS.ProcessEnv): SandboxPorts & { help: boolean } {
  const out: SandboxPorts & { help: boolean } = { ...DEFAULT_PORTS, help: false };
  for (const key of Object.keys(ENV) as (keyof SandboxPorts)[]) {
    const v = env[ENV[key]];
    if (v !== undefined && v !== '') out[key] = port(v, ENV[key]);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    const [flag, inline] = arg.split(/=(.*)/s, 2);
    const key = FLAGS[flag];
    if (!key) throw new UsageError(`unknown argument "${arg}"`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    out[key] = port(value, flag);
  }
  return out;
}

export interface RunningSandboxes {
  herokuUrl: string;
  anypointUrl: string;
  gatewayUrl: string;
  /** `NAME=value` lines for the service's environment. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts both stand-ins; if the second fails to start, the first is closed again. */
export async function startSandboxes(ports: SandboxPorts, env: NodeJS.ProcessEnv = process.env): Promise<RunningSandboxes> {
  const heroku = createHerokuSandbox(
    env.HEROKU_OAUTH_CLIENT_SECRET ? { clientSecret: env.HEROKU_OAUTH_CLIENT_SECRET } : {},
  );
  const anypoint = createAnypointSandbox({
    gatewayPort: ports.gateway,
    ...(env.ANYPOINT_CLIENT_ID ? { clientId: env.ANYPOINT_CLIENT_ID } : {}),
    ...(env.ANYPOINT_CLIENT_SECRET ? { clientSecret: env.ANYPOINT_CLIENT_SECRET } : {}),
  });
  const { url: herokuUrl } = await heroku.start(ports.heroku);
  let started: { url: string; gatewayUrl: string };
  try {
    started = await anypoint.start(ports.anypoint);
  } catch (e) {
    await heroku.close();
    throw e;
  }
  return {
    herokuUrl,
    anypointUrl: started.url,
    gatewayUrl: started.gatewayUrl,
    env: {
      ANYPOINT_BASE_URL: started.url,
      HEROKU_API_URL: herokuUrl,
      HEROKU_ID_URL: herokuUrl,
      ANYPOINT_PROXY_SCHEME: 'http',
    },
    async close() {
      const results = await Promise.allSettled([anypoint.close(), heroku.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

const USAGE = `usage: npm run sandbox -- [--heroku-port N] [--anypoint-port N] [--gateway-port N]
  env: SANDBOX_HEROKU_PORT, SANDBOX_ANYPOINT_PORT, SANDBOX_GATEWAY_PORT (defaults 4100, 4200, 4300; 0 = any free port)`;

export async function main(argv = process.argv.slice(2), env = process.env): Promise<void> {
  let ports: ReturnType<typeof parsePorts>;
  try {
    ports = parsePorts(argv, env);
  } catch (e) {
    console.error(`sandbox: ${(e as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (ports.help) {
    console.log(USAGE);
    return;
  }

  let running: RunningSandboxes;
  try {
    running = await startSandboxes(ports, env);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint = err.code === 'EADDRINUSE' ? ' (port in use: pass other ports, or 0 for free ones)' : '';
    console.error(`sandbox: could not start: ${err.message}${hint}`);
    process.exitCode = 1;
    return;
  }

  const lines = [
    `# Heroku stand-in (id + api):  ${running.herokuUrl}   control: ${running.herokuUrl}/__sandbox/`,
    `# Anypoint stand-in:           ${running.anypointUrl}`,
    `# Anypoint gateway (proxies):  ${running.gatewayUrl}`,
    '#',
    '# Point the service at them:',
    ...Object.entries(running.env).map(([k, v]) => `${k}=${v}`),
    '#',
    `# A new add-on as 'heroku addons:create' would make it (prints the provision body to send):`,
    `#   curl -s -X POST ${running.herokuUrl}/__sandbox/addons -H 'content-type: application/json' -d '{"plan":"test"}'`,
    '# Ctrl-C stops both.',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`sandbox: ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.error(`sandbox: ${signal}, closing`);
    const force = setTimeout(() => {
      console.error('sandbox: close took too long, exiting');
      process.exit(1);
    }, 5000);
    force.unref();
    running.close().then(
      () => {
        clearTimeout(force);
        process.exit(0);
      },
      (e: unknown) => {
        console.error(`sandbox: error while closing: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  void main();
}
