import { Router } from 'express';
import { z } from 'zod';
import { messageResponseSchema, planChangeBodySchema, provisionBodySchema, provisionResponseSchema, ssoFormSchema } from './schemas';

/**
 * OpenAPI 3.1 description of the endpoints Heroku calls (provision, plan change, deprovision, SSO)
 * and the health checks, generated from the same zod schemas the routes validate with (zod 4's
 * `z.toJSONSchema`), so the document cannot drift from what the routes accept.
 */

type JsonSchema = Record<string, unknown>;

/** JSON Schema patterns carry no flags: spell a case-insensitive regex out (`a-f` → `a-fA-F`, `x` → `[xX]`). */
export function caseInsensitivePattern(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      out += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += c;
        continue;
      }
      // a letter range a-f → a-fA-F; a single letter x → xX
      if (/[a-z]/i.test(c) && source[i + 1] === '-' && /[a-z]/i.test(source[i + 2] ?? '')) {
        const range = `${c}-${source[i + 2]}`;
        const other = c === c.toLowerCase() ? range.toUpperCase() : range.toLowerCase();
        out += range + other;
        i += 2;
        continue;
      }
      out += /[a-z]/i.test(c) ? c + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // keep a leading ^ (negation) in place
      if (source[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    out += /[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c;
  }
  return out;
}

/** The request-side JSON Schema of a zod schema (defaults make a field optional), as OpenAPI 3.1 embeds it. */
export function requestSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      type Check = { _zod?: { def?: { check?: string; pattern?: unknown } } };
      const checks = (ctx.zodSchema as unknown as { _zod?: { def?: { checks?: Check[] } } })._zod?.def?.checks ?? [];
      const patterns = checks.map((c) => c._zod?.def?.pattern).filter((p): p is RegExp => p instanceof RegExp);
      const js = ctx.jsonSchema as JsonSchema;
      if (patterns.length === 1 && patterns[0].flags.includes('i') && typeof js.pattern === 'string') {
        js.pattern = caseInsensitivePattern(patterns[0].source);
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}

export function responseSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const messageBody = (description: string) => ({ description, content: { 'application/json': { schema: ref('Message') } } });

const ERRORS = {
  400: messageBody('The body is not a JSON object or not valid JSON.'),
  401: { ...messageBody('Missing or wrong Basic credentials (ADDON_ID:ADDON_PASSWORD).'), headers: { 'WWW-Authenticate': { schema: { type: 'string' } } } },
  404: messageBody('No add-on with this id.'),
  409: messageBody('The add-on exists with a different plan (a provision that conflicts with the record).'),
  410: messageBody('The add-on was removed (or failed) and cannot be changed or provisioned again.'),
  413: messageBody('The request body is larger than 64 kB.'),
  422: messageBody('The body does not match the schema, or names an unknown plan or region.'),
  503: {
    ...messageBody('The data store is unreachable; Heroku retries.'),
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } },
  },
} as const;

const pick = <K extends keyof typeof ERRORS>(...codes: K[]) => Object.fromEntries(codes.map((c) => [String(c), ERRORS[c]]));

const heroJson = ['application/json', 'application/vnd.heroku-addons+json'];
const jsonBodyOf = (schema: string) => ({ required: true, content: Object.fromEntries(heroJson.map((t) => [t, { schema: ref(schema) }])) });

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The add-on uuid Heroku gave at provision.',
  schema: { type: 'string', format: 'uuid' },
};

export interface OpenApiOptions {
  /** Public base URL of the service (PUBLIC_URL); the document's `servers` entry. */
  publicUrl?: string;
  version?: string;
}

