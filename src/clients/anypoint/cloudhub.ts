import { UnexpectedResponseError } from '../errors';
import type { HttpClient } from '../http';
import { type ContextProvider, isRecord, scopeHeaders, seg, strOf } from './context';

export interface CloudHubApplication {
  domain: string;
  fullDomain?: string;
  status?: string;
  deploymentUpdateStatus?: string | null;
  region?: string;
  [key: string]: unknown;
}

export type Readiness = 'ready' | 'deploying' | 'failed' | 'gone';

/**
 * Where a CloudHub 1.0 application stands:
 *   - failed:    `status` or `deploymentUpdateStatus` contains FAILED;
 *   - ready:     `status` STARTED and `deploymentUpdateStatus` not DEPLOYING (right after a deploy
 *                the old status can still read STARTED);
 *   - gone:      no application, or DELETED / UNDEPLOYING, or UNDEPLOYED with no deployment under way;
 *   - deploying: anything else (DEPLOYING, STARTED while an update deploys, unknown statuses).
 */
export function applicationReadiness(app: CloudHubApplication | null | undefined): Readiness {
  if (!app) return 'gone';
  const status = (app.status ?? '').toUpperCase();
  const update = (app.deploymentUpdateStatus ?? '').toUpperCase();
  if (status.includes('FAILED') || update.includes('FAILED')) return 'failed';
  if (status === 'STARTED' && update !== 'DEPLOYING') return 'ready';
  if (status === 'DELETED' || status === 'UNDEPLOYING') return 'gone';
  if (status === 'UNDEPLOYED' && update !== 'DEPLOYING') return 'gone';
  return 'deploying';
}

/** The proxy's public URL: `https://{fullDomain}/` (fullDomain can be regional). */
export function applicationUrl(app: CloudHubApplication, scheme: 'https' | 'http' = 'https'): string {
  return `${scheme}://${applicationHost(app)}/`;
}

/** The application's public host: its fullDomain, else `<domain>.cloudhub.io`. */
export function applicationHost(app: CloudHubApplication): string {
  return app.fullDomain || `${app.domain}.cloudhub.io`;
}

export class CloudHubClient {
  constructor(
    private readonly http: HttpClient,
    private readonly context: ContextProvider,
  ) {}

  /** null when absent (404). */
  async getApplication(domain: string): Promise<CloudHubApplication | null> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`/cloudhub/api/v2/applications/${seg(domain)}`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'cloudhub.getApplication',
    });
    if (res.status === 404) return null;
    const d = isRecord(res.data) ? res.data : {};
    return {
      ...d,
      domain: strOf(d.domain) ?? domain,
      fullDomain: strOf(d.fullDomain),
      status: strOf(d.status),
      deploymentUpdateStatus: strOf(d.deploymentUpdateStatus) ?? null,
      region: strOf(d.region),
    };
  }

  /** true = deleted, false = already gone (404). */
  async deleteApplication(domain: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.delete(`/cloudhub/api/v2/applications/${seg(domain)}`, {
      headers: scopeHeaders(ctx),
      okStatuses: [404],
      op: 'cloudhub.deleteApplication',
    });
    return res.status !== 404;
  }

  /** `GET /cloudhub/api/applications/domains/{domain}` → available. An invalid name (400): permanent UpstreamError. */
  async isDomainAvailable(domain: string): Promise<boolean> {
    const ctx = await this.context();
    const res = await this.http.get<unknown>(`/cloudhub/api/applications/domains/${seg(domain)}`, {
      headers: scopeHeaders(ctx),
      op: 'cloudhub.domainAvailable',
    });
    if (isRecord(res.data) && typeof res.data.available === 'boolean') return res.data.available;
    throw new UnexpectedResponseError('cloudhub', 'domain availability answered without "available"');
  }
}
