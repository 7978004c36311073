import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { type ContextProvider, idOf, isRecord, scopeHeaders, seg, strOf } from './context';

/**
 * API keys as the platform has them: client applications (Exchange experience API, under the
 * org) and their contracts with an API instance (created through Exchange, listed and removed
 * through API Manager). The client id/secret pair is what a caller sends to an API under client-id
 * enforcement.
 */

export interface ClientApplication {
  id: string;
  name: string;
  clientId?: string;
  clientSecret?: string;
}

export interface Contract {
  id: string;
  applicationId?: string;
  status?: string;
}

export interface ContractTarget {
  apiId: string;
  groupId: string;
  assetId: string;
  version: string;
  /** The asset's `apiVersion` (Exchange "version group"). */
  versionGroup: string;
}

function normalizeApp(data: unknown): ClientApplication | null {
  if (!isRecord(data)) return null;
  const id = idOf(data.id);
  const name = strOf(data.name);
  if (!id || name === undefined) return null;
  return { id, name, clientId: strOf(data.clientId), clientSecret: strOf(data.clientSecret) };
}

function normalizeContract(data: unknown): Contract | null {
  if (!isRecord(data)) return null;
  const id = idOf(data.id);
  if (!id) return null;
  const app = isRecord(data.application) ? data.application : {};
  return { id, applicationId: idOf(data.applicationId) ?? idOf(app.id), status: strOf(data.status) };
}

export class ClientAppsClient {
  constructor(
    private readonly exchange: HttpClient,
    private readonly apimanager: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  private async apps(): Promise<{ base: string; headers: Record<string, string> }> {
    const ctx = await this.context();
    return { base: `/exchange/api/v2/organizations/${seg(ctx.orgId)}/applications`, headers: scopeHeaders(ctx) };
  }

  /** `POST .../applications`: a client application (no OAuth grant types: a key pair only). */
  async create(name: string, description: string): Promise<ClientApplication> {
    const { base, headers } = await this.apps();
    const res = await this.exchange.post<unknown>(base, { name, description, grantTypes: [], redirectUri: [] }, { headers, op: 'exchange.createApplication' });
    const app = normalizeApp(res.data);
    if (!app) throw new UnexpectedResponseError('exchange', 'create client application answered without an id');
    return app;
  }

  /** The client applications whose name starts with `prefix` (the query is a substring match; the prefix is checked here). */
  async findByPrefix(prefix: string): Promise<ClientApplication[]> {
    const { base, headers } = await this.apps();
    const out: ClientApplication[] = [];
    for (let offset = 0; ; offset += 250) {
      const res = await this.exchange.get<unknown>(base, { headers, query: { query: prefix, offset, limit: 250 }, op: 'exchange.listApplications' });
      const items = Array.isArray(res.data) ? res.data : [];
      for (const i of items) {
        const a = normalizeApp(i);
        if (a && a.name.startsWith(prefix)) out.push(a);
      }
      if (items.length < 250) return out;
    }
  }

  async findByName(name: string): Promise<ClientApplication | null> {
    return (await this.findByPrefix(name)).find((a) => a.name === name) ?? null;
  }

  /** `GET .../applications/{id}` (with its client id and secret), or null when gone. */
  async get(id: string): Promise<ClientApplication | null> {
    const { base, headers } = await this.apps();
    const res = await this.exchange.get<unknown>(`${base}/${seg(id)}`, { headers, okStatuses: [404], op: 'exchange.getApplication' });
    return res.status === 404 ? null : normalizeApp(res.data);
  }

  /** true = removed, false = already gone (404). */
  async delete(id: string): Promise<boolean> {
    const { base, headers } = await this.apps();
    const res = await this.exchange.delete(`${base}/${seg(id)}`, { headers, okStatuses: [404], op: 'exchange.deleteApplication' });
    return res.status !== 404;
  }

  /** `POST .../applications/{id}/contracts`: a contract with our API instance (auto-approved: no SLA tier). */
  async createContract(applicationId: string, target: ContractTarget): Promise<Contract> {
    const ctx = await this.context();
    const { base, headers } = await this.apps();
    const body = {
      apiId: target.apiId,
      environmentId: ctx.envId,
      acceptedTerms: true,
      organizationId: ctx.orgId,
      groupId: target.groupId,
      assetId: target.assetId,
      version: target.version,
      versionGroup: target.versionGroup,
      instanceType: 'api',
    };
    const res = await this.exchange.post<unknown>(`${base}/${seg(applicationId)}/contracts`, body, { headers, op: 'exchange.createContract' });
    const c = normalizeContract(res.data);
    if (!c) throw new UnexpectedResponseError('exchange', 'create contract answered without an id');
    return c;
  }

  /** `GET .../apis/{apiId}/contracts` (API Manager): the instance's contracts; an instance gone → []. */
  async contractsOf(apiId: string): Promise<Contract[]> {
    const ctx = await this.context();
    const path = `/apimanager/api/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/apis/${seg(apiId)}/contracts`;
    const out: Contract[] = [];
    for (let offset = 0; ; offset += 250) {
      const res = await this.apimanager.get<unknown>(path, { headers: scopeHeaders(ctx), query: { offset, limit: 250 }, okStatuses: [404], op: 'apimanager.listContracts' });
      if (res.status === 404) return out;
      const list = isRecord(res.data) && Array.isArray(res.data.contracts) ? res.data.contracts : Array.isArray(res.data) ? res.data : [];
      for (const c of list) {
        const n = normalizeContract(c);
        if (n) out.push(n);
      }
      if (list.length < 250) return out;
    }
  }

  /** `DELETE .../apis/{apiId}/contracts/{id}`: true = removed, false = already gone (404). */
  async deleteContract(apiId: string, contractId: string): Promise<boolean> {
    const ctx = await this.context();
    const path = `/apimanager/api/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/apis/${seg(apiId)}/contracts/${seg(contractId)}`;
    const res = await this.apimanager.delete(path, { headers: scopeHeaders(ctx), okStatuses: [404], op: 'apimanager.deleteContract' });
    return res.status !== 404;
  }
}
