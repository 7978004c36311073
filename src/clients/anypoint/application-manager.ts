import type { HttpClient } from '../http';
import { type AnypointContext, type ContextProvider, idOf, isRecord, seg, strOf } from './context';

/** A CloudHub 2.0 deployment as the Application Manager (AMC, v2) shows it: the fields we use. */
export interface AmcDeployment {
  id: string;
  name: string;
  /** Deployment status: APPLIED once the platform has rolled it out (APPLYING, FAILED, …). */
  status?: string;
  /** Application status: RUNNING once it serves (NOT_RUNNING, SCALING). */
  applicationStatus?: string;
  /** `target.deploymentSettings.http.inbound.publicUrl`. */
  publicUrl?: string;
}

export type AmcReadiness = 'ready' | 'deploying' | 'failed';

const FAILED = new Set(['FAILED', 'DEPLOYMENT_FAILED']);

/** Ready = APPLIED and RUNNING; failed = FAILED / DEPLOYMENT_FAILED; anything else is still deploying. */
export function amcReadiness(d: Pick<AmcDeployment, 'status' | 'applicationStatus'>): AmcReadiness {
  const status = (d.status ?? '').toUpperCase();
  if (FAILED.has(status)) return 'failed';
  if (status === 'APPLIED' && (d.applicationStatus ?? '').toUpperCase() === 'RUNNING') return 'ready';
  return 'deploying';
}

function normalize(data: unknown): AmcDeployment | null {
  if (!isRecord(data)) return null;
  const id = idOf(data.id);
  const name = strOf(data.name);
  if (!id || !name) return null;
  const app = isRecord(data.application) ? data.application : {};
  const settings = isRecord(data.target) && isRecord(data.target.deploymentSettings) ? data.target.deploymentSettings : {};
  const inbound = isRecord(settings.http) && isRecord(settings.http.inbound) ? settings.http.inbound : {};
  return { id, name, status: strOf(data.status), applicationStatus: strOf(app.status), publicUrl: strOf(inbound.publicUrl) };
}

/** The page size of the deployment list (AMC has no name filter: the list is paged through). */
const PAGE = 100;

/** Application Manager v2: CloudHub 2.0 deployments (the dedicated proxies of the `ch2` target). */
export class ApplicationManagerClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  private base(ctx: AnypointContext): string {
    return `/amc/application-manager/api/v2/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/deployments`;
  }

  /** The deployment called `name` in our environment, or null (pages through the list). */
  async findByName(name: string): Promise<AmcDeployment | null> {
    const ctx = await this.context();
    for (let offset = 0; ; offset += PAGE) {
      const res = await this.http.get<unknown>(this.base(ctx), { query: { offset, limit: PAGE }, op: 'amc.deployments' });
      const items = isRecord(res.data) && Array.isArray(res.data.items) ? res.data.items : [];
      const hit = items.map((i) => normalize(i)).find((d) => d?.name === name);
      if (hit) return hit;
      // `total` is optional in the spec: without it, a short page is the last
      const total = isRecord(res.data) && typeof res.data.total === 'number' ? res.data.total : undefined;
      if (items.length < PAGE || (total !== undefined && offset + items.length >= total)) return null;
    }
  }

  /** null when absent (404). */
  async get(deploymentId: string): Promise<AmcDeployment | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${this.base(ctx)}/${seg(deploymentId)}`, { okStatuses: [404], op: 'amc.deployment' });
    if (res.status === 404) return null;
    return normalize(res.data);
  }

  /** true = deleted, false = already gone (404). */
  async delete(deploymentId: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.delete(`${this.base(ctx)}/${seg(deploymentId)}`, { okStatuses: [404], op: 'amc.deleteDeployment' });
    return res.status !== 404;
  }
}
