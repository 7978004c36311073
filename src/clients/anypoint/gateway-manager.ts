import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { type AnypointContext, type ContextProvider, idOf, isRecord, scopeHeaders, seg, strOf } from './context';

/** A managed Omni Gateway (Gateway Manager's ManagedGatewayDetail, the fields we use). */
export interface ManagedGateway {
  id: string;
  name: string;
  status?: string;
  targetId?: string;
  runtimeVersion?: string;
  /** How many APIs the platform lets this gateway hold. */
  apiLimit?: number;
  /** `configuration.ingress.publicUrl` (the spec allows several, comma-separated: the first is used). */
  publicUrl?: string;
}

export interface GatewayStatus {
  status: string;
  ready: boolean;
  running: boolean;
}

export interface CreateGatewayInput {
  name: string;
  targetId: string;
  runtimeVersion: string;
  releaseChannel: 'lts' | 'edge';
  size: 'small' | 'large';
}

const GATEWAY_PAGE = 50;

export type GatewayChannels = Partial<Record<'lts' | 'edge', string[]>>;

function normalizeGateway(data: unknown): ManagedGateway | null {
  if (!isRecord(data)) return null;
  const id = idOf(data.id);
  const name = strOf(data.name);
  if (!id || !name) return null;
  const ingress = isRecord(data.configuration) && isRecord(data.configuration.ingress) ? data.configuration.ingress : undefined;
  const publicUrl = strOf(ingress?.publicUrl)?.split(',')[0]?.trim() || undefined;
  return {
    id,
    name,
    status: strOf(data.status),
    targetId: strOf(data.targetId),
    runtimeVersion: strOf(data.runtimeVersion),
    apiLimit: typeof data.apiLimit === 'number' ? data.apiLimit : undefined,
    publicUrl,
  };
}

/**
 * Gateway Manager (`/gatewaymanager/api/v1`): the managed Omni Gateways of the environment, and the
 * runtime versions a new one may run (`/gatewaymanager/xapi/v1/gateway/versions`, the experience
 * API MuleSoft's Terraform provider reads; see packages/contracts/src/overrides.ts `gw-versions`).
 */
export class GatewayManagerClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  private base(ctx: AnypointContext): string {
    return `/gatewaymanager/api/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/gateways`;
  }

  /**
   * Creates a gateway with the platform's defaults for ingress, timeouts and logging (no
   * `configuration`: its public URL is the platform's). Not retried after a timeout (`uncertain`):
   * look it up by name before creating again.
   */
  async create(input: CreateGatewayInput): Promise<ManagedGateway> {
    const ctx = await this.context();
    const res = await this.http.post<unknown>(this.base(ctx), { ...input }, { headers: scopeHeaders(ctx), op: 'gateways.create' });
    const gw = normalizeGateway(res.data);
    if (!gw) throw new UnexpectedResponseError('gatewaymanager', 'create gateway answered without id and name');
    return gw;
  }

  /** The gateway called exactly `name`, or null (the list is filtered by name, paged through, checked again here). */
  async findByName(name: string): Promise<ManagedGateway | null> {
    const ctx = await this.context();
    for (let pageNumber = 0; ; pageNumber++) {
      const res = await this.http.get<unknown>(this.base(ctx), { headers: scopeHeaders(ctx), query: { name, pageSize: GATEWAY_PAGE, pageNumber }, op: 'gateways.list' });
      const content = isRecord(res.data) && Array.isArray(res.data.content) ? res.data.content : [];
      const hit = content.map((g) => normalizeGateway(g)).find((g) => g?.name === name);
      if (hit) return this.get(hit.id);
      const total = isRecord(res.data) && typeof res.data.totalElements === 'number' ? res.data.totalElements : undefined;
      if (content.length < GATEWAY_PAGE || (total !== undefined && (pageNumber + 1) * GATEWAY_PAGE >= total)) return null;
    }
  }

  /** Every gateway of the environment (`{id, name, status, targetId}` as the list gives them), paged through. */
  async list(): Promise<ManagedGateway[]> {
    const ctx = await this.context();
    const out: ManagedGateway[] = [];
    for (let pageNumber = 0; ; pageNumber++) {
      const res = await this.http.get<unknown>(this.base(ctx), { headers: scopeHeaders(ctx), query: { pageSize: GATEWAY_PAGE, pageNumber }, op: 'gateways.list' });
      const content = isRecord(res.data) && Array.isArray(res.data.content) ? res.data.content : [];
      out.push(...content.map((g) => normalizeGateway(g)).filter((g): g is ManagedGateway => g !== null));
      const total = isRecord(res.data) && typeof res.data.totalElements === 'number' ? res.data.totalElements : undefined;
      if (content.length < GATEWAY_PAGE || (total !== undefined && (pageNumber + 1) * GATEWAY_PAGE >= total)) return out;
    }
  }

  /** null when absent (404). */
  async get(gatewayId: string): Promise<ManagedGateway | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${this.base(ctx)}/${seg(gatewayId)}`, { headers: scopeHeaders(ctx), okStatuses: [404], op: 'gateways.get' });
    if (res.status === 404) return null;
    const gw = normalizeGateway(res.data);
    if (!gw) throw new UnexpectedResponseError('gatewaymanager', 'gateway answered without id and name');
    return gw;
  }

  /** `{status, ready, running}`; null when absent (404). */
  async status(gatewayId: string): Promise<GatewayStatus | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${this.base(ctx)}/${seg(gatewayId)}/status`, { headers: scopeHeaders(ctx), okStatuses: [404], op: 'gateways.status' });
    if (res.status === 404) return null;
    const d = isRecord(res.data) ? res.data : {};
    return { status: strOf(d.status) ?? 'UNKNOWN', ready: d.ready === true, running: d.running === true };
  }

  /** true = deleted, false = already gone (404). */
  async delete(gatewayId: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.delete(`${this.base(ctx)}/${seg(gatewayId)}`, { headers: scopeHeaders(ctx), okStatuses: [404], op: 'gateways.delete' });
    return res.status !== 404;
  }

  /** Runtime versions a new gateway may run, newest first, per release channel. */
  async versions(): Promise<GatewayChannels> {
    const res = await this.http.get<unknown>('/gatewaymanager/xapi/v1/gateway/versions', { op: 'gateways.versions' });
    const channels = isRecord(res.data) && isRecord(res.data.channels) ? res.data.channels : {};
    const out: GatewayChannels = {};
    for (const name of ['lts', 'edge'] as const) {
      const c = channels[name];
      const list = isRecord(c) && Array.isArray(c.versions) ? c.versions : [];
      const versions = list.map((v) => (isRecord(v) ? strOf(v.displayName) : undefined)).filter((v): v is string => !!v);
      if (versions.length) out[name] = versions;
    }
    return out;
  }
}
