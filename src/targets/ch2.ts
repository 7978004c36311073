import { amcReadiness } from '../clients/anypoint';
import { regionOf } from '../domain/regions';
import { pickRuntime } from '../domain/runtimes';
import { proxyAppNameFor, withSlash } from '../domain/targets';
import { PermanentFailure, Wait } from '../engine';
import type { AddonStep, WorkflowDeps } from '../workflows/deps';
import { applyPlanPolicy, ensureApiInstance, followTarget, placed, placementOf, removeApiInstance, setInstanceUpstream, type Which } from './placement';

/**
 * `ch2`: a dedicated Mule 4 proxy application per add-on on CloudHub 2.0, in its region's space,
 * deployed through the proxies API, watched through the Application Manager (APPLIED and RUNNING),
 * addressed by the public URL CloudHub 2.0 gives it.
 */

/** How long after a deploy an application the Application Manager does not list yet still counts as deploying. */
const UNLISTED_GRACE_MS = 2 * 60_000;

/** The space's deployment target id, looked up by its name (ANYPOINT_REGION_SPACES). */
export async function spaceTarget(deps: WorkflowDeps, region: ReturnType<typeof regionOf>): Promise<{ id: string; name: string }> {
  const name = deps.config.ANYPOINT_REGION_SPACES[region];
  const targets = await deps.anypoint.proxies.cloudhub2Targets();
  const hit = targets.find((t) => t.name === name) ?? targets.find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (!hit) throw new PermanentFailure(`the CloudHub 2.0 space ${name} (region ${region}) is not available to this environment`);
  return hit;
}

export function ch2Place(which: Which): AddonStep[] {
  const createApiInstance: AddonStep = {
    name: 'ch2.createApiInstance',
    label: 'Creating the API instance',
    async run({ deps, rec }) {
      const template = await deps.anypoint.apiManager.latestProxyTemplateVersion();
      return ensureApiInstance(deps, rec, which, 'mule4', {
        type: 'http',
        deploymentType: 'CH2',
        uri: rec.resources.upstreamUrl,
        proxyUri: 'http://0.0.0.0:8081/',
        isCloudHub: null,
        muleVersion4OrAbove: true,
        referencesUserDomain: null,
        responseTimeout: null,
        validation: 'NOT_APPLICABLE',
        proxyTemplate: { assetVersion: template },
      });
    },
  };

  const applyPolicy: AddonStep = {
    name: 'ch2.applyPolicy',
    label: 'Applying the rate limit',
    run: ({ deps, rec }) => applyPlanPolicy(deps, rec, which),
  };

  const deployProxy: AddonStep = {
    name: 'ch2.deployProxy',
    label: 'Deploying the proxy',
    async run({ deps, rec, now }) {
      const p = placementOf(rec, which);
      const apiId = p.apiId as string;
      const applicationName = proxyAppNameFor(rec.uuid);
      const startedAt = p.deployStartedAt ?? now.toISOString();
      // a deploy whose answer was lost: the instance lists it
      const existing = (await deps.anypoint.proxies.deployments(apiId)).find((d) => d.applicationName === applicationName || d.type === 'CH2');
      if (existing) return placed(which, { applicationName, proxyDeploymentId: existing.id, deployStartedAt: startedAt });
      const space = await spaceTarget(deps, p.region);
      const runtime = pickRuntime(await deps.anypoint.proxies.runtimeVersions(space.id), deps.config.ANYPOINT_RUNTIME_VERSION);
      if (!runtime.ok) throw new PermanentFailure(`no runtime to deploy the proxy with: ${runtime.message}`);
      const d = await deps.anypoint.proxies.deploy(apiId, { type: 'CH2', targetId: space.id, targetName: space.name, applicationName, gatewayVersion: runtime.value });
      return placed(which, { targetId: space.id, applicationName, proxyDeploymentId: d.id, deployStartedAt: startedAt }, `runtime ${runtime.value}`);
    },
  };

  const waitUntilRunning: AddonStep = {
    name: 'ch2.waitUntilRunning',
    label: 'Waiting for the proxy to run',
    async run({ deps, rec, now }) {
      const p = placementOf(rec, which);
      const name = p.applicationName as string;
      const listed = await deps.anypoint.amc.findByName(name);
      // the list names the deployment; its public URL is on the deployment itself
      const d = listed ? ((await deps.anypoint.amc.get(listed.id)) ?? listed) : null;
      const waited = now.getTime() - Date.parse(p.deployStartedAt ?? rec.createdAt);
      if (d) {
        const state = amcReadiness(d);
        if (state === 'ready') {
          if (!d.publicUrl) throw new PermanentFailure(`the proxy ${name} runs but CloudHub 2.0 gives it no public URL`);
          return placed(which, { amcDeploymentId: d.id, proxyUrl: withSlash(d.publicUrl) });
        }
        if (state === 'failed') throw new PermanentFailure(`the proxy's CloudHub 2.0 deployment failed (${d.status})`);
      } else if (waited > UNLISTED_GRACE_MS) {
        throw new PermanentFailure('the proxy application disappeared from CloudHub 2.0 while deploying');
      }
      if (waited >= deps.config.DEPLOY_DEADLINE_MS) throw new PermanentFailure(`the proxy did not start within ${Math.round(deps.config.DEPLOY_DEADLINE_MS / 60_000)} minutes`);
      throw new Wait(Math.min(deps.config.DEPLOY_POLL_MS, deps.config.DEPLOY_DEADLINE_MS - waited), `proxy ${name} is ${d?.status ?? 'not listed yet'}`);
    },
  };

  return [createApiInstance, applyPolicy, deployProxy, waitUntilRunning];
}

