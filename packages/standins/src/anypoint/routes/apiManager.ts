import type { Express, Request } from 'express';
import { assetKey, iso, MULESOFT_POLICY_GROUP_ID } from '../state';
import {
  HttpError,
  intQuery,
  isObject,
  isPositiveInt,
  requireEnv,
  requireOrg,
  SEMVER_RE,
  strQuery,
  type Ctx,
} from '../http';
import type { ApiEndpoint, ApiInstance, ApiPolicy } from '../types';
import { BOUNDARY_POLICY_CHECKS } from '../policies';

const API_BASE = '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis';
const TECHNOLOGIES = new Set(['mule4', 'mule3', 'flexGateway']);

/** Proxy templates served by GET /apimanager/xapi/proxies/v1/proxy-templates (newest first). */
export const PROXY_TEMPLATES: Record<string, string[]> = {
  rest: ['2.0.2', '2.0.1', '2.0.0', '1.2.4'],
  soap: ['1.2.1', '1.2.0'],
};

/** The newest version of each template with an implementation per technology (MuleSoft's group). */
export const TEMPLATE_VERSIONS: Record<string, Partial<Record<string, string>>> = {
  'rate-limiting': { mule4: '1.4.1', flexGateway: '1.4.1' },
  'client-id-enforcement': { mule4: '1.3.3', flexGateway: '1.3.3' },
  'header-injection': { mule4: '1.3.2', flexGateway: '1.3.2' },
  'header-removal': { mule4: '1.1.1', flexGateway: '1.1.1' },
  'ip-allowlist': { mule4: '1.1.2', flexGateway: '1.1.2' },
  cors: { mule4: '1.3.2', flexGateway: '1.3.2' },
  'spike-control': { mule4: '1.2.2', flexGateway: '1.2.2' },
};

/** Policy templates the sandbox knows (all in MuleSoft's group), with their configuration checks. */
const POLICY_TEMPLATES: Record<string, (cfg: Record<string, unknown>) => string | null> = {
  'rate-limiting': rateLimitingProblem,
  'rate-limiting-sla-based': (cfg) =>
    cfg.clientIdExpression !== undefined && typeof cfg.clientIdExpression !== 'string'
      ? 'clientIdExpression must be a string'
      : null,
  ...BOUNDARY_POLICY_CHECKS,
  'spike-control': () => null,
  'ip-blocklist': () => null,
  'http-basic-authentication': () => null,
  'jwt-validation': () => null,
  'message-logging': () => null,
};

/** Schema of the rate-limiting template (1.4.x). */
export function rateLimitingProblem(cfg: Record<string, unknown>): string | null {
  const limits = cfg.rateLimits;
  if (!Array.isArray(limits) || limits.length === 0) return 'rateLimits must be a non-empty array';
  for (const [i, l] of limits.entries()) {
    if (!isObject(l)) return `rateLimits[${i}] must be an object`;
    if (!isPositiveInt(l.maximumRequests)) return `rateLimits[${i}].maximumRequests must be a positive integer`;
    if (!isPositiveInt(l.timePeriodInMilliseconds)) {
      return `rateLimits[${i}].timePeriodInMilliseconds must be a positive integer`;
    }
  }
  for (const k of ['exposeHeaders', 'clusterizable'] as const) {
    if (cfg[k] !== undefined && typeof cfg[k] !== 'boolean') return `${k} must be a boolean`;
  }
  if (cfg.keySelector !== undefined && typeof cfg.keySelector !== 'string') return 'keySelector must be a string';
  return null;
}

function checkConfiguration(assetId: string, cfg: unknown): Record<string, unknown> {
  if (!isObject(cfg)) throw new HttpError(400, 'configurationData must be an object');
  const problem = POLICY_TEMPLATES[assetId](cfg);
  if (problem) throw new HttpError(400, `Invalid configurationData for ${assetId}: ${problem}`);
  return structuredClone(cfg);
}

