import { loadConfigOrExit } from './config';
import { startWeb } from './start';

/** The web process: listen, and on SIGTERM stop accepting, drain, close. */
export async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const web = await startWeb(config);
  web.logger.info({ port: config.PORT }, 'web listening');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    web.logger.info({ signal }, 'web stopping: no new connections, draining');
    const force = setTimeout(() => process.exit(0), 25_000);
    force.unref();
    void web.close().then(() => {
      web.logger.info('web stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) void main();
