import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { type AnypointContext, type ContextProvider, idOf, isRecord, scopeHeaders, seg, strOf } from './context';

export interface ApiInstance {
  /** The environment API id (numeric upstream, a string here). */
  id: string;
  groupId?: string;
  assetId?: string;
  assetVersion?: string;
  instanceLabel?: string;
  status?: string;
  endpointUri?: string;
  autodiscoveryInstanceName?: string;
  deployment?: { id?: string; applicationName?: string; [key: string]: unknown } | null;
  [key: string]: unknown;
}

/** What the instance's gateway does: a Mule 4 proxy (`ch2`) or an Omni (Flex) Gateway API (`omni`). */
export type ApiTechnology = 'mule4' | 'flexGateway';

export interface CreateApiInput {
  groupId: string;
  assetId: string;
  /** The Exchange asset version (spec.version). */
  assetVersion: string;
  instanceLabel: string;
  technology: ApiTechnology;
  /** The endpoint as the target deploys it (deploymentType, proxyUri, uri, …). */
  endpoint: Record<string, unknown>;
}

export interface ListApisFilter {
  assetId?: string;
  groupId?: string;
  instanceLabel?: string;
  limit?: number;
  offset?: number;
}

export interface ApiManagerClientOptions {
  /** Used when the proxy-template lookup fails. */
  fallbackProxyTemplateVersion: string;
}

