import type { Config } from '../config';
import { MULESOFT_POLICY_GROUP_ID, RATE_LIMITING_ASSET_ID, type AnypointClient, type DeploymentTarget, type ManagedGateway } from '../clients/anypoint';
import type { Region } from '../domain/regions';
import { pickGatewayVersion, pickRuntime } from '../domain/runtimes';
import type { TargetName } from '../domain/targets';
import { FALLBACK_API_LIMIT } from '../targets';
import { CheckFailure, type Report } from './report';
import { missingScopes, REQUIRED_SCOPES } from './scopes';

/**
 * The Anypoint side of the preflight, read-only: the connected app (token, organisation, scopes),
 * the environment, each region's CloudHub 2.0 space, the runtime lines new deployments can use, the
 * shared gateways of the omni target, the rate-limit policy for each technology in use, and
 * Exchange's hard deletion. Each check is one line; a check whose basis failed is skipped.
 */

export type AnypointPreflightConfig = Pick<
  Config,
  | 'ANYPOINT_BASE_URL'
  | 'ANYPOINT_CLIENT_ID'
  | 'ANYPOINT_ENVIRONMENT'
  | 'ANYPOINT_DEFAULT_TARGET'
  | 'PLAN_TARGETS'
  | 'ANYPOINT_REGION_SPACES'
  | 'ANYPOINT_RUNTIME_VERSION'
  | 'OMNI_GATEWAY_RUNTIME_VERSION'
  | 'OMNI_GATEWAY_API_LIMIT'
>;

/** The gateway technology of each target's API instances (omni.ts and ch2.ts create them so). */
export const TECHNOLOGY_OF: Readonly<Record<TargetName, 'flexGateway' | 'mule4'>> = { omni: 'flexGateway', ch2: 'mule4' };

/** The targets some plan runs on: the default and those PLAN_TARGETS names. */
export function targetsInUse(cfg: Pick<Config, 'ANYPOINT_DEFAULT_TARGET' | 'PLAN_TARGETS'>): TargetName[] {
  return [...new Set<TargetName>([cfg.ANYPOINT_DEFAULT_TARGET, ...Object.values(cfg.PLAN_TARGETS)])].sort();
}

/** The shared gateways of a region's pool: `aag-<region>-<n>` (domain/targets gatewayNameFor). */
export function poolGateways(all: readonly ManagedGateway[], region: Region): ManagedGateway[] {
  const re = new RegExp(`^aag-${region}-\\d+$`);
  return all.filter((g) => re.test(g.name)).sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
}

/** The space called `name`: exact, else the one case-insensitive match (as the target steps find it). */
export function findSpace(targets: readonly DeploymentTarget[], name: string): DeploymentTarget | undefined {
  return targets.find((t) => t.name === name) ?? targets.find((t) => t.name.toLowerCase() === name.toLowerCase());
}

export const CHECK = {
  token: 'anypoint: connected app token',
  org: 'anypoint: organisation',
  env: 'anypoint: environment',
  scopes: 'anypoint: connected app scopes',
  space: (r: Region) => `anypoint: space ${r}`,
  runtime: (r: Region) => `anypoint: runtime ${r} (ch2)`,
  gatewayVersions: 'anypoint: gateway versions (omni)',
  pool: (r: Region) => `anypoint: gateway pool ${r} (omni)`,
  policy: (tech: string) => `anypoint: rate-limit policy (${tech})`,
  hardDelete: 'anypoint: Exchange hard deletion',
} as const;

