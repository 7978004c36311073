import { EnvironmentNotFoundError, UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { idOf, isRecord, seg } from './context';

export interface AnypointEnvironment {
  id: string;
  name: string;
  organizationId?: string;
  isProduction?: boolean;
  type?: string;
}

/** Page size of the environment list (the platform allows up to 500). */
const ENV_PAGE = 500;

/** One context-aware scope granted to the connected app: for an org, and an environment when it names one. */
export interface GrantedScope {
  scope: string;
  org?: string;
  envId?: string;
}

/** Accounts: who we are (org id) and the environments of the org. Both are cached. */
export class AccountsClient {
  private orgIdP?: Promise<string>;
  private readonly envs = new Map<string, Promise<AnypointEnvironment>>();

  constructor(private readonly http: HttpClient) {}

  /** `GET /accounts/api/me` → `client.org_id` (connected app), else `user.organization.id`. Cached. */
  orgId(): Promise<string> {
    if (!this.orgIdP) {
      this.orgIdP = this.fetchOrgId().catch((err: unknown) => {
        this.orgIdP = undefined;
        throw err;
      });
    }
    return this.orgIdP;
  }

  /** One page of environments (`limit` at most 500); `name` filters on the platform's side. */
  private async environmentsPage(orgId: string, query: { name?: string; limit: number; offset: number }): Promise<{ items: AnypointEnvironment[]; total: number }> {
    const res = await this.http.get<unknown>(`/accounts/api/organizations/${seg(orgId)}/environments`, {
      headers: { 'X-ANYPNT-ORG-ID': orgId },
      query,
      op: 'accounts.environments',
    });
    const body = res.data;
    const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.data) ? body.data : undefined;
    if (!list) throw new UnexpectedResponseError('accounts', 'environments response without a data list');
    const items: AnypointEnvironment[] = [];
    for (const e of list) {
      if (!isRecord(e)) continue;
      const id = idOf(e.id);
      if (!id || typeof e.name !== 'string') continue;
      items.push({
        id,
        name: e.name,
        organizationId: idOf(e.organizationId),
        isProduction: typeof e.isProduction === 'boolean' ? e.isProduction : undefined,
        type: typeof e.type === 'string' ? e.type : undefined,
      });
    }
    const total = isRecord(body) && typeof body.total === 'number' ? body.total : items.length;
    return { items, total };
  }

  /** Every environment of the org, page by page (the list pages at 25 by default). */
  async listEnvironments(orgId: string): Promise<AnypointEnvironment[]> {
    const all: AnypointEnvironment[] = [];
    for (let offset = 0; ; offset += ENV_PAGE) {
      const { items, total } = await this.environmentsPage(orgId, { limit: ENV_PAGE, offset });
      all.push(...items);
      if (items.length < ENV_PAGE || all.length >= total) return all;
    }
  }

  /**
   * The environment called `name` (exact match, else the one case-insensitive match). Cached.
   * Absent: `EnvironmentNotFoundError` (permanent), naming the environments that exist.
   */
  environment(orgId: string, name: string): Promise<AnypointEnvironment> {
    const key = `${orgId}\u0000${name}`;
    let p = this.envs.get(key);
    if (!p) {
      p = this.findEnvironment(orgId, name).catch((err: unknown) => {
        this.envs.delete(key);
        throw err;
      });
      this.envs.set(key, p);
    }
    return p;
  }

  private async findEnvironment(orgId: string, name: string): Promise<AnypointEnvironment> {
    // the platform filters by name; an org whose names differ only in case is paged through
    const filtered = (await this.environmentsPage(orgId, { name, limit: ENV_PAGE, offset: 0 })).items.find((e) => e.name === name);
    if (filtered) return filtered;
    const all = await this.listEnvironments(orgId);
    const exact = all.find((e) => e.name === name);
    if (exact) return exact;
    const loose = all.filter((e) => e.name.toLowerCase() === name.toLowerCase());
    if (loose.length === 1) return loose[0];
    throw new EnvironmentNotFoundError(name, all.map((e) => e.name));
  }

  /**
   * The scopes granted to the connected app `clientId` (its client-credentials identity), paged
   * through: `GET /accounts/api/connectedApplications/{clientId}/scopes`. null when the platform
   * does not show them to the app itself (403/404).
   */
  async connectedAppScopes(clientId: string): Promise<GrantedScope[] | null> {
    const out: GrantedScope[] = [];
    for (let offset = 0; ; offset += ENV_PAGE) {
      const res = await this.http.get<unknown>(`/accounts/api/connectedApplications/${seg(clientId)}/scopes`, {
        query: { limit: ENV_PAGE, offset },
        okStatuses: [403, 404],
        op: 'accounts.scopes',
      });
      if (res.status === 403 || res.status === 404) return null;
      const body = res.data;
      const list = isRecord(body) && Array.isArray(body.data) ? body.data : Array.isArray(body) ? body : undefined;
      if (!list) throw new UnexpectedResponseError('accounts', 'scopes response without a data list');
      for (const s of list) {
        if (!isRecord(s) || typeof s.scope !== 'string') continue;
        const ctx = isRecord(s.context_params) ? s.context_params : {};
        out.push({ scope: s.scope, org: idOf(ctx.org), envId: idOf(ctx.envId) });
      }
      const total = isRecord(body) && typeof body.total === 'number' ? body.total : undefined;
      if (list.length < ENV_PAGE || (total !== undefined && offset + list.length >= total)) return out;
    }
  }

  private async fetchOrgId(): Promise<string> {
    const res = await this.http.get<unknown>('/accounts/api/me', { op: 'accounts.me' });
    const body = res.data;
    if (isRecord(body)) {
      const client = isRecord(body.client) ? body.client : undefined;
      const user = isRecord(body.user) ? body.user : undefined;
      const org = user && isRecord(user.organization) ? user.organization : undefined;
      const id = idOf(client?.org_id) ?? idOf(org?.id);
      if (id) return id;
    }
    throw new UnexpectedResponseError('accounts', '/accounts/api/me names no organisation (client.org_id or user.organization.id)');
  }
}
