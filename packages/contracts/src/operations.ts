/**
 * THE list of vendor operations we use: the extract keeps these and nothing else.
 *
 * `path` is the full path from the host root (the spec's server base path + its path template);
 * for Heroku, the href with its `{(%23%2Fdefinitions%2Fadd-on%2Fdefinitions%2Fidentity)}`
 * placeholders named `{add_on_identity}` (definition name, `-` → `_`, + `_identity`).
 * An entry whose operation is not in the vendor file must be defined by an `add-operation`
 * override (src/overrides.ts); the extractor fails otherwise.
 */
import type { Api, HttpMethod } from './types';

export interface OperationRef {
  api: Api;
  /** Vendor folder under anypoint/, or `platform-api` (heroku/platform-api-schema.json). */
  spec: string;
  method: HttpMethod;
  path: string;
  /** What we use it for. */
  use: string;
}

const AM = '/accounts/api';
const EX = '/exchange/api/v2';
const APIM = '/apimanager/api/v1/organizations/{organizationId}';
const API = `${APIM}/environments/{environmentId}/apis/{environmentApiId}`;
const PX = '/proxies/xapi/v1/organizations/{organizationId}';
const GW = '/gatewaymanager/api/v1/organizations/{organizationId}';
const AMC = '/amc/application-manager/api/v2/organizations/{organizationId}/environments/{environmentId}';