function parseEndpoint(raw: unknown): ApiEndpoint {
  if (!isObject(raw)) throw new HttpError(400, 'endpoint is required');
  const uri = raw.uri;
  let parsed: URL | undefined;
  try {
    parsed = typeof uri === 'string' ? new URL(uri) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new HttpError(400, 'endpoint.uri must be an absolute http(s) URL');
  }
  const type = raw.type ?? 'http';
  if (type !== 'http' && type !== 'raml' && type !== 'wsdl') throw new HttpError(400, 'endpoint.type must be http');
  const rt = raw.responseTimeout;
  if (rt !== undefined && rt !== null && !isPositiveInt(rt)) throw new HttpError(400, 'endpoint.responseTimeout must be a positive integer or null');
  let proxyTemplate: ApiEndpoint['proxyTemplate'] = null;
  if (raw.proxyTemplate !== undefined && raw.proxyTemplate !== null) {
    if (!isObject(raw.proxyTemplate) || typeof raw.proxyTemplate.assetVersion !== 'string') {
      throw new HttpError(400, 'endpoint.proxyTemplate.assetVersion must be a string');
    }
    proxyTemplate = { assetVersion: raw.proxyTemplate.assetVersion };
  }
  const opt = <T>(v: unknown, check: (x: unknown) => boolean, name: string): T | null => {
    if (v === undefined || v === null) return null;
    if (!check(v)) throw new HttpError(400, `endpoint.${name} has the wrong type`);
    return v as T;
  };
  const isBool = (x: unknown) => typeof x === 'boolean';
  const isStr = (x: unknown) => typeof x === 'string';
  return {
    ...raw,
    type,
    uri: uri as string,
    proxyUri: opt<string>(raw.proxyUri, isStr, 'proxyUri'),
    isCloudHub: opt<boolean>(raw.isCloudHub, isBool, 'isCloudHub'),
    deploymentType: opt<string>(raw.deploymentType, isStr, 'deploymentType'),
    muleVersion4OrAbove: opt<boolean>(raw.muleVersion4OrAbove, isBool, 'muleVersion4OrAbove'),
    referencesUserDomain: opt<boolean>(raw.referencesUserDomain, isBool, 'referencesUserDomain'),
    responseTimeout: (rt as number | null | undefined) ?? null,
    validation: opt<string>(raw.validation, isStr, 'validation'),
    proxyTemplate,
  };
}

/** The API instance a `…/environments/{envId}/apis/{apiId}…` path names (org and environment checked), else 404. */
export function findApiOf(ctx: Ctx, req: Request): ApiInstance {
  const params = req.params as Record<string, string>;
  requireOrg(ctx, params.orgId);
  requireEnv(ctx, params.envId);
  const api = /^\d+$/.test(params.apiId) ? ctx.state.apis.get(Number(params.apiId)) : undefined;
  if (!api || api.environmentId !== params.envId) throw new HttpError(404, `API ${params.apiId} not found`);
  return api;
}

