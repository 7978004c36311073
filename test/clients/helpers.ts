import type { ClientRequest } from 'node:http';
import busboy from 'busboy';
import nock from 'nock';
import { OVERRIDES, ViolationLog, contracts, matchOperation, matches, validateRequest, validateResponse, type Api, type ViolationMatcher } from '@aag/contracts';
import type { AnypointClientConfig } from '../../src/clients/anypoint';

export const ANYPOINT = 'https://anypoint.test';
export const HEROKU_API = 'https://api.heroku.test';
export const HEROKU_ID = 'https://id.heroku.test';

/** Ids shaped as the platform's (API Manager and Exchange take the org id as a UUID). */
export const ORG = '70b3f7cb-614c-4276-b0cd-4f73db11602c';
export const ENV = 'b0f02fea-b5e9-4bf1-aef8-a2d4027eca5d';
export const CLIENT_SECRET = 'anypoint-client-secret-s3cr3t';
export const TOKEN = 'anypoint-token-AAAAAAAAAAAA';

export const anypointCfg: AnypointClientConfig = {
  ANYPOINT_BASE_URL: ANYPOINT,
  ANYPOINT_CLIENT_ID: 'client-id-1',
  ANYPOINT_CLIENT_SECRET: CLIENT_SECRET,
  ANYPOINT_ENVIRONMENT: 'Sandbox',
  ANYPOINT_PROXY_TEMPLATE_VERSION: '2.0.0',
  HTTP_TIMEOUT_MS: 2_000,
  HTTP_MAX_TRIES: 4,
  HTTP_BACKOFF_BASE_MS: 100,
  HTTP_BACKOFF_MAX_MS: 5_000,
};

/** A sleep that records the delays it was asked for and returns at once. */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

// ── the vendor contract over every interceptor ─────────────────────────────────────────────────
//
// `contractNock(base)` is `nock(base)` for a vendor host: every request a client sends to one of
// its interceptors is validated against the vendor's request spec of that operation (path,
// method, query, required headers, body; a multipart body as its form fields), and every answer a
// test defines (static `.reply(status, body)` or a reply function) against the response spec.
// Violations go to `contractLog`; after each test (setupNock) an unexpected one fails the test
// with its message. A fixture that is malformed on purpose (robustness of a client) says so with
// `expectViolation(...)`, and that expectation must be met.

const VENDOR_HOSTS: Record<string, Api> = { [ANYPOINT]: 'anypoint', [HEROKU_API]: 'heroku', [HEROKU_ID]: 'heroku' };

/** The violations of the current test file (cleared after each test). */
export const contractLog = new ViolationLog();
/** Multipart bodies being parsed (busboy is a stream). */
const pending: Promise<void>[] = [];
/** Expectations of the current test, each of which must have matched a violation. */
const declared: ViolationMatcher[] = [];

/**
 * Declares a violation the test causes on purpose (a malformed fixture answer, a wrong request in
 * the test that proves the check bites). The test fails if it does not happen.
 */
export function expectViolation(matcher: ViolationMatcher, times = 1): void {
  contractLog.expect(matcher, times);
  declared.push(matcher);
}

/** Waits until every intercepted request is checked (multipart parsing is asynchronous). */
export async function settleContracts(): Promise<void> {
  while (pending.length) await Promise.all(pending.splice(0));
}

type Interceptor = nock.Interceptor & {
  statusCode: number | null;
  body?: unknown;
  headers?: Record<string, string>;
  errorMessage?: unknown;
  fullReplyFunction?: unknown;
  replyFunction?: unknown;
  req?: InterceptedRequest;
};
type InterceptedRequest = ClientRequest & { headers: Record<string, string | string[] | number | undefined> };
type ReplyArgs = [status?: unknown, body?: unknown, headers?: unknown];

const header = (h: Record<string, unknown> | undefined, name: string): string | undefined => {
  if (!h) return undefined;
  const hit = Object.entries(h).find(([k]) => k.toLowerCase() === name);
  return hit === undefined ? undefined : String(hit[1]);
};

function parseJsonish(body: unknown): unknown {
  if (typeof body !== 'string' || body === '') return body === '' ? undefined : body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** The fields of a multipart/form-data body (files under their field name, valued by their file name). */
export function multipartFields(headers: InterceptedRequest['headers'], raw: string): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const bb = busboy({ headers });
    bb.on('field', (name, value) => (fields[name] = value));
    bb.on('file', (name, stream, info) => {
      fields[name] = info.filename ?? 'file';
      stream.resume();
    });
    bb.on('close', () => resolve(fields));
    bb.on('error', reject);
    bb.end(Buffer.from(raw, 'utf8'));
  });
}

