import { randomBytes } from 'node:crypto';
import type { Express, Request } from 'express';
import { iso } from '../state';
import { HttpError, intQuery, isObject, requireOrg, strQuery, type Ctx } from '../http';
import type { ApiContract, ApiInstance, ClientApplication } from '../types';
import { findApiOf } from './apiManager';

const EX_APPS = '/exchange/api/v2/organizations/:orgId/applications';
const APIM_CONTRACTS = '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/contracts';

/** 32 hex digits, as the platform's client ids; secrets mix the case of their hex letters, as its examples do. */
const newClientId = () => randomBytes(16).toString('hex');
const newClientSecret = () =>
  randomBytes(16)
    .toString('hex')
    .split('')
    .map((ch) => (/[a-f]/.test(ch) && randomBytes(1)[0] & 1 ? ch.toUpperCase() : ch))
    .join('');

const boolQuery = (req: Request, name: string): boolean | undefined => {
  const v = strQuery(req, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw new HttpError(400, `${name} must be true or false`);
  return v === 'true';
};

/**
 * Client applications and contracts, in both forms the vendor specs give:
 * - Exchange experience (`/exchange/api/v2/organizations/{org}/applications[...]`): create (answers
 *   clientId and clientSecret), list (`query`, `literalMatch`, `apiInstanceId`, `offset`, `limit`),
 *   read (with its credentials), delete (its contracts end with it), and a contract of an application
 *   on an API instance (CreateContractV2), listed per application;
 * - API Manager (`.../apis/{apiId}/contracts`): contract an application on the instance, list
 *   (`status`, `offset`, `limit`), read, delete (the spec has no revoke operation: DELETE ends it).
 * Contracts are approved at once (the stand-in has no SLA tiers: a requestedTierId is refused). An
 * application holds at most one contract per instance (409). The gateway honours a contract from
 * `contractApplyDelayMs` after its creation until that long after its end.
 */
export function registerContracts(app: Express, ctx: Ctx): void {
  const { state } = ctx;

  const findApp = (req: Request): ClientApplication => {
    const params = req.params as Record<string, string>;
    requireOrg(ctx, params.orgId);
    const a = /^\d+$/.test(params.applicationId) ? state.clientApps.get(Number(params.applicationId)) : undefined;
    if (!a) throw new HttpError(404, `Application ${params.applicationId} not found`);
    return a;
  };

  const appView = (a: ClientApplication, secrets: boolean): Record<string, unknown> => ({
    id: a.id,
    name: a.name,
    ...(a.description !== null ? { description: a.description } : {}),
    ...(a.url !== null ? { url: a.url } : {}),
    redirectUri: [...a.redirectUri],
    grantTypes: [...a.grantTypes],
    masterOrganizationId: a.masterOrganizationId,
    ...(secrets ? { clientId: a.clientId, clientSecret: a.clientSecret } : {}),
  });

  /** A new standing contract; 409 when the application already has one on the instance. */
  const contract = (api: ApiInstance, application: ClientApplication, body: Record<string, unknown>): ApiContract => {
    if (body.requestedTierId !== undefined) throw new HttpError(400, `SLA tier ${String(body.requestedTierId)} not found for API ${api.id}`);
    const clash = state.standingContracts().find((c) => c.apiId === api.id && c.applicationId === application.id);
    if (clash) throw new HttpError(409, `Application ${application.id} already has contract ${clash.id} with API ${api.id}`);
    const now = Date.now();
    const c: ApiContract = {
      id: state.newContractId(),
      apiId: api.id,
      applicationId: application.id,
      clientId: application.clientId,
      clientSecret: application.clientSecret,
      status: 'APPROVED',
      partyId: typeof body.partyId === 'string' ? body.partyId : null,
      partyName: typeof body.partyName === 'string' ? body.partyName : null,
      requestAccessInfo: isObject(body.requestAccessInfo) && typeof body.requestAccessInfo.reason === 'string' ? { reason: body.requestAccessInfo.reason } : null,
      acceptedTerms: body.acceptedTerms === true,
      createdAt: now,
      createdDate: iso(now),
      endedAt: null,
    };
    state.contracts.set(c.id, c);
    return c;
  };

  /** A contract as API Manager answers it (the application's credentials only when `secrets`). */
  const apimView = (c: ApiContract, secrets: boolean): Record<string, unknown> => {
    const a = state.clientApps.get(c.applicationId);
    return {
      id: c.id,
      apiId: c.apiId,
      api: { id: c.apiId, audit: { created: {}, updated: {} } },
      applicationId: c.applicationId,
      application: {
        id: c.applicationId,
        name: a?.name ?? '',
        ...(a?.description != null ? { description: a.description } : {}),
        ...(a?.url != null ? { url: a.url } : {}),
        coreServicesId: c.clientId,
        audit: { created: { date: a?.createdDate ?? c.createdDate }, updated: {} },
        ...(secrets ? { clientId: c.clientId, clientSecret: c.clientSecret } : {}),
      },
      status: c.status,
      approvedDate: c.createdDate,
      rejectedDate: null,
      revokedDate: null,
      requestedTier: null,
      requestedTierId: null,
      terms: null,
      partyId: c.partyId ?? '',
      partyName: c.partyName ?? '',
      ...(c.requestAccessInfo ? { requestAccessInfo: { ...c.requestAccessInfo } } : {}),
      masterOrganizationId: state.orgId,
      organizationId: state.orgId,
      audit: { created: { date: c.createdDate }, updated: {} },
    };
  };

  // ── Exchange: client applications ────────────────────────────────────────────────────────
  app.post(EX_APPS, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    const name = body.name;
    if (typeof name !== 'string' || !name.trim()) throw new HttpError(400, 'name is required');
    if (name.length > 255) throw new HttpError(400, 'name must be at most 255 characters');
    const strs = (v: unknown, field: string): string[] => {
      if (v === undefined || v === null) return [];
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new HttpError(400, `${field} must be an array of strings`);
      return [...v];
    };
    const opt = (v: unknown, field: string): string | null => {
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string') throw new HttpError(400, `${field} must be a string`);
      return v;
    };
    const description = opt(body.description, 'description');
    const url = opt(body.url, 'url');
    const redirectUri = strs(body.redirectUri, 'redirectUri');
    const grantTypes = strs(body.grantTypes, 'grantTypes');
    if ([...state.clientApps.values()].some((a) => a.name === name)) throw new HttpError(409, `An application named ${name} already exists`);
    const a: ClientApplication = {
      id: state.newClientAppId(),
      name,
      description,
      url,
      redirectUri,
      grantTypes,
      clientId: newClientId(),
      clientSecret: newClientSecret(),
      masterOrganizationId: state.orgId,
      createdDate: iso(),
    };
    state.clientApps.set(a.id, a);
    res.status(201).json(appView(a, true));
  });

  app.get(EX_APPS, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    const query = strQuery(req, 'query');
    const literal = boolQuery(req, 'literalMatch') === true;
    const ascending = boolQuery(req, 'ascending') ?? true;
    const apiFilter = intQuery(req, 'apiInstanceId') ?? intQuery(req, 'includeContractsForApiVersion');
    const offset = intQuery(req, 'offset') ?? 0;
    const limit = Math.min(intQuery(req, 'limit') ?? 250, 250);
    let list = [...state.clientApps.values()];
    if (query !== undefined) list = list.filter((a) => (literal ? a.name === query : a.name.toLowerCase().includes(query.toLowerCase())));
    const standing = state.standingContracts();
    if (apiFilter !== undefined) list = list.filter((a) => standing.some((c) => c.applicationId === a.id && c.apiId === apiFilter));
    list.sort((x, y) => (ascending ? 1 : -1) * (x.name.localeCompare(y.name) || x.id - y.id));
    res.json(
      list.slice(offset, offset + limit).map((a) => {
        const c = apiFilter !== undefined ? standing.find((k) => k.applicationId === a.id && k.apiId === apiFilter) : undefined;
        return { ...appView(a, false), ...(c ? { contract: { id: c.id, status: c.status } } : {}) };
      }),
    );
  });

  app.get(`${EX_APPS}/:applicationId`, (req, res) => {
    res.json(appView(findApp(req), true));
  });

  app.delete(`${EX_APPS}/:applicationId`, (req, res) => {
    const a = findApp(req);
    state.clientApps.delete(a.id);
    state.endContracts((c) => c.applicationId === a.id);
    res.status(204).end();
  });

  // ── API Manager: import from an external client provider ─────────────────────────────────
  // The org has no external client provider (OpenID Connect) here: the spec's 404 "Client or provider not found".
  app.post('/apimanager/api/v1/organizations/:orgId/applications', (req) => {
    requireOrg(ctx, req.params.orgId);
    const body = isObject(req.body) ? req.body : {};
    throw new HttpError(404, `Client provider ${String(body.providerId)} not found: the organization has no external client provider (create client applications in Exchange)`);
  });

  // ── Exchange: contracts of an application ────────────────────────────────────────────────
  app.post(`${EX_APPS}/:applicationId/contracts`, (req, res) => {
    const a = findApp(req);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    if (body.instanceType !== 'api') throw new HttpError(400, 'instanceType must be api (the stand-in has no API groups)');
    if (body.organizationId !== state.orgId) throw new HttpError(403, `Forbidden: no access to organization ${String(body.organizationId)}`);
    const apiId = typeof body.apiId === 'string' && /^\d+$/.test(body.apiId) ? Number(body.apiId) : undefined;
    const api = apiId !== undefined ? state.apis.get(apiId) : undefined;
    if (!api || (body.environmentId !== undefined && body.environmentId !== api.environmentId)) {
      throw new HttpError(404, `API ${String(body.apiId)} not found`);
    }
    if (body.groupId !== api.groupId || body.assetId !== api.assetId || body.version !== api.assetVersion) {
      throw new HttpError(400, `groupId, assetId and version must name the asset of API ${api.id} (${api.groupId}/${api.assetId}/${api.assetVersion})`);
    }
    const c = contract(api, a, body);
    res.status(201).json({ id: c.id, status: c.status, apiId: c.apiId, applicationId: c.applicationId, clientId: c.clientId, clientSecret: c.clientSecret });
  });

  app.get(`${EX_APPS}/:applicationId/contracts`, (req, res) => {
    const a = findApp(req);
    const apiFilter = intQuery(req, 'includeContractsForApiVersion');
    res.json(
      state
        .standingContracts()
        .filter((c) => c.applicationId === a.id && (apiFilter === undefined || c.apiId === apiFilter))
        .map((c) => ({ id: c.id, status: c.status, apiId: c.apiId, applicationId: c.applicationId })),
    );
  });

  // ── API Manager: contracts of an instance ────────────────────────────────────────────────
  const findApi = (req: Request): ApiInstance => findApiOf(ctx, req);

  const findContract = (req: Request): ApiContract => {
    const api = findApi(req);
    const raw = (req.params as Record<string, string>).contractId;
    const c = /^\d+$/.test(raw) ? state.contracts.get(Number(raw)) : undefined;
    if (!c || c.endedAt !== null || c.apiId !== api.id) throw new HttpError(404, `Contract ${raw} not found`);
    return c;
  };

  app.post(APIM_CONTRACTS, (req, res) => {
    const api = findApi(req);
    const body = isObject(req.body) ? req.body : undefined;
    if (!body) throw new HttpError(400, 'A JSON body is required');
    const appId = body.applicationId;
    if (typeof appId !== 'number' || !Number.isInteger(appId) || appId < 1) throw new HttpError(400, 'applicationId must be a positive integer');
    const a = state.clientApps.get(appId);
    if (!a) throw new HttpError(404, `Application ${appId} not found`);
    res.status(201).json(apimView(contract(api, a, body), true));
  });

  app.get(APIM_CONTRACTS, (req, res) => {
    const api = findApi(req);
    const status = strQuery(req, 'status');
    const offset = intQuery(req, 'offset') ?? 0;
    const limit = Math.min(intQuery(req, 'limit') ?? 100, 250);
    const all = state
      .standingContracts()
      .filter((c) => c.apiId === api.id && (status === undefined || status.split(',').some((s) => s.trim().toUpperCase() === c.status)))
      .sort((x, y) => x.id - y.id);
    res.json({ contracts: all.slice(offset, offset + limit).map((c) => apimView(c, false)), total: all.length });
  });

  app.get(`${APIM_CONTRACTS}/:contractId`, (req, res) => {
    res.json(apimView(findContract(req), false));
  });

  app.delete(`${APIM_CONTRACTS}/:contractId`, (req, res) => {
    const c = findContract(req);
    state.endContracts((k) => k.id === c.id);
    res.status(204).end();
  });
}
