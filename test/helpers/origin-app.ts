import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';

/**
 * A Heroku app that refuses what did not come through its gateway, the way the Dev Center article
 * tells users to write it: the X-Anypoint-Gateway-Secret header must equal
 * ANYPOINT_API_GATEWAY_ORIGIN_SECRET or, while a rotation restarts the app,
 * ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS (constant-time). Like a dyno it reads its config
 * vars when it (re)starts: `config()` is watched and a change takes effect `restartMs` later, as
 * Heroku's restart after a config change does.
 */
export interface OriginApp {
  url: string;
  /** Requests answered 200 / refused 403. */
  served: () => number;
  refused: () => number;
  /** The origin secret header of every request, in order. */
  seen: () => (string | undefined)[];
  close(): Promise<void>;
}

function matches(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startOriginApp(config: () => Record<string, string> | undefined, restartMs = 100): Promise<OriginApp> {
  let running: Record<string, string> = { ...(config() ?? {}) };
  let watched = JSON.stringify(running);
  const timer = setInterval(() => {
    const now = config() ?? {};
    const text = JSON.stringify(now);
    if (text === watched) return;
    watched = text;
    const snapshot = { ...now };
    setTimeout(() => (running = snapshot), restartMs).unref();
  }, 5);
  timer.unref();
  let served = 0;
  let refused = 0;
  const seen: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    const raw = req.headers['x-anypoint-gateway-secret'];
    const given = Array.isArray(raw) ? raw.join(',') : raw;
    seen.push(given);
    const ok = !!given && (matches(given, running.ANYPOINT_API_GATEWAY_ORIGIN_SECRET) || matches(given, running.ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS));
    res.setHeader('Content-Type', 'application/json');
    if (!ok) {
      refused++;
      res.statusCode = 403;
      res.end(JSON.stringify({ error: 'not through the gateway' }));
      return;
    }
    served++;
    res.end(JSON.stringify({ ok: true, path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    served: () => served,
    refused: () => refused,
    seen: () => seen,
    close: () => {
      clearInterval(timer);
      return new Promise((r) => server.close(() => r()));
    },
  };
}
