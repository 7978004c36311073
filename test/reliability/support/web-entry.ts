/**
 * A web process for the scale-out scenario: src/server.ts's startWeb (the fail-fast connection:
 * 503 while Redis is away), on loopback.
 */
import { loadConfig } from '../../../src/config';
import { startWeb } from '../../../src/start';

async function main() {
  const config = loadConfig();
  const web = await startWeb(config, { listen: { port: config.PORT, host: '127.0.0.1' } });
  process.stdout.write(`WEB READY ${config.PORT}\n`);
  process.on('SIGTERM', () => {
    setTimeout(() => process.exit(0), 3_000).unref();
    void web.close().then(() => process.exit(0));
  });
}

void main();
