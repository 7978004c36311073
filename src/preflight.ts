import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, secretValues } from './config';
import type { Region } from './domain/regions';
import { createLogger } from './logger';
import { runPreflight, type ManifestFile } from './preflight/index';

/**
 * `npm run preflight [-- --smoke] [--region us|eu] [--upstream URL] [--manifest FILE]` (on Heroku:
 * `heroku run npm run preflight`, or `node dist/src/preflight.js`): proves the Anypoint org and the
 * Heroku settings are ready before the first customer. One line per check, `N passed, N failed`;
 * exit 0 only when every check (and the smoke, when asked) passed. See src/preflight/.
 */

export const USAGE = `usage: npm run preflight [-- --smoke] [--region us|eu] [--upstream URL] [--manifest FILE]
  --smoke         also make one throwaway API on the default target, call it once, remove it
  --region R      the region the smoke runs in (default us)
  --upstream URL  what the smoke's API forwards to (default PUBLIC_URL; the call then asks /healthz)
  --manifest FILE compare the add-on manifest you will push with the service's settings`;

export interface PreflightArgs {
  smoke: boolean;
  region: Region;
  upstream?: string;
  manifest?: string;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): PreflightArgs {
  const args: PreflightArgs = { smoke: false, region: 'us', help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--smoke') args.smoke = true;
    else if (a === '--help' || a === '-h') args.help = true;
    else if (a === '--region') {
      const r = value();
      if (r !== 'us' && r !== 'eu') throw new Error(`--region is us or eu, not ${r}`);
      args.region = r;
    } else if (a === '--upstream') {
      const u = value();
      if (!/^https?:\/\//.test(u)) throw new Error('--upstream is an http(s):// URL');
      args.upstream = u;
    } else if (a === '--manifest') args.manifest = value();
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<number> {
  let args: PreflightArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    console.error(`preflight: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // the settings themselves fail: each problem is a failing line
    const problems = err.message.split('\n').slice(1).map((l) => l.trim()).filter(Boolean);
    for (const p of problems) console.log(`FAIL settings: ${p} [fix: correct the setting (README "Environment")]`);
    console.log(`0 passed, ${problems.length} failed`);
    return 1;
  }
  let manifest: ManifestFile | undefined;
  if (args.manifest) {
    try {
      manifest = JSON.parse(readFileSync(args.manifest, 'utf8')) as ManifestFile;
    } catch (err) {
      console.error(`preflight: cannot read the manifest ${args.manifest}: ${(err as Error).message}`);
      return 2;
    }
  }
  // a first Ctrl-C (or SIGTERM) stops the smoke at its next step and still removes what it made
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    console.log('preflight: stopping; removing what the smoke made (again to quit at once)');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const logger = createLogger({ level: config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? config.LOG_LEVEL : 'error', name: 'anypoint-api-gateway/preflight', secrets: secretValues(config) }, process.stderr);
    const result = await runPreflight(config, {
      logger,
      manifest,
      smoke: args.smoke ? { region: args.region, upstream: args.upstream, signal: stop.signal } : undefined,
    });
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
