import nock from 'nock';
import type { AnypointClientConfig } from '../../src/clients/anypoint';

export const ANYPOINT = 'https://anypoint.test';
export const HEROKU_API = 'https://api.heroku.test';
export const HEROKU_ID = 'https://id.heroku.test';

export const ORG = 'org-1111';
export const ENV = 'env-2222';
export const CLIENT_SECRET = 'anypoint-client-secret-s3cr3t';
export const TOKEN = 'anypoint-token-AAAAAAAAAAAA';

export const anypointCfg: AnypointClientConfig = {
  ANYPOINT_BASE_URL: ANYPOINT,
  ANYPOINT_CLIENT_ID: 'client-id-1',
  ANYPOINT_CLIENT_SECRET: CLIENT_SECRET,
  ANYPOINT_ENVIRONMENT: 'Sandbox',
  ANYPOINT_GATEWAY_VERSION: '4.4.0',
  ANYPOINT_PROXY_TEMPLATE_VERSION: '2.0.0',
  ANYPOINT_RATE_LIMIT_POLICY_VERSION: '1.4.0',
  HTTP_TIMEOUT_MS: 2_000,
  HTTP_MAX_TRIES: 4,
  HTTP_BACKOFF_BASE_MS: 100,
  HTTP_BACKOFF_MAX_MS: 5_000,
};

/** A sleep that records the delays it was asked for and returns at once. */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

/** Token, /me and environments, each answered once (persist for the token is opt-in). */
export function mockAnypointContext(opts: { token?: string; envName?: string } = {}): nock.Scope {
  return nock(ANYPOINT)
    .post('/accounts/api/v2/oauth2/token')
    .reply(200, { access_token: opts.token ?? TOKEN, token_type: 'bearer', expires_in: 3600 })
    .get('/accounts/api/me')
    .reply(200, { client: { org_id: ORG } })
    .get(`/accounts/api/organizations/${ORG}/environments`)
    .reply(200, {
      data: [
        { id: 'env-prod', name: 'Production', organizationId: ORG, isProduction: true, type: 'production' },
        { id: ENV, name: opts.envName ?? 'Sandbox', organizationId: ORG, isProduction: false, type: 'sandbox' },
      ],
      total: 2,
    });
}

/** Fields of a multipart/form-data body. */
export function multipartFields(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /Content-Disposition: form-data; name="([^"]+)"\r\n\r\n([\s\S]*?)\r\n--/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(body))) out[m[1]] = m[2];
  return out;
}

export function setupNock(): void {
  beforeAll(() => {
    // Each test file gets its own nock module; make sure it is the one intercepting.
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(() => {
    nock.cleanAll();
  });
  afterAll(() => {
    nock.enableNetConnect();
    // Leave no interceptor behind for the next test file in this worker.
    nock.restore();
  });
}

/** A transport error as Node raises it (nock 14 needs an Error instance, not a plain object). */
export function netError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}
