import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REQUIRED_SCOPES } from '../../src/preflight/scopes';
import { createAnypointSandbox, createHerokuSandbox, type AnypointSandbox, type HerokuSandbox, type SandboxInventory } from '@aag/standins';
import { appContext, type AppContext } from '../helpers/context';
import { startUpstream } from '../helpers/stack';

/**
 * A world the preflight passes in: both stand-ins, the org set up as README "Going live" asks
 * (private spaces, the scopes, hard deletion allowed), Heroku's identity service knowing our OAuth
 * client secret, the service itself (the web tier as the product wires it) on https with a
 * certificate of its own, and a small upstream app for the smoke's call.
 */

export const HEROKU_SECRET = 'preflight-oauth-client-secret-7f3a';
export const SPACES = [
  { id: '7d0c1e2a-1111-4c2e-9f10-aa2b3c4d5e01', name: 'aag-us-private', type: 'private-space' as const },
  { id: '7d0c1e2a-2222-4c2e-9f10-aa2b3c4d5e02', name: 'aag-eu-private', type: 'private-space' as const },
];

export interface World {
  anypoint: AnypointSandbox;
  heroku: HerokuSandbox;
  service: AppContext;
  serviceUrl: string;
  /** PEM of the service's self-signed certificate (what the preflight must trust). */
  ca: string;
  caFile: string;
  upstream: Awaited<ReturnType<typeof startUpstream>>;
  /** The settings of a service ready to go live, against this world. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** A self-signed certificate for 127.0.0.1 (openssl, in a temp dir removed by close). */
function selfSigned(): { key: string; cert: string; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aag-preflight-'));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8'), dir };
}

/** The scopes README "Going live" lists: what an operator grants the connected app. */
export const GRANTED_SCOPES = REQUIRED_SCOPES.map((s) => s.scope);

export async function startWorld(tag: string, opts: { environments?: { id: string; name: string }[] } = {}): Promise<World> {
  const anypoint = createAnypointSandbox({ deployDelayMs: 100, gatewayCreateDelayMs: 100, apiGoLiveDelayMs: 20, spaces: SPACES, environments: opts.environments, seed: 7 });
  // the connected app holds every scope README "Going live" asks for (the API keys' among them), after a reset too
  anypoint.configure({ scopes: GRANTED_SCOPES });
  const reset = anypoint.reset.bind(anypoint);
  anypoint.reset = () => {
    reset();
    anypoint.configure({ scopes: GRANTED_SCOPES });
  };
  const heroku = createHerokuSandbox({ clientSecret: HEROKU_SECRET });
  const a = await anypoint.start(0);
  const h = await heroku.start(0);
  const service = await appContext(tag);
  const tls = selfSigned();
  const server = https.createServer({ key: tls.key, cert: tls.cert }, service.app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const serviceUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const upstream = await startUpstream();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    ANYPOINT_BASE_URL: a.url,
    HEROKU_API_URL: h.url,
    HEROKU_ID_URL: h.url,
    HEROKU_OAUTH_CLIENT_SECRET: HEROKU_SECRET,
    ANYPOINT_ENVIRONMENT: 'Sandbox',
    ANYPOINT_REGION_SPACES: `us:${SPACES[0].name},eu:${SPACES[1].name}`,
    PUBLIC_URL: serviceUrl,
    ADDON_PASSWORD: 'live-addon-password-5d1e9c0b7a',
    SSO_SALT: 'live-sso-salt-0b7a5d1e9c3f',
    HTTP_TIMEOUT_MS: '3000',
    HTTP_MAX_TRIES: '2',
    HTTP_BACKOFF_BASE_MS: '5',
    HTTP_BACKOFF_MAX_MS: '20',
    DEPLOY_POLL_MS: '50',
  };
  return {
    anypoint,
    heroku,
    service,
    serviceUrl,
    ca: tls.cert,
    caFile: path.join(tls.dir, 'cert.pem'),
    upstream,
    env,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await upstream.close();
      await service.close();
      await anypoint.close();
      await heroku.close();
      rmSync(tls.dir, { recursive: true, force: true });
    },
  };
}

/** Everything the stand-in holds that an add-on or the smoke could have made. */
export function made(inv: SandboxInventory): Record<string, unknown[]> {
  return { assets: inv.assets, softDeletedAssets: inv.softDeletedAssets, apis: inv.apis, policies: inv.policies, gateways: inv.gateways, applications: inv.applications };
}

export const EMPTY = { assets: [], softDeletedAssets: [], apis: [], policies: [], gateways: [], applications: [] };
