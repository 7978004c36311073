import type { Region } from './regions';

/**
 * Deployment targets, pure rules. A target decides how an add-on's API instance is deployed,
 * waited for, addressed and removed:
 * - `omni` (default): an API instance on a shared managed Omni Gateway of the region's pool, under
 *   its own base path; one gateway serves up to its API limit;
 * - `ch2`: a dedicated Mule 4 proxy application per add-on on CloudHub 2.0.
 */
export const TARGETS = ['omni', 'ch2'] as const;
export type TargetName = (typeof TARGETS)[number];

export function isTarget(v: string): v is TargetName {
  return (TARGETS as readonly string[]).includes(v);
}

/** `premium:ch2,basic:omni` → { premium: 'ch2', basic: 'omni' }; throws naming the bad part. */
export function parsePlanTargets(text: string): Record<string, TargetName> {
  const out: Record<string, TargetName> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [plan, target, extra] = part.split(':').map((p) => p.trim());
    if (!plan || !target || extra !== undefined || !isTarget(target)) throw new Error(`'${part}' is not <plan>:<omni|ch2>`);
    out[plan] = target;
  }
  return out;
}

/** `us:Cloudhub-US-East-2,eu:Cloudhub-EU-West-1` → { us: 'Cloudhub-US-East-2', eu: 'Cloudhub-EU-West-1' }; both regions required. */
export function parseRegionSpaces(text: string): Record<Region, string> {
  const out: Partial<Record<Region, string>> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf(':');
    const region = part.slice(0, i).trim();
    const space = part.slice(i + 1).trim();
    if (i <= 0 || !space || (region !== 'us' && region !== 'eu')) throw new Error(`'${part}' is not <us|eu>:<CloudHub 2.0 space name>`);
    out[region] = space;
  }
  for (const r of ['us', 'eu'] as const) if (!out[r]) throw new Error(`no space for region ${r}`);
  return out as Record<Region, string>;
}

export interface TargetSettings {
  defaultTarget: TargetName;
  planTargets: Record<string, TargetName>;
}

/** The target a plan runs on: PLAN_TARGETS names it, else the default. */
export function targetForPlan(plan: string, s: TargetSettings): TargetName {
  return s.planTargets[plan] ?? s.defaultTarget;
}

const hex = (uuid: string) => uuid.toLowerCase().replace(/[^0-9a-f]/g, '');

/** The add-on's base path on a shared gateway: `/<32 hex of the uuid>` (deterministic, unguessable enough, URL-safe). */
export function basePathFor(uuid: string): string {
  return `/${hex(uuid)}`;
}

/** The name of gateway `n` (1-based) of a region's pool: `aag-<region>-<n>`. */
export function gatewayNameFor(region: Region, n: number): string {
  return `aag-${region}-${n}`;
}

/** A gateway slot's id (the engine's subject and the store's key): `<region>-<n>`. */
export function gatewaySlotId(region: Region, n: number): string {
  return `${region}-${n}`;
}

/** CloudHub 2.0 application name of an add-on's dedicated proxy: `aag-<32 hex of the uuid>` (36 chars). */
export function proxyAppNameFor(uuid: string): string {
  return `aag-${hex(uuid)}`;
}

/** The proxy URL of an API under `basePath` on a gateway whose public URL is `publicUrl`: `<publicUrl>/<base path>/`. */
export function gatewayProxyUrl(publicUrl: string, basePath: string): string {
  return `${publicUrl.replace(/\/+$/, '')}${basePath}/`;
}

/** A public URL as the platform gives it, with one trailing slash. */
export function withSlash(url: string): string {
  return `${url.replace(/\/+$/, '')}/`;
}