export const OPERATIONS: readonly OperationRef[] = [
  // ── access-management ────────────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'access-management', method: 'POST', path: `${AM}/v2/oauth2/token`, use: 'connected app token (client credentials)' },
  { api: 'anypoint', spec: 'access-management', method: 'GET', path: `${AM}/me`, use: 'org id of the connected app (client.org_id)' },
  { api: 'anypoint', spec: 'access-management', method: 'GET', path: `${AM}/organizations/{organizationId}/environments`, use: 'environment id by name' },
  { api: 'anypoint', spec: 'access-management', method: 'GET', path: `${AM}/connectedApplications/{clientId}/scopes`, use: 'check the connected app has the scopes we need' },
  { api: 'anypoint', spec: 'access-management', method: 'GET', path: `${AM}/organizations/{organizationId}/connectedApplications/{clientId}/scopes`, use: 'same, org-scoped form' },

  // ── exchange-experience ──────────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'exchange-experience', method: 'POST', path: `${EX}/organizations/{organizationId}/assets/{groupId}/{assetId}/{version}`, use: 'create the http-api asset (multipart)' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/assets/{groupId}/{assetId}/{version}`, use: 'read the asset (409 on create → is it ours?)' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'DELETE', path: `${EX}/assets/{groupId}/{assetId}/{version}`, use: 'delete the asset (x-delete-type: hard-delete)' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/organizations/{organizationId}/assets/{groupId}/{assetId}/{version}/publication/status/{runId}`, use: 'poll an asynchronous publication (publicationStatusLink)' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/organizations/{organizationId}/settings`, use: 'deletionSettings.hardDeletionEnabled of the org' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/assets/{groupId}/{assetId}/{version}/policies/implementations`, use: 'preflight: the technologies a policy template has an implementation for' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'POST', path: `${EX}/organizations/{masterOrganizationId}/applications`, use: 'client application for API keys' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/organizations/{masterOrganizationId}/applications`, use: 'find a client application by name' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/organizations/{masterOrganizationId}/applications/{applicationId}`, use: 'read a client application (clientId/clientSecret)' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'DELETE', path: `${EX}/organizations/{masterOrganizationId}/applications/{applicationId}`, use: 'revoke API keys: delete the client application' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'POST', path: `${EX}/organizations/{masterOrganizationId}/applications/{applicationId}/contracts`, use: 'contract between a client application and our API instance' },
  { api: 'anypoint', spec: 'exchange-experience', method: 'GET', path: `${EX}/organizations/{masterOrganizationId}/applications/{applicationId}/contracts`, use: 'list the contracts of a client application' },

  // ── api-manager ──────────────────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${APIM}/environments/{environmentId}/apis`, use: 'find an instance made by an earlier attempt (assetId, instanceLabel)' },
  { api: 'anypoint', spec: 'api-manager', method: 'POST', path: `${APIM}/environments/{environmentId}/apis`, use: 'create the API instance' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: API, use: 'read the API instance' },
  { api: 'anypoint', spec: 'api-manager', method: 'PATCH', path: API, use: 'update the instance (upstream, label, routing)' },
  { api: 'anypoint', spec: 'api-manager', method: 'DELETE', path: API, use: 'remove the API instance' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/policies`, use: 'list applied policies' },
  { api: 'anypoint', spec: 'api-manager', method: 'POST', path: `${API}/policies`, use: 'apply the plan policy (rate limiting)' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/policies/{policyId}`, use: 'read one policy' },
  { api: 'anypoint', spec: 'api-manager', method: 'PATCH', path: `${API}/policies/{policyId}`, use: 'plan change: rewrite the policy configuration' },
  { api: 'anypoint', spec: 'api-manager', method: 'DELETE', path: `${API}/policies/{policyId}`, use: 'remove a policy' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${APIM}/policy-templates`, use: 'policy templates (by technology) and their versions' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/upstreams`, use: 'list upstreams of an instance' },
  { api: 'anypoint', spec: 'api-manager', method: 'POST', path: `${API}/upstreams`, use: 'add the Heroku app as upstream' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/upstreams/{upstreamId}`, use: 'read one upstream' },
  { api: 'anypoint', spec: 'api-manager', method: 'PATCH', path: `${API}/upstreams/{upstreamId}`, use: 'follow-app: point the upstream at the new host' },
  { api: 'anypoint', spec: 'api-manager', method: 'DELETE', path: `${API}/upstreams/{upstreamId}`, use: 'remove an upstream' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/tiers`, use: 'SLA tiers of an instance' },
  { api: 'anypoint', spec: 'api-manager', method: 'POST', path: `${API}/tiers`, use: 'create the plan SLA tier' },
  { api: 'anypoint', spec: 'api-manager', method: 'PUT', path: `${API}/tiers/{tierId}`, use: 'plan change: rewrite the tier' },
  { api: 'anypoint', spec: 'api-manager', method: 'DELETE', path: `${API}/tiers/{tierId}`, use: 'remove a tier' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/contracts`, use: 'contracts of an instance' },
  { api: 'anypoint', spec: 'api-manager', method: 'POST', path: `${API}/contracts`, use: 'contract a client application on the instance (API Manager form)' },
  { api: 'anypoint', spec: 'api-manager', method: 'GET', path: `${API}/contracts/{contractId}`, use: 'read a contract' },
  { api: 'anypoint', spec: 'api-manager', method: 'DELETE', path: `${API}/contracts/{contractId}`, use: 'revoke/delete a contract' },
  { api: 'anypoint', spec: 'api-manager', method: 'POST', path: `${APIM}/applications`, use: 'create a client application (API Manager form)' },

  // ── proxies-xapi ─────────────────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'proxies-xapi', method: 'POST', path: `${PX}/environments/{environmentId}/apis/{environmentApiId}/deployments`, use: 'deploy the proxy (CH2 or HY target)' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: `${PX}/environments/{environmentId}/apis/{environmentApiId}/deployments`, use: 'find the deployment of an instance' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: `${PX}/environments/{environmentId}/apis/{environmentApiId}/deployments/{proxyDeploymentId}`, use: 'read a deployment' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'PATCH', path: `${PX}/environments/{environmentId}/apis/{environmentApiId}/deployments/{proxyDeploymentId}`, use: 'redeploy (gateway version, target)' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: `${PX}/environments/{environmentId}/apis/{environmentApiId}/deployments/{proxyDeploymentId}/status`, use: 'deployment status' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: `${PX}/providers/{providerId}/cloudhub2-deployment-targets`, use: 'CloudHub 2.0 targets (providerId MC)' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: `${PX}/targets/{targetId}/runtimes/mule/versions`, use: 'gateway (Mule runtime) versions a target accepts' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: `${PX}/deployment-targets`, use: 'all deployment targets of an environment' },
  { api: 'anypoint', spec: 'proxies-xapi', method: 'GET', path: '/apimanager/xapi/proxies/v1/proxy-templates', use: 'latest proxy template version (not in the spec: override)' },

  // ── flex-gateway-manager ─────────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'POST', path: `${GW}/environments/{environmentId}/gateways`, use: 'create a managed Omni gateway of the pool' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'GET', path: `${GW}/environments/{environmentId}/gateways`, use: 'list the pool (by name)' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'GET', path: `${GW}/environments/{environmentId}/gateways/{gatewayId}`, use: 'read a gateway (publicUrl)' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'PUT', path: `${GW}/environments/{environmentId}/gateways/{gatewayId}`, use: 'update a gateway' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'DELETE', path: `${GW}/environments/{environmentId}/gateways/{gatewayId}`, use: 'remove a gateway' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'GET', path: `${GW}/environments/{environmentId}/gateways/{gatewayId}/status`, use: 'is the gateway running' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'GET', path: `${GW}/usage/managed-gateways`, use: 'managed gateway usage and limits of the org' },
  { api: 'anypoint', spec: 'flex-gateway-manager', method: 'GET', path: '/gatewaymanager/xapi/v1/gateway/versions', use: 'runtime versions a new managed gateway may run, per release channel (not in the spec: override)' },

  // ── amc-application-manager ──────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'amc-application-manager', method: 'GET', path: `${AMC}/deployments`, use: 'find the CH2 proxy application by name' },
  { api: 'anypoint', spec: 'amc-application-manager', method: 'GET', path: `${AMC}/deployments/{deploymentId}`, use: 'poll APPLIED/RUNNING, public URL' },
  { api: 'anypoint', spec: 'amc-application-manager', method: 'DELETE', path: `${AMC}/deployments/{deploymentId}`, use: 'remove the CH2 proxy application' },

  // ── analytics-event-export ───────────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'analytics-event-export', method: 'GET', path: '/analytics/{version}/{organizationId}/environments/{envId}/events', use: 'gateway traffic events of an environment' },
  { api: 'anypoint', spec: 'analytics-event-export', method: 'GET', path: '/analytics/{version}/{organizationId}/events', use: 'gateway traffic events of the org' },

  // ── cloudhub (1.0, being retired) ────────────────────────────────────────────────────────
  { api: 'anypoint', spec: 'cloudhub', method: 'GET', path: '/cloudhub/api/v2/applications/{domain}', use: 'CH1 proxy status (STARTED)' },
  { api: 'anypoint', spec: 'cloudhub', method: 'DELETE', path: '/cloudhub/api/v2/applications/{domain}', use: 'remove the CH1 proxy application' },
  { api: 'anypoint', spec: 'cloudhub', method: 'GET', path: '/cloudhub/api/applications/domains/{domain}', use: 'CH1 application name availability' },

  // ── heroku ───────────────────────────────────────────────────────────────────────────────
  { api: 'heroku', spec: 'platform-api', method: 'GET', path: '/addons/{add_on_identity}', use: 'add-on info: app id/name, state, plan' },
  { api: 'heroku', spec: 'platform-api', method: 'POST', path: '/addons/{add_on_identity}/actions/provision', use: 'report asynchronous provisioning done' },
  { api: 'heroku', spec: 'platform-api', method: 'POST', path: '/addons/{add_on_identity}/actions/deprovision', use: 'report deprovisioning (or a failed provisioning) done' },
  { api: 'heroku', spec: 'platform-api', method: 'PATCH', path: '/addons/{add_on_identity}/config', use: 'set ANYPOINT_API_GATEWAY_* config vars' },
  { api: 'heroku', spec: 'platform-api', method: 'POST', path: '/addons/{add_on_identity}/webhooks', use: 'subscribe to api:app / api:domain (follow the app)' },
  { api: 'heroku', spec: 'platform-api', method: 'GET', path: '/addons/{add_on_identity}/webhooks', use: 'list our webhook subscriptions' },
  { api: 'heroku', spec: 'platform-api', method: 'GET', path: '/addons/{add_on_identity}/webhooks/{app_webhook_identity}', use: 'read one subscription' },
  { api: 'heroku', spec: 'platform-api', method: 'DELETE', path: '/addons/{add_on_identity}/webhooks/{app_webhook_identity}', use: 'unsubscribe' },
  { api: 'heroku', spec: 'platform-api', method: 'GET', path: '/apps/{app_identity}/domains', use: 'the app host (kind heroku) = upstream' },
  { api: 'heroku', spec: 'platform-api', method: 'GET', path: '/apps/{app_identity}', use: 'app info (name, web_url)' },
  { api: 'heroku', spec: 'oauth', method: 'POST', path: '/oauth/token', use: 'id.heroku.com grant exchange and refresh (not in the schema: override)' },
];