export function ch2Remove(which: Which): AddonStep[] {
  return [
    {
      name: 'ch2.removeProxy',
      label: 'Removing the proxy application',
      async run({ deps, rec }) {
        const p = placementOf(rec, which);
        const id = p.amcDeploymentId ?? (await deps.anypoint.amc.findByName(p.applicationName ?? proxyAppNameFor(rec.uuid)))?.id;
        if (id) await deps.anypoint.amc.delete(id);
        return placed(which, { amcDeploymentId: undefined, proxyDeploymentId: undefined, proxyUrl: undefined });
      },
    },
    {
      name: 'ch2.removeApiInstance',
      label: 'Removing the API instance',
      run: ({ deps, rec }) => removeApiInstance(deps, rec, which),
    },
  ];
}

/**
 * follow-app on `ch2`: the API instance's implementation URI changed, then the proxy redeployed (a
 * Mule 4 proxy reads the URI when it deploys; CloudHub 2.0 replaces it rolling, the old replica
 * serving meanwhile), then waited for until the Application Manager reads APPLIED and RUNNING.
 */
export function ch2Reroute(which: Which): AddonStep[] {
  return [
    {
      name: 'ch2.setUpstream',
      label: 'Pointing the proxy at the app',
      run: ({ deps, rec, now }) => setInstanceUpstream(deps, rec, which, now),
    },
    {
      name: 'ch2.redeploy',
      label: 'Restarting the proxy on the new route',
      async run({ deps, rec, now }) {
        if (!followTarget(rec)) return;
        const p = placementOf(rec, which);
        const apiId = p.apiId as string;
        const deployment = p.proxyDeploymentId ?? (await deps.anypoint.proxies.deployments(apiId)).find((d) => d.type === 'CH2')?.id;
        if (!deployment) throw new PermanentFailure('the proxy has no deployment to restart');
        await deps.anypoint.proxies.redeploy(apiId, deployment, { type: 'CH2' });
        return placed(which, { rerouteStartedAt: now.toISOString() });
      },
    },
    {
      name: 'ch2.waitUntilRedeployed',
      label: 'Waiting for the proxy to run on the new route',
      async run({ deps, rec, now }) {
        if (!followTarget(rec)) return;
        const p = placementOf(rec, which);
        const name = p.applicationName ?? proxyAppNameFor(rec.uuid);
        const listed = await deps.anypoint.amc.findByName(name);
        const d = listed ? ((await deps.anypoint.amc.get(listed.id)) ?? listed) : null;
        if (!d) throw new PermanentFailure('the proxy application disappeared from CloudHub 2.0 while it restarted');
        const state = amcReadiness(d);
        if (state === 'ready') return;
        if (state === 'failed') throw new PermanentFailure(`the proxy's restart on CloudHub 2.0 failed (${d.status})`);
        const waited = now.getTime() - Date.parse(p.rerouteStartedAt ?? now.toISOString());
        if (waited >= deps.config.DEPLOY_DEADLINE_MS) throw new PermanentFailure(`the proxy did not restart within ${Math.round(deps.config.DEPLOY_DEADLINE_MS / 60_000)} minutes`);
        throw new Wait(deps.config.DEPLOY_POLL_MS, `proxy ${name} is ${d.status ?? 'restarting'}`);
      },
    },
  ];
}
