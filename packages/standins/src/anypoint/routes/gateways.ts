import { randomUUID } from 'node:crypto';
import type { Express, Request } from 'express';
import { GATEWAY_VERSIONS, iso } from '../state';
import { HttpError, intQuery, isObject, requireEnv, requireOrg, strQuery, type Ctx } from '../http';
import type { Gateway } from '../gateway';
import type { ManagedGatewayRecord } from '../types';

const BASE = '/gatewaymanager/api/v1/organizations/:orgId/environments/:envId/gateways';
/** flex-gateway-manager CreateGateway.name */
const NAME_RE = /^(?![-0-9])([a-z0-9-]{2,41}[a-z0-9])?$/;

/**
 * Gateway Manager: managed Omni Gateways. A new gateway is APPLYING for `gatewayCreateDelayMs`, then
 * RUNNING (or FAILED with `failDeployments`, never ready with `neverReady`), with its own data plane
 * port as public URL. Names are unique per environment (409). A runtime version the platform does
 * not offer is refused (400). A gateway that still has APIs deployed cannot be deleted (409).
 */
export function registerGateways(app: Express, ctx: Ctx, dataPlane: Gateway): void {
  const { state } = ctx;

  const detail = (g: ManagedGatewayRecord) => {
    const st = state.gatewayStatus(g);
    return {
      id: g.id,
      name: g.name,
      status: st.status,
      desiredStatus: 'STARTED',
      targetId: g.targetId,
      targetName: g.targetName,
      runtimeVersion: g.runtimeVersion,
      releaseChannel: g.releaseChannel,
      size: g.size,
      dateCreated: iso(g.createdAt),
      lastUpdated: iso(Math.min(Date.now(), g.readyAt)),
      apiLimit: g.apiLimit,
      configuration: {
        ingress: { publicUrl: g.publicUrl, forwardSslSession: false, lastMileSecurity: false },
        properties: { upstreamResponseTimeout: 15, connectionIdleTimeout: 60 },
        logging: { level: 'info', forwardLogs: true },
      },
    };
  };

  const findGateway = (req: Request): ManagedGatewayRecord => {
    const p = req.params as Record<string, string>;
    requireOrg(ctx, p.orgId);
    requireEnv(ctx, p.envId);
    const g = state.gateways.get(p.gatewayId);
    if (!g) throw new HttpError(404, `Gateway ${p.gatewayId} not found`);
    return g;
  };

  app.get('/gatewaymanager/xapi/v1/gateway/versions', (_req, res) => {
    const offered = state.offeredGatewayVersions();
    res.json({
      channels: Object.fromEntries(Object.entries(offered).map(([name, versions]) => [name, { name, versions: versions.map((displayName) => ({ displayName })) }])),
      default: (offered.lts ?? offered.edge ?? [])[0],
    });
  });

  app.post(BASE, async (req, res) => {
    requireOrg(ctx, req.params.orgId);
    requireEnv(ctx, req.params.envId);
    const body = isObject(req.body) ? req.body : {};
    const name = body.name as string;
    if (!NAME_RE.test(name)) throw new HttpError(400, `name ${name} must be lower-case letters, digits and dashes (3–43), not starting with a digit or dash`);
    const space = state.spaces.find((s) => s.id === body.targetId);
    if (!space) throw new HttpError(400, `target ${String(body.targetId)} is not a space this environment can use`);
    const channel = body.releaseChannel as keyof typeof GATEWAY_VERSIONS;
    if (!state.offeredGatewayVersions()[channel]?.includes(body.runtimeVersion as string)) {
      throw new HttpError(400, `runtimeVersion ${String(body.runtimeVersion)} is not offered on the ${String(body.releaseChannel)} channel`);
    }
    if (body.size !== 'small' && body.size !== 'large') throw new HttpError(400, 'size must be small or large');
    if ([...state.gateways.values()].some((g) => g.name === name)) throw new HttpError(409, `A gateway named ${name} already exists`);
    const id = randomUUID();
    const now = Date.now();
    const port = await dataPlane.openGateway(id);
    const g: ManagedGatewayRecord = {
      id,
      name,
      targetId: space.id,
      targetName: space.name,
      runtimeVersion: body.runtimeVersion as string,
      releaseChannel: channel,
      size: body.size,
      apiLimit: state.config.gatewayApiLimit,
      createdAt: now,
      readyAt: now + state.config.gatewayCreateDelayMs,
      outcome: state.config.neverReady ? 'never' : state.config.failDeployments ? 'fail' : 'start',
      port,
      publicUrl: `http://127.0.0.1:${port}`,
    };
    state.gateways.set(id, g);
    res.status(201).json(detail(g));
  });

  app.get(BASE, (req, res) => {
    requireOrg(ctx, req.params.orgId);
    requireEnv(ctx, req.params.envId);
    const name = strQuery(req, 'name');
    const pageSize = Math.min(intQuery(req, 'pageSize') ?? 20, 100);
    const pageNumber = intQuery(req, 'pageNumber') ?? 0;
    const all = [...state.gateways.values()].filter((g) => name === undefined || g.name.includes(name));
    const content = all.slice(pageNumber * pageSize, (pageNumber + 1) * pageSize).map((g) => ({
      id: g.id,
      name: g.name,
      status: state.gatewayStatus(g).status,
      targetId: g.targetId,
      dateCreated: iso(g.createdAt),
      lastUpdated: iso(Math.min(Date.now(), g.readyAt)),
    }));
    res.json({ content, pageNumber, pageSize, totalElements: all.length });
  });

  app.get(`${BASE}/:gatewayId`, (req, res) => {
    res.json(detail(findGateway(req)));
  });

  app.get(`${BASE}/:gatewayId/status`, (req, res) => {
    res.json(state.gatewayStatus(findGateway(req)));
  });

  app.delete(`${BASE}/:gatewayId`, async (req, res) => {
    const g = findGateway(req);
    const apis = [...state.deployments.values()].filter((d) => d.type === 'HY' && d.targetId === g.id);
    if (apis.length) throw new HttpError(409, `Gateway ${g.name} still has ${apis.length} API(s) deployed`);
    state.gateways.delete(g.id);
    await dataPlane.closeGateway(g.id);
    res.status(204).end();
  });
}
