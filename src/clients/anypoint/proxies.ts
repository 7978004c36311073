import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { type AnypointContext, type ContextProvider, idOf, isRecord, scopeHeaders, seg, strOf } from './context';

export interface CreateDeploymentInput {
  /** The CloudHub application name (globally unique). */
  applicationName: string;
  /** Default: the configured gateway version. */
  gatewayVersion?: string;
  /** Default: the context's environment name. */
  environmentName?: string;
  overwrite?: boolean;
}

export interface Deployment {
  id: string;
  applicationName?: string;
  [key: string]: unknown;
}

export interface DeploymentStatus {
  status?: string;
  lastActiveDate?: string;
  apiVersionStatus?: string;
  [key: string]: unknown;
}

export interface ProxiesClientOptions {
  gatewayVersion: string;
}

/** Proxy deployments to CloudHub 1.0, driven through API Manager's proxies xapi. */
export class ProxiesClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
    private readonly opts: ProxiesClientOptions,
  ) {}

  private base(ctx: AnypointContext, apiId: string): string {
    return `/proxies/xapi/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/apis/${seg(apiId)}/deployments`;
  }

  static createBody(ctx: AnypointContext, input: CreateDeploymentInput, gatewayVersion: string): Record<string, unknown> {
    return {
      type: 'CH',
      applicationName: input.applicationName,
      environmentId: ctx.envId,
      environmentName: input.environmentName ?? ctx.envName,
      gatewayVersion: input.gatewayVersion ?? gatewayVersion,
      overwrite: input.overwrite ?? false,
    };
  }

  /**
   * Starts the proxy deployment. Not retried after a timeout or 500/502/504 (`uncertain: true`):
   * look at the API instance's `deployment` / the CloudHub app before deploying again.
   */
  async createDeployment(apiId: string, input: CreateDeploymentInput): Promise<Deployment> {
    const ctx = await this.context();
    const res = await this.http.post<unknown>(this.base(ctx, apiId), ProxiesClient.createBody(ctx, input, this.opts.gatewayVersion), {
      headers: scopeHeaders(ctx),
      op: 'proxies.createDeployment',
    });
    const d = isRecord(res.data) ? res.data : undefined;
    const id = idOf(d?.id);
    if (!d || !id) throw new UnexpectedResponseError('proxies', 'deployment answered without an id');
    return { ...d, id, applicationName: strOf(d.applicationName) ?? input.applicationName };
  }

  /** `GET .../deployments/{id}/status`; null when the deployment is unknown (404). */
  async deploymentStatus(apiId: string, deploymentId: string): Promise<DeploymentStatus | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${this.base(ctx, apiId)}/${seg(deploymentId)}/status`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'proxies.deploymentStatus',
    });
    if (res.status === 404) return null;
    const d = isRecord(res.data) ? res.data : {};
    return { ...d, status: strOf(d.status), lastActiveDate: strOf(d.lastActiveDate), apiVersionStatus: strOf(d.apiVersionStatus) };
  }
}
