import https from 'node:https';
import axios from 'axios';
import { encryptionKeyring, type Config } from '../config';
import { createAnypointClient } from '../clients/anypoint';
import { systemResolver } from '../clients/dns';
import { createHerokuClients } from '../clients/heroku';
import { HttpClient, type ResponseInfo } from '../clients/http';
import { createLogger, type Logger } from '../logger';
import { SecretBox } from '../secrets';
import { WORKER_RESOLVE_TIMEOUT_MS } from '../workflows/upstream';
import { anypointChecks } from './anypoint';
import { herokuChecks, type ManifestFile } from './heroku';
import { Report, type CheckLine } from './report';
import { runSmoke, SMOKE_CHECK, type SmokeOptions } from './smoke';

export { REQUIRED_SCOPES, missingScopes } from './scopes';
export { manifestProblems, type ManifestFile } from './heroku';
export { SMOKE_UUID, SMOKE_GATEWAY_PREFIX, smokeLeftovers } from './smoke';

/**
 * The preflight (issue 16): read-only checks of everything the service needs from Anypoint and
 * Heroku, one line each (src/preflight/anypoint.ts, heroku.ts), then, when asked and every check
 * passed, the smoke (smoke.ts). Run by `npm run preflight` / `node dist/src/preflight.js`.
 */

export interface PreflightOptions {
  /** Where the lines go (default: stdout). */
  out?: (line: string) => void;
  /** Run the smoke after the checks (only when every check passed). */
  smoke?: Omit<SmokeOptions, 'sleep' | 'onResponse'>;
  /** The manifest to push: its values are compared with the service's settings. */
  manifest?: ManifestFile;
  /** Extra certificate authority for PUBLIC_URL (tests; on Heroku the system's are used). */
  ca?: string | Buffer;
  logger?: Logger;
  sleep?: (ms: number) => Promise<void>;
}

export interface PreflightResult {
  passed: number;
  failed: number;
  skipped: number;
  lines: CheckLine[];
  exitCode: 0 | 1;
}

export async function runPreflight(config: Config, opts: PreflightOptions = {}): Promise<PreflightResult> {
  const out = opts.out ?? ((line: string) => console.log(line));
  const report = new Report(out);
  // every call of the smoke is printed with its status and time; the checks print one line each
  let printCalls = false;
  const onResponse = (i: ResponseInfo) => {
    if (printCalls) report.detail(`  ${i.method} ${i.path} → ${i.status ?? 'no answer'} (${Math.round(i.ms)} ms${i.attempt > 1 ? `, try ${i.attempt}` : ''})`);
  };
  const clientOpts = { logger: opts.logger, onResponse, sleep: opts.sleep };
  const anypoint = createAnypointClient(config, clientOpts);
  const heroku = createHerokuClients(config, clientOpts);
  const service = config.PUBLIC_URL ? serviceClient(config, opts.ca) : null;

  out(`preflight: Anypoint ${config.ANYPOINT_BASE_URL} (environment ${config.ANYPOINT_ENVIRONMENT}), Heroku ${config.HEROKU_ID_URL}, service ${config.PUBLIC_URL ?? '(PUBLIC_URL not set)'}`);
  await anypointChecks(report, config, anypoint);
  await herokuChecks(report, config, heroku, service, opts.manifest);

  if (opts.smoke) {
    if (report.count('fail')) {
      report.skip(SMOKE_CHECK.run, 'fix the failing lines first (the smoke makes real resources)');
    } else {
      printCalls = true;
      await runSmoke(
        report,
        {
          config,
          logger: opts.logger ?? createLogger({ level: 'silent' }),
          box: new SecretBox(encryptionKeyring(config)),
          anypoint,
          heroku,
          // the smoke's gateway is made by the gateway workflow's steps, run by the smoke itself
          schedule: async () => undefined,
          resolve: systemResolver(WORKER_RESOLVE_TIMEOUT_MS),
          now: () => new Date(),
        },
        { ...opts.smoke, sleep: opts.sleep, onResponse },
      );
      printCalls = false;
    }
  }
  report.summary();
  const failed = report.count('fail');
  return { passed: report.count('ok'), failed, skipped: report.count('skip'), lines: report.lines, exitCode: failed ? 1 : 0 };
}

/** The service's own origin, as Heroku reaches it (no redirects followed; any status returned). */
function serviceClient(config: Config, ca?: string | Buffer): HttpClient {
  const axiosInstance = axios.create({
    validateStatus: () => true,
    maxRedirects: 0,
    ...(ca ? { httpsAgent: new https.Agent({ ca }) } : {}),
  });
  return new HttpClient({ api: 'service', baseURL: config.PUBLIC_URL as string, timeoutMs: Math.min(config.HTTP_TIMEOUT_MS, 10_000), maxTries: 2, backoffBaseMs: 200, axiosInstance });
}
