import type { Server } from 'node:http';
import { buildApp } from './app';
import { loadConfigOrExit } from './config';
import { createRuntime } from './runtime';
import { createReadiness } from './health';
import { createMetrics, ssoMetricsHooks } from './metrics';
import { mountOperatorRoutes } from './http/admin';

/** The web process: listen, and on SIGTERM stop accepting, drain, close. */
export async function main(): Promise<Server> {
  const config = loadConfigOrExit();
  const rt = createRuntime('web', config);
  const metrics = createMetrics({ queues: () => rt.queues.all() });
  const app = buildApp({
    ...rt,
    readiness: createReadiness({ redis: rt.redis, queues: rt.queues.all(), keyPrefix: config.KEY_PREFIX }, config.READINESS_STALE_MS),
    sso: ssoMetricsHooks(metrics),
    extra: (a) =>
      mountOperatorRoutes(a, { queues: rt.queues.all(), adminPassword: config.ADMIN_PASSWORD, registry: metrics.registry, publicUrl: config.PUBLIC_URL }),
  });
  const server = app.listen(config.PORT, () => rt.logger.info({ port: config.PORT }, 'web listening'));
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, 'web stopping: no new connections, draining');
    const force = setTimeout(() => process.exit(0), 25_000);
    force.unref();
    server.close(async () => {
      await rt.close();
      rt.logger.info('web stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return server;
}

if (require.main === module) void main();
