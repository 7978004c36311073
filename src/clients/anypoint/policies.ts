import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { type AnypointContext, type ContextProvider, idOf, isRecord, scopeHeaders, seg, strOf } from './context';

/** MuleSoft's group id for its policy templates. */
export const MULESOFT_POLICY_GROUP_ID = '68ef9520-24e9-4cf2-b2f5-620025690913';
export const RATE_LIMITING_ASSET_ID = 'rate-limiting';

export interface RateLimitConfiguration {
  rateLimits: { maximumRequests: number; timePeriodInMilliseconds: number }[];
  exposeHeaders: boolean;
  clusterizable: boolean;
}

export interface Policy {
  id: string;
  groupId?: string;
  assetId?: string;
  assetVersion?: string;
  order?: number;
  disabled?: boolean;
  configurationData?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface ApplyPolicyInput {
  groupId?: string;
  assetId: string;
  assetVersion: string;
  configurationData: Record<string, unknown>;
  order?: number;
  disabled?: boolean;
}

/** API Manager policies of one API instance. */
export class PoliciesClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  private base(ctx: AnypointContext, apiId: string): string {
    return `/apimanager/api/v1/organizations/${seg(ctx.orgId)}/environments/${seg(ctx.envId)}/apis/${seg(apiId)}/policies`;
  }

  /** Applies a policy; 409 (already applied): `ConflictError`; 400 (bad config): permanent UpstreamError. */
  async applyPolicy(apiId: string, input: ApplyPolicyInput): Promise<Policy> {
    const ctx = await this.context();
    const body: Record<string, unknown> = {
      groupId: input.groupId ?? MULESOFT_POLICY_GROUP_ID,
      assetId: input.assetId,
      assetVersion: input.assetVersion,
      configurationData: input.configurationData,
      pointcutData: null,
      disabled: input.disabled ?? false,
    };
    if (input.order !== undefined) body.order = input.order;
    const res = await this.http.post<unknown>(this.base(ctx, apiId), body, { headers: scopeHeaders(ctx), op: 'policies.apply', secrets: headerValues(input.configurationData) });
    const p = normalizePolicy(res.data);
    if (!p) throw new UnexpectedResponseError('apimanager', 'apply policy answered without an id');
    return p;
  }

  /** Accepts a bare array or `{policies: [...]}`. */
  async listPolicies(apiId: string): Promise<Policy[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(this.base(ctx, apiId), { headers: scopeHeaders(ctx), op: 'policies.list' });
    const body = res.data;
    const list = Array.isArray(body) ? body : isRecord(body) && Array.isArray(body.policies) ? body.policies : [];
    return list.map((p) => normalizePolicy(p)).filter((p): p is Policy => p !== null);
  }

  /** The first applied policy built on `assetId` (default: rate-limiting), or null. */
  async findPolicy(apiId: string, assetId: string = RATE_LIMITING_ASSET_ID): Promise<Policy | null> {
    return (await this.listPolicies(apiId)).find((p) => p.assetId === assetId) ?? null;
  }

  /** `PATCH .../policies/{policyId}` with new `configurationData`. */
  async updatePolicy(apiId: string, policyId: string, configurationData: Record<string, unknown>): Promise<Policy> {
    const ctx = await this.context();
    const res = await this.http.patch<unknown>(
      `${this.base(ctx, apiId)}/${seg(policyId)}`,
      { configurationData },
      { headers: scopeHeaders(ctx), op: 'policies.update', secrets: headerValues(configurationData) },
    );
    return normalizePolicy(res.data) ?? { id: policyId, configurationData };
  }

  /** true = removed, false = already gone (404). */
  async deletePolicy(apiId: string, policyId: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.delete(`${this.base(ctx, apiId)}/${seg(policyId)}`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'policies.delete',
    });
    return res.status !== 404;
  }
}

/** Policy shapes differ between API versions: `id` or `policyId`, asset fields flat or under `template`. */
export function normalizePolicy(data: unknown): Policy | null {
  if (!isRecord(data)) return null;
  const id = idOf(data.id) ?? idOf(data.policyId);
  if (!id) return null;
  const t = isRecord(data.template) ? data.template : {};
  return {
    ...data,
    id,
    groupId: strOf(data.groupId) ?? strOf(t.groupId),
    assetId: strOf(data.assetId) ?? strOf(t.assetId) ?? strOf(data.policyTemplateId),
    assetVersion: strOf(data.assetVersion) ?? strOf(t.assetVersion),
    order: typeof data.order === 'number' ? data.order : undefined,
    disabled: typeof data.disabled === 'boolean' ? data.disabled : undefined,
    configurationData: isRecord(data.configurationData) ? data.configurationData : undefined,
  };
}

/**
 * The header values a policy's configuration carries (header injection's `inboundHeaders` /
 * `outboundHeaders`: the origin secret among them). They are masked in any error the call raises, so
 * an answer that echoes the configuration cannot carry the secret into a log or a failure reason.
 */
function headerValues(configurationData: unknown): string[] {
  if (!isRecord(configurationData)) return [];
  const out: string[] = [];
  for (const list of [configurationData.inboundHeaders, configurationData.outboundHeaders]) {
    if (!Array.isArray(list)) continue;
    for (const h of list) if (isRecord(h) && typeof h.value === 'string' && h.value.length >= 8) out.push(h.value);
  }
  return out;
}
