/**
 * `npm run demo`: the whole life of one add-on on this machine. Starts the Anypoint and Heroku
 * stand-ins, the web process and the worker (child processes, local Redis), a small upstream app,
 * then plays Heroku: provision, wait, call the app through its gateway, SSO into the dashboard,
 * plan change (the new limit takes effect), deprovision, and shows the stand-ins hold nothing.
 * Exits 0 only when every stage worked.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createAnypointSandbox } from '@aag/standins';
import { createHerokuSandbox } from '@aag/standins';
import { DEV_SECRETS } from '../src/config';
import { connectRedis, deleteKeysUnder } from '../src/store/redis';
import { demoRedis } from './demo-redis';

const ROOT = path.resolve(__dirname, '..');
const t0 = Date.now();
let stageStart = Date.now();
const children: ChildProcess[] = [];

function line(mark: string, text: string) {
  const total = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  const stage = `${Date.now() - stageStart} ms`.padStart(9);
  console.log(`${total}s ${stage}  ${mark} ${text}`);
  stageStart = Date.now();
}

function fail(text: string): never {
  line('✗', text);
  throw new Error(text);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function startChild(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', entry], {
    cwd: ROOT,
    env: { ...process.env, ...env, TS_NODE_TRANSPILE_ONLY: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (d: Buffer) => {
    tail.push(d.toString());
    if (tail.length > 40) tail.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, sig) => {
    if (!stopping) console.error(`${name} exited (${code ?? sig}); last output:\n${tail.join('')}`);
  });
  children.push(child);
  return child;
}

let stopping = false;

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return fail(`timed out: ${what}`);
}

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function call(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<Res> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: Number(u.port), path: u.pathname + u.search, method: opts.method ?? 'GET', headers: { ...(opts.host ? { Host: opts.host } : {}), ...opts.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

async function main() {
  console.log('anypoint-api-gateway demo: one add-on, start to finish, against local stand-ins\n');
  console.log('   total     stage');
  const ownRedis = await demoRedis();
  const REDIS_URL = ownRedis.url;
  line('✓', ownRedis.said);

  // 1. stand-ins and a small upstream app
  const anypoint = createAnypointSandbox({ deployDelayMs: 1500 });
  const heroku = createHerokuSandbox({});
  const a = await anypoint.start(0);
  const h = await heroku.start(0);
  const upstream = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ hello: 'from the upstream app', path: req.url }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
  line('✓', `stand-ins up: Anypoint ${a.url} (gateway ${a.gatewayUrl}), Heroku ${h.url}; upstream app ${upstreamUrl}`);

  // 2. the service: web + worker, on the local Redis under a private prefix
  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    REDIS_URL,
    KEY_PREFIX: prefix,
    ANYPOINT_BASE_URL: a.url,
    HEROKU_API_URL: h.url,
    HEROKU_ID_URL: h.url,
    ANYPOINT_PROXY_SCHEME: 'http',
    DEPLOY_POLL_MS: '250',
    JOB_BACKOFF_MS: '200',
    WORKER_METRICS_PORT: String(await freePort()),
  };
  startChild('web', 'src/server.ts', env);
  startChild('worker', 'src/worker.ts', env);
  const service = `http://127.0.0.1:${port}`;
  await until('web process answers /healthz', async () => (await call(`${service}/healthz`)).status === 200, 30_000, 200);
  line('✓', `web process listening on ${service}; worker started`);

  const auth = `Basic ${Buffer.from(`anypoint-api-gateway:${DEV_SECRETS.ADDON_PASSWORD}`).toString('base64')}`;
  const json = { 'Content-Type': 'application/json', Accept: 'application/vnd.heroku-addons+json; version=3', Authorization: auth };

  try {
    // 3. provision
    const body = heroku.createAddon({ plan: 'test', appName: 'demo-shop', options: { upstream: upstreamUrl } });
    const uuid = body.uuid;
    const prov = await call(`${service}/heroku/resources`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    if (prov.status !== 202) fail(`provision answered ${prov.status}: ${prov.body}`);
    line('✓', `POST /heroku/resources → 202 in the accept path (add-on ${uuid}, plan test)`);

    const addon = await until('Heroku stand-in sees actions/provision', async () => {
      const ad = heroku.addon(uuid);
      if (ad?.state === 'deprovisioned') fail('provisioning failed: Heroku was told to deprovision');
      return ad?.state === 'provisioned' ? ad : undefined;
    }, 60_000);
    const proxyUrl = addon.config.ANYPOINT_API_GATEWAY_URL;
    line('✓', `provisioned; config vars: ANYPOINT_API_GATEWAY_URL=${proxyUrl} ANYPOINT_API_GATEWAY_API_ID=${addon.config.ANYPOINT_API_GATEWAY_API_ID}`);

    // 4. call the app through its gateway
    const host = new URL(proxyUrl).host;
    const through = await call(`${a.gatewayUrl}/hello?via=gateway`, { host });
    if (through.status !== 200 || !through.body.includes('from the upstream app')) fail(`gateway call answered ${through.status}: ${through.body}`);
    line('✓', `GET ${proxyUrl}hello?via=gateway → 200 ${through.body} (limit ${through.headers['x-ratelimit-limit']}/min)`);
    let limited = 0;
    for (let i = 0; i < 70; i++) if ((await call(`${a.gatewayUrl}/`, { host })).status === 429) limited++;
    if (limited === 0) fail('the test plan limit (60/min) was not enforced');
    line('✓', `70 more calls: ${limited} answered 429 (plan test: 60 requests/minute)`);

    // 5. SSO into the dashboard
    const ts = String(Math.floor(Date.now() / 1000));
    const userId = 'demo-user@heroku.com';
    const email = 'dev@example.com';
    const token = createHash('sha256').update(`${uuid}:${DEV_SECRETS.SSO_SALT}:${ts}:${userId}:${email}`).digest('hex');
    const form = new URLSearchParams({ resource_id: uuid, timestamp: ts, user_id: userId, email, user_scoped_resource_token: token, app: 'demo-shop' }).toString();
    const sso = await call(`${service}/sso/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    if (sso.status !== 302) fail(`SSO answered ${sso.status}`);
    const cookie = ([] as string[]).concat(sso.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const dash = await call(`${service}${sso.headers.location}`, { headers: { Cookie: cookie } });
    if (dash.status !== 200 || !dash.body.includes(proxyUrl)) fail(`dashboard answered ${dash.status}`);
    line('✓', `SSO form post → 302 ${sso.headers.location} → 200 dashboard showing the proxy URL`);

    // 6. plan change: the new limit takes effect
    const put = await call(`${service}/heroku/resources/${uuid}`, { method: 'PUT', headers: json, body: JSON.stringify({ plan: 'basic' }) });
    if (put.status !== 200) fail(`plan change answered ${put.status}`);
    const newLimit = await until('gateway enforces the basic limit', async () => {
      const r = await call(`${a.gatewayUrl}/`, { host });
      return r.headers['x-ratelimit-limit'] === '1000' && r.status === 200 ? r.headers['x-ratelimit-limit'] : undefined;
    }, 30_000);
    line('✓', `PUT plan basic → 200; the gateway now allows ${newLimit} requests/minute`);

    // 7. deprovision: nothing left behind
    const del = await call(`${service}/heroku/resources/${uuid}`, { method: 'DELETE', headers: { Authorization: auth } });
    if (del.status !== 204) fail(`deprovision answered ${del.status}`);
    await until('every resource removed', async () => {
      const inv = anypoint.inspect();
      return inv.assets.length + inv.softDeletedAssets.length + inv.apis.length + inv.policies.length + inv.applications.length === 0;
    }, 30_000);
    const again = await call(`${service}/heroku/resources`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    if (again.status !== 410) fail(`provision after deprovision answered ${again.status}, expected 410`);
    const inv = anypoint.inspect();
    line('✓', `DELETE → 204; stand-ins hold ${inv.assets.length} assets, ${inv.apis.length} API instances, ${inv.policies.length} policies, ${inv.applications.length} applications; re-provision → 410`);
    console.log(`\ndemo passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } finally {
    stopping = true;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.on('exit', r)))));
    const redis = connectRedis({ REDIS_URL, REDIS_TLS_REJECT_UNAUTHORIZED: false }, 'worker');
    await deleteKeysUnder(redis, prefix);
    redis.disconnect();
    await anypoint.close();
    await heroku.close();
    await new Promise((r) => upstream.close(r));
    await ownRedis.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`\ndemo FAILED: ${err instanceof Error ? err.message : String(err)}`);
    stopping = true;
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  },
);
