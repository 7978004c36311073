import type { AddonRecord } from '../domain/addon';
import { regionOf } from '../domain/regions';
import { basePathFor, gatewayProxyUrl } from '../domain/targets';
import { PermanentFailure, Wait } from '../engine';
import type { AddonStep } from '../workflows/deps';
import { applyPlanPolicy, endpointUriOf, ensureApiInstance, followTarget, placed, placementOf, removeApiInstance, setInstanceUpstream, type Which } from './placement';

/**
 * `omni`: the add-on's API on a shared managed Omni Gateway of its region's pool, under its own base
 * path, routed to the app. The gateway is the pool's (made by the `gateway` workflow, never removed
 * by an add-on); the add-on holds a slot on it.
 */

/** APIs per gateway when neither the operator nor the platform names a figure (the spec's example, MuleSoft's flex-gateway-manager gateway.yaml apiLimit). */
export const FALLBACK_API_LIMIT = 50;

async function gatewayOf(deps: Parameters<AddonStep['run']>[0]['deps'], rec: AddonRecord, which: Which) {
  const slot = placementOf(rec, which).slot as string;
  const gw = await deps.gateways.get(slot);
  if (!gw) throw new Error(`gateway slot ${slot} has no record`);
  return gw;
}

export function omniPlace(which: Which): AddonStep[] {
  const reserveGateway: AddonStep = {
    name: 'omni.reserveGateway',
    label: 'Reserving room on a shared gateway',
    async run({ deps, rec }) {
      const region = regionOf(rec.region);
      const { slot, created } = await deps.gateways.reserve(rec.uuid, region, { configured: deps.config.OMNI_GATEWAY_API_LIMIT, fallback: FALLBACK_API_LIMIT });
      if (created) await deps.schedule({ workflow: 'gateway', id: slot });
      return placed(which, { slot, basePath: basePathFor(rec.uuid) }, `gateway slot ${slot}`);
    },
  };

  const awaitGateway: AddonStep = {
    name: 'omni.awaitGateway',
    label: 'Waiting for the shared gateway',
    async run({ deps, rec }) {
      const gw = await gatewayOf(deps, rec, which);
      if (gw.state === 'running' && gw.gatewayId) return placed(which, { gatewayId: gw.gatewayId, gatewayName: gw.name });
      if (gw.state === 'failed') throw new PermanentFailure(`the region's shared gateway could not be started (${gw.failureReason ?? 'no reason given'})`);
      // creating: its workflow runs (queued again here in case its job was lost)
      await deps.schedule({ workflow: 'gateway', id: gw.slot });
      throw new Wait(deps.config.DEPLOY_POLL_MS, `gateway ${gw.name} is ${gw.state}`);
    },
  };

  const createApiInstance: AddonStep = {
    name: 'omni.createApiInstance',
    label: 'Creating the API instance',
    run: ({ deps, rec }) =>
      ensureApiInstance(deps, rec, which, 'flexGateway', {
        type: 'http',
        deploymentType: 'HY',
        uri: rec.resources.upstreamUrl,
        proxyUri: `http://0.0.0.0:8081${placementOf(rec, which).basePath}`,
        isCloudHub: null,
      }),
  };

  const applyPolicy: AddonStep = {
    name: 'omni.applyPolicy',
    label: 'Applying the rate limit',
    run: ({ deps, rec }) => applyPlanPolicy(deps, rec, which),
  };

  const deploy: AddonStep = {
    name: 'omni.deploy',
    label: 'Deploying on the gateway',
    async run({ deps, rec, now }) {
      const p = placementOf(rec, which);
      const apiId = p.apiId as string;
      const startedAt = p.deployStartedAt ?? now.toISOString();
      // a deploy whose answer was lost: the instance lists it
      const existing = (await deps.anypoint.proxies.deployments(apiId)).find((d) => d.targetId === p.gatewayId || d.type === 'HY');
      if (existing) return placed(which, { proxyDeploymentId: existing.id, deployStartedAt: startedAt });
      const gw = await gatewayOf(deps, rec, which);
      const d = await deps.anypoint.proxies.deploy(apiId, { type: 'HY', targetId: p.gatewayId as string, targetName: p.gatewayName as string, gatewayVersion: gw.runtimeVersion as string });
      return placed(which, { proxyDeploymentId: d.id, deployStartedAt: startedAt });
    },
  };

  const waitUntilLive: AddonStep = {
    name: 'omni.waitUntilLive',
    label: 'Waiting for the API to go live',
    async run({ deps, rec, now }) {
      const p = placementOf(rec, which);
      const api = await deps.anypoint.apiManager.getApi(p.apiId as string);
      if (!api) throw new PermanentFailure('the API instance disappeared from API Manager while it was being deployed');
      const status = p.proxyDeploymentId ? await deps.anypoint.proxies.deploymentStatus(p.apiId as string, p.proxyDeploymentId) : null;
      // live: the instance reads `active` (API Manager's UI), or its deployment reads deployed (neither is in a published schema)
      if (api.status === 'active' || (status && /^(deployed|applied|started|active)$/i.test(status))) {
        const gw = await gatewayOf(deps, rec, which);
        if (!gw.publicUrl) throw new PermanentFailure(`gateway ${gw.name} has no public URL`);
        return placed(which, { proxyUrl: gatewayProxyUrl(gw.publicUrl, p.basePath as string) });
      }
      if (status && /fail/i.test(status)) throw new PermanentFailure(`the gateway refused the API (${status})`);
      const waited = now.getTime() - Date.parse(p.deployStartedAt ?? rec.createdAt);
      if (waited >= deps.config.DEPLOY_DEADLINE_MS) throw new PermanentFailure(`the API did not go live within ${Math.round(deps.config.DEPLOY_DEADLINE_MS / 60_000)} minutes`);
      throw new Wait(Math.min(deps.config.DEPLOY_POLL_MS, deps.config.DEPLOY_DEADLINE_MS - waited), `API ${p.apiId} is ${api.status ?? 'deploying'}`);
    },
  };

  return [reserveGateway, awaitGateway, createApiInstance, applyPolicy, deploy, waitUntilLive];
}

