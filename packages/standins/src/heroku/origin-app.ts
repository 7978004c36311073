/**
 * A stand-in for the user's app on Heroku (behind its herokuapp.com host) that does what the Dev
 * Center article tells users to do: refuse (403) a call whose `X-Anypoint-Gateway-Secret` header is
 * not its config var `ANYPOINT_API_GATEWAY_ORIGIN_SECRET` nor `..._ORIGIN_SECRET_PREVIOUS`, comparing
 * in constant time. Like a Heroku app it reads its config vars when it (re)starts: a change Heroku
 * records reaches the app `restartDelayMs` later (Heroku restarts the dynos on a config change), so a
 * rotation can be tested for the window in between. It records every call it got, with its headers.
 * Development tool only: imports nothing from the product.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginAppOptions {
  /** The app's config vars as Heroku holds them now, e.g. `() => heroku.addon(uuid)?.config ?? {}`. */
  config: () => Record<string, string | undefined>;
  /** A config change reaches the app this long after it is first seen (the restart). Default 0. */
  restartDelayMs?: number;
  /** How often the app looks for a config change. Default 20 ms. */
  pollMs?: number;
  /** Refuse calls without the secret (default true); false: a plain app that only records calls. */
  requireSecret?: boolean;
  /** The add-on's config var prefix. Default 'ANYPOINT_API_GATEWAY'. */
  prefix?: string;
}

export interface OriginCall {
  at: string;
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** 200 served, 403 refused for want of the secret. */
  status: number;
}

export interface OriginApp {
  /** Listens on 127.0.0.1 (port 0 = random). */
  start(port?: number): Promise<{ url: string }>;
  close(): Promise<void>;
  /** The calls it got, oldest first (also `GET /__standin/calls`, which is never refused nor recorded). */
  calls(): OriginCall[];
  clearCalls(): void;
  /** The config vars as of its last (re)start. */
  env(): Record<string, string>;
  /** Restarts so far (config changes that reached it). */
  restarts(): number;
}

export const ORIGIN_SECRET_HEADER = 'x-anypoint-gateway-secret';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time: both sides hashed first, so neither the value nor its length leaks through timing. */
function matches(given: string, expected: string | undefined): boolean {
  if (!expected) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

export function createOriginApp(opts: OriginAppOptions): OriginApp {
  const prefix = opts.prefix ?? 'ANYPOINT_API_GATEWAY';
  const restartDelayMs = opts.restartDelayMs ?? 0;
  const requireSecret = opts.requireSecret ?? true;
  const read = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.config())) if (typeof v === 'string') out[k] = v;
    return out;
  };

  let env = read();
  let seenJson = JSON.stringify(env);
  let pending: { config: Record<string, string>; at: number } | null = null;
  let restarts = 0;
  const calls: OriginCall[] = [];

  /** Notices a config change (the restart starts) and applies it once the restart is over. */
  const tick = () => {
    const now = Date.now();
    const current = read();
    const json = JSON.stringify(current);
    if (json !== seenJson) {
      seenJson = json;
      pending = { config: current, at: now };
    }
    if (pending && now >= pending.at + restartDelayMs) {
      env = pending.config;
      pending = null;
      restarts += 1;
    }
  };

  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/__standin/calls') return send(res, 200, { calls });
    tick();
    const given = req.headers[ORIGIN_SECRET_HEADER];
    const value = Array.isArray(given) ? given.join(', ') : given;
    const ok =
      !requireSecret ||
      (value !== undefined && (matches(value, env[`${prefix}_ORIGIN_SECRET`]) || matches(value, env[`${prefix}_ORIGIN_SECRET_PREVIOUS`])));
    const status = ok ? 200 : 403;
    calls.push({ at: new Date().toISOString(), method: req.method ?? 'GET', path: req.url ?? '/', headers: { ...req.headers }, status });
    if (!ok) return send(res, 403, { error: 'Forbidden: this app answers only calls through its API gateway' });
    send(res, 200, { ok: true, method: req.method, path: req.url });
  });

  let timer: NodeJS.Timeout | undefined;

  return {
    start(port = 0) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          timer = setInterval(tick, opts.pollMs ?? 20);
          timer.unref();
          resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
        });
      });
    },
    close() {
      if (timer) clearInterval(timer);
      if (!server.listening) return Promise.resolve();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    calls: () => calls.map((x) => ({ ...x, headers: { ...x.headers } })),
    clearCalls: () => {
      calls.length = 0;
    },
    env: () => ({ ...env }),
    restarts: () => restarts,
  };
}
