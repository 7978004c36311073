import type { Express, Request } from 'express';
import { assetKey, iso } from '../state';
import { baseUrl, HttpError, isObject, requireOrg, SEMVER_RE, type Ctx } from '../http';
import type { ExchangeAsset } from '../types';

const ASSET_TYPES = new Set(['http-api', 'rest-api']);
const ASSET_STATUSES = new Set(['published', 'development', 'deprecated']);
const ASSET_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function field(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function assetBody(a: ExchangeAsset): Record<string, unknown> {
  return {
    organizationId: a.organizationId,
    groupId: a.groupId,
    assetId: a.assetId,
    version: a.version,
    minorVersion: a.version.split('.').slice(0, 2).join('.'),
    versionGroup: `v${a.version.split('.')[0]}`,
    name: a.name,
    description: a.description,
    type: a.type,
    status: a.status,
    isPublic: false,
    createdAt: a.createdAt,
    attributes: a.apiVersion ? [{ key: 'apiVersion', value: a.apiVersion }] : [],
    files: a.files.map((f) => ({ classifier: f.classifier, packaging: f.packaging, size: f.size })),
  };
}

export function registerExchange(app: Express, ctx: Ctx): void {
  const { state } = ctx;

  const assetsInUse = (a: ExchangeAsset) =>
    [...state.apis.values()].some(
      (api) => api.groupId === a.groupId && api.assetId === a.assetId && api.assetVersion === a.version,
    );

  app.post('/exchange/api/v2/organizations/:orgId/assets/:groupId/:assetId/:version', (req: Request, res) => {
    const { orgId, groupId, assetId, version } = req.params as Record<string, string>;
    requireOrg(ctx, orgId);
    if (!req.is('multipart/form-data')) throw new HttpError(415, 'Expected multipart/form-data');
    if (groupId !== state.orgId) throw new HttpError(403, `Forbidden: group ${groupId} is not a business group you can publish to`);
    if (!ASSET_ID_RE.test(assetId)) throw new HttpError(400, 'assetId may contain only letters, digits, dots, dashes and underscores');
    if (!SEMVER_RE.test(version)) throw new HttpError(400, `version ${version} is not a valid semantic version`);
    if (groupId.length + assetId.length + version.length > 215) {
      throw new HttpError(400, 'groupId, assetId and version together must not exceed 215 characters');
    }
    const body = isObject(req.body) ? req.body : {};
    const name = field(body, 'name');
    if (!name || name.trim() === '') throw new HttpError(400, 'name is required');
    if (name.length > 256) throw new HttpError(400, 'name must not exceed 256 characters');
    const description = field(body, 'description') ?? '';
    if (description.length > 10_000) throw new HttpError(400, 'description is too long');
    const type = field(body, 'type');
    if (!type || !ASSET_TYPES.has(type)) throw new HttpError(400, 'type must be http-api or rest-api');
    const status = field(body, 'status') ?? 'published';
    if (!ASSET_STATUSES.has(status)) throw new HttpError(400, 'status must be published, development or deprecated');
    const nested = isObject(body.properties) ? field(body.properties, 'apiVersion') : undefined;
    const apiVersion = field(body, 'properties.apiVersion') ?? nested ?? null;
    if (apiVersion !== null && (apiVersion.length === 0 || apiVersion.length > 64)) {
      throw new HttpError(400, 'properties.apiVersion must be 1..64 characters');
    }
    if (type === 'http-api' && apiVersion === null) throw new HttpError(400, 'properties.apiVersion is required for http-api');
    const uploaded = Array.isArray(req.files) ? req.files : [];
    const files: ExchangeAsset['files'] = [];
    for (const f of uploaded) {
      const m = /^files\.([A-Za-z0-9-]+)\.([A-Za-z0-9]+)$/.exec(f.fieldname);
      if (!m) throw new HttpError(400, `Unexpected file part ${f.fieldname} (expected files.<classifier>.<packaging>)`);
      files.push({ classifier: m[1], packaging: m[2], fieldName: f.fieldname, size: f.size });
    }
    if (type === 'rest-api' && files.length === 0) throw new HttpError(400, 'rest-api needs a specification part such as files.oas.json');

    const key = assetKey(groupId, assetId, version);
    const existing = state.assets.get(key);
    if (existing) {
      throw new HttpError(
        409,
        existing.deleted
          ? `Asset ${key} was deleted and its coordinates cannot be reused`
          : `Asset ${key} already exists`,
        'ASSET_PRE_CONDITIONS_FAILED',
      );
    }
    const asset: ExchangeAsset = {
      organizationId: state.orgId,
      groupId,
      assetId,
      version,
      name,
      description,
      type,
      status,
      apiVersion,
      files,
      createdAt: iso(),
      deleted: false,
      deletedAt: null,
    };
    state.assets.set(key, asset);
    if (String(req.get('x-sync-publication')).toLowerCase() === 'true') {
      res.status(201).json({ organizationId: state.orgId, groupId, assetId, version, name, type });
      return;
    }
    const pubId = state.newPublicationId();
    state.publications.set(pubId, { key, polls: 0 });
    const link = `${baseUrl(req)}/exchange/api/v2/organizations/${orgId}/assets/${groupId}/${assetId}/${version}/publication/status/${pubId}`;
    res.status(202).json({ publicationStatusLink: link });
  });

  app.get(
    '/exchange/api/v2/organizations/:orgId/assets/:groupId/:assetId/:version/publication/status/:publicationId',
    (req, res) => {
      requireOrg(ctx, req.params.orgId);
      const pub = state.publications.get(req.params.publicationId);
      const key = assetKey(req.params.groupId, req.params.assetId, req.params.version);
      if (!pub || pub.key !== key) throw new HttpError(404, 'Publication not found');
      pub.polls += 1;
      if (pub.polls === 1) {
        res.json({ status: 'running' });
        return;
      }
      const asset = state.assets.get(key);
      res.json({ status: 'completed', ...(asset && !asset.deleted ? { asset: assetBody(asset) } : {}) });
    },
  );

  app.delete('/exchange/api/v2/organizations/:orgId/assets/:groupId/:assetId/:version', (req, res) => {
    requireOrg(ctx, req.params.orgId);
    res.set('Allow', 'POST');
    throw new HttpError(405, 'Method Not Allowed: delete assets with DELETE /exchange/api/v2/assets/{groupId}/{assetId}/{version}');
  });

  app.get('/exchange/api/v2/organizations/:orgId/settings', (req, res) => {
    requireOrg(ctx, req.params.orgId);
    res.json([{ deletionSettings: { hardDeletionEnabled: state.config.hardDeletionEnabled, assetRoleAssignmentSettings: true } }]);
  });

  app.get('/exchange/api/v2/assets/:groupId/:assetId/:version', (req, res) => {
    const asset = state.assets.get(assetKey(req.params.groupId, req.params.assetId, req.params.version));
    if (!asset || asset.deleted) throw new HttpError(404, 'Asset not found');
    res.json(assetBody(asset));
  });

  app.delete('/exchange/api/v2/assets/:groupId/:assetId/:version', (req, res) => {
    const key = assetKey(req.params.groupId, req.params.assetId, req.params.version);
    const deleteType = (req.get('x-delete-type') ?? 'soft-delete').toLowerCase();
    if (deleteType !== 'soft-delete' && deleteType !== 'hard-delete') {
      throw new HttpError(400, 'x-delete-type must be soft-delete or hard-delete');
    }
    const asset = state.assets.get(key);
    // A soft-deleted asset can still be hard-deleted (emptying the trash); nothing else sees it.
    if (!asset || (asset.deleted && deleteType === 'soft-delete')) throw new HttpError(404, 'Asset not found');
    if (assetsInUse(asset)) {
      throw new HttpError(409, `Asset ${key} is used by API instances; delete them first`, 'ASSET_IN_USE');
    }
    if (deleteType === 'hard-delete') {
      // an org can switch hard deletion off (deletionSettings.hardDeletionEnabled)
      if (!state.config.hardDeletionEnabled) throw new HttpError(403, 'Hard deletion of assets is disabled for this organization', 'HARD_DELETE_DISABLED');
      state.assets.delete(key);
    } else {
      asset.deleted = true;
      asset.deletedAt = iso();
    }
    res.status(204).end();
  });
}
