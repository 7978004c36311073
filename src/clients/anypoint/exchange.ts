import FormData from 'form-data';
import { UpstreamError } from '../errors';
import { realSleep, type HttpClient } from '../http';
import { excerpt } from '../../redact';
import { type ContextProvider, isRecord, scopeHeaders, seg, strOf } from './context';

export interface ExchangeAsset {
  organizationId?: string;
  groupId: string;
  assetId: string;
  version: string;
  name?: string;
  type?: string;
  status?: string;
  description?: string;
  [key: string]: unknown;
}

/** One technology's implementation of a policy template (Exchange). */
export interface PolicyImplementation {
  technology: string;
  assetId?: string;
  version?: string;
  minRuntimeVersion?: string;
  maxRuntimeVersion?: string;
}

export interface CreateAssetInput {
  groupId: string;
  assetId: string;
  version: string;
  name: string;
  description?: string;
  /** `properties.apiVersion`; default `v1`. */
  apiVersion?: string;
}

export interface ExchangeClientOptions {
  /** Pause between polls of a publication status link. */
  publicationPollMs?: number;
  /** Polls before giving up with a retryable `PUBLICATION_PENDING` error. */
  publicationMaxPolls?: number;
  sleep?: (ms: number) => Promise<void>;
  secrets?: () => readonly string[];
}

const assetPath = (groupId: string, assetId: string, version: string) =>
  `/exchange/api/v2/assets/${seg(groupId)}/${seg(assetId)}/${seg(version)}`;

