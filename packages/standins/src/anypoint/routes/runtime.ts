import type { Express, Request } from 'express';
import { iso, type DeploymentRecord } from '../state';
import { cloudHubNameProblem, HttpError, isObject, requireEnv, requireOrg, type Ctx } from '../http';
import type { ApiInstance, CloudHubApplication } from '../types';

const DEPLOY_BASE = '/proxies/xapi/v1/organizations/:orgId/environments/:envId/apis/:apiId/deployments';

function deploymentBody(d: DeploymentRecord): Record<string, unknown> {
  return {
    id: d.id,
    apiId: d.apiId,
    type: 'CH',
    applicationName: d.applicationName,
    environmentId: d.environmentId,
    environmentName: d.environmentName,
    gatewayVersion: d.gatewayVersion,
    overwrite: d.overwrite,
    expectedStatus: 'deployed',
    createdDate: d.createdDate,
    updatedDate: d.updatedDate,
  };
}

/** Proxy deployments (API Manager xapi) and the CloudHub 1.0 applications they create. */
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

  const startDeploy = (appRec: CloudHubApplication, now: number) => {
    const { config } = state;
    appRec.deployStartedAt = now;
    appRec.deployDelayMs = config.deployDelayMs;
    appRec.outcome = config.neverReady ? 'never' : config.failDeployments ? 'fail' : 'start';
    appRec.deploymentUpdateStatus = 'DEPLOYING';
    appRec.lastUpdateTime = now;
  };

  app.post(DEPLOY_BASE, (req, res) => {
    const api = findApi(req);
    const env = requireEnv(ctx, req.params.envId);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    if (body.type !== 'CH') throw new HttpError(400, 'type must be CH (the sandbox runs CloudHub 1.0 proxies only)');
    const problem = cloudHubNameProblem(body.applicationName);
    if (problem) throw new HttpError(400, problem);
    const name = body.applicationName as string;
    if (body.environmentId !== undefined && body.environmentId !== env.id) {
      throw new HttpError(400, 'environmentId does not match the environment in the path');
    }
    if (
      body.environmentName !== undefined &&
      (typeof body.environmentName !== 'string' || body.environmentName.toLowerCase() !== env.name.toLowerCase())
    ) {
      throw new HttpError(400, 'environmentName does not match the environment');
    }
    if (typeof body.gatewayVersion !== 'string' || !/^\d+\.\d+\.\d+/.test(body.gatewayVersion)) {
      throw new HttpError(400, 'gatewayVersion is required, e.g. 4.4.0');
    }
    if (body.overwrite !== undefined && typeof body.overwrite !== 'boolean') throw new HttpError(400, 'overwrite must be a boolean');
    const overwrite = body.overwrite === true;
    if (state.config.takenNames.includes(name)) {
      throw new HttpError(409, `Application name ${name} is already taken`);
    }
    const existing = state.applications.get(name);
    if (existing && existing.apiId !== api.id) throw new HttpError(409, `Application name ${name} is already taken`);
    if (api.deployment && api.deployment.applicationName !== name && state.applications.has(api.deployment.applicationName)) {
      throw new HttpError(409, `API ${api.id} is already deployed to ${api.deployment.applicationName}`);
    }
    if (existing && !overwrite) {
      throw new HttpError(409, `API ${api.id} is already deployed to ${name}; send overwrite: true to redeploy`);
    }
    const now = Date.now();
    if (existing) {
      // Redeploy in place: the previous version keeps serving until the new one is up.
      const d = state.deployments.get(existing.deploymentId);
      startDeploy(existing, now);
      existing.muleVersion = body.gatewayVersion;
      if (existing.status === 'DEPLOY_FAILED') existing.status = 'DEPLOYING';
      if (d) {
        d.gatewayVersion = body.gatewayVersion;
        d.overwrite = overwrite;
        d.updatedDate = iso(now);
        if (api.deployment) {
          api.deployment.gatewayVersion = d.gatewayVersion;
          api.deployment.updatedDate = d.updatedDate;
        }
        res.status(201).json(deploymentBody(d));
        return;
      }
    }
    const d: DeploymentRecord = {
      id: state.newDeploymentId(),
      apiId: api.id,
      environmentId: env.id,
      environmentName: env.name,
      applicationName: name,
      gatewayVersion: body.gatewayVersion,
      overwrite,
      createdDate: iso(now),
      updatedDate: iso(now),
    };
    state.deployments.set(d.id, d);
    const appRec: CloudHubApplication = existing ?? {
      domain: name,
      environmentId: env.id,
      apiId: api.id,
      deploymentId: d.id,
      status: 'DEPLOYING',
      deploymentUpdateStatus: 'DEPLOYING',
      region: 'us-east-1',
      muleVersion: body.gatewayVersion,
      workers: { amount: 1, type: { name: 'Micro', weight: 0.1, cpu: '0.1 vCores', memory: '500 MB memory' } },
      lastUpdateTime: now,
      lastActiveDate: null,
      deployStartedAt: now,
      deployDelayMs: 0,
      outcome: 'start',
    };
    appRec.deploymentId = d.id;
    startDeploy(appRec, now);
    state.applications.set(name, appRec);
    api.deployment = {
      id: d.id,
      applicationName: name,
      environmentId: env.id,
      environmentName: env.name,
      type: 'CH',
      gatewayVersion: d.gatewayVersion,
      overwrite,
      expectedStatus: 'deployed',
      createdDate: d.createdDate,
      updatedDate: d.updatedDate,
    };
    api.updatedDate = iso(now);
    res.status(201).json(deploymentBody(d));
  });

  app.get(`${DEPLOY_BASE}/:deploymentId`, (req, res) => {
    res.json(deploymentBody(findDeployment(req)));
  });

  app.get(`${DEPLOY_BASE}/:deploymentId/status`, (req, res) => {
    res.json(state.deploymentStatus(findDeployment(req)));
  });

  // ---- CloudHub 1.0 ----

  /** CloudHub needs X-ANYPNT-ENV-ID naming one of the org's environments: 400 otherwise. */
  const cloudHubEnv = (req: Request): string => {
    const envId = req.get('x-anypnt-env-id');
    if (!envId) throw new HttpError(400, 'X-ANYPNT-ENV-ID header is required');
    if (!state.env(envId)) throw new HttpError(400, `X-ANYPNT-ENV-ID ${envId} is not an environment of this organization`);
    return envId;
  };

  const findApp = (req: Request): CloudHubApplication => {
    const envId = cloudHubEnv(req);
    const domain = (req.params as Record<string, string>).domain;
    const appRec = state.applications.get(domain);
    if (!appRec || appRec.environmentId !== envId) throw new HttpError(404, `Application ${domain} not found`);
    return appRec;
  };

  app.get('/cloudhub/api/v2/applications/:domain', (req, res) => {
    res.json(state.appView(findApp(req)));
  });

  app.delete('/cloudhub/api/v2/applications/:domain', (req, res) => {
    const appRec = findApp(req);
    state.applications.delete(appRec.domain);
    state.rateWindows.delete(appRec.domain);
    const api = state.apis.get(appRec.apiId);
    if (api?.deployment?.applicationName === appRec.domain) {
      api.deployment = null;
      api.updatedDate = iso();
    }
    res.status(204).end();
  });

  app.get('/cloudhub/api/applications/domains/:domain', (req, res) => {
    const problem = cloudHubNameProblem(req.params.domain);
    if (problem) throw new HttpError(400, problem);
    const name = req.params.domain;
    res.json({ available: !state.applications.has(name) && !state.config.takenNames.includes(name) });
  });
}
