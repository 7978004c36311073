import type { GrantedScope } from '../clients/anypoint';

/**
 * The connected app's scopes the service needs (README "Going live" lists the same), each for what
 * it is used. Anypoint grants them per organisation and environment (context-aware scopes); every
 * one must be granted for the configured environment. Managed Omni Gateways have no scope name of
 * their own that MuleSoft publishes: the preflight's Gateway Manager lines prove those rights.
 */
export const REQUIRED_SCOPES: readonly { scope: string; for: string }[] = [
  { scope: 'view:environment', for: 'find the environment by name' },
  { scope: 'read:exchange', for: 'read API assets and policy templates (Exchange Viewer)' },
  { scope: 'create:exchange', for: 'create and delete the API assets (Exchange Contributor)' },
  { scope: 'read:api_configuration', for: 'read API instances (View APIs Configuration)' },
  { scope: 'manage:api_configuration', for: 'create and remove API instances (Manage APIs Configuration)' },
  { scope: 'read:api_policies', for: 'list policy templates and applied policies (View Policies)' },
  { scope: 'manage:api_policies', for: 'apply and rewrite the rate limit (Manage Policies)' },
  { scope: 'manage:api_proxies', for: 'deploy API instances to a gateway or to CloudHub 2.0 (Deploy API Proxies)' },
  { scope: 'read:applications', for: 'watch CloudHub 2.0 proxy applications (Read Applications)' },
  { scope: 'create:applications', for: 'deploy CloudHub 2.0 proxy applications (Create Applications)' },
  { scope: 'delete:applications', for: 'remove CloudHub 2.0 proxy applications (Delete Applications)' },
  { scope: 'create:client_applications', for: 'make the API keys of the dashboard: client applications, and their contracts with the add-on’s API (Application Creator, granted on the root organisation)' },
  { scope: 'read:client_applications', for: 'find an API key’s client application again by its name (View Client Applications)' },
  { scope: 'manage:api_contracts', for: 'list and remove the API keys’ contracts on the add-on’s API instances (Manage Contracts)' },
];

/** The required scopes not granted for `orgId` and `envId` (a grant naming no environment counts for every one). */
export function missingScopes(granted: readonly GrantedScope[], where: { orgId: string; envId: string }, required = REQUIRED_SCOPES): string[] {
  const covers = (g: GrantedScope) => (!g.org || g.org === where.orgId) && (!g.envId || g.envId === where.envId);
  return required.filter((r) => !granted.some((g) => g.scope === r.scope && covers(g))).map((r) => r.scope);
}
