/**
 * Shared set-up of the boundary stand-in tests (client applications, contracts, policies at the
 * gateway): a sandbox, an echo upstream, and the calls that make a live API instance on either target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  createAnypointSandbox,
  DEFAULT_CLIENT_ID,
  DEFAULT_CLIENT_SECRET,
  DEFAULT_ENVIRONMENTS,
  DEFAULT_ORG_ID,
  DEFAULT_SPACES,
  GATEWAY_VERSIONS,
  MULESOFT_POLICY_GROUP_ID,
  RUNTIME_VERSIONS,
  type AnypointSandbox,
  type AnypointSandboxOptions,
} from '@aag/standins';

export const ORG = DEFAULT_ORG_ID;
export const ENV = DEFAULT_ENVIRONMENTS[0].id;
export const APIS = `/apimanager/api/v1/organizations/${ORG}/environments/${ENV}/apis`;
export const APPS = `/exchange/api/v2/organizations/${ORG}/applications`;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface Kit {
  sb: AnypointSandbox;
  url: string;
  upstreamUrl: string;
  /** What the upstream received, oldest first. */
  seen: Seen[];
  close(): Promise<void>;
}

export async function startKit(opts: AnypointSandboxOptions = {}): Promise<Kit> {
  const sb = createAnypointSandbox({ deployDelayMs: 40, gatewayCreateDelayMs: 40, apiGoLiveDelayMs: 10, seed: 7, ...opts });
  const { url } = await sb.start();
  const seen: Seen[] = [];
  const upstream = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  return {
    sb,
    url,
    upstreamUrl: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    seen,
    async close() {
      await sb.close();
      await new Promise<void>((r) => {
        upstream.close(() => r());
        upstream.closeAllConnections();
      });
    },
  };
}

export async function client(kit: Kit) {
  const token = (
    await request(kit.url)
      .post('/accounts/api/v2/oauth2/token')
      .send({ grant_type: 'client_credentials', client_id: DEFAULT_CLIENT_ID, client_secret: DEFAULT_CLIENT_SECRET })
      .expect(200)
  ).body.access_token as string;
  const auth = `Bearer ${token}`;
  const r = request(kit.url);
  return {
    get: (p: string) => r.get(p).set('Authorization', auth),
    del: (p: string) => r.delete(p).set('Authorization', auth),
    post: (p: string) => r.post(p).set('Authorization', auth),
    patch: (p: string) => r.patch(p).set('Authorization', auth),
  };
}
export type Client = Awaited<ReturnType<typeof client>>;

export type Target = 'ch2' | 'omni';

export interface LiveApi {
  apiId: number;
  proxyUrl: string;
  asset: { groupId: string; assetId: string; version: string; productVersion: string };
}

/** Asset → instance (mule4 on a CloudHub 2.0 proxy, or flexGateway on a managed gateway) → deployed and live. */
export async function liveApi(kit: Kit, c: Client, name: string, target: Target): Promise<LiveApi> {
  await c
    .post(`/exchange/api/v2/organizations/${ORG}/assets/${ORG}/${name}/1.0.0`)
    .set('x-sync-publication', 'true')
    .field('name', name)
    .field('type', 'http-api')
    .field('properties.apiVersion', 'v1')
    .field('status', 'published')
    .expect(201);
  const endpoint =
    target === 'ch2'
      ? { type: 'http', uri: kit.upstreamUrl, proxyUri: 'http://0.0.0.0:8081/', isCloudHub: null, deploymentType: 'CH2', muleVersion4OrAbove: true, proxyTemplate: { assetVersion: '2.0.2' } }
      : { type: 'http', uri: kit.upstreamUrl, proxyUri: `http://0.0.0.0:8081/${name}`, isCloudHub: null, deploymentType: 'HY' };
  const api = (
    await c
      .post(APIS)
      .send({ spec: { groupId: ORG, assetId: name, version: '1.0.0' }, instanceLabel: name, technology: target === 'ch2' ? 'mule4' : 'flexGateway', endpoint })
      .expect(201)
  ).body as { id: number };
  const deployments = `/proxies/xapi/v1/organizations/${ORG}/environments/${ENV}/apis/${api.id}/deployments`;
  let proxyUrl: string;
  if (target === 'ch2') {
    const space = DEFAULT_SPACES[0];
    await c
      .post(deployments)
      .send({ type: 'CH2', targetId: space.id, targetName: space.name, applicationName: name, environmentId: ENV, environmentName: 'Sandbox', gatewayVersion: RUNTIME_VERSIONS[0].tag, overwrite: false })
      .expect(201);
    proxyUrl = '';
  } else {
    const gws = `/gatewaymanager/api/v1/organizations/${ORG}/environments/${ENV}/gateways`;
    const g = (
      await c.post(gws).send({ name: `gw-${name}`, targetId: DEFAULT_SPACES[0].id, runtimeVersion: GATEWAY_VERSIONS.lts[0], releaseChannel: 'lts', size: 'small' }).expect(201)
    ).body as { id: string; runtimeVersion: string; configuration: { ingress: { publicUrl: string } } };
    for (let i = 0; i < 200 && !(await c.get(`${gws}/${g.id}/status`).expect(200)).body.running; i++) await sleep(10);
    await c
      .post(deployments)
      .send({ type: 'HY', targetId: g.id, targetName: `gw-${name}`, gatewayVersion: g.runtimeVersion, environmentId: ENV, environmentName: 'Sandbox', overwrite: false })
      .expect(201);
    proxyUrl = `${g.configuration.ingress.publicUrl}/${name}/`;
  }
  for (let i = 0; i < 300; i++) {
    const view = (await c.get(`${APIS}/${api.id}`).expect(200)).body as { status: string };
    if (view.status === 'active') break;
    await sleep(10);
  }
  if (target === 'ch2') {
    const app = kit.sb.inspect().applications.find((a) => a.name === name);
    proxyUrl = `${app!.publicUrl}/`;
  }
  return { apiId: api.id, proxyUrl, asset: { groupId: ORG, assetId: name, version: '1.0.0', productVersion: 'v1' } };
}

export const policy = (assetId: string, configurationData: Record<string, unknown>, assetVersion = '1.3.2') => ({
  groupId: MULESOFT_POLICY_GROUP_ID,
  assetId,
  assetVersion,
  configurationData,
  pointcutData: null,
  disabled: false,
});

export interface GwResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request through a proxy URL: connects to 127.0.0.1 with the proxy's Host. */
export function gw(proxyUrl: string, path = '/', opts: { method?: string; headers?: Record<string, string> } = {}): Promise<GwResponse> {
  const u = new URL(proxyUrl);
  const full = `${u.pathname.replace(/\/+$/, '')}${path}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: u.port, path: full, method: opts.method ?? 'GET', headers: { host: u.host, connection: 'close', ...opts.headers }, agent: false },
      (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
