/**
 * Baseline for the accept path: the least an Express 5 app can do for `POST /heroku/resources` —
 * parse the same JSON, check the same Basic auth (constant time), make one Redis write, answer 202.
 * No validation, no record model, no queue. The Redis connection is the product web's own
 * (`connectRedis(…, 'web')`: fail fast, auto-pipelining); it listens once that connection is ready.
 * Env: PORT, REDIS_URL, KEY_PREFIX, ADDON_ID, ADDON_PASSWORD.
 */
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import { connectRedis, whenReady } from '../../src/store/redis';

const port = Number(process.env.PORT ?? 0);
const prefix = process.env.KEY_PREFIX ?? 'bench-baseline';
const expected = Buffer.from(`${process.env.ADDON_ID ?? 'anypoint-api-gateway'}:${process.env.ADDON_PASSWORD ?? ''}`);
const redis = connectRedis({ REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'web');

const app = express();
app.disable('x-powered-by');
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
app.post('/heroku/resources', express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }), async (req, res) => {
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i.exec(req.get('authorization') ?? '');
  const given = m ? Buffer.from(m[1], 'base64') : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    res.status(401).json({ message: 'invalid credentials' });
    return;
  }
  const uuid = String((req.body as { uuid?: unknown })?.uuid ?? '');
  await redis.set(`${prefix}:addon:${uuid}`, JSON.stringify(req.body), 'NX');
  res.status(202).json({ id: uuid, message: `Provisioning ${uuid}` });
});

let server: ReturnType<typeof app.listen> | undefined;
void whenReady(redis, 10_000).then(() => {
  server = app.listen(port, '127.0.0.1');
});
process.on('SIGTERM', () => {
  if (!server) process.exit(0);
  server.close(() => {
    redis.disconnect();
    process.exit(0);
  });
  server.closeAllConnections();
});
