/**
 * THE one place where a vendor spec is corrected or completed. The extract = vendor facts +
 * these entries, applied by the extractor (src/extract/build.ts) in this order; each changed
 * operation lists the ids that touched it (`overrides` in the extract).
 *
 * Rule: an entry needs a reason a reviewer can check: the spec contradicts itself (its own
 * example or a sibling operation), contradicts MuleSoft's/Heroku's own documentation or
 * MuleSoft's official Terraform provider (github.com/mulesoft/terraform-provider-anypoint,
 * "TF" below), or an operation the platform is known to serve is missing. Not "our client
 * would like it so". An entry that no longer applies (the vendor fixed it) fails the extractor.
 *
 * Kinds:
 * - fix: edits an extracted operation (`apply`). Edits throw when the spec moved under them.
 * - add-operation: defines an operation the vendor file lacks (listed in operations.ts too).
 * - known-inconsistency: vendor examples that contradict their own schema; kept in the extract
 *   as published, skipped by the "examples validate" test (which checks they still fail).
 */
import type { Api, JsonSchema, MediaSpec, OperationSpec } from './types';
import type { OperationRef } from './operations';

interface Base {
  id: string;
  api: Api;
  /** Operation key `METHOD /path`, or `*` (every operation of that api taken from the vendor file). */
  operation: string;
  what: string;
  /** `<vendor file>:<line>` or `<vendor file>:#<JSON pointer>`. */
  specLine: string;
  why: string;
}

export interface OverrideContext {
  /** Another extracted operation (to reuse a schema the spec already has). */
  operation(key: string): OperationSpec;
}

export type Override =
  | (Base & { kind: 'fix'; apply(op: OperationSpec, ctx: OverrideContext): void })
  | (Base & { kind: 'add-operation'; define(ref: OperationRef): OperationSpec })
  | (Base & {
      kind: 'known-inconsistency';
      /** `<status or "request"> <media type> <example name>` */
      examples: string[];
    });

// ── small, loud helpers ────────────────────────────────────────────────────────────────────
type S = Record<string, unknown>;
const isObject = (v: unknown): v is S => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The object at a `/`-separated path below `root`; throws when absent (the spec changed). */
export function at(root: unknown, pointer: string): S {
  let cur: unknown = root;
  for (const token of pointer.split('/').filter(Boolean)) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObject(cur)) cur = cur[key];
    else cur = undefined;
    if (cur === undefined) throw new Error(`override: nothing at ${pointer} (stopped at "${key}")`);
  }
  if (!isObject(cur)) throw new Error(`override: ${pointer} is not an object`);
  return cur;
}

function media(op: OperationSpec, where: 'request' | string, mt = 'application/json'): MediaSpec {
  const content = where === 'request' ? op.requestBody?.content : op.responses[where]?.content;
  const m = content?.[mt];
  if (!m) throw new Error(`override: ${op.key} has no ${where} ${mt}`);
  return m;
}

function schemaOf(op: OperationSpec, where: 'request' | string, mt = 'application/json'): S {
  const s = media(op, where, mt).schema;
  if (!isObject(s)) throw new Error(`override: ${op.key} ${where} ${mt} has no schema`);
  return s;
}

function addProperties(target: S, props: Record<string, JsonSchema>): void {
  const existing = (target.properties ??= {}) as S;
  for (const [name, s] of Object.entries(props)) {
    if (name in existing) throw new Error(`override: property ${name} exists already (vendor fixed it? drop this part)`);
    existing[name] = s;
  }
}

const str = { type: 'string' };
const bool = { type: 'boolean' };
const int = { type: 'integer' };

const APIM_API = '/apimanager/api/v1/organizations/{organizationId}/environments/{environmentId}/apis';
const APIM_INSTANCE = `${APIM_API}/{environmentApiId}`;
const GW = '/gatewaymanager/api/v1/organizations/{organizationId}/environments/{environmentId}/gateways';
const TF = 'MuleSoft\'s official Terraform provider (mulesoft/terraform-provider-anypoint, commit c761a2e)';