export function buildOpenApi(opts: OpenApiOptions = {}): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: {
      title: 'anypoint-api-gateway — Heroku Add-on Partner API',
      version: opts.version ?? '0.1.0',
      description:
        'The endpoints Heroku calls for the anypoint-api-gateway add-on (Add-on Partner API v3, SSO) and the health checks. ' +
        'Provisioning is asynchronous: 202 now, then the add-on is reported provisioned to Heroku when its proxy answers.',
    },
    ...(opts.publicUrl ? { servers: [{ url: opts.publicUrl.replace(/\/+$/, '') }] } : {}),
    components: {
      securitySchemes: {
        herokuBasic: { type: 'http', scheme: 'basic', description: 'Heroku sends the manifest id and password (ADDON_ID:ADDON_PASSWORD).' },
      },
      schemas: {
        ProvisionRequest: requestSchema(provisionBodySchema),
        ProvisionResponse: responseSchema(provisionResponseSchema),
        PlanChangeRequest: requestSchema(planChangeBodySchema),
        SsoForm: requestSchema(ssoFormSchema),
        Message: responseSchema(messageResponseSchema),
      },
    },
    paths: {
      '/heroku/resources': {
        post: {
          operationId: 'provision',
          summary: 'Provision an add-on (asynchronous)',
          security: [{ herokuBasic: [] }],
          requestBody: jsonBodyOf('ProvisionRequest'),
          responses: {
            '202': { description: 'Accepted: the record is written and the provision job queued. Repeating the call is harmless.', content: { 'application/json': { schema: ref('ProvisionResponse') } } },
            ...pick(400, 401, 409, 410, 413, 422, 503),
          },
        },
      },
      '/heroku/resources/{id}': {
        parameters: [idParam],
        put: {
          operationId: 'changePlan',
          summary: 'Change the plan (the rate-limit policy is rewritten in place)',
          security: [{ herokuBasic: [] }],
          requestBody: jsonBodyOf('PlanChangeRequest'),
          responses: {
            '200': { description: 'Plan changed (or already on that plan).', content: { 'application/json': { schema: ref('Message') } } },
            ...pick(400, 401, 404, 410, 413, 422, 503),
          },
        },
        delete: {
          operationId: 'deprovision',
          summary: 'Deprovision an add-on (asynchronous; idempotent)',
          security: [{ herokuBasic: [] }],
          responses: { '204': { description: 'Accepted; everything the add-on made is removed in the background.' }, ...pick(401, 404, 503) },
        },
      },
      '/heroku/webhooks/{id}': {
        parameters: [idParam],
        post: {
          operationId: 'herokuWebhook',
          summary: "Heroku's add-on webhook deliveries (api:app, api:domain, api:addon-attachment): the app is followed",
          description:
            'Authenticated by the add-on\'s own Authorization value and Heroku-Webhook-Hmac-SHA256 (base64 HMAC-SHA256 of the raw body), both checked in constant time. ' +
            'Each event id is taken once; a repeat answers 204 and does nothing. An unknown or removed add-on answers 204 (so Heroku stops retrying).',
          security: [],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['id', 'action', 'resource', 'data'] } } } },
          responses: {
            '204': { description: 'Taken (or a repeat, or for an add-on we do not serve): nothing more to send.' },
            '401': messageBody('The Authorization value or the signature is not the add-on\'s: nothing was written.'),
            ...pick(400, 413, 503),
          },
        },
      },
      '/sso/login': {
        post: {
          operationId: 'ssoLogin',
          summary: 'Single sign-on from the Heroku dashboard (form post)',
          security: [],
          requestBody: { required: true, content: { 'application/x-www-form-urlencoded': { schema: ref('SsoForm') } } },
          responses: ssoResponses(),
        },
      },
      '/healthz': {
        get: {
          operationId: 'healthz',
          summary: 'Liveness: the process answers',
          security: [],
          responses: { '200': { description: 'Alive.', content: { 'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } }, required: ['status'] } } } } },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Readiness: Redis answers and the workers make progress',
          security: [],
          responses: {
            '200': { description: 'Ready.', content: { 'application/json': { schema: readySchema() } } },
            '503': { description: 'Not ready; `reason` says why (Redis unreachable, or jobs waiting with no worker progress).', content: { 'application/json': { schema: readySchema() } } },
          },
        },
      },
    },
  };
}

function ssoResponses() {
  return {
    '302': { description: 'Signed in: a session cookie is set and the browser goes to /dashboard/{id}.', headers: { Location: { schema: { type: 'string' } } } },
    '400': ERRORS[400],
    '403': messageBody('The token or timestamp is wrong or expired, or the sign-on was already used (each token signs in once).'),
    '404': ERRORS[404],
    '413': ERRORS[413],
    '503': ERRORS[503],
  };
}

function readySchema() {
  return {
    type: 'object',
    properties: {
      status: { enum: ['ok', 'unavailable'] },
      ok: { type: 'boolean' },
      reason: { type: 'string' },
      redis: { enum: ['up', 'down'] },
    },
    required: ['status'],
  };
}

/** `GET /openapi.json`, unauthenticated (it describes, it holds nothing secret). */
export function openApiRoutes(opts: OpenApiOptions = {}): Router {
  const doc = JSON.stringify(buildOpenApi(opts));
  const r = Router();
  r.get('/openapi.json', (_req, res) => {
    res.type('application/json').setHeader('Cache-Control', 'public, max-age=300');
    res.send(doc);
  });
  return r;
}