function checkRequest(api: Api, req: InterceptedRequest, raw: string): void {
  const contentType = header(req.headers, 'content-type');
  const url = new URL(req.path, 'http://vendor');
  const validate = (body: unknown) =>
    contractLog.record(
      validateRequest(api, { method: req.method, path: url.pathname, query: url.search.slice(1), headers: req.headers, contentType, body }).violations,
    );
  if (!raw) return validate(undefined);
  if (/^multipart\/form-data/i.test(contentType ?? '')) {
    pending.push(
      multipartFields(req.headers, raw).then(validate, (err: Error) =>
        contractLog.record({ api, direction: 'request', operation: `${req.method} ${url.pathname}`, where: 'body', message: `multipart body does not parse: ${err.message}` }),
      ),
    );
    return;
  }
  if (/^application\/x-www-form-urlencoded/i.test(contentType ?? '')) return validate(Object.fromEntries(new URLSearchParams(raw)));
  validate(parseJsonish(raw));
}

function checkResponse(api: Api, req: InterceptedRequest | undefined, status: number, body: unknown, headers: unknown): void {
  if (!req) return;
  const url = new URL(req.path, 'http://vendor');
  const operation = matchOperation(api, req.method, url.pathname).operation;
  if (!operation) return; // the request is already recorded as a violation
  const flat = headers && typeof headers === 'object' && !Array.isArray(headers) && !(headers instanceof Map) ? (headers as Record<string, unknown>) : undefined;
  const contentType = header(flat, 'content-type');
  const parsed = Buffer.isBuffer(body) ? parseJsonish(body.toString('utf8')) : parseJsonish(body);
  contractLog.record(validateResponse(api, operation, { status, contentType, body: parsed }));
}

/** Reply functions return their answer when called: check it then. */
function wrapReply(api: Api, ic: Interceptor): void {
  const reply = ic.reply.bind(ic) as (...args: unknown[]) => nock.Scope;
  (ic as { reply: unknown }).reply = (...args: ReplyArgs): nock.Scope => {
    const [first, second] = args;
    if (typeof first === 'function') {
      const fn = first as (this: Interceptor, uri: string, body: unknown, cb?: unknown) => unknown;
      const call = (self: Interceptor, uri: string, body: unknown): Promise<unknown> =>
        fn.length === 3 ? new Promise((ok, ko) => fn.call(self, uri, body, (e: unknown, r: unknown) => (e ? ko(e) : ok(r)))) : Promise.resolve(fn.call(self, uri, body));
      return reply(function (this: Interceptor, uri: string, body: unknown) {
        return call(this, uri, body).then((out) => {
          const [status, resBody, resHeaders] = out as ReplyArgs;
          checkResponse(api, this.req, Number(status), resBody, resHeaders);
          return out;
        });
      });
    }
    if (typeof second === 'function') {
      const fn = second as (this: Interceptor, uri: string, body: unknown) => unknown;
      return reply(
        first,
        function (this: Interceptor, uri: string, body: unknown) {
          return Promise.resolve(fn.call(this, uri, body)).then((out) => {
            checkResponse(api, this.req, Number(first ?? 200), out, args[2]);
            return out;
          });
        },
        args[2],
      );
    }
    return reply(...args);
  };
}

/** `nock(base, options)` for a vendor host, every request and fixture answer checked against the vendor's spec. */
export function contractNock(base: string, options?: nock.Options): nock.Scope {
  const api = VENDOR_HOSTS[base];
  if (!api) throw new Error(`contractNock: ${base} is not a vendor host of these tests (${Object.keys(VENDOR_HOSTS).join(', ')})`);
  const scope = nock(base, options);
  const intercept = (scope as unknown as { intercept: (...a: unknown[]) => Interceptor }).intercept.bind(scope);
  (scope as unknown as { intercept: unknown }).intercept = (...a: unknown[]) => {
    const ic = intercept(...a);
    wrapReply(api, ic);
    return ic;
  };
  scope.on('request', (req: InterceptedRequest, ic: Interceptor, raw: string) => {
    checkRequest(api, req, raw);
    // a static answer (reply functions are checked when they return; an error is no answer)
    if (ic.errorMessage === undefined && !ic.fullReplyFunction && !ic.replyFunction) checkResponse(api, req, ic.statusCode ?? 200, ic.body, ic.headers);
  });
  return scope;
}

/**
 * What the current test did against the contract: every violation no test expected and every
 * expectation that did not happen, one message each. Forgets them (setupNock fails a test on any).
 */
export async function contractProblems(): Promise<string[]> {
  await settleContracts();
  const all = contractLog.all();
  const unexpected = contractLog.unexpected();
  const unmet = declared.filter((m) => !all.some((v) => v.expected && matches(m, v)));
  contractLog.clear();
  declared.length = 0;
  const show = (m: ViolationMatcher) => (typeof m === 'function' ? m.toString() : JSON.stringify(m, (_k, v: unknown) => (v instanceof RegExp ? String(v) : v)));
  return [...unexpected.map((v) => ViolationLog.format([v])), ...unmet.map((m) => `expected violation did not happen: ${show(m)}`)];
}

