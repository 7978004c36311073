/**
 * A web process for the scale-out scenario: the product's app on the product's web Redis connection
 * (fail-fast: 503 while Redis is away), like src/server.ts without the operator extras.
 */
import { buildApp } from '../../../src/app';
import { loadConfig } from '../../../src/config';
import { createRuntime } from '../../../src/runtime';

const config = loadConfig();
const rt = createRuntime('web', config);
const app = buildApp(rt);
const server = app.listen(config.PORT, '127.0.0.1', () => process.stdout.write(`WEB READY ${config.PORT}\n`));
process.on('SIGTERM', () => {
  server.close(() => {
    void rt.close().then(() => process.exit(0));
  });
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 3_000).unref();
});
