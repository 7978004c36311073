import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import type { JobQueues } from '../../src/jobs';
import type { AddonStore } from '../../src/store/addons';
import type { SecretBox } from '../../src/secrets';
import { deleteKeysUnder } from '../../src/store/redis';
import { startWeb, type Overrides, type Web } from '../../src/start';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Captures pino lines in memory so tests can read what was logged. */
export class LogCapture extends Writable {
  lines: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void) {
    this.lines.push(chunk.toString('utf8'));
    cb();
  }
  text(): string {
    return this.lines.join('');
  }
}

/** A unique key prefix per test file, so parallel runs never see each other's keys. */
export function uniquePrefix(tag: string): string {
  return `test-${tag}-${randomUUID().slice(0, 8)}`;
}

export function testConfig(overrides: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', REDIS_URL, ...overrides });
}

/** Deletes every key under a prefix (only what this test made). */
export const deletePrefix = deleteKeysUnder;

export interface AppContext {
  config: Config;
  web: Web;
  redis: Redis;
  store: AddonStore;
  jobs: JobQueues;
  box: SecretBox;
  logs: LogCapture;
  app: Web['app'];
  prefix: string;
  close(): Promise<void>;
}

/** The web tier as the product wires it (startWeb), not listening, on a private key prefix. */
export async function appContext(tag: string, opts: { config?: Record<string, string>; overrides?: Overrides } = {}): Promise<AppContext> {
  const prefix = uniquePrefix(tag);
  const config = testConfig({ KEY_PREFIX: prefix, ...opts.config });
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug' }, logs);
  const web = await startWeb(config, { listen: false, logger, ...opts.overrides });
  return {
    config,
    web,
    redis: web.redis,
    store: web.store,
    jobs: web.jobs,
    box: web.box,
    logs,
    app: web.app,
    prefix,
    async close() {
      await deletePrefix(web.redis, prefix);
      await web.close();
    },
  };
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function provisionBody(overrides: Record<string, unknown> = {}) {
  const uuid = randomUUID();
  return {
    uuid,
    name: `acme-${uuid.slice(0, 6)}-gateway`,
    plan: 'test',
    region: 'amazon-web-services::us-east-1',
    callback_url: `https://api.heroku.com/addons/${uuid}`,
    oauth_grant: { code: `grant-${randomUUID()}`, expires_at: new Date(Date.now() + 300_000).toISOString(), type: 'authorization_code' },
    options: {},
    ...overrides,
  };
}
