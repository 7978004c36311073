import type { Express } from 'express';
import { MULESOFT_POLICY_GROUP_ID } from '../state';
import { HttpError, intQuery, type Ctx } from '../http';
import { TEMPLATE_VERSIONS } from './apiManager';

/**
 * What an operator's readiness check (the add-on's preflight) reads besides the everyday calls:
 * - the connected app's context-aware scopes (`GET /accounts/api/connectedApplications/{clientId}/
 *   scopes`): each configured scope (`scopes` in the config) once per environment, paged like the
 *   other accounts lists; another client id → 404;
 * - the implementations of a MuleSoft policy template version (`GET /exchange/api/v2/assets/{groupId}/
 *   {assetId}/{version}/policies/implementations`): one per technology the template has (`<id>-mule`
 *   for mule4, `<id>-flex` for flexGateway), with the runtime range of each; another version → 404.
 */
export function registerReadiness(app: Express, ctx: Ctx): void {
  const { state } = ctx;

  app.get('/accounts/api/connectedApplications/:clientId/scopes', (req, res) => {
    if (req.params.clientId !== state.clientId) throw new HttpError(404, `Connected application ${req.params.clientId} not found`);
    const offset = intQuery(req, 'offset') ?? 0;
    const limit = Math.min(intQuery(req, 'limit') ?? 25, 500);
    const all = state.config.scopes.flatMap((scope) => state.environments.map((e) => ({ scope, context_params: { org: state.orgId, envId: e.id } })));
    res.json({ data: all.slice(offset, offset + limit), total: all.length });
  });

  app.get('/exchange/api/v2/assets/:groupId/:assetId/:version/policies/implementations', (req, res) => {
    const { groupId, assetId, version } = req.params;
    const versions = groupId === MULESOFT_POLICY_GROUP_ID ? TEMPLATE_VERSIONS[assetId] : undefined;
    const techs = Object.entries(versions ?? {}).filter(([, v]) => v === version);
    if (!techs.length) throw new HttpError(404, `Policy ${groupId}/${assetId}/${version} not found`);
    const body = techs.map(([technology]) => ({
      name: `${assetId} - ${technology === 'mule4' ? 'Mule 4' : 'Flex'} - implementation`,
      groupId,
      organizationId: groupId,
      assetId: `${assetId}-${technology === 'mule4' ? 'mule' : 'flex'}`,
      version,
      technology,
      minRuntimeVersion: technology === 'mule4' ? '4.1.0' : '1.0.0',
    }));
    res.set('x-total-count', String(body.length)).json(body);
  });
}
