import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { buildApp, type AppDeps } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { AddonQueues } from '../../src/queue';
import { AddonStore } from '../../src/store/addons';
import { SecretBox } from '../../src/secrets';
import { encryptionKeyBytes } from '../../src/config';
import { deleteKeysUnder } from '../../src/store/redis';

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
  redis: Redis;
  store: AddonStore;
  queues: AddonQueues;
  box: SecretBox;
  logs: LogCapture;
  app: ReturnType<typeof buildApp>;
  prefix: string;
  close(): Promise<void>;
}

export async function appContext(tag: string, opts: { config?: Record<string, string>; deps?: Partial<AppDeps> } = {}): Promise<AppContext> {
  const prefix = uniquePrefix(tag);
  const config = testConfig({ KEY_PREFIX: prefix, ...opts.config });
  const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: 1 });
  const store = new AddonStore(redis, prefix);
  const queues = new AddonQueues(redis, prefix);
  const box = new SecretBox(encryptionKeyBytes(config));
  const logs = new LogCapture();
  const logger = createLogger({ level: 'debug' }, logs);
  const app = buildApp({ config, logger, store, queues, box, ...opts.deps });
  return {
    config,
    redis,
    store,
    queues,
    box,
    logs,
    app,
    prefix,
    async close() {
      await queues.close();
      await deletePrefix(redis, prefix);
      redis.disconnect();
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