/** Exchange v2: the API asset the instance is built on. */
export class ExchangeClient {
  private readonly pollMs: number;
  private readonly maxPolls: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
    private readonly opts: ExchangeClientOptions = {},
  ) {
    this.pollMs = opts.publicationPollMs ?? 1_000;
    this.maxPolls = opts.publicationMaxPolls ?? 30;
    this.sleep = opts.sleep ?? realSleep;
  }

  /**
   * Creates and publishes an `http-api` asset (v2 multipart, `x-sync-publication: true`).
   * A 202 with a `publicationStatusLink` is polled until completed. An existing (or soft-deleted)
   * asset: `ConflictError` (409, code ASSET_PRE_CONDITIONS_FAILED) — read it with `getAsset`.
   * Retried on any transient failure: a repeat of a create that did happen answers 409.
   */
  async createAsset(input: CreateAssetInput): Promise<ExchangeAsset> {
    const ctx = await this.context();
    const form = new FormData();
    form.append('name', input.name);
    form.append('description', input.description ?? '');
    form.append('type', 'http-api');
    form.append('properties.apiVersion', input.apiVersion ?? 'v1');
    form.append('status', 'published');
    const body = form.getBuffer();
    const res = await this.http.post<unknown>(
      `/exchange/api/v2/organizations/${seg(ctx.orgId)}/assets/${seg(input.groupId)}/${seg(input.assetId)}/${seg(input.version)}`,
      body,
      {
        headers: { ...scopeHeaders(ctx), ...form.getHeaders(), 'x-sync-publication': 'true' },
        retry: 'always',
        op: 'exchange.createAsset',
      },
    );
    const known = { groupId: input.groupId, assetId: input.assetId, version: input.version };
    if (res.status === 202 && isRecord(res.data) && typeof res.data.publicationStatusLink === 'string') {
      await this.awaitPublication(res.data.publicationStatusLink, ctx);
      return (await this.getAsset(input.groupId, input.assetId, input.version)) ?? { ...known, name: input.name };
    }
    return normalizeAsset(res.data, known);
  }

  /** `GET /exchange/api/v2/assets/{groupId}/{assetId}/{version}`; null when absent (404). */
  async getAsset(groupId: string, assetId: string, version: string): Promise<ExchangeAsset | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(assetPath(groupId, assetId, version), {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'exchange.getAsset',
    });
    if (res.status === 404) return null;
    return normalizeAsset(res.data, { groupId, assetId, version });
  }

  /**
   * Hard delete (`x-delete-type: hard-delete`, so the name is free again). true = deleted,
   * false = already gone (404). 409 while API instances still use it: `ConflictError`.
   */
  async deleteAsset(groupId: string, assetId: string, version: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.delete(assetPath(groupId, assetId, version), {
      headers: { ...scopeHeaders(ctx), 'x-delete-type': 'hard-delete' },
      okStatuses: [404],
      op: 'exchange.deleteAsset',
    });
    return res.status !== 404;
  }

  /**
   * Whether the org lets assets be hard-deleted (`GET /exchange/api/v2/organizations/{orgId}/
   * settings?settings=deletionSettings` → `[{deletionSettings: {hardDeletionEnabled}}]`); null when
   * the answer does not say.
   */
  async hardDeletionEnabled(): Promise<boolean | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`/exchange/api/v2/organizations/${seg(ctx.orgId)}/settings`, {
      headers: scopeHeaders(ctx),
      query: { settings: 'deletionSettings' },
      op: 'exchange.settings',
    });
    const items = Array.isArray(res.data) ? res.data : [res.data];
    for (const item of items) {
      const d = isRecord(item) && isRecord(item.deletionSettings) ? item.deletionSettings : undefined;
      if (typeof d?.hardDeletionEnabled === 'boolean') return d.hardDeletionEnabled;
    }
    return null;
  }

  /** The implementations of a policy template version, one per technology (`mule4`, `flexGateway`); [] when the version is unknown (404). */
  async policyImplementations(groupId: string, assetId: string, version: string): Promise<PolicyImplementation[]> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`${assetPath(groupId, assetId, version)}/policies/implementations`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'exchange.policyImplementations',
    });
    if (res.status === 404 || !Array.isArray(res.data)) return [];
    return res.data.filter(isRecord).flatMap((i) => {
      const technology = strOf(i.technology);
      return technology ? [{ technology, assetId: strOf(i.assetId), version: strOf(i.version), minRuntimeVersion: strOf(i.minRuntimeVersion), maxRuntimeVersion: strOf(i.maxRuntimeVersion) }] : [];
    });
  }

  private async awaitPublication(link: string, ctx: Awaited<ReturnType<ContextProvider>>): Promise<void> {
    for (let poll = 0; poll < this.maxPolls; poll++) {
      if (poll > 0) await this.sleep(this.pollMs);
      const res = await this.http.get<unknown>(link, { headers: scopeHeaders(ctx), op: 'exchange.publicationStatus' });
      const status = isRecord(res.data) ? strOf(res.data.status)?.toLowerCase() : undefined;
      if (status === 'completed') return;
      if (status === 'failed' || status === 'error') {
        throw new UpstreamError({
          api: this.http.api,
          method: 'GET',
          path: new URL(link, 'http://x').pathname,
          status: res.status,
          code: 'PUBLICATION_FAILED',
          retryable: false,
          bodyExcerpt: excerpt(res.data, this.opts.secrets?.() ?? []),
        });
      }
    }
    throw new UpstreamError({
      api: this.http.api,
      method: 'GET',
      path: new URL(link, 'http://x').pathname,
      code: 'PUBLICATION_PENDING',
      retryable: true,
      uncertain: true,
      message: `exchange publication still running after ${this.maxPolls} polls`,
    });
  }
}

function normalizeAsset(data: unknown, known: { groupId: string; assetId: string; version: string }): ExchangeAsset {
  const d = isRecord(data) ? data : {};
  return {
    ...d,
    organizationId: strOf(d.organizationId),
    groupId: strOf(d.groupId) ?? known.groupId,
    assetId: strOf(d.assetId) ?? known.assetId,
    version: strOf(d.version) ?? known.version,
    name: strOf(d.name),
    type: strOf(d.type),
    status: strOf(d.status),
  };
}
