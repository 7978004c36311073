import type { Config } from '../../config';
import { HttpClient, sharedHttpOptions, type ClientRuntimeOptions } from '../http';
import { HerokuOAuthClient } from './oauth';
import { HerokuPlatformClient, type HerokuTokenSource } from './platform';
import { RateLimitPacer, type PacerOptions } from './rate-limit';

export * from './oauth';
export * from './platform';
export * from './rate-limit';
export * from './log-input';

export type HerokuClientConfig = Pick<
  Config,
  | 'HEROKU_API_URL'
  | 'HEROKU_ID_URL'
  | 'HEROKU_OAUTH_CLIENT_SECRET'
  | 'HTTP_TIMEOUT_MS'
  | 'HTTP_MAX_TRIES'
  | 'HTTP_BACKOFF_BASE_MS'
  | 'HTTP_BACKOFF_MAX_MS'
>;

export interface HerokuClients {
  oauth: HerokuOAuthClient;
  /** The Platform API as one add-on resource (its token source). */
  platform(tokens: HerokuTokenSource): HerokuPlatformClient;
}

export function createHerokuClients(
  cfg: HerokuClientConfig,
  opts: Omit<ClientRuntimeOptions, 'publicationPollMs' | 'publicationMaxPolls'> & {
    /** The Platform API's pacing on RateLimit-Remaining (./rate-limit.ts); Heroku's figures by default. */
    rateLimit?: PacerOptions;
  } = {},
): HerokuClients {
  const base = sharedHttpOptions(cfg, opts, (): string[] => [cfg.HEROKU_OAUTH_CLIENT_SECRET, ...(opts.secrets?.() ?? [])]);
  const oauth = new HerokuOAuthClient({
    http: new HttpClient({ ...base, api: 'heroku-id', baseURL: cfg.HEROKU_ID_URL }),
    clientSecret: cfg.HEROKU_OAUTH_CLIENT_SECRET,
    now: opts.now,
  });
  const api = new HttpClient({ ...base, api: 'heroku', baseURL: cfg.HEROKU_API_URL });
  // one pacer per process: every add-on's client feeds and obeys the lane of its token
  const pacer = new RateLimitPacer({ now: opts.now, ...opts.rateLimit });
  return { oauth, platform: (tokens) => new HerokuPlatformClient(api, tokens, pacer) };
}
