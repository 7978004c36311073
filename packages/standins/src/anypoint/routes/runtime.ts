import { randomUUID } from 'node:crypto';
import type { Express, Request } from 'express';
import { iso, type DeploymentRecord } from '../state';
import { HttpError, intQuery, isObject, requireEnv, requireOrg, strQuery, type Ctx } from '../http';
import type { AmcApplication, ApiInstance } from '../types';

const PX = '/proxies/xapi/v1/organizations/:orgId';
const DEPLOY_BASE = `${PX}/environments/:envId/apis/:apiId/deployments`;
const AMC = '/amc/application-manager/api/v2/organizations/:orgId/environments/:envId/deployments';
/** CloudHub 2.0 application names: 3–42, lower-case letters, digits and dashes, starting with a letter. */
const APP_NAME_RE = /^[a-z][a-z0-9-]{1,40}[a-z0-9]$/;

function deploymentBody(d: DeploymentRecord): Record<string, unknown> {
  return {
    id: d.id,
    apiId: d.apiId,
    type: d.type,
    targetId: d.targetId,
    targetName: d.targetName,
    ...(d.applicationName ? { applicationName: d.applicationName } : {}),
    environmentId: d.environmentId,
    environmentName: d.environmentName,
    gatewayVersion: d.gatewayVersion,
    expectedStatus: 'deployed',
    createdDate: d.createdDate,
    updatedDate: d.updatedDate,
  };
}

/**
 * Proxy deployments (the proxies xapi) of API instances — to a managed Omni Gateway (HY: the API
 * goes live `apiGoLiveDelayMs` after the deploy, once the gateway runs) or to CloudHub 2.0 (CH2: a
 * dedicated proxy application, APPLYING for `deployDelayMs`, then APPLIED + RUNNING) — the CloudHub
 * 2.0 targets, the runtime versions they offer, and the Application Manager's view of the proxy
 * applications.
 */
