/**
 * Fallback web entry for the bench, used only when `src/server.ts` exits at start-up (at the time
 * of writing it calls `rt.queues.all()` before the fail-fast Redis connection is ready, which
 * throws "Redis connection not ready"). Same wiring as src/server.ts — buildApp with the same
 * readiness, SSO metrics hooks and operator routes — but it waits for Redis first.
 */
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createReadiness } from '../../src/health';
import { mountOperatorRoutes } from '../../src/http/admin';
import { createMetrics, ssoMetricsHooks } from '../../src/metrics';
import { createRuntime } from '../../src/runtime';
import { waitReady } from '../../src/store/redis';

async function main() {
  const config = loadConfig();
  const rt = createRuntime('web', config);
  await waitReady(rt.redis, 10_000);
  const metrics = createMetrics({ queues: () => rt.queues.all() });
  const app = buildApp({
    ...rt,
    readiness: createReadiness({ redis: rt.redis, queues: rt.queues.all(), keyPrefix: config.KEY_PREFIX }, config.READINESS_STALE_MS),
    sso: ssoMetricsHooks(metrics),
    extra: (a) => mountOperatorRoutes(a, { queues: rt.queues.all(), adminPassword: config.ADMIN_PASSWORD, registry: metrics.registry, publicUrl: config.PUBLIC_URL }),
  });
  const server = app.listen(config.PORT, '127.0.0.1');
  server.keepAliveTimeout = 65_000;
  process.on('SIGTERM', () => {
    server.close(() => {
      void rt.close().finally(() => process.exit(0));
    });
    server.closeAllConnections();
  });
}

void main();