export function omniRemove(which: Which): AddonStep[] {
  return [
    {
      name: 'omni.removeApiInstance',
      label: 'Removing the API from the gateway',
      run: ({ deps, rec }) => removeApiInstance(deps, rec, which),
    },
    {
      name: 'omni.releaseGateway',
      label: 'Giving back its room on the gateway',
      async run({ deps, rec }) {
        await deps.gateways.release(rec.uuid, regionOf(rec.region));
        return placed(which, { slot: undefined, gatewayId: undefined, gatewayName: undefined });
      },
    },
  ];
}

/**
 * follow-app on `omni`: the API instance's upstream changed in place (the shared gateway applies an
 * instance's changes on its own), then waited for until API Manager shows it active with that URI.
 */
export function omniReroute(which: Which): AddonStep[] {
  return [
    {
      name: 'omni.setUpstream',
      label: 'Pointing the gateway at the app',
      run: ({ deps, rec, now }) => setInstanceUpstream(deps, rec, which, now),
    },
    {
      name: 'omni.waitUntilRerouted',
      label: 'Waiting for the new route to be live',
      async run({ deps, rec, now }) {
        const to = followTarget(rec);
        if (!to) return;
        const p = placementOf(rec, which);
        const api = await deps.anypoint.apiManager.getApi(p.apiId as string);
        if (!api) throw new PermanentFailure('the API instance disappeared from API Manager while its route changed');
        if (endpointUriOf(api) === to && api.status === 'active') return;
        const waited = now.getTime() - Date.parse(p.rerouteStartedAt ?? now.toISOString());
        if (waited >= deps.config.DEPLOY_DEADLINE_MS) throw new PermanentFailure(`the new route did not go live within ${Math.round(deps.config.DEPLOY_DEADLINE_MS / 60_000)} minutes`);
        throw new Wait(deps.config.DEPLOY_POLL_MS, `API ${p.apiId} is ${api.status ?? 'updating'}`);
      },
    },
  ];
}
