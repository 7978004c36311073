import type { CallRecord } from './types';

/** Every control-plane path template the stand-in serves, for counting calls by template. */
export const ROUTE_TEMPLATES: [method: string, template: string][] = [
  ['POST', '/accounts/api/v2/oauth2/token'],
  ['GET', '/accounts/api/me'],
  ['GET', '/accounts/api/organizations/:orgId/environments'],
  ['POST', '/exchange/api/v2/organizations/:orgId/assets/:groupId/:assetId/:version'],
  ['DELETE', '/exchange/api/v2/organizations/:orgId/assets/:groupId/:assetId/:version'],
  ['GET', '/exchange/api/v2/organizations/:orgId/assets/:groupId/:assetId/:version/publication/status/:publicationId'],
  ['GET', '/exchange/api/v2/organizations/:orgId/settings'],
  ['GET', '/exchange/api/v2/assets/:groupId/:assetId/:version'],
  ['DELETE', '/exchange/api/v2/assets/:groupId/:assetId/:version'],
  ['GET', '/apimanager/xapi/proxies/v1/proxy-templates'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/policy-templates'],
  ['POST', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId'],
  ['DELETE', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId'],
  ['POST', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/policies'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/policies'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/policies/:policyId'],
  ['PATCH', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/policies/:policyId'],
  ['DELETE', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/policies/:policyId'],
  ['POST', '/apimanager/api/v1/organizations/:orgId/applications'],
  ['POST', '/exchange/api/v2/organizations/:orgId/applications'],
  ['GET', '/exchange/api/v2/organizations/:orgId/applications'],
  ['GET', '/exchange/api/v2/organizations/:orgId/applications/:applicationId'],
  ['DELETE', '/exchange/api/v2/organizations/:orgId/applications/:applicationId'],
  ['POST', '/exchange/api/v2/organizations/:orgId/applications/:applicationId/contracts'],
  ['GET', '/exchange/api/v2/organizations/:orgId/applications/:applicationId/contracts'],
  ['POST', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/contracts'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/contracts'],
  ['GET', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/contracts/:contractId'],
  ['DELETE', '/apimanager/api/v1/organizations/:orgId/environments/:envId/apis/:apiId/contracts/:contractId'],
  ['POST', '/proxies/xapi/v1/organizations/:orgId/environments/:envId/apis/:apiId/deployments'],
  ['GET', '/proxies/xapi/v1/organizations/:orgId/environments/:envId/apis/:apiId/deployments'],
  ['GET', '/proxies/xapi/v1/organizations/:orgId/environments/:envId/apis/:apiId/deployments/:deploymentId'],
  ['GET', '/proxies/xapi/v1/organizations/:orgId/environments/:envId/apis/:apiId/deployments/:deploymentId/status'],
  ['GET', '/proxies/xapi/v1/organizations/:orgId/providers/:providerId/cloudhub2-deployment-targets'],
  ['GET', '/proxies/xapi/v1/organizations/:orgId/targets/:targetId/runtimes/mule/versions'],
  ['GET', '/amc/application-manager/api/v2/organizations/:orgId/environments/:envId/deployments'],
  ['GET', '/amc/application-manager/api/v2/organizations/:orgId/environments/:envId/deployments/:deploymentId'],
  ['DELETE', '/amc/application-manager/api/v2/organizations/:orgId/environments/:envId/deployments/:deploymentId'],
  ['GET', '/gatewaymanager/xapi/v1/gateway/versions'],
  ['POST', '/gatewaymanager/api/v1/organizations/:orgId/environments/:envId/gateways'],
  ['GET', '/gatewaymanager/api/v1/organizations/:orgId/environments/:envId/gateways'],
  ['GET', '/gatewaymanager/api/v1/organizations/:orgId/environments/:envId/gateways/:gatewayId'],
  ['GET', '/gatewaymanager/api/v1/organizations/:orgId/environments/:envId/gateways/:gatewayId/status'],
  ['DELETE', '/gatewaymanager/api/v1/organizations/:orgId/environments/:envId/gateways/:gatewayId'],
  ['GET', '/analytics/:version/:orgId/environments/:envId/events'],
];

const COMPILED = ROUTE_TEMPLATES.map(([method, template]) => ({
  method,
  template,
  re: new RegExp(`^${template.replace(/:[A-Za-z]+/g, '[^/]+')}/?$`),
}));

export function templateOf(method: string, path: string): string {
  const m = method.toUpperCase();
  for (const c of COMPILED) if (c.method === m && c.re.test(path)) return `${m} ${c.template}`;
  return 'unmatched';
}

/** A bounded log of calls (a ring of the last `capacity`) plus per-template counters. */
export class CallLog {
  private records: CallRecord[] = [];
  private start = 0;
  private counts = new Map<string, number>();
  total = 0;

  constructor(private readonly capacity = 10_000) {}

  add(rec: CallRecord): void {
    this.total += 1;
    this.counts.set(rec.template, (this.counts.get(rec.template) ?? 0) + 1);
    if (this.records.length < this.capacity) {
      this.records.push(rec);
    } else {
      this.records[this.start] = rec;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  list(): CallRecord[] {
    return [...this.records.slice(this.start), ...this.records.slice(0, this.start)];
  }

  countsByTemplate(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort((a, b) => a[0].localeCompare(b[0])));
  }

  clear(): void {
    this.records = [];
    this.start = 0;
    this.counts.clear();
    this.total = 0;
  }
}
