/**
 * `npm run demo [-- --target ch2]`: the life of add-ons on this machine. Starts the Anypoint and
 * Heroku stand-ins, the web process and the worker (child processes, a Redis of its own), a small
 * upstream app, then plays Heroku: provision, wait, call the app through its gateway, SSO into the
 * dashboard, plan change (the new limit takes effect), the app refusing a direct call without the
 * gateway's origin secret, an API key from the dashboard (a call refused without it, served with
 * it), deprovision, and shows what the stand-ins still hold.
 *
 * On `omni` the second app (demo-blog) has no `--upstream`: its gateway forwards to the app's own
 * herokuapp.com host (served by the Heroku stand-in's router), and `heroku apps:rename` of it shows
 * the gateway following the app (a signed webhook delivery, the follow-app workflow).
 *
 * `omni` (the default target): two add-ons of two apps on one shared managed Omni Gateway, each
 * under its own base path with its own plan's limit; at the end only the region pool's first
 * gateway remains. `ch2`: one add-on on a dedicated CloudHub 2.0 proxy; at the end nothing remains.
 * Exits 0 only when every stage worked.
 */
import manifest from '../addon-manifest.json';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createAnypointSandbox } from '@aag/standins';
import { createHerokuSandbox } from '@aag/standins';
import { DEV_SECRETS } from '../src/config';
import { connectRedis, deleteKeysUnder } from '../src/store/redis';
import { demoRedis } from './demo-redis';
import { screenshotTraffic, showLogLines } from './demo-traffic';

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

type Target = 'omni' | 'ch2';

function targetArg(argv: readonly string[]): Target {
  const i = argv.findIndex((a) => a === '--target' || a.startsWith('--target='));
  if (i < 0) return 'omni';
  const v = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  if (v !== 'omni' && v !== 'ch2') fail(`--target must be omni or ch2, not ${v ?? '(nothing)'}`);
  return v;
}

/**
 * Calls `path` through the proxy at `proxyUrl`: a shared gateway's `http://127.0.0.1:<port>/<base
 * path>/` or a dedicated proxy's `http://<name>.localhost:<port>/`, connecting to 127.0.0.1 with the
 * URL's Host (as DNS would send it there).
 */
function viaGateway(proxyUrl: string, p = '/'): Promise<Res> {
  const u = new URL(proxyUrl);
  return call(`http://127.0.0.1:${u.port}${u.pathname.replace(/\/+$/, '')}${p}`, { host: u.host });
}

