import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { secretValues } from '../../src/config';
import { HttpClient } from '../../src/clients/http';
import { createReadiness } from '../../src/health';
import { queueConsoleRouter } from '../../src/jobs';
import { createLogger } from '../../src/logger';
import { excerpt, redactDeep, scrub } from '../../src/redact';
import { appContext, LogCapture, testConfig, type AppContext } from '../helpers/context';

/**
 * One list of what is secret, one module that hides it: every known secret is fed through every
 * path that writes text somewhere a person or a log reader could see it — the logger, the HTTP
 * layer's error excerpts, the queue console, the readiness answer — and none comes out.
 */

const config = testConfig();
const RUNTIME = {
  herokuAccessToken: 'heroku-access-token-0c9d8e7f6a5b',
  herokuRefreshToken: 'heroku-refresh-token-1a2b3c4d5e6f',
  grantCode: 'grant-code-7e8d9c0b1a2f3e4d',
  anypointToken: 'anypoint-bearer-abcdef0123456789',
  sessionCookie: 'eyJ1dWlkIjoieCJ9.c2lnbmF0dXJlLXZhbHVl',
  logInputUrl: 'https://u:log-input-password-9f8e7d@logs.heroku.test/logs',
  redisPassword: 'redis-password-5a4b3c2d1e',
};
const SECRETS = [...secretValues(config), ...Object.values(RUNTIME).map((v) => (v.includes('log-input-password') ? 'log-input-password-9f8e7d' : v))];

/**
 * Every secret, every way it may show up. What each path promises: secret-named keys are hidden
 * everywhere, the service's own secret values are masked in any text, secret shapes (Bearer/Basic
 * credentials, `code=`/`client_secret=` form fields, JSON token fields, URL passwords) everywhere;
 * a call's tokens are masked in free text by the HTTP layer, which knows them (`freeText`).
 */
function everything(freeText = secretValues(config)) {
  return {
    message: `free text naming ${freeText.join(' and ')}`,
    headers: { authorization: `Bearer ${RUNTIME.anypointToken}`, cookie: `aag_session=${RUNTIME.sessionCookie}` },
    body: {
      access_token: RUNTIME.herokuAccessToken,
      refresh_token: RUNTIME.herokuRefreshToken,
      client_secret: config.HEROKU_OAUTH_CLIENT_SECRET,
      oauth_grant: { code: RUNTIME.grantCode },
      code: RUNTIME.grantCode,
      log_input_url: RUNTIME.logInputUrl,
      password: config.ADDON_PASSWORD,
      sso_salt: config.SSO_SALT,
    },
    form: `grant_type=authorization_code&code=${RUNTIME.grantCode}&client_secret=${config.HEROKU_OAUTH_CLIENT_SECRET}`,
    url: `redis://:${RUNTIME.redisPassword}@redis.example:6379`,
    nested: [{ deeper: { token: RUNTIME.anypointToken, note: `Basic ${Buffer.from(`x:${config.ADMIN_PASSWORD}`).toString('base64')}` } }],
  };
}

function expectClean(text: string, where: string) {
  for (const s of SECRETS) {
    if (text.includes(s)) throw new Error(`${where} shows a secret (${s.slice(0, 6)}…)`);
  }
}

describe('the redaction module', () => {
  it('redactDeep and scrub hide every known secret', () => {
    expectClean(JSON.stringify(redactDeep(everything(), secretValues(config))), 'redactDeep');
    expectClean(scrub(JSON.stringify(everything()), secretValues(config)), 'scrub');
    expectClean(excerpt(everything(), secretValues(config), 100_000) ?? '', 'excerpt');
  });
});

describe('every path', () => {
  it('the logger: objects, errors and messages', () => {
    const logs = new LogCapture();
    const logger = createLogger({ level: 'debug', secrets: secretValues(config) }, logs);
    const all = everything();
    logger.info(all, all.message);
    logger.warn({ err: new Error(all.message) }, 'failed with %s', all.form);
    logger.error(all.nested, all.url);
    expect(logs.lines).toHaveLength(3);
    expectClean(logs.text(), 'the log');
  });

  it("the HTTP layer's errors: message, excerpt and JSON of a failure whose answer echoes everything", async () => {
    const echo = http.createServer((req, res) => {
      res.writeHead(req.url === '/text' ? 500 : 400, { 'Content-Type': req.url === '/text' ? 'text/plain' : 'application/json' });
      res.end(req.url === '/text' ? everything().message + everything().form : JSON.stringify(everything()));
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    const client = new HttpClient({
      api: 'echo',
      baseURL: base,
      maxTries: 1,
      secrets: () => secretValues(config),
      auth: { get: async () => RUNTIME.anypointToken, refresh: async () => RUNTIME.anypointToken },
    });
    try {
      for (const path of ['/json', '/text']) {
        const err = await client.post(path, { code: RUNTIME.grantCode }, { secrets: [RUNTIME.grantCode, RUNTIME.herokuRefreshToken, RUNTIME.herokuAccessToken, 'log-input-password-9f8e7d', RUNTIME.sessionCookie, RUNTIME.redisPassword] }).catch((e: unknown) => e as Error);
        expect(err).toBeInstanceOf(Error);
        expectClean(`${String(err)} ${JSON.stringify(err)} ${(err as Error).stack}`, `the error of ${path}`);
      }
    } finally {
      await new Promise<void>((r) => echo.close(() => r()));
    }
  });

  describe('over Redis', () => {
    let ctx: AppContext;
    beforeAll(async () => {
      ctx = await appContext('redaction');
    });
    afterAll(async () => {
      await ctx.close();
    });

    it('the queue console: job data and return values', async () => {
      const queue = ctx.jobs.queue('provision');
      await queue.add('provision', everything() as never, { jobId: 'leaky-job' });
      const app = express().use('/q', queueConsoleRouter(ctx.jobs, '/q', secretValues(config)));
      const res = await request(app).get('/q/api/queues').query({ activeQueue: 'provision', status: 'latest', page: 1, jobsPerPage: 50 });
      expect(res.status).toBe(200);
      expect(res.text).toContain('leaky-job');
      expectClean(res.text, 'the queue console');
      await queue.remove('leaky-job');
    });

    it('the readiness answer, when Redis fails with a message naming its URL and password', async () => {
      const failing = { ping: async () => Promise.reject(new Error(`connect ECONNREFUSED ${everything().url}`)), get: async () => null };
      const verdict = await createReadiness({ redis: failing, queues: [], keyPrefix: ctx.prefix })();
      expect(verdict.ok).toBe(false);
      expectClean(JSON.stringify(verdict), 'the readiness answer');
    });
  });
});