/** Vendor examples that contradict their own schema (overrides.ts): never fixtures. */
const INCONSISTENT = new Set(OVERRIDES.flatMap((o) => (o.kind === 'known-inconsistency' ? o.examples.map((e) => `${o.api} ${o.operation} ${e}`) : [])));

/**
 * A vendor example of an operation's answer, as a fresh copy to adjust (`@aag/contracts` keeps
 * the examples of the specs; those overrides.ts lists as contradicting their schema are refused).
 * `path` is concrete or the template.
 */
export function vendorExample<T = Record<string, unknown>>(api: Api, method: string, path: string, status = 200, name?: string): T {
  const op = matchOperation(api, method, path).operation ?? contracts().operation(api, `${method} ${path}`);
  if (!op) throw new Error(`vendorExample: no ${api} operation ${method} ${path}`);
  for (const [mt, media] of Object.entries(op.responses[String(status)]?.content ?? {})) {
    for (const [n, value] of Object.entries(media.examples ?? {})) {
      if (name !== undefined && n !== name) continue;
      if (INCONSISTENT.has(`${api} ${op.key} ${status} ${mt} ${n}`)) continue;
      return structuredClone(value) as T;
    }
  }
  throw new Error(`vendorExample: ${op.key} → ${status} has no usable example${name ? ` named ${name}` : ''}`);
}

// ── Anypoint context ───────────────────────────────────────────────────────────────────────────

/** An environment as the accounts API lists it (the vendor example, with our ids). */
export function environmentItem(id: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const [sample] = vendorExample<{ data: Record<string, unknown>[] }>('anypoint', 'GET', `/accounts/api/organizations/${ORG}/environments`).data;
  return { ...sample, id, name, organizationId: ORG, isProduction: false, type: 'sandbox', ...extra };
}

/** `/accounts/api/me` for a connected app of ORG (the vendor example, `client.org_id` set). */
export function meAnswer(orgId = ORG): Record<string, unknown> {
  const me = vendorExample<{ client: Record<string, unknown> }>('anypoint', 'GET', '/accounts/api/me');
  return { ...me, client: { ...me.client, org_id: orgId } };
}

/** The environment lookup the clients send: by name, up to 500 at once. */
export const envQuery = (name: string) => ({ name, limit: '500', offset: '0' });

/** Token, /me and the environment (looked up by name), each answered once. */
export function mockAnypointContext(opts: { token?: string; envName?: string } = {}): nock.Scope {
  return contractNock(ANYPOINT)
    .post('/accounts/api/v2/oauth2/token')
    .reply(200, { access_token: opts.token ?? TOKEN, token_type: 'bearer', expires_in: 3600 })
    .get('/accounts/api/me')
    .reply(200, meAnswer())
    .get(`/accounts/api/organizations/${ORG}/environments`)
    .query(envQuery(anypointCfg.ANYPOINT_ENVIRONMENT))
    .reply(200, { data: [environmentItem(ENV, opts.envName ?? 'Sandbox')], total: 1 });
}

export function setupNock(): void {
  beforeAll(() => {
    // Each test file gets its own nock module; make sure it is the one intercepting.
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });
  afterEach(async () => {
    nock.cleanAll();
    const problems = await contractProblems();
    if (problems.length) throw new Error(`vendor contract (see test/clients/helpers.ts):\n${problems.join('\n')}`);
  });
  afterAll(() => {
    nock.enableNetConnect();
    // Leave no interceptor behind for the next test file in this worker.
    nock.restore();
  });
}

// ── Heroku ─────────────────────────────────────────────────────────────────────────────────────

export const HEROKU_APP_ID = '6f1d2a4e-3c5b-4e7a-9f80-1b2c3d4e5f60';

/** An add-on as the Platform API describes it (every property its schema requires). */
export function herokuAddon(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    actions: [],
    addon_service: { id: '2f1f2b3c-4d5e-4f60-8a1b-2c3d4e5f6a7b', name: 'anypoint-api-gateway' },
    app: { id: HEROKU_APP_ID, name: 'myapp' },
    billed_price: { cents: 0, contract: false, unit: 'month' },
    billing_entity: { id: HEROKU_APP_ID, name: 'myapp', type: 'app' },
    config_vars: ['ANYPOINT_API_GATEWAY_URL'],
    created_at: '2026-03-01T12:00:00Z',
    id,
    name: 'acme-gateway',
    plan: { id: '3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d', name: 'anypoint-api-gateway:test' },
    provider_id: 'aag-provider-id',
    state: 'provisioning',
    updated_at: '2026-03-01T12:00:00Z',
    web_url: null,
    ...extra,
  };
}

/** A transport error as Node raises it (nock 14 needs an Error instance, not a plain object). */
export function netError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}
