import type { Redis } from 'ioredis';
import { encryptionKeyBytes, loadConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';
import { AddonQueues } from './queue';
import { AddonStore } from './store/addons';
import { connectRedis } from './store/redis';
import { SecretBox } from './secrets';

/** The pieces both processes share, wired from the config. */
export interface Runtime {
  config: Config;
  logger: Logger;
  redis: Redis;
  store: AddonStore;
  queues: AddonQueues;
  box: SecretBox;
  close(): Promise<void>;
}

export function createRuntime(kind: 'web' | 'worker', config: Config = loadConfig(), logger?: Logger): Runtime {
  const log = logger ?? createLogger({ level: config.LOG_LEVEL, name: `anypoint-api-gateway/${kind}` });
  const redis = connectRedis(config, kind);
  const store = new AddonStore(redis, config.KEY_PREFIX);
  const queues = new AddonQueues(redis, config.KEY_PREFIX, config.JOB_BACKOFF_MS);
  const box = new SecretBox(encryptionKeyBytes(config));
  return {
    config,
    logger: log,
    redis,
    store,
    queues,
    box,
    async close() {
      await queues.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}
