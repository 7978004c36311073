/**
 * Choosing a runtime version from what the platform offers (pure). Since October 2024 new
 * deployments must use a supported LTS or Edge line; the version is never a constant of ours.
 */

export interface RuntimeOption {
  /** The exact string the platform wants back (e.g. `4.9.8:1`, `4.9.8`). */
  value: string;
  /** The x.y.z it is built on. */
  base: string;
  channel: 'lts' | 'edge' | 'other';
}

const SEMVER = /^(\d+)\.(\d+)\.(\d+)/;

function compareBase(a: string, b: string): number {
  const pa = SEMVER.exec(a)?.slice(1).map(Number) ?? [0, 0, 0];
  const pb = SEMVER.exec(b)?.slice(1).map(Number) ?? [0, 0, 0];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/**
 * One offered version: `{baseVersion, tag, channel}` (CloudHub 2.0's published shape), `{version,
 * channel}`, or a bare string. Without a channel, a tag ending in `e` (`4.9.0:1e`) is Edge, as
 * MuleSoft writes them; anything else counts as LTS.
 */
export function parseRuntimeOption(item: unknown): RuntimeOption | null {
  const rec = item && typeof item === 'object' ? (item as Record<string, unknown>) : null;
  const value = typeof item === 'string' ? item : typeof rec?.tag === 'string' ? rec.tag : typeof rec?.version === 'string' ? rec.version : typeof rec?.baseVersion === 'string' ? rec.baseVersion : undefined;
  if (!value) return null;
  const base = typeof rec?.baseVersion === 'string' ? rec.baseVersion : (SEMVER.exec(value)?.[0] ?? '');
  if (!SEMVER.test(base)) return null;
  const given = typeof rec?.channel === 'string' ? rec.channel.toLowerCase() : undefined;
  const channel = given === 'lts' || given === 'edge' ? given : given ? 'other' : /e(-java\d+)?$/.test(value) ? 'edge' : 'lts';
  return { value, base, channel };
}

/**
 * The version to deploy: the operator's pin when the platform offers it (else an error naming what
 * it offers), otherwise the newest LTS. Returns `{ok: false, message}` when nothing fits.
 */
export function pickRuntime(offered: readonly RuntimeOption[], pin?: string): { ok: true; value: string } | { ok: false; message: string } {
  if (pin) {
    const hit = offered.find((o) => o.value === pin || o.base === pin);
    if (hit) return { ok: true, value: hit.value };
    return { ok: false, message: `the pinned runtime version ${pin} is not offered for new deployments (offered: ${offered.map((o) => o.value).join(', ') || 'none'})` };
  }
  const lts = offered.filter((o) => o.channel === 'lts').sort((a, b) => compareBase(b.base, a.base));
  if (!lts.length) return { ok: false, message: `no LTS runtime version is offered for new deployments (offered: ${offered.map((o) => o.value).join(', ') || 'none'})` };
  return { ok: true, value: lts[0].value };
}

/**
 * The runtime of a new managed gateway, from Gateway Manager's versions (newest first per channel):
 * the operator's pin when an LTS or Edge channel offers it, otherwise the newest LTS.
 */
export function pickGatewayVersion(channels: Partial<Record<'lts' | 'edge', readonly string[]>>, pin?: string): { ok: true; value: string } | { ok: false; message: string } {
  const lts = (channels.lts ?? []).map((value) => ({ value, base: value, channel: 'lts' as const }));
  if (pin) return pickRuntime([...lts, ...(channels.edge ?? []).map((value) => ({ value, base: value, channel: 'edge' as const }))], pin);
  // the platform lists the newest first
  return lts.length ? { ok: true, value: lts[0].value } : { ok: false, message: 'the platform offers no LTS gateway version' };
}