export function registerApiManager(app: Express, ctx: Ctx): void {
  const { state } = ctx;

  const findApi = (req: Request): ApiInstance => findApiOf(ctx, req);

  const findPolicy = (req: Request): ApiPolicy => {
    const api = findApi(req);
    const raw = (req.params as Record<string, string>).policyId;
    const p = /^\d+$/.test(raw) ? state.policies.get(Number(raw)) : undefined;
    if (!p || p.apiId !== api.id) throw new HttpError(404, `Policy ${raw} not found`);
    return p;
  };

  /**
   * The policy templates that apply to an API instance: MuleSoft's templates, each in the newest
   * version that has an implementation for the instance's technology (the Mule 4 and the Flex
   * implementations are released apart).
   */
  app.get('/apimanager/api/v1/organizations/:orgId/policy-templates', (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const apiInstanceId = strQuery(req, 'apiInstanceId');
    const api = apiInstanceId !== undefined ? state.apis.get(Number(apiInstanceId)) : undefined;
    if (apiInstanceId !== undefined && !api) throw new HttpError(404, `API ${apiInstanceId} not found`);
    const technology = api?.technology ?? 'mule4';
    const data = Object.entries(TEMPLATE_VERSIONS)
      .filter(([, v]) => v[technology])
      .map(([assetId, v]) => ({ groupId: MULESOFT_POLICY_GROUP_ID, assetId, assetVersion: v[technology], name: assetId, category: 'System' }));
    res.json({ data, total: data.length });
  });

  app.get('/apimanager/xapi/proxies/v1/proxy-templates', (req, res) => {
    const type = strQuery(req, 'type') ?? 'rest';
    const versions = PROXY_TEMPLATES[type];
    if (!versions) throw new HttpError(400, `Unknown proxy template type ${type}`);
    const data = versions.map((assetVersion) => ({
      groupId: MULESOFT_POLICY_GROUP_ID,
      assetId: `${type}-proxy-template`,
      assetVersion,
      type,
    }));
    res.json({ data, total: data.length });
  });

  app.post(API_BASE, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const env = requireEnv(ctx, req.params.envId);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    const spec = body.spec;
    if (!isObject(spec) || typeof spec.groupId !== 'string' || typeof spec.assetId !== 'string' || typeof spec.version !== 'string') {
      throw new HttpError(400, 'spec.groupId, spec.assetId and spec.version are required');
    }
    const asset = state.assets.get(assetKey(spec.groupId, spec.assetId, spec.version));
    if (!asset || asset.deleted) {
      throw new HttpError(400, `Exchange asset ${spec.groupId}/${spec.assetId}/${spec.version} not found`);
    }
    const instanceLabel = body.instanceLabel ?? null;
    if (instanceLabel !== null && (typeof instanceLabel !== 'string' || instanceLabel.length > 255)) {
      throw new HttpError(400, 'instanceLabel must be a string of at most 255 characters');
    }
    const technology = body.technology ?? 'mule4';
    if (typeof technology !== 'string' || !TECHNOLOGIES.has(technology)) {
      throw new HttpError(400, 'technology must be mule4, mule3 or flexGateway');
    }
    const endpointUri = body.endpointUri ?? null;
    if (endpointUri !== null && typeof endpointUri !== 'string') throw new HttpError(400, 'endpointUri must be a string');
    const endpoint = parseEndpoint(body.endpoint);
    const clash = [...state.apis.values()].find(
      (a) =>
        a.environmentId === env.id &&
        a.groupId === asset.groupId &&
        a.assetId === asset.assetId &&
        a.assetVersion === asset.version &&
        a.instanceLabel === instanceLabel,
    );
    if (clash) {
      throw new HttpError(409, `API ${clash.id} already manages this asset version with the same instance label`);
    }
    const id = state.newApiId();
    const now = iso();
    const api: ApiInstance = {
      id,
      organizationId: state.orgId,
      environmentId: env.id,
      groupId: asset.groupId,
      assetId: asset.assetId,
      assetVersion: asset.version,
      productVersion: asset.apiVersion,
      instanceLabel,
      description: typeof body.description === 'string' ? body.description : null,
      technology,
      endpointUri,
      autodiscoveryInstanceName: `${asset.apiVersion ?? 'v1'}:${id}`,
      endpoint,
      deployment: null,
      createdDate: now,
      updatedDate: now,
    };
    state.apis.set(id, api);
    res.status(201).json(state.apiView(api));
  });

  app.get(API_BASE, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const env = requireEnv(ctx, req.params.envId);
    const assetId = strQuery(req, 'assetId');
    const groupId = strQuery(req, 'groupId');
    const instanceLabel = strQuery(req, 'instanceLabel');
    const limit = Math.min(intQuery(req, 'limit') ?? 20, 100);
    const offset = intQuery(req, 'offset') ?? 0;
    const groups = new Map<string, ApiInstance[]>();
    for (const api of state.apis.values()) {
      if (api.environmentId !== env.id) continue;
      if (assetId !== undefined && api.assetId !== assetId) continue;
      if (groupId !== undefined && api.groupId !== groupId) continue;
      if (instanceLabel !== undefined && api.instanceLabel !== instanceLabel) continue;
      const k = `${api.groupId}/${api.assetId}`;
      const list = groups.get(k) ?? [];
      list.push(api);
      groups.set(k, list);
    }
    const all = [...groups.values()];
    const assets = all.slice(offset, offset + limit).map((apis) => {
      const first = apis[0];
      const asset = [...state.assets.values()].find((a) => a.groupId === first.groupId && a.assetId === first.assetId);
      return {
        groupId: first.groupId,
        assetId: first.assetId,
        exchangeAssetName: asset?.name ?? first.assetId,
        totalApis: apis.length,
        apis: apis.map((a) => state.apiView(a)),
      };
    });
    res.json({ total: all.length, assets });
  });

  app.get(`${API_BASE}/:apiId`, (req, res) => {
    res.json(state.apiView(findApi(req)));
  });

  // an update of the instance: the fields given replace the instance's (endpoint fields one by one)
  app.patch(`${API_BASE}/:apiId`, (req, res) => {
    const api = findApi(req);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    if (body.instanceLabel !== undefined) {
      if (body.instanceLabel !== null && (typeof body.instanceLabel !== 'string' || body.instanceLabel.length > 255)) {
        throw new HttpError(400, 'instanceLabel must be a string of at most 255 characters');
      }
    }
    if (body.endpoint !== undefined) {
      if (!isObject(body.endpoint)) throw new HttpError(400, 'endpoint must be an object');
      api.endpoint = parseEndpoint({ ...api.endpoint, ...body.endpoint });
    }
    if (body.instanceLabel !== undefined) api.instanceLabel = body.instanceLabel as string | null;
    if (typeof body.description === 'string') api.description = body.description;
    api.updatedDate = iso();
    res.json(state.apiView(api));
  });

  app.delete(`${API_BASE}/:apiId`, (req, res) => {
    const api = findApi(req);
    state.apis.delete(api.id);
    for (const p of [...state.policies.values()]) {
      if (p.apiId !== api.id) continue;
      state.policies.delete(p.id);
      state.recordPolicyRemoval(p);
    }
    // the instance's contracts go with it (the spec's DELETE answers 204 whatever the instance holds)
    state.endContracts((c) => c.apiId === api.id);
    for (const d of [...state.deployments.values()]) if (d.apiId === api.id) state.deployments.delete(d.id);
    res.status(204).end();
  });

  // ---- policies ----

  app.post(`${API_BASE}/:apiId/policies`, (req, res) => {
    const api = findApi(req);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    const { groupId, assetId, assetVersion } = body;
    if (groupId !== MULESOFT_POLICY_GROUP_ID) {
      throw new HttpError(400, `groupId must be ${MULESOFT_POLICY_GROUP_ID} (the MuleSoft policy group)`);
    }
    if (typeof assetId !== 'string' || !Object.hasOwn(POLICY_TEMPLATES, assetId)) {
      throw new HttpError(400, `Unknown policy template ${String(assetId)}`);
    }
    if (typeof assetVersion !== 'string' || !SEMVER_RE.test(assetVersion)) {
      throw new HttpError(400, 'assetVersion must be a semantic version');
    }
    const configurationData = checkConfiguration(assetId, body.configurationData);
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') throw new HttpError(400, 'disabled must be a boolean');
    if (body.order !== undefined && body.order !== null && !isPositiveInt(body.order)) {
      throw new HttpError(400, 'order must be a positive integer');
    }
    const siblings = [...state.policies.values()].filter((p) => p.apiId === api.id);
    if (siblings.some((p) => p.groupId === groupId && p.assetId === assetId)) {
      throw new HttpError(409, `Policy ${assetId} is already applied to API ${api.id}`);
    }
    const now = iso();
    const policy: ApiPolicy = {
      id: state.newPolicyId(),
      apiId: api.id,
      policyTemplateId: `${groupId}:${assetId}:${assetVersion}`,
      groupId,
      assetId,
      assetVersion,
      configurationData,
      pointcutData: body.pointcutData ?? null,
      order: (body.order as number | undefined | null) ?? siblings.length + 1,
      disabled: (body.disabled as boolean | undefined) ?? false,
      type: 'policy',
      createdDate: now,
      updatedDate: now,
    };
    state.policies.set(policy.id, policy);
    state.recordPolicy(policy);
    res.status(201).json(state.policyView(policy));
  });

  app.get(`${API_BASE}/:apiId/policies`, (req, res) => {
    const api = findApi(req);
    const list = [...state.policies.values()]
      .filter((p) => p.apiId === api.id)
      .sort((a, b) => a.order - b.order || a.id - b.id)
      .map((p) => state.policyView(p));
    res.json(list);
  });

  app.get(`${API_BASE}/:apiId/policies/:policyId`, (req, res) => {
    res.json(state.policyView(findPolicy(req)));
  });

  /** PATCH: the fields given change (API Manager has no PUT on a policy). */
  const update = (req: Request): ApiPolicy => {
    const policy = findPolicy(req);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    if (body.assetId !== undefined && body.assetId !== policy.assetId) throw new HttpError(400, 'assetId cannot change');
    if (body.groupId !== undefined && body.groupId !== policy.groupId) throw new HttpError(400, 'groupId cannot change');
    const configurationData =
      body.configurationData !== undefined ? checkConfiguration(policy.assetId, body.configurationData) : undefined;
    if (body.disabled !== undefined && typeof body.disabled !== 'boolean') throw new HttpError(400, 'disabled must be a boolean');
    if (body.order !== undefined && body.order !== null && !isPositiveInt(body.order)) {
      throw new HttpError(400, 'order must be a positive integer');
    }
    if (body.assetVersion !== undefined && (typeof body.assetVersion !== 'string' || !SEMVER_RE.test(body.assetVersion))) {
      throw new HttpError(400, 'assetVersion must be a semantic version');
    }
    if (configurationData) policy.configurationData = configurationData;
    if (typeof body.assetVersion === 'string') {
      policy.assetVersion = body.assetVersion;
      policy.policyTemplateId = `${policy.groupId}:${policy.assetId}:${policy.assetVersion}`;
    }
    if (body.pointcutData !== undefined) policy.pointcutData = body.pointcutData;
    if (typeof body.disabled === 'boolean') policy.disabled = body.disabled;
    if (isPositiveInt(body.order)) policy.order = body.order;
    policy.updatedDate = iso();
    return policy;
  };

  app.patch(`${API_BASE}/:apiId/policies/:policyId`, (req, res) => {
    const policy = update(req);
    state.recordPolicy(policy);
    res.json(state.policyView(policy));
  });

  app.delete(`${API_BASE}/:apiId/policies/:policyId`, (req, res) => {
    const policy = findPolicy(req);
    state.policies.delete(policy.id);
    state.recordPolicyRemoval(policy);
    res.status(204).end();
  });
}
