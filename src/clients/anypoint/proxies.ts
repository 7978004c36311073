import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { parseRuntimeOption, type RuntimeOption } from '../../domain/runtimes';
import { type AnypointContext, type ContextProvider, idOf, isRecord, scopeHeaders, seg, strOf } from './context';

/** A proxy deployment of an API instance (proxies xapi): to a managed gateway (HY) or CloudHub 2.0 (CH2). */
export interface ProxyDeployment {
  id: string;
  type?: string;
  applicationName?: string;
  targetId?: string;
  [key: string]: unknown;
}

export type DeploymentInput =
  | { type: 'HY'; targetId: string; targetName: string; gatewayVersion: string }
  | { type: 'CH2'; targetId: string; targetName: string; applicationName: string; gatewayVersion: string };

export interface DeploymentTarget {
  id: string;
  name: string;
  /** `private-space`, `shared-space`, … when the platform says. */
  type?: string;
}

const list = (data: unknown): unknown[] => (Array.isArray(data) ? data : isRecord(data) && Array.isArray(data.data) ? data.data : []);

/** The proxies experience API: deployments of API instances, CloudHub 2.0 targets and their runtime versions. */
export class ProxiesClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  private base(ctx: AnypointContext, apiId: string): string {
    return `/proxies/xapi/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/apis/${seg(apiId)}/deployments`;
  }

  /**
   * Deploys the API instance (the spec's flat form). Not retried after a timeout (`uncertain`):
   * list the instance's deployments before deploying again.
   */
  async deploy(apiId: string, input: DeploymentInput): Promise<ProxyDeployment> {
    const ctx = await this.context();
    const body = { ...input, environmentId: ctx.envId, environmentName: ctx.envName, overwrite: false };
    const res = await this.http.post<unknown>(this.base(ctx, apiId), body, { headers: scopeHeaders(ctx), op: 'proxies.deploy' });
    const d = isRecord(res.data) ? res.data : undefined;
    const id = idOf(d?.id);
    if (!d || !id) throw new UnexpectedResponseError('proxies', 'deployment answered without an id');
    return { ...d, id };
  }

  /**
   * Redeploys the instance's deployment as it is (`PATCH .../deployments/{id}`): a Mule 4 proxy reads
   * its implementation URI when it deploys, so a changed upstream reaches a CH2 proxy only this way.
   * Repeating it is harmless (one more rolling restart).
   */
  async redeploy(apiId: string, deploymentId: string, input: { type: string; gatewayVersion?: string }): Promise<void> {
    const ctx = await this.context();
    await this.http.patch(`${this.base(ctx, apiId)}/${seg(deploymentId)}`, { ...input, environmentId: ctx.envId, environmentName: ctx.envName }, {
      headers: scopeHeaders(ctx),
      retry: 'always',
      op: 'proxies.redeploy',
    });
  }

  /** The deployments of an API instance (the spec documents no shape: a list or `{data: [...]}`). */
  async deployments(apiId: string): Promise<ProxyDeployment[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(this.base(ctx, apiId), { headers: scopeHeaders(ctx), okStatuses: [404], op: 'proxies.deployments' });
    if (res.status === 404) return [];
    return list(res.data)
      .filter(isRecord)
      .map((d) => ({ ...d, id: idOf(d.id) ?? '', type: strOf(d.type), applicationName: strOf(d.applicationName), targetId: strOf(d.targetId) }))
      .filter((d) => d.id);
  }

  /** `.../deployments/{id}/status` → its `status` (e.g. `deployed`, `applied`, `started`, `failed`), null when unknown (404). */
  async deploymentStatus(apiId: string, deploymentId: string): Promise<string | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${this.base(ctx, apiId)}/${seg(deploymentId)}/status`, { headers: scopeHeaders(ctx), okStatuses: [404], op: 'proxies.deploymentStatus' });
    if (res.status === 404) return null;
    return isRecord(res.data) ? (strOf(res.data.status) ?? null) : null;
  }

  /** The CloudHub 2.0 deployment targets (spaces) our environment may use. */
  async cloudhub2Targets(): Promise<DeploymentTarget[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`/proxies/xapi/v1/organizations/${seg(ctx.orgId)}/providers/MC/cloudhub2-deployment-targets`, {
      headers: scopeHeaders(ctx),
      query: { environmentId: ctx.envId },
      op: 'proxies.cloudhub2Targets',
    });
    return list(res.data)
      .filter(isRecord)
      .map((t) => ({ id: idOf(t.id) ?? '', name: strOf(t.name) ?? '', ...(strOf(t.type) ? { type: strOf(t.type) } : {}) }))
      .filter((t) => t.id && t.name);
  }

  /** The Mule runtime versions a target offers for a new deployment. */
  async runtimeVersions(targetId: string): Promise<RuntimeOption[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`/proxies/xapi/v1/organizations/${seg(ctx.orgId)}/targets/${seg(targetId)}/runtimes/mule/versions`, {
      headers: scopeHeaders(ctx),
      query: { operation: 'newdeployment' },
      op: 'proxies.runtimeVersions',
    });
    return list(res.data)
      .map((v) => parseRuntimeOption(v))
      .filter((v): v is RuntimeOption => v !== null);
  }
}