export function registerRuntime(app: Express, ctx: Ctx): void {
  const { state } = ctx;

  const findApi = (req: Request): ApiInstance => {
    const p = req.params as Record<string, string>;
    requireOrg(ctx, p.orgId);
    requireEnv(ctx, p.envId);
    const api = /^\d+$/.test(p.apiId) ? state.apis.get(Number(p.apiId)) : undefined;
    if (!api || api.environmentId !== p.envId) throw new HttpError(404, `API ${p.apiId} not found`);
    return api;
  };

  const findDeployment = (req: Request): DeploymentRecord => {
    const api = findApi(req);
    const raw = (req.params as Record<string, string>).deploymentId;
    const d = /^\d+$/.test(raw) ? state.deployments.get(Number(raw)) : undefined;
    if (!d || d.apiId !== api.id) throw new HttpError(404, `Deployment ${raw} not found`);
    return d;
  };

  app.post(DEPLOY_BASE, (req, res) => {
    const api = findApi(req);
    const env = requireEnv(ctx, req.params.envId);
    const body = isObject(req.body) ? req.body : {};
    const type = body.type;
    if (body.environmentId !== undefined && body.environmentId !== env.id) throw new HttpError(400, 'environmentId does not match the environment in the path');
    if (typeof body.gatewayVersion !== 'string' || !body.gatewayVersion) throw new HttpError(400, `Field gatewayVersion is required for deployment type ${String(type)}`);
    if (api.deployment && state.deployments.has(api.deployment.id)) throw new HttpError(409, `API ${api.id} is already deployed`);
    const now = Date.now();
    const base = {
      id: state.newDeploymentId(),
      apiId: api.id,
      environmentId: env.id,
      environmentName: env.name,
      gatewayVersion: body.gatewayVersion,
      createdAt: now,
      createdDate: iso(now),
      updatedDate: iso(now),
    };
    let d: DeploymentRecord;
    if (type === 'HY') {
      if (api.technology !== 'flexGateway') throw new HttpError(400, 'Only flexGateway APIs deploy to a managed gateway (HY)');
      const g = state.gateways.get(String(body.targetId));
      if (!g) throw new HttpError(400, `Gateway ${String(body.targetId)} not found`);
      if (body.gatewayVersion !== g.runtimeVersion) throw new HttpError(400, 'Policy implementations cannot be set because runtime version is unknown');
      const onIt = [...state.deployments.values()].filter((x) => x.type === 'HY' && x.targetId === g.id);
      if (onIt.length >= g.apiLimit) throw new HttpError(409, `Gateway ${g.name} holds its limit of ${g.apiLimit} APIs`);
      d = { ...base, type: 'HY', targetId: g.id, targetName: g.name, liveAt: now + state.config.apiGoLiveDelayMs };
    } else if (type === 'CH2') {
      if (api.technology !== 'mule4' || api.endpoint.deploymentType !== 'CH2') throw new HttpError(400, 'Only mule4 APIs with deploymentType CH2 deploy to CloudHub 2.0');
      const space = state.spaces.find((s) => s.id === String(body.targetId));
      if (!space) throw new HttpError(400, `Target ${String(body.targetId)} is not a CloudHub 2.0 space of this environment`);
      const offered = state.offeredRuntimes().find((v) => v.tag === body.gatewayVersion || v.baseVersion === body.gatewayVersion);
      if (!offered) throw new HttpError(400, `Runtime version ${body.gatewayVersion} is not supported for new deployments`);
      const name = body.applicationName;
      if (typeof name !== 'string' || !APP_NAME_RE.test(name)) throw new HttpError(400, 'applicationName must be 3–42 lower-case letters, digits and dashes, starting with a letter');
      if (state.applications.has(name)) throw new HttpError(409, `Application ${name} already exists`);
      d = { ...base, type: 'CH2', targetId: space.id, targetName: space.name, applicationName: name, liveAt: now };
      const proxy: AmcApplication = {
        id: randomUUID(),
        name,
        apiId: api.id,
        proxyDeploymentId: d.id,
        targetId: space.id,
        environmentId: env.id,
        runtimeVersion: offered.tag,
        createdAt: now,
        readyAt: now + state.config.deployDelayMs,
        outcome: state.config.neverReady ? 'never' : state.config.failDeployments ? 'fail' : 'start',
        publicUrl: `http://${name}.localhost:${state.gatewayPort}`,
        uri: api.endpoint.uri,
      };
      state.applications.set(name, proxy);
    } else {
      throw new HttpError(400, `type ${String(type)} is not a deployment type this environment supports (HY, CH2)`);
    }
    state.deployments.set(d.id, d);
    api.deployment = {
      id: d.id,
      type: d.type,
      targetId: d.targetId,
      targetName: d.targetName,
      ...(d.applicationName ? { applicationName: d.applicationName } : {}),
      environmentId: env.id,
      environmentName: env.name,
      gatewayVersion: d.gatewayVersion,
      expectedStatus: 'deployed',
      createdDate: d.createdDate,
      updatedDate: d.updatedDate,
    };
    api.updatedDate = iso(now);
    res.status(201).json(deploymentBody(d));
  });

  // a redeploy: a CH2 proxy restarts (rolling) and reads its instance's implementation URI again; a
  // managed gateway (HY) applies instance changes on its own, so the redeploy changes nothing there
  app.patch(`${DEPLOY_BASE}/:deploymentId`, (req, res) => {
    const api = findApi(req);
    const d = findDeployment(req);
    const body = isObject(req.body) ? req.body : {};
    if (body.type !== undefined && body.type !== d.type) throw new HttpError(400, `type ${String(body.type)} does not match the deployment's type ${d.type}`);
    const now = Date.now();
    if (d.type === 'CH2') {
      const app = d.applicationName ? state.applications.get(d.applicationName) : undefined;
      if (!app) throw new HttpError(404, `Application of deployment ${d.id} not found`);
      state.applicationUri(app, now);
      app.pendingUri = api.endpoint.uri;
      app.pendingAt = now + state.config.deployDelayMs;
    }
    d.updatedDate = iso(now);
    res.json(deploymentBody(d));
  });

  app.get(DEPLOY_BASE, (req, res) => {
    const api = findApi(req);
    res.json([...state.deployments.values()].filter((d) => d.apiId === api.id).map(deploymentBody));
  });

  app.get(`${DEPLOY_BASE}/:deploymentId`, (req, res) => {
    res.json(deploymentBody(findDeployment(req)));
  });

  app.get(`${DEPLOY_BASE}/:deploymentId/status`, (req, res) => {
    res.json(state.deploymentStatus(findDeployment(req)));
  });

  app.get(`${PX}/providers/:providerId/cloudhub2-deployment-targets`, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    if (req.params.providerId !== 'MC') throw new HttpError(404, `Provider ${req.params.providerId} not found`);
    requireEnv(ctx, strQuery(req, 'environmentId') ?? '');
    res.json(state.spaces.map((s) => ({ id: s.id, name: s.name, type: s.type })));
  });

  app.get(`${PX}/targets/:targetId/runtimes/mule/versions`, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    if (!state.spaces.some((s) => s.id === req.params.targetId)) throw new HttpError(404, `Target ${req.params.targetId} not found`);
    res.json(state.offeredRuntimes().map((v) => ({ ...v })));
  });

  // ---- Application Manager (AMC) v2: the CloudHub 2.0 proxy applications ----

  const amcItem = (a: AmcApplication) => {
    const st = state.applicationStatus(a);
    return { id: a.id, name: a.name, status: st.status, application: { status: st.applicationStatus }, target: { provider: 'MC', targetId: a.targetId } };
  };

  const findApp = (req: Request): AmcApplication => {
    const p = req.params as Record<string, string>;
    requireOrg(ctx, p.orgId);
    requireEnv(ctx, p.envId);
    const a = [...state.applications.values()].find((x) => x.id === p.deploymentId && x.environmentId === p.envId);
    if (!a) throw new HttpError(404, `Deployment ${p.deploymentId} not found`);
    return a;
  };

  app.get(AMC, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const env = requireEnv(ctx, req.params.envId);
    const offset = intQuery(req, 'offset') ?? 0;
    const limit = Math.min(intQuery(req, 'limit') ?? 25, 100);
    const all = [...state.applications.values()].filter((a) => a.environmentId === env.id);
    res.json({ total: all.length, items: all.slice(offset, offset + limit).map(amcItem) });
  });

  app.get(`${AMC}/:deploymentId`, (req, res) => {
    const a = findApp(req);
    const st = state.applicationStatus(a);
    res.json({
      id: a.id,
      name: a.name,
      creationDate: iso(a.createdAt),
      lastModifiedDate: iso(Math.min(Date.now(), a.readyAt)),
      status: st.status,
      application: { status: st.applicationStatus, desiredState: 'STARTED', vCores: 0.1 },
      target: {
        provider: 'MC',
        targetId: a.targetId,
        deploymentSettings: { http: { inbound: { publicUrl: a.publicUrl } } },
      },
    });
  });

  app.delete(`${AMC}/:deploymentId`, (req, res) => {
    const a = findApp(req);
    state.applications.delete(a.name);
    state.deployments.delete(a.proxyDeploymentId);
    const api = state.apis.get(a.apiId);
    if (api?.deployment?.id === a.proxyDeploymentId) {
      api.deployment = null;
      api.updatedDate = iso();
    }
    res.status(204).end();
  });
}