export async function anypointChecks(report: Report, cfg: AnypointPreflightConfig, anypoint: AnypointClient): Promise<void> {
  const targets = targetsInUse(cfg);
  const regions = Object.keys(cfg.ANYPOINT_REGION_SPACES) as Region[];
  let orgId = '';
  let envId = '';

  await report.check(CHECK.token, async () => {
    await anypoint.auth.get();
    return `client ${cfg.ANYPOINT_CLIENT_ID} on ${cfg.ANYPOINT_BASE_URL}`;
  });
  await report.check(
    CHECK.org,
    async () => {
      orgId = await anypoint.accounts.orgId();
      return orgId;
    },
    [CHECK.token],
  );
  await report.check(
    CHECK.env,
    async () => {
      const ctx = await anypoint.context();
      envId = ctx.envId;
      return `${ctx.envName} (${ctx.envId})`;
    },
    [CHECK.org],
  );
  await report.check(
    CHECK.scopes,
    async () => {
      const granted = await anypoint.accounts.connectedAppScopes(cfg.ANYPOINT_CLIENT_ID);
      if (!granted) return 'the platform does not show them to the app itself; the lines below show what a missing one breaks';
      const missing = missingScopes(granted, { orgId, envId });
      if (missing.length) {
        const uses = missing.map((m) => `${m}: ${REQUIRED_SCOPES.find((r) => r.scope === m)?.for}`).join('; ');
        throw new CheckFailure(
          `the connected app lacks ${missing.length === 1 ? 'a scope' : `${missing.length} scopes`} in environment ${cfg.ANYPOINT_ENVIRONMENT}: ${uses}`,
          `add ${missing.join(', ')} to connected app ${cfg.ANYPOINT_CLIENT_ID} for this organisation and environment ${cfg.ANYPOINT_ENVIRONMENT} (Access Management → Connected Apps → Scopes)`,
        );
      }
      return `all ${REQUIRED_SCOPES.length} granted`;
    },
    [CHECK.env],
  );

  // each region's space, as the target steps find it (by name among the environment's CloudHub 2.0 targets)
  const spaces = new Map<Region, DeploymentTarget>();
  let visible: DeploymentTarget[] | undefined;
  for (const region of regions) {
    const name = cfg.ANYPOINT_REGION_SPACES[region];
    await report.check(
      CHECK.space(region),
      async () => {
        visible ??= await anypoint.proxies.cloudhub2Targets();
        const space = findSpace(visible, name);
        if (!space) {
          throw new CheckFailure(
            `no CloudHub 2.0 space "${name}" is visible to environment ${cfg.ANYPOINT_ENVIRONMENT} (visible: ${visible.map((t) => t.name).join(', ') || 'none'})`,
            `create it (Runtime Manager → Private Spaces) and give environment ${cfg.ANYPOINT_ENVIRONMENT} access, or name a visible one in ANYPOINT_REGION_SPACES (${region}:<space>)`,
          );
        }
        if (targets.includes('omni') && space.type && space.type !== 'private-space') {
          throw new CheckFailure(
            `"${space.name}" is a ${space.type}; managed Omni Gateways (target omni) run only in a CloudHub 2.0 private space`,
            `create a private space in region ${region} and name it in ANYPOINT_REGION_SPACES, or run no plan on omni (ANYPOINT_DEFAULT_TARGET=ch2, PLAN_TARGETS)`,
          );
        }
        spaces.set(region, space);
        return `${space.name} (${space.type ?? 'type not reported'}, ${space.id})`;
      },
      [CHECK.env],
    );
  }

  if (targets.includes('ch2')) {
    for (const region of regions) {
      await report.check(
        CHECK.runtime(region),
        async () => {
          const space = spaces.get(region) as DeploymentTarget;
          const picked = pickRuntime(await anypoint.proxies.runtimeVersions(space.id), cfg.ANYPOINT_RUNTIME_VERSION);
          if (!picked.ok) {
            throw new CheckFailure(
              `${space.name}: ${picked.message}`,
              cfg.ANYPOINT_RUNTIME_VERSION ? 'set ANYPOINT_RUNTIME_VERSION to an offered version, or unset it (the newest LTS is used)' : 'no supported LTS line is offered for new deployments here: pin ANYPOINT_RUNTIME_VERSION to an offered version, or ask MuleSoft support',
            );
          }
          return `new proxies run Mule ${picked.value}`;
        },
        [CHECK.space(region)],
      );
    }
  }

  if (targets.includes('omni')) {
    await report.check(
      CHECK.gatewayVersions,
      async () => {
        const picked = pickGatewayVersion(await anypoint.gateways.versions(), cfg.OMNI_GATEWAY_RUNTIME_VERSION);
        if (!picked.ok) {
          throw new CheckFailure(
            picked.message,
            cfg.OMNI_GATEWAY_RUNTIME_VERSION ? 'set OMNI_GATEWAY_RUNTIME_VERSION to an offered version, or unset it (the newest LTS is used)' : 'no supported LTS line is offered for new gateways: pin OMNI_GATEWAY_RUNTIME_VERSION to an offered version, or ask MuleSoft support',
          );
        }
        return `new gateways run ${picked.value}`;
      },
      [CHECK.token],
    );
    let all: ManagedGateway[] | undefined;
    for (const region of regions) {
      await report.check(
        CHECK.pool(region),
        async () => {
          all ??= await anypoint.gateways.list();
          const pool = poolGateways(all, region);
          const notRunning = pool.filter((g) => (g.status ?? '').toUpperCase() !== 'RUNNING');
          if (notRunning.length) {
            throw new CheckFailure(
              `Gateway Manager answers, but ${notRunning.map((g) => `${g.name} is ${g.status ?? 'in an unknown state'}`).join(', ')}`,
              'see it in Runtime Manager → Omni Gateways; one still starting: run the preflight again in a few minutes; a failed one: delete it (the pool makes it again when an add-on needs it)',
            );
          }
          const configured = cfg.OMNI_GATEWAY_API_LIMIT;
          if (!pool.length) {
            return `Gateway Manager answers; no gateway yet (the first add-on makes aag-${region}-1); its API limit is read then (meanwhile ${configured ?? `${FALLBACK_API_LIMIT}, the spec's figure`})`;
          }
          const limits: number[] = [];
          for (const g of pool) {
            const detail = await anypoint.gateways.get(g.id);
            if (detail?.apiLimit !== undefined) limits.push(detail.apiLimit);
          }
          const platform = limits.length ? Math.min(...limits) : undefined;
          const used = configured !== undefined && platform !== undefined ? Math.min(configured, platform) : (configured ?? platform ?? FALLBACK_API_LIMIT);
          const limitNote = platform === undefined ? `API limit not reported (the pool uses ${used})` : `API limit ${platform} per gateway${configured !== undefined && configured !== used ? ` (OMNI_GATEWAY_API_LIMIT ${configured} is above it: ${used} is used)` : configured !== undefined ? ` (OMNI_GATEWAY_API_LIMIT ${configured} is used)` : ''}`;
          return `${pool.length} gateway${pool.length === 1 ? '' : 's'} running (${pool.map((g) => g.name).join(', ')}); ${limitNote}`;
        },
        [CHECK.env],
      );
    }
  }

  // the plan's rate limit: the template, and an implementation for each technology in use
  let template: { groupId?: string; assetId: string; assetVersion: string } | undefined;
  for (const technology of [...new Set(targets.map((t) => TECHNOLOGY_OF[t]))]) {
    await report.check(
      CHECK.policy(technology),
      async () => {
        template ??= (await anypoint.apiManager.policyTemplates()).find((t) => t.assetId === RATE_LIMITING_ASSET_ID && (!t.groupId || t.groupId === MULESOFT_POLICY_GROUP_ID));
        if (!template) {
          throw new CheckFailure('API Manager lists no rate-limiting policy template of MuleSoft for this organisation', 'the organisation needs API Manager with MuleSoft’s standard policies; ask MuleSoft support');
        }
        const impls = await anypoint.exchange.policyImplementations(MULESOFT_POLICY_GROUP_ID, RATE_LIMITING_ASSET_ID, template.assetVersion);
        const hit = impls.find((i) => i.technology.toLowerCase() === technology.toLowerCase());
        if (!hit) {
          throw new CheckFailure(
            `rate-limiting ${template.assetVersion} has no ${technology} implementation (it has: ${impls.map((i) => i.technology).join(', ') || 'none'})`,
            'ask MuleSoft support which rate-limiting version supports this gateway, or run the plans on the other target',
          );
        }
        return `rate-limiting ${template.assetVersion} (${hit.assetId ?? technology}${hit.minRuntimeVersion ? `, runtime ${hit.minRuntimeVersion}+` : ''})`;
      },
      [CHECK.env],
    );
  }

  await report.check(
    CHECK.hardDelete,
    async () => {
      const enabled = await anypoint.exchange.hardDeletionEnabled();
      if (enabled === true) return 'allowed: a removed add-on’s asset is deleted for good';
      throw new CheckFailure(
        enabled === false
          ? 'the organisation does not allow hard deletion of Exchange assets: every removed add-on would leave its asset soft-deleted, its name locked'
          : 'Exchange’s settings do not say whether hard deletion is allowed',
        'an organisation administrator allows it: Exchange → Settings → hard deletion of assets',
      );
    },
    [CHECK.env],
  );
}