/** API Manager: the API instance (environment API). */
export class ApiManagerClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
    private readonly opts: ApiManagerClientOptions,
  ) {}

  private base(ctx: AnypointContext): string {
    return `/apimanager/api/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/apis`;
  }

  /** The request body of a create, as API Manager's spec has it. */
  static createBody(input: CreateApiInput): Record<string, unknown> {
    return {
      spec: { groupId: input.groupId, assetId: input.assetId, version: input.assetVersion },
      instanceLabel: input.instanceLabel,
      technology: input.technology,
      endpoint: input.endpoint,
    };
  }

  /**
   * Creates the API instance. Not retried after a timeout or 500/502/504 (the error says
   * `uncertain: true`): list by asset id before creating again. 409: `ConflictError`.
   */
  async createApi(input: CreateApiInput): Promise<ApiInstance> {
    const ctx = await this.context();
    const res = await this.http.post<unknown>(this.base(ctx), ApiManagerClient.createBody(input), {
      headers: scopeHeaders(ctx),
      op: 'apimanager.createApi',
    });
    const api = normalizeInstance(res.data);
    if (!api) throw new UnexpectedResponseError('apimanager', 'create API answered without an id');
    return api;
  }

  /** null when absent (404). */
  async getApi(apiId: string): Promise<ApiInstance | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${this.base(ctx)}/${seg(apiId)}`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'apimanager.getApi',
    });
    if (res.status === 404) return null;
    const api = normalizeInstance(res.data);
    if (!api) throw new UnexpectedResponseError('apimanager', 'API answered without an id');
    return api;
  }

  /**
   * Instances matching the filters. Accepts `{instances: [...]}`, `{assets: [{apis: [...]}]}`,
   * `{apis: [...]}`, `{data: [...]}` or a bare array; the filters are applied again on our side
   * where an instance names the field (an upstream that ignores a filter cannot mislead us).
   */
  async listApis(filter: ListApisFilter = {}): Promise<ApiInstance[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(this.base(ctx), {
      headers: scopeHeaders(ctx),
      query: {
        assetId: filter.assetId,
        groupId: filter.groupId,
        instanceLabel: filter.instanceLabel,
        limit: filter.limit,
        offset: filter.offset,
      },
      op: 'apimanager.listApis',
    });
    const candidates = extractInstances(res.data).filter(
      (a) =>
        (filter.assetId === undefined || a.assetId === undefined || a.assetId === filter.assetId) &&
        (filter.groupId === undefined || a.groupId === undefined || a.groupId === filter.groupId) &&
        (filter.instanceLabel === undefined || a.instanceLabel === undefined || a.instanceLabel === filter.instanceLabel),
    );
    if (filter.assetId === undefined) return candidates;
    // An instance that does not name its asset is confirmed by reading it: callers adopt or delete
    // what this returns, so someone else's API must never pass for ours.
    const confirmed: ApiInstance[] = [];
    for (const a of candidates) {
      if (a.assetId === filter.assetId) confirmed.push(a);
      else if (a.assetId === undefined && (await this.getApi(a.id))?.assetId === filter.assetId) confirmed.push({ ...a, assetId: filter.assetId });
    }
    return confirmed;
  }

  /**
   * Points the instance at another implementation URI (`PATCH .../apis/{id}` with `{endpoint: {uri}}`).
   * Setting the same value twice is harmless. null when the instance is gone (404).
   */
  async setEndpointUri(apiId: string, uri: string, current?: Record<string, unknown>): Promise<ApiInstance | null> {
    const ctx = await this.context();
    // the whole endpoint as it was read, its uri changed: a platform that replaces the object instead
    // of merging it keeps the proxy's other settings (base path, template, timeouts)
    const res = await this.http.patch<unknown>(`${this.base(ctx)}/${seg(apiId)}`, { endpoint: { ...(current ?? {}), uri } }, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      retry: 'always',
      op: 'apimanager.setEndpointUri',
    });
    if (res.status === 404) return null;
    return normalizeInstance(res.data);
  }

  /** true = deleted, false = already gone (404). */
  async deleteApi(apiId: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.delete(`${this.base(ctx)}/${seg(apiId)}`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'apimanager.deleteApi',
    });
    return res.status !== 404;
  }

  /**
   * The policy templates that apply to an API instance (its technology decides the implementation),
   * or the org's templates without one: `GET /apimanager/api/v1/organizations/{org}/policy-templates
   * [?apiInstanceId=]` → `{data: [...]}` (or a bare list), each `{groupId, assetId, assetVersion}`.
   */
  async policyTemplates(apiId?: string): Promise<{ groupId?: string; assetId: string; assetVersion: string }[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`/apimanager/api/v1/organizations/${seg(ctx.orgId)}/policy-templates`, {
      headers: scopeHeaders(ctx),
      query: { apiInstanceId: apiId },
      op: 'apimanager.policyTemplates',
    });
    const body = res.data;
    const items = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.data) ? body.data : [];
    const out: { groupId?: string; assetId: string; assetVersion: string }[] = [];
    for (const t of items) {
      if (!isRecord(t)) continue;
      const assetId = strOf(t.assetId);
      const assetVersion = strOf(t.assetVersion) ?? strOf(t.version);
      if (assetId && assetVersion) out.push({ groupId: strOf(t.groupId), assetId, assetVersion });
    }
    return out;
  }

  /**
   * `GET /apimanager/xapi/proxies/v1/proxy-templates?type=rest` → `data[0].assetVersion`; any
   * failure or another shape → the configured fallback. Never throws.
   */
  async latestProxyTemplateVersion(): Promise<string> {
    try {
      const ctx = await this.context();
      const res = await this.http.get<unknown>('/apimanager/xapi/proxies/v1/proxy-templates', {
        headers: scopeHeaders(ctx),
        query: { type: 'rest' },
        maxTries: 2,
        op: 'apimanager.proxyTemplates',
      });
      const data = isRecord(res.data) && Array.isArray(res.data.data) ? res.data.data : undefined;
      const first: unknown = data?.[0];
      const v = isRecord(first) ? strOf(first.assetVersion) : undefined;
      if (v && /^\d+\.\d+\.\d+/.test(v)) return v;
    } catch {
      // fall back below
    }
    return this.opts.fallbackProxyTemplateVersion;
  }
}

export function normalizeInstance(data: unknown, parent?: Record<string, unknown>): ApiInstance | null {
  if (!isRecord(data)) return null;
  // the spec names the instance id `apiId` (promoteApi.yaml, getEnvironmentApi.yaml); the platform and its Terraform provider use `id`
  const id = idOf(data.id) ?? idOf(data.apiId);
  if (!id) return null;
  const dep = isRecord(data.deployment) ? data.deployment : undefined;
  return {
    ...data,
    id,
    groupId: strOf(data.groupId) ?? strOf(parent?.groupId),
    assetId: strOf(data.assetId) ?? strOf(parent?.assetId),
    assetVersion: strOf(data.assetVersion),
    instanceLabel: strOf(data.instanceLabel),
    status: strOf(data.status),
    endpointUri: strOf(data.endpointUri),
    autodiscoveryInstanceName: strOf(data.autodiscoveryInstanceName),
    deployment: dep
      ? { ...dep, id: idOf(dep.id), applicationName: strOf(dep.applicationName) }
      : data.deployment === null
        ? null
        : undefined,
  };
}

export function extractInstances(body: unknown): ApiInstance[] {
  const out: ApiInstance[] = [];
  const push = (list: unknown, parent?: Record<string, unknown>): void => {
    if (!Array.isArray(list)) return;
    for (const item of list) {
      if (isRecord(item) && Array.isArray(item.apis)) {
        push(item.apis, item); // an asset with its instances
        continue;
      }
      const inst = normalizeInstance(item, parent);
      if (inst) out.push(inst);
    }
  };
  if (Array.isArray(body)) {
    push(body);
  } else if (isRecord(body)) {
    if (Array.isArray(body.instances)) push(body.instances);
    else if (Array.isArray(body.assets)) {
      for (const asset of body.assets) if (isRecord(asset)) push(asset.apis, asset);
    } else if (Array.isArray(body.apis)) push(body.apis);
    else if (Array.isArray(body.data)) push(body.data);
  }
  return out;
}