async function main() {
  const target = targetArg(process.argv.slice(2));
  console.log(`anypoint-api-gateway demo on target ${target}: ${target === 'omni' ? 'two add-ons on one shared managed Omni Gateway' : 'one add-on on a dedicated CloudHub 2.0 proxy'}, against local stand-ins\n`);
  console.log('   total     stage');
  const ownRedis = await demoRedis();
  const REDIS_URL = ownRedis.url;
  line('✓', ownRedis.said);

  // 1. stand-ins and a small upstream app (the platform's waits shortened: a gateway in 1.5 s, an API live in 0.3 s, a proxy in 1.5 s)
  const anypoint = createAnypointSandbox({ gatewayCreateDelayMs: 1500, apiGoLiveDelayMs: 300, deployDelayMs: 1500 });
  const heroku = createHerokuSandbox({ configVars: manifest.api.config_vars });
  const a = await anypoint.start(0);
  const h = await heroku.start(0);
  // the gateways' calls to *.herokuapp.com go to the Heroku stand-in's router (apps by Host header)
  anypoint.routeHosts('.herokuapp.com', h.routerUrl);
  // the app refuses what did not come through its gateway (the Dev Center article's check): the
  // X-Anypoint-Gateway-Secret header must match ANYPOINT_API_GATEWAY_ORIGIN_SECRET (or _PREVIOUS)
  const uuids: string[] = [];
  const accepted = () =>
    uuids.flatMap((u) => {
      const c = heroku.addon(u)?.config ?? {};
      return [c.ANYPOINT_API_GATEWAY_ORIGIN_SECRET, c.ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS].filter((v): v is string => !!v);
    });
  const upstream = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    const given = Buffer.from(String(req.headers['x-anypoint-gateway-secret'] ?? ''));
    if (!accepted().some((v) => Buffer.byteLength(v) === given.length && timingSafeEqual(Buffer.from(v), given))) {
      res.statusCode = 403;
      res.end(JSON.stringify({ error: 'only calls through the gateway are served' }));
      return;
    }
    res.end(JSON.stringify({ hello: 'from the upstream app', path: req.url }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
  line('✓', `stand-ins up: Anypoint ${a.url}, Heroku ${h.url}; upstream app ${upstreamUrl}`);

  // 2. the service: web + worker, on the demo's Redis under a private prefix
  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  const service = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    REDIS_URL,
    KEY_PREFIX: prefix,
    ANYPOINT_BASE_URL: a.url,
    HEROKU_API_URL: h.url,
    HEROKU_ID_URL: h.url,
    ANYPOINT_DEFAULT_TARGET: target,
    DEPLOY_POLL_MS: '250',
    JOB_BACKOFF_MS: '200',
    WORKER_METRICS_PORT: String(await freePort()),
    // the gateway's calls read every second (the stand-in's export shows them at once)
    TRAFFIC_POLL_MS: '1000',
    TRAFFIC_SETTLE_MS: '0',
    // a dashboard change counts as live this long after the platform took it (the stand-in applies at once)
    POLICY_APPLY_MS: '300',
    // where Heroku's webhook deliveries go (<PUBLIC_URL>/heroku/webhooks/<uuid>): the app is followed
    PUBLIC_URL: service,
  };
  startChild('web', 'src/server.ts', env);
  startChild('worker', 'src/worker.ts', env);
  await until('web process answers /healthz', async () => (await call(`${service}/healthz`)).status === 200, 30_000, 200);
  line('✓', `web process listening on ${service}; worker started`);

  const auth = `Basic ${Buffer.from(`anypoint-api-gateway:${DEV_SECRETS.ADDON_PASSWORD}`).toString('base64')}`;
  const json = { 'Content-Type': 'application/json', Accept: 'application/vnd.heroku-addons+json; version=3', Authorization: auth };

  /** Heroku's provision call, then the wait until Heroku hears "provisioned"; the add-on's config vars. */
  async function provision(appName: string, plan: string, ownUpstream = true) {
    const body = heroku.createAddon({ plan, appName, ...(ownUpstream ? { options: { upstream: upstreamUrl } } : {}) });
    uuids.push(body.uuid);
    const prov = await call(`${service}/heroku/resources`, { method: 'POST', headers: json, body: JSON.stringify(body) });
    if (prov.status !== 202) fail(`provision answered ${prov.status}: ${prov.body}`);
    line('✓', `POST /heroku/resources → 202 (add-on ${body.uuid} of app ${appName}, plan ${plan})`);
    const addon = await until(`Heroku stand-in sees actions/provision of ${appName}`, async () => {
      const ad = heroku.addon(body.uuid);
      if (ad?.state === 'deprovisioned') fail(`provisioning of ${appName} failed: Heroku was told to deprovision`);
      return ad?.state === 'provisioned' ? ad : undefined;
    }, 60_000);
    const proxyUrl = addon.config.ANYPOINT_API_GATEWAY_URL;
    line('✓', `${appName} provisioned; ANYPOINT_API_GATEWAY_URL=${proxyUrl} ANYPOINT_API_GATEWAY_API_ID=${addon.config.ANYPOINT_API_GATEWAY_API_ID}`);
    return { body, uuid: body.uuid, proxyUrl };
  }

  /** 70 calls through a proxy: how many the plan's limit refused. */
  async function burst(proxyUrl: string): Promise<number> {
    let limited = 0;
    for (let i = 0; i < 70; i++) if ((await viaGateway(proxyUrl)).status === 429) limited++;
    return limited;
  }

  try {
    // 3. provision (on omni, a second add-on of another app lands on the same gateway)
    const shop = await provision('demo-shop', 'test');
    // demo-blog: no --upstream, so its gateway forwards to the app's own herokuapp.com host
    const blog = target === 'omni' ? await provision('demo-blog', 'basic', false) : undefined;
    const inv0 = anypoint.inspect();
    if (target === 'omni') {
      if (inv0.gateways.length !== 1 || new URL(shop.proxyUrl).host !== new URL(blog!.proxyUrl).host) fail(`expected both add-ons on one gateway, the stand-in has ${inv0.gateways.length}`);
      line('✓', `one managed Omni Gateway (${inv0.gateways[0].name}, ${inv0.gateways[0].publicUrl}) serves both, each under its own base path; 0 applications`);
    } else {
      if (inv0.gateways.length !== 0 || inv0.applications.length !== 1) fail(`expected one dedicated proxy and no gateway, the stand-in has ${inv0.applications.length} and ${inv0.gateways.length}`);
      line('✓', `one dedicated proxy application (${inv0.applications[0].name}, ${inv0.applications[0].status}/${inv0.applications[0].applicationStatus}); no shared gateway`);
    }

    // 4. call the apps through their gateway: each add-on's own limit
    const through = await viaGateway(shop.proxyUrl, '/hello?via=gateway');
    if (through.status !== 200 || !through.body.includes('from the upstream app')) fail(`gateway call answered ${through.status}: ${through.body}`);
    line('✓', `GET ${shop.proxyUrl}hello?via=gateway → 200 ${through.body} (limit ${through.headers['x-ratelimit-limit']}/min)`);
    const shopLimited = await burst(shop.proxyUrl);
    if (shopLimited === 0) fail('the test plan limit (60/min) was not enforced');
    line('✓', `70 more calls to demo-shop: ${shopLimited} answered 429 (plan test: 60 requests/minute)`);
    await showLogLines(heroku, shop.uuid, 71, 70, line);
    if (blog) {
      const blogLimited = await burst(blog.proxyUrl);
      if (blogLimited !== 0) fail(`demo-blog (plan basic) was limited ${blogLimited} times by its neighbour's traffic`);
      line('✓', `70 calls to demo-blog on the same gateway: ${blogLimited} answered 429 (plan basic: 1,000 requests/minute; the neighbour's limit is not its own)`);

      // 4b. heroku apps:rename demo-blog: the old host is gone at once; the gateway follows the app
      const hostOf = (r: Res) => {
        try {
          return (JSON.parse(r.body) as { host?: string }).host;
        } catch {
          return undefined;
        }
      };
      const renamed = heroku.renameApp(blog.uuid, 'demo-blog-renamed');
      const renamedAt = Date.now();
      const newHost = renamed.newHost ?? fail('the rename gave the app no new host');
      const followed = await until('the gateway serves demo-blog at its new host', async () => {
        const r = await viaGateway(blog.proxyUrl, '/after-rename');
        return r.status === 200 && hostOf(r) === newHost ? r : undefined;
      }, 10_000, 20);
      const tookMs = Date.now() - renamedAt;
      const delivery = renamed.deliveries[0];
      const oldAnswer = await call(`${h.routerUrl}/`, { host: renamed.oldHost });
      line(
        '✓',
        `heroku apps:rename demo-blog demo-blog-renamed: webhook delivered (${delivery ? `answered ${delivery.answers.join(', ') || 'pending'}` : 'none'}); within ${tookMs} ms the same gateway URL serves ${hostOf(followed)} (the old host ${renamed.oldHost} now answers ${oldAnswer.status})`,
      );
    }

    // 5. SSO into the dashboard
    const ts = String(Math.floor(Date.now() / 1000));
    const userId = 'demo-user@heroku.com';
    const email = 'dev@example.com';
    const token = createHash('sha256').update(`${shop.uuid}:${DEV_SECRETS.SSO_SALT}:${ts}:${userId}:${email}`).digest('hex');
    const form = new URLSearchParams({ resource_id: shop.uuid, timestamp: ts, user_id: userId, email, user_scoped_resource_token: token, app: 'demo-shop' }).toString();
    const sso = await call(`${service}/sso/login`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    if (sso.status !== 302) fail(`SSO answered ${sso.status}`);
    const cookie = ([] as string[]).concat(sso.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const dash = await call(`${service}${sso.headers.location}`, { headers: { Cookie: cookie } });
    if (dash.status !== 200 || !dash.body.includes(shop.proxyUrl)) fail(`dashboard answered ${dash.status}`);
    const runsOn = /data-testid="target">([^<]*)</.exec(dash.body)?.[1] ?? '?';
    line('✓', `SSO form post → 302 ${sso.headers.location} → 200 dashboard: proxy URL, runs on ${runsOn}`);
    const shot = await screenshotTraffic(`${service}${sso.headers.location}`, cookie);
    line(shot.file ? '✓' : '⚠', shot.file ? `dashboard traffic chart (71 calls, ${shopLimited} refused, the 60/min limit drawn): ${shot.file}` : `no screenshot of the dashboard chart: ${shot.why}`);

    // 6. plan change: the new limit takes effect (the other add-on's stays)
    const put = await call(`${service}/heroku/resources/${shop.uuid}`, { method: 'PUT', headers: json, body: JSON.stringify({ plan: 'basic' }) });
    if (put.status !== 200) fail(`plan change answered ${put.status}`);
    const newLimit = await until('the gateway enforces the basic limit', async () => {
      const r = await viaGateway(shop.proxyUrl);
      return r.headers['x-ratelimit-limit'] === '1000' && r.status === 200 ? r.headers['x-ratelimit-limit'] : undefined;
    }, 30_000);
    line('✓', `PUT plan basic → 200; demo-shop's gateway now allows ${newLimit} requests/minute`);

    // 7. the gateway as a boundary: the app refuses a direct call; an API key from the dashboard
    const direct = await call(`${upstreamUrl}/hello`);
    if (direct.status !== 403) fail(`a direct call to the app (no origin secret) answered ${direct.status}`);
    line('✓', `GET ${upstreamUrl}/hello straight to the app, without the gateway's X-Anypoint-Gateway-Secret → 403 ${direct.body}`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(dash.body)?.[1] ?? fail('no anti-forgery token on the dashboard');
    const keyForm = new URLSearchParams({ csrf, name: 'demo consumer' }).toString();
    const made = await call(`${service}/dashboard/${shop.uuid}/keys`, { method: 'POST', headers: { Cookie: cookie, Origin: service, 'Content-Type': 'application/x-www-form-urlencoded' }, body: keyForm });
    if (made.status !== 303) fail(`creating a key answered ${made.status}: ${made.body.slice(0, 200)}`);
    const page = await until('the key is made and shown once on the dashboard', async () => {
      const d = await call(`${service}/dashboard/${shop.uuid}`, { headers: { Cookie: cookie } });
      return d.body.includes('id="new-client-secret"') ? d.body : undefined;
    }, 30_000, 250);
    const clientId = /id="new-client-id">([^<]+)</.exec(page)?.[1] ?? fail('no client id shown');
    const clientSecret = /id="new-client-secret">([^<]+)</.exec(page)?.[1] ?? fail('no client secret shown');
    const noKey = await viaGateway(shop.proxyUrl, '/hello');
    if (noKey.status !== 401) fail(`a call without a key answered ${noKey.status}`);
    line('✓', `dashboard → Create a key "demo consumer" (client id ${clientId}, secret shown once); GET ${shop.proxyUrl}hello without a key → 401`);
    const u = new URL(shop.proxyUrl);
    const withKey = await call(`http://127.0.0.1:${u.port}${u.pathname.replace(/\/+$/, '')}/hello`, { host: u.host, headers: { client_id: clientId, client_secret: clientSecret } });
    if (withKey.status !== 200) fail(`a call with the key answered ${withKey.status}`);
    line('✓', `the same call with client_id/client_secret headers → 200 ${withKey.body} (the app saw the gateway's origin secret)`);

    // 8. deprovision: nothing left behind but the region's first shared gateway
    for (const one of [shop, blog].filter((x) => x !== undefined)) {
      const del = await call(`${service}/heroku/resources/${one.uuid}`, { method: 'DELETE', headers: { Authorization: auth } });
      if (del.status !== 204) fail(`deprovision answered ${del.status}`);
    }
    await until('every resource of the add-ons removed', async () => {
      const inv = anypoint.inspect();
      return inv.assets.length + inv.softDeletedAssets.length + inv.apis.length + inv.policies.length + inv.applications.length + inv.clientApplications.length + inv.contracts.length === 0;
    }, 30_000);
    const again = await call(`${service}/heroku/resources`, { method: 'POST', headers: json, body: JSON.stringify(shop.body) });
    if (again.status !== 410) fail(`provision after deprovision answered ${again.status}, expected 410`);
    const inv = anypoint.inspect();
    if (inv.gateways.length !== (target === 'omni' ? 1 : 0)) fail(`the stand-in holds ${inv.gateways.length} gateways at the end`);
    line(
      '✓',
      `DELETE → 204; stand-ins hold ${inv.assets.length} assets, ${inv.apis.length} API instances, ${inv.policies.length} policies, ${inv.clientApplications.length} client applications, ${inv.contracts.length} contracts, ${inv.applications.length} applications, ${inv.gateways.length} gateway${inv.gateways.length === 1 ? ` (${inv.gateways[0].name}, the pool's first, kept for the next add-on)` : 's'}; re-provision → 410`,
    );
    const violations = [...anypoint.violations.all(), ...heroku.violations.all()];
    if (violations.length) fail(`the stand-ins saw ${violations.length} contract violations, the first: ${violations[0].message}`);
    line('✓', 'every request the service sent and every answer the stand-ins gave matched the vendor specs (0 contract violations)');
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