export const OVERRIDES: Override[] = [
  // ── access-management ────────────────────────────────────────────────────────────────────
  {
    id: 'am-token',
    kind: 'fix',
    api: 'anypoint',
    operation: 'POST /accounts/api/v2/oauth2/token',
    what: 'no Authorization needed; request body (JSON or form) { grant_type, client_id, client_secret, ... }; 200 body { access_token, token_type, expires_in }',
    specLine: 'anypoint/access-management/api.yaml:32161',
    why:
      'The spec gives this operation no body and requires a bearer token (security bearerAuth|clientAuth): a client cannot need a token to get one. ' +
      'Body fields as the same spec documents them for POST /oauth2/token (api.yaml:5053); client_credentials as ' + TF + ' sends it ' +
      '(internal/client/anypointclient.go: JSON {client_id, client_secret, grant_type}, no Authorization, reads access_token); the form-encoded variant is what public deploy scripts send.',
    apply(op) {
      op.auth = { required: false, schemes: [] };
      const body: JsonSchema = {
        type: 'object',
        required: ['grant_type'],
        properties: {
          grant_type: { type: 'string', enum: ['client_credentials', 'authorization_code', 'refresh_token'] },
          client_id: str,
          client_secret: str,
          code: str,
          redirect_uri: { type: 'string', format: 'uri' },
          refresh_token: str,
        },
        anyOf: [
          { properties: { grant_type: { enum: ['client_credentials'] } }, required: ['client_id', 'client_secret'] },
          { properties: { grant_type: { enum: ['authorization_code'] } }, required: ['code', 'client_id', 'client_secret'] },
          { properties: { grant_type: { enum: ['refresh_token'] } }, required: ['refresh_token'] },
        ],
      };
      op.requestBody = { required: true, content: { 'application/json': { schema: body }, 'application/x-www-form-urlencoded': { schema: body } } };
      op.responses['200'] = {
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['access_token'],
              properties: { access_token: str, token_type: str, expires_in: int },
            },
          },
        },
      };
    },
  },
  {
    id: 'am-me-connected-app',
    kind: 'fix',
    api: 'anypoint',
    operation: 'GET /accounts/api/me',
    what: '200: `user` no longer required; `client.org_id` (string) added',
    specLine: 'anypoint/access-management/api.yaml:3115',
    why:
      'A connected app (client credentials) is no user: ' + TF + ' reads the org from client.org_id first and only then falls back to user.organization.id ' +
      '(internal/client/auth_helpers.go ExtractOrgID), so the answer may carry no `user`; the spec requires `user` and omits client.org_id.',
    apply(op) {
      const s = schemaOf(op, '200');
      s.required = (s.required as string[]).filter((r) => r !== 'user');
      addProperties(at(s, 'properties/client'), { org_id: str });
    },
  },

  // ── exchange-experience ──────────────────────────────────────────────────────────────────
  {
    id: 'ex-create-asset-form',
    kind: 'fix',
    api: 'anypoint',
    operation: 'POST /exchange/api/v2/organizations/{organizationId}/assets/{groupId}/{assetId}/{version}',
    what:
      'request body added: multipart/form-data fields name (required), description, type, status (development|published), dependencies, keywords, tags, fields, categories, contactName, contactEmail, ' +
      'properties.* / fields.* / categories.* (strings), files.<classifier>.<packaging> (file); nothing else. 202 body { publicationStatusLink } required.',
    specLine: 'anypoint/exchange-experience/api.yaml:2242',
    why:
      'The operation declares `Content-Type: multipart/form-data` as a required header but no requestBody. The fields are those of the vendor\'s own documentation in the same folder ' +
      '(exchange-experience/docs/v2/Asset Creation.md: "All assets have these multipart field properties", "The name is required", status development|published) and of the operation description; ' +
      'the 202 body is the one that document shows.',
    apply(op) {
      op.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 256 },
                description: str,
                type: str,
                status: { type: 'string', enum: ['development', 'published'] },
                dependencies: str,
                keywords: str,
                tags: str,
                fields: str,
                categories: str,
                contactName: str,
                contactEmail: str,
              },
              patternProperties: {
                '^properties\\.[A-Za-z][\\w.-]*$': str,
                '^fields\\.[^.]+$': str,
                '^categories\\.[^.]+$': str,
                '^files\\.[^.]+\\.[^.]+(\\.[^.]+)?$': {},
              },
              additionalProperties: false,
            },
          },
        },
      };
      const accepted = op.responses['202']?.content?.['application/json'];
      if (!accepted) throw new Error('override ex-create-asset-form: no 202 application/json');
      accepted.schema = { type: 'object', required: ['publicationStatusLink'], properties: { publicationStatusLink: { type: 'string', format: 'uri' } } };
    },
  },
  {
    id: 'ex-client-app-body',
    kind: 'fix',
    api: 'anypoint',
    operation: 'POST /exchange/api/v2/organizations/{masterOrganizationId}/applications',
    what: 'request schema { name (required), description, url, redirectUri[], grantTypes[] }; 201 schema = the ClientApplication schema the same spec gives the list',
    specLine: 'anypoint/exchange-experience/api.yaml:1960',
    why:
      'The request is documented by an example only (examples/client-applications.yaml#/CreateClientApplication: name, description, url, redirectUri, grantTypes) and the 201 by an example only; ' +
      'the fields are those of that example and of schemas/client-applications.yaml#/ClientApplication (the GET list items). An application without a name is not possible in Exchange.',
    apply(op, ctx) {
      media(op, 'request').schema = {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1 },
          description: { type: 'string', nullable: true },
          url: { type: 'string', nullable: true },
          redirectUri: { type: 'array', items: str },
          grantTypes: { type: 'array', items: str },
        },
      };
      const list = ctx.operation('GET /exchange/api/v2/organizations/{masterOrganizationId}/applications');
      media(op, '201').schema = structuredClone(at(schemaOf(list, '200'), 'items'));
    },
  },

  // ── api-manager ──────────────────────────────────────────────────────────────────────────
  {
    id: 'apim-api-create',
    kind: 'fix',
    api: 'anypoint',
    operation: `POST ${APIM_API}`,
    what:
      'adds routing[], deployment{}, approvalMethod, endpointUri, endpoint.type, endpoint.tlsContexts; endpoint.uri no longer required (proxyUri and isCloudHub still are)',
    specLine: 'anypoint/api-manager/apimanager/schemas/api-oas.json:1',
    why:
      'The spec\'s own example (apimanager/examples/apiSpecBody.json) sends endpoint.tlsContexts, which the schema lacks. ' + TF +
      ' creates Flex/Omni instances with routing[{upstreams[{weight, uri}]}], deployment{environmentId, type, expectedStatus, targetId, targetName, gatewayVersion}, approvalMethod, endpointUri, endpoint.type and endpoint.tlsContexts, ' +
      'and omits endpoint.uri for them (internal/client/apimanagement/apiinstance.go CreateAPIInstanceRequest, internal/resource/apimanagement/apiinstance.go expandCreateRequest). ' +
      'TF sends technology "flexGateway" on the wire for an Omni gateway (technologyToAPI), so the vendor enum is kept as is.',
    apply(op) {
      const schema = schemaOf(op, 'request');
      const extra = at(schema, 'allOf/1');
      const tls = { type: 'object', properties: { secretGroupId: str, tlsContextId: str } };
      addProperties(extra, {
        approvalMethod: { type: 'string', nullable: true },
        endpointUri: { type: 'string', nullable: true },
        routing: {
          type: 'array',
          items: {
            type: 'object',
            required: ['upstreams'],
            properties: {
              label: str,
              upstreams: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['weight', 'uri'],
                  properties: { id: str, weight: { type: 'integer', minimum: 0, maximum: 100 }, uri: str, label: str, tlsContext: tls },
                },
              },
              rules: {
                type: 'object',
                properties: { methods: str, host: str, path: str, headers: { type: 'object', additionalProperties: str } },
              },
            },
          },
        },
        deployment: {
          type: 'object',
          properties: {
            environmentId: str,
            type: str,
            expectedStatus: str,
            overwrite: bool,
            targetId: str,
            targetName: str,
            gatewayVersion: str,
          },
        },
      });
      const endpoint = at(extra, 'properties/endpoint');
      addProperties(endpoint, {
        type: str,
        tlsContexts: {
          type: 'object',
          nullable: true,
          properties: { inbound: { ...tls, nullable: true }, outbound: { ...tls, nullable: true } },
        },
      });
      endpoint.required = (endpoint.required as string[]).filter((r) => r !== 'uri');
    },
  },
  {
    id: 'apim-contract-body',
    kind: 'fix',
    api: 'anypoint',
    operation: `POST ${APIM_INSTANCE}/contracts`,
    what: 'adds acceptedTerms (boolean), partyId, partyName (strings) to the request schema',
    specLine: 'anypoint/api-manager/apimanager/schemas/contractPOST.json:1',
    why: 'The spec\'s own request example (apimanager/examples/requests/contractThroughApi.json) sends acceptedTerms, partyId and partyName, which the schema lacks.',
    apply(op) {
      addProperties(schemaOf(op, 'request'), { acceptedTerms: bool, partyId: str, partyName: str });
    },
  },
  {
    id: 'apim-policy-body',
    kind: 'fix',
    api: 'anypoint',
    operation: `POST ${APIM_INSTANCE}/policies`,
    what: 'property "order:" renamed "order"; adds disabled (boolean), label (string), upstreamIds (string[])',
    specLine: 'anypoint/api-manager/apimanager/schemas/apiPolicy.json:22',
    why:
      'The schema names the property "order:" (a typo: every policy answer in the same spec has "order"). ' + TF +
      ' applies policies with disabled, label and upstreamIds (internal/client/apimanagement/apipolicy.go CreateAPIPolicyRequest).',
    apply(op) {
      const props = at(schemaOf(op, 'request'), 'properties');
      if (!('order:' in props)) throw new Error('override apim-policy-body: no "order:" (vendor fixed it? drop this part)');
      props.order = props['order:'];
      delete props['order:'];
      addProperties(schemaOf(op, 'request'), { disabled: bool, label: str, upstreamIds: { type: 'array', items: str } });
    },
  },
  {
    id: 'amc-deployment-404',
    kind: 'fix',
    api: 'anypoint',
    operation: 'GET /amc/application-manager/api/v2/organizations/{organizationId}/environments/{environmentId}/deployments/{deploymentId}',
    what: '404 ("Deployment not found") carries an error body, not a deployment: its schema is dropped (the body is not checked, as for the other generic errors)',
    specLine: 'anypoint/amc-application-manager/api.yaml:488 (404 → DeploymentDetailResponse2)',
    why:
      'The 404 answer reuses the deployment schema (with its status enum of deployment states) for a deployment that does not exist: a copy of the 200. ' +
      'No other operation of the spec describes its 404 body as the resource it did not find.',
    apply(op) {
      const r = op.responses['404'];
      if (!r) throw new Error('override amc-deployment-404: the operation has no 404');
      delete r.content;
    },
  },
  {
    id: 'apim-policy-get-one',
    kind: 'fix',
    api: 'anypoint',
    operation: `GET ${APIM_INSTANCE}/policies/{policyId}`,
    what: '200 is one policy object (the list\'s item schema), not an array; the example becomes its first element',
    specLine: 'anypoint/api-manager/api.yaml:555',
    why:
      'The operation reuses the list schema and example (schemas/responses/policies.yaml, an array) for "Retrieves a specific policy". ' + TF +
      ' decodes this answer as one object (internal/client/apimanagement/apipolicy.go doGetPolicy).',
    apply(op) {
      const m = media(op, '200');
      m.schema = structuredClone(at(m.schema, 'items'));
      const ex = m.examples?.Policies;
      if (!Array.isArray(ex) || ex.length === 0) throw new Error('override apim-policy-get-one: example Policies is not a list');
      m.examples = { Policy: ex[0] };
    },
  },
  {
    id: 'apim-contract-get-one',
    kind: 'fix',
    api: 'anypoint',
    operation: `GET ${APIM_INSTANCE}/contracts/{contractId}`,
    what: '200 is one contract object (the list\'s item schema, contracts.items), not the {contracts, total} list; the example becomes the list\'s first contract',
    specLine: 'anypoint/api-manager/api.yaml:921',
    why:
      'The operation reuses the list schema and example (schemas/responses/contracts.yaml) for "Retrieves a specific contract for the API", ' +
      'while PATCH on the same path answers one contract (schemas/responses/contractCreation.yaml): the same resource cannot be both.',
    apply(op) {
      const m = media(op, '200');
      m.schema = structuredClone(at(m.schema, 'properties/contracts/items'));
      const ex = m.examples?.Contracts as { contracts?: unknown[] } | undefined;
      if (!ex || !Array.isArray(ex.contracts) || ex.contracts.length === 0) throw new Error('override apim-contract-get-one: example Contracts has no contracts list');
      m.examples = { Contract: ex.contracts[0] };
    },
  },
  {
    id: 'apim-tier-post-body',
    kind: 'fix',
    api: 'anypoint',
    operation: `POST ${APIM_INSTANCE}/tiers`,
    what: 'request: adds description (string) and limits[].visible (boolean); 201: one tier (the schema and example PUT .../tiers/{tierId} answers with), not the tier list',
    specLine: 'anypoint/api-manager/apimanager/schemas/tierPOST.json:1',
    why:
      'The spec\'s own request example (apimanager/examples/requests/tier.json) sends description and limits[].visible. The 201 reuses the list schema ' +
      '(schemas/responses/tiers.yaml) while PUT on a tier answers one tier; ' + TF + ' sends description and visible and decodes the 201 as one tier (internal/client/apimanagement/slatier.go CreateSLATier).',
    apply(op, ctx) {
      const s = schemaOf(op, 'request');
      addProperties(s, { description: { type: 'string', nullable: true } });
      addProperties(at(s, 'properties/limits/items'), { visible: bool });
      const put = ctx.operation(`PUT ${APIM_INSTANCE}/tiers/{tierId}`);
      op.responses['201'] = structuredClone(put.responses['201']);
    },
  },
  {
    id: 'apim-tier-put-body',
    kind: 'fix',
    api: 'anypoint',
    operation: `PUT ${APIM_INSTANCE}/tiers/{tierId}`,
    what: 'request: adds description (string), autoApprove (boolean) and limits[].visible (boolean)',
    specLine: 'anypoint/api-manager/apimanager/schemas/tierPUT.json:1',
    why: 'The spec\'s own request example (apimanager/examples/requests/tier.json, used for this PUT) sends description, autoApprove and limits[].visible; the PUT schema lacks them (POST has autoApprove).',
    apply(op) {
      const s = schemaOf(op, 'request');
      addProperties(s, { description: { type: 'string', nullable: true }, autoApprove: bool });
      addProperties(at(s, 'properties/limits/items'), { visible: bool });
    },
  },

  // ── proxies (xapi) ───────────────────────────────────────────────────────────────────────
  {
    id: 'px-proxy-templates',
    kind: 'add-operation',
    api: 'anypoint',
    operation: 'GET /apimanager/xapi/proxies/v1/proxy-templates',
    what: 'GET /apimanager/xapi/proxies/v1/proxy-templates?type=rest|http → { data: [{ assetVersion, ... }] } (newest first)',
    specLine: 'anypoint/proxies-xapi/api.yaml:— (absent from every vendor spec)',
    why:
      'Not in any published spec. Public deploy scripts that automate the same proxy set-up call it with type=http or type=rest and read data[0].assetVersion ' +
      'for endpoint.proxyTemplate.assetVersion (shared/specs/anypoint-api.md, "Latest proxy template"). Kept minimal: only what those scripts rely on is required.',
    define(ref) {
      return {
        key: `${ref.method} ${ref.path}`,
        api: 'anypoint',
        spec: ref.spec,
        method: ref.method,
        path: ref.path,
        server: 'https://anypoint.mulesoft.com',
        use: ref.use,
        auth: { required: true, schemes: ['bearer'] },
        parameters: [{ name: 'type', in: 'query', required: false, schema: { type: 'string' } }],
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['data'],
                  properties: {
                    data: {
                      type: 'array',
                      items: { type: 'object', required: ['assetVersion'], properties: { assetId: str, groupId: str, assetVersion: str } },
                    },
                  },
                },
              },
            },
          },
        },
      };
    },
  },

  // ── flex-gateway-manager ─────────────────────────────────────────────────────────────────
  {
    id: 'gw-versions',
    kind: 'add-operation',
    api: 'anypoint',
    operation: 'GET /gatewaymanager/xapi/v1/gateway/versions',
    what: 'GET /gatewaymanager/xapi/v1/gateway/versions → { channels: { lts: { versions: [{ displayName }] }, edge: {...} }, default? } (newest first)',
    specLine: 'anypoint/flex-gateway-manager/api.yaml:— (the experience API is absent from the published spec)',
    why:
      'CreateGateway requires runtimeVersion (flex-gateway-manager/api.yaml CreateGateway.required) but the spec names no way to list valid ones. ' +
      "MuleSoft's Terraform provider reads them from this experience endpoint (internal/client/apimanagement/managedomnigateway.go, " +
      'GetGatewayVersions) and takes channels[<channel>].versions[0].displayName as the newest. Kept to what the provider relies on.',
    define(ref) {
      const channel = { type: 'object', required: ['versions'], properties: { name: str, versions: { type: 'array', items: { type: 'object', required: ['displayName'], properties: { displayName: str } } } } };
      return {
        key: `${ref.method} ${ref.path}`,
        api: 'anypoint',
        spec: ref.spec,
        method: ref.method,
        path: ref.path,
        server: 'https://anypoint.mulesoft.com',
        use: ref.use,
        auth: { required: true, schemes: ['bearer'] },
        parameters: [],
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: { type: 'object', required: ['channels'], properties: { channels: { type: 'object', additionalProperties: channel }, default: str } },
              },
            },
          },
        },
      };
    },
  },

  ...(['GET', 'POST', 'PUT'] as const).map(
    (method): Override => ({
      id: `gw-placeholder-example-${method.toLowerCase()}`,
      kind: 'known-inconsistency',
      api: 'anypoint',
      operation: method === 'POST' ? `POST ${GW}` : `${method} ${GW}/{gatewayId}`,
      what: 'the response example is the placeholder { id: "string", type: "string" }',
      specLine: 'anypoint/flex-gateway-manager/api.yaml (response example of this operation)',
      why: 'A generated placeholder, not an answer: it lacks every property the schema requires (name, status, configuration, ...). Kept as published; do not use it as a fixture.',
      examples: [`${method === 'POST' ? '201' : '200'} application/json example`],
    }),
  ),
  {
    id: 'gw-placeholder-example-list',
    kind: 'known-inconsistency',
    api: 'anypoint',
    operation: `GET ${GW}`,
    what: 'the list example\'s items are the placeholder { id: "string", type: "string" }',
    specLine: 'anypoint/flex-gateway-manager/api.yaml (response example of this operation)',
    why: 'A generated placeholder: items lack name, status, targetId, dateCreated, lastUpdated, which the schema requires.',
    examples: ['200 application/json example'],
  },

  // ── examples that contradict their schema ────────────────────────────────────────────────
  {
    id: 'ex-contract-example-v1',
    kind: 'known-inconsistency',
    api: 'anypoint',
    operation: 'POST /exchange/api/v2/organizations/{masterOrganizationId}/applications/{applicationId}/contracts',
    what: 'the request example is the older CreateContract shape (apiId and environmentId as numbers, productAPIVersion, termsText)',
    specLine: 'anypoint/exchange-experience/examples/client-applications.yaml:264',
    why: 'The operation\'s schema is CreateContractV2 (schemas/client-applications.yaml:233: instanceType, organizationId, groupId, assetId, version, versionGroup, acceptedTerms required; apiId a string). The schema wins.',
    examples: ['request application/json CreateContract'],
  },
  {
    id: 'apim-policy-example-placeholder',
    kind: 'known-inconsistency',
    api: 'anypoint',
    operation: `POST ${APIM_INSTANCE}/policies`,
    what: 'the request example is the placeholder { name: "Example Resource", description: "Example description" }',
    specLine: 'anypoint/api-manager/api.yaml:514',
    why: 'A generated placeholder, no policy: neither field is in the policy schema.',
    examples: ['request application/json example'],
  },

  // ── analytics-event-export ───────────────────────────────────────────────────────────────
  ...(['/analytics/{version}/{organizationId}/environments/{envId}/events', '/analytics/{version}/{organizationId}/events'] as const).map(
    (p, i): Override => ({
      id: `an-events-array-${i === 0 ? 'env' : 'org'}`,
      kind: 'fix',
      api: 'anypoint',
      operation: `GET ${p}`,
      what: '200 body: an array of event objects (format=json) or text (format=csv), not an object',
      specLine: `anypoint/analytics-event-export/api.yaml:${i === 0 ? 320 : 185}`,
      why: 'The schema says `type: object` while the same response\'s example is an array of events; the `format` query parameter (json or csv) selects JSON or CSV text.',
      apply(op) {
        media(op, '200', '*/*').schema = { oneOf: [{ type: 'array', items: { type: 'object' } }, { type: 'string' }] };
      },
    }),
  ),

  // ── heroku ───────────────────────────────────────────────────────────────────────────────
  {
    id: 'heroku-headers',
    kind: 'fix',
    api: 'heroku',
    operation: '*',
    what: 'every Platform API operation: `Authorization: Bearer <token>` and `Accept: application/vnd.heroku+json; version=3` (3.x variants such as version=3.webhooks match) required',
    specLine: 'heroku/platform-api-schema.json:#/links (the hyper-schema describes no headers)',
    why:
      'A hyper-schema has no header or security description. Heroku Dev Center, Platform API Reference ("Clients", "Authentication"): clients send the version in Accept ' +
      '(application/vnd.heroku+json; version=3) and an OAuth bearer token; the add-on partner guide (shared/specs/heroku-addon-api.md) says the same for the add-on token.',
    apply(op) {
      op.auth = { required: true, schemes: ['bearer'] };
      op.parameters.push({ name: 'Accept', in: 'header', required: true, schema: { type: 'string', pattern: '^application/vnd\\.heroku\\+json; ?version=3' } });
    },
  },
  {
    id: 'heroku-domain-hostname',
    kind: 'fix',
    api: 'heroku',
    operation: 'GET /apps/{app_identity}/domains',
    what: 'hostname: `format: uri` dropped (a bare host name)',
    specLine: 'heroku/platform-api-schema.json:#/definitions/domain/definitions/hostname',
    why: 'The schema says format uri while its own example is "subdomain.example.com" (no scheme: not a URI); Heroku answers bare host names (myapp-1a2b3c4d5e6f.herokuapp.com).',
    apply(op) {
      const hostname = at(schemaOf(op, '2XX'), 'items/properties/hostname');
      if (hostname.format !== 'uri') throw new Error('override heroku-domain-hostname: hostname is no longer format uri');
      delete hostname.format;
    },
  },
  {
    id: 'heroku-oauth-token',
    kind: 'add-operation',
    api: 'heroku',
    operation: 'POST /oauth/token',
    what:
      'POST https://id.heroku.com/oauth/token, form-encoded: grant_type authorization_code (code, client_secret) or refresh_token (refresh_token, client_secret) → ' +
      '{ access_token, refresh_token, expires_in, token_type, user_id }',
    specLine: 'heroku/platform-api-schema.json:— (id.heroku.com is not part of the Platform API schema)',
    why:
      'The add-on partner flow exchanges the provisioning grant and refreshes the token here (Heroku Dev Center: Add-on Partner API Reference, "Exchanging the OAuth grant"; ' +
      'shared/specs/heroku-addon-api.md). The Platform API schema only has POST /oauth/tokens (another host, a JSON body).',
    define(ref) {
      return {
        key: `${ref.method} ${ref.path}`,
        api: 'heroku',
        spec: ref.spec,
        method: ref.method,
        path: ref.path,
        server: 'https://id.heroku.com',
        use: ref.use,
        auth: { required: false, schemes: [] },
        parameters: [],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['grant_type', 'client_secret'],
                properties: {
                  grant_type: { type: 'string', enum: ['authorization_code', 'refresh_token'] },
                  code: { type: 'string', minLength: 1 },
                  refresh_token: { type: 'string', minLength: 1 },
                  client_secret: { type: 'string', minLength: 1 },
                },
                additionalProperties: false,
                oneOf: [
                  { properties: { grant_type: { enum: ['authorization_code'] } }, required: ['code'] },
                  { properties: { grant_type: { enum: ['refresh_token'] } }, required: ['refresh_token'] },
                ],
              },
            },
          },
        },
        responses: {
          '200': {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['access_token', 'refresh_token', 'expires_in', 'token_type'],
                  properties: {
                    access_token: { type: 'string' },
                    refresh_token: { type: 'string' },
                    expires_in: { type: 'integer' },
                    token_type: { type: 'string' },
                    user_id: { type: 'string' },
                    session_nonce: { type: ['string', 'null'] },
                  },
                },
              },
            },
          },
        },
      };
    },
  },
];
