/** What every org/environment-scoped Anypoint call needs; resolved once per client (see index.ts). */
export interface AnypointContext {
  orgId: string;
  envId: string;
  envName: string;
}

export type ContextProvider = () => Promise<AnypointContext>;

/** Headers sent on every org/environment-scoped call (CloudHub requires the env header). */
export function scopeHeaders(ctx: AnypointContext): Record<string, string> {
  return { 'X-ANYPNT-ORG-ID': ctx.orgId, 'X-ANYPNT-ENV-ID': ctx.envId };
}

/** One path segment, encoded. */
export function seg(v: string | number): string {
  return encodeURIComponent(String(v));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Ids come back as numbers (API Manager) or strings; the clients hand out strings. */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function strOf(v: unknown): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
}
