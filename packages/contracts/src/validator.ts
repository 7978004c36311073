/**
 * Validates requests and responses against the committed extract (extract/*.json).
 *
 *   const { operation, violations } = validateRequest('anypoint', { method, path, query, headers, contentType, body });
 *   const violations2 = validateResponse('anypoint', operation, { status, contentType, body });
 *
 * Validators are compiled on first use and cached per operation, direction, status and media
 * type: the stand-ins call this on every request.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import AjvDraft04 from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { formatsIn, prepare, type Dialect } from './schema-prep';
import type { Api, Extract, JsonSchema, MediaSpec, OperationSpec, ParameterSpec, ResponseSpec, Violation } from './types';

export interface RequestInput {
  method: string;
  /** Concrete path, no host; a `?query` part is ignored (pass `query`). */
  path: string;
  /** Query as parsed (`req.query`), a URLSearchParams, or a raw `a=1&b=2` string. */
  query?: Record<string, unknown> | URLSearchParams | string;
  /** Header names in any case; values string or string[]. */
  headers?: Record<string, unknown>;
  /** `Content-Type` (parameters like charset are ignored); defaults to headers['content-type']. */
  contentType?: string;
  /**
   * Parsed body: JSON value; for multipart/form-data or urlencoded forms, the fields object
   * (e.g. multer's `req.body` plus the file fields under their field names). `undefined`,
   * `null` and `''` mean "no body".
   */
  body?: unknown;
}

export interface ResponseInput {
  status: number;
  contentType?: string;
  /** Parsed body; `undefined`, `null` or `''` = none. */
  body?: unknown;
}

export interface MatchResult {
  /** The extracted operation, when the path and method match one. */
  operation?: OperationSpec;
  /** The matched path template (extracted or not). */
  template?: string;
  /** Path parameters by name (decoded). */
  params: Record<string, string>;
  /** Methods the vendor spec has on the matched template. */
  methods: string[];
  /** The vendor spec has this method + template, but operations.ts does not list it. */
  notExtracted?: boolean;
}

export interface RequestResult {
  operation?: OperationSpec;
  violations: Violation[];
}

/**
 * Statuses an operation may answer although its spec does not document them: the platform-wide
 * failures every API gives (bad request, auth, not found, conflict with the resource's state,
 * rate limit, server errors); the specs document them unevenly (Exchange's create documents no
 * 409 although a taken GAV answers one). Their bodies are not checked. Any other undocumented
 * status (a 201 where the spec says 200, a 202, a 422) is a violation.
 */
export const GENERIC_ERROR_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 405, 409, 415, 429, 500, 502, 503, 504]);

/**
 * Heroku's Platform API documents its error statuses once for every endpoint (Dev Center, "Platform
 * API Reference", Errors: bad_request 400, unauthorized 401, delinquent 402, forbidden 403,
 * not_found 404, not_acceptable 406, conflict 409, gone 410, invalid_params 422,
 * verification_needed 423, rate_limit 429, internal_server_error 500, service_unavailable 503),
 * while its schema documents none.
 */
export const HEROKU_ERROR_STATUSES: ReadonlySet<number> = new Set([...GENERIC_ERROR_STATUSES, 402, 406, 410, 422, 423]);

const EXTRACT_DIR = path.resolve(__dirname, '..', 'extract');

interface Template {
  path: string;
  segments: Array<{ literal: string } | { regex: RegExp; names: string[] }>;
  /** 'L' per literal segment, 'P' per parameter segment: the smallest wins. */
  rank: string;
}

interface Compiled {
  validate: ValidateFunction;
  /** Parameter validators: the name as the spec spells it, by the name validated (headers are lower-cased). */
  names?: Map<string, string>;
}

interface ApiState {
  extract: Extract;
  dialect: Dialect;
  strict: Ajv2019 | AjvDraft04;
  coercing: Ajv2019 | AjvDraft04;
  templates: Map<number, Template[]>;
  methodsByTemplate: Map<string, Set<string>>;
  opsByKey: Map<string, OperationSpec>;
  cache: Map<string, Compiled | null>;
}

function newAjv(dialect: Dialect, coerce: boolean): Ajv2019 | AjvDraft04 {
  const opts = {
    allErrors: true,
    verbose: true,
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    validateFormats: true,
    coerceTypes: coerce ? ('array' as const) : false,
  };
  const ajv = dialect === 'openapi-3.0' ? new Ajv2019(opts) : new AjvDraft04(opts);
  addFormats(ajv as unknown as Parameters<typeof addFormats>[0]);
  return ajv;
}

function compileTemplate(p: string): Template {
  const parts = p.split('/').slice(1);
  const segments: Template['segments'] = [];
  let rank = '';
  for (const part of parts) {
    if (!part.includes('{')) {
      segments.push({ literal: part });
      rank += 'L';
      continue;
    }
    const names: string[] = [];
    let src = '';
    for (const piece of part.split(/(\{[^}]+\})/)) {
      if (piece.startsWith('{') && piece.endsWith('}')) {
        names.push(piece.slice(1, -1));
        src += '([^/]+)';
      } else src += piece.replace(/[.*+?^$(){}|[\]\\]/g, '\\$&');
    }
    segments.push({ regex: new RegExp(`^${src}$`), names });
    rank += 'P';
  }
  return { path: p, segments, rank };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const bodyAbsent = (b: unknown): boolean => b === undefined || b === null || b === '';
const bodyEmpty = (b: unknown): boolean => bodyAbsent(b) || (isObject(b) && Object.keys(b).length === 0);

function mediaBase(ct: string): string {
  return ct.split(';')[0].trim().toLowerCase();
}

function findMedia(content: Record<string, MediaSpec>, ct: string): string | undefined {
  const base = mediaBase(ct);
  const keys = Object.keys(content);
  const exact = keys.find((k) => mediaBase(k) === base);
  if (exact) return exact;
  const [type] = base.split('/');
  return keys.find((k) => mediaBase(k) === `${type}/*`) ?? keys.find((k) => mediaBase(k) === '*/*');
}

const isForm = (mt: string): boolean => /^(multipart\/form-data|application\/x-www-form-urlencoded)$/i.test(mediaBase(mt));

/** `/endpoint/tlsContexts/0` → `.endpoint.tlsContexts[0]` */
function dotted(pointer: string): string {
  if (!pointer) return '';
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((t) => (/^\d+$/.test(t) ? `[${t}]` : /^[A-Za-z_$][\w$]*$/.test(t) ? `.${t}` : `[${JSON.stringify(t)}]`))
    .join('');
}

/**
 * When a oneOf/anyOf fails, ajv reports the errors of every alternative. Keep those of the
 * closest alternative (fewest errors; the first on a tie): "must have required property
 * 'client_secret'" rather than the complaints of the grant types the caller did not mean.
 */
function closestBranches(errors: ErrorObject[]): ErrorObject[] {
  let keep = errors;
  for (const c of errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')) {
    const prefix = `${c.schemaPath}/`;
    const byBranch = new Map<string, number>();
    for (const e of keep) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const b = e.schemaPath.slice(prefix.length).split('/')[0];
      byBranch.set(b, (byBranch.get(b) ?? 0) + 1);
    }
    if (byBranch.size < 2) continue;
    const best = [...byBranch.entries()].sort((x, y) => x[1] - y[1] || Number(x[0]) - Number(y[0]))[0][0];
    keep = keep.filter((e) => !e.schemaPath.startsWith(prefix) || e.schemaPath.slice(prefix.length).split('/')[0] === best);
  }
  return keep;
}

/** One readable line per ajv error; combinator summaries dropped when their branches explain. */
function describe(all: ErrorObject[]): Array<{ pointer: string; text: string }> {
  const errors = closestBranches(all);
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'allOf'].includes(e.keyword));
  const use = specific.length > 0 ? specific : errors;
  const out: Array<{ pointer: string; text: string }> = [];
  const seen = new Set<string>();
  for (const e of use) {
    let text = e.message ?? e.keyword;
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'unevaluatedProperties') text = `must NOT have property '${String(p.unevaluatedProperty)}' (not in the spec)`;
    else if (e.keyword === 'additionalProperties') text = `must NOT have property '${String(p.additionalProperty)}' (not in the spec)`;
    else if (e.keyword === 'enum') text = `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    else if (e.keyword === 'type' && e.data !== undefined) text = `${text} (got ${e.data === null ? 'null' : Array.isArray(e.data) ? 'array' : typeof e.data})`;
    const key = `${e.instancePath}|${text}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ pointer: e.instancePath, text });
  }
  return out;
}

export class ContractValidator {
  private readonly state = new Map<Api, ApiState>();

  /**
   * @param extracts extracts to use instead of the committed ones (tests rebuild them); an api
   *   not given is read from packages/contracts/extract/<api>.json on first use.
   */
  constructor(private readonly extracts: Partial<Record<Api, Extract>> = {}) {}

  /** The extract of an api (loaded on first use). */
  extract(api: Api): Extract {
    return this.api(api).extract;
  }

  operation(api: Api, key: string): OperationSpec | undefined {
    return this.api(api).opsByKey.get(key);
  }

  private api(api: Api): ApiState {
    let st = this.state.get(api);
    if (st) return st;
    const extract = this.extracts[api] ?? (JSON.parse(readFileSync(path.join(EXTRACT_DIR, `${api}.json`), 'utf8')) as Extract);
    const dialect: Dialect = api === 'anypoint' ? 'openapi-3.0' : 'draft-04';
    const strict = newAjv(dialect, false);
    const coercing = newAjv(dialect, true);
    // Formats the vendors use that ajv-formats does not define are annotations, not checks.
    for (const f of formatsIn(extract.operations)) {
      for (const ajv of [strict, coercing]) if (!ajv.formats[f]) ajv.addFormat(f, true);
    }
    const methodsByTemplate = new Map<string, Set<string>>();
    const opsByKey = new Map<string, OperationSpec>();
    for (const op of Object.values(extract.operations)) {
      opsByKey.set(op.key, op);
      const set = methodsByTemplate.get(op.path) ?? new Set<string>();
      set.add(op.method);
      methodsByTemplate.set(op.path, set);
    }
    for (const [p, methods] of Object.entries(extract.otherPaths)) {
      const set = methodsByTemplate.get(p) ?? new Set<string>();
      for (const m of methods) set.add(m);
      methodsByTemplate.set(p, set);
    }
    const templates = new Map<number, Template[]>();
    for (const p of methodsByTemplate.keys()) {
      const t = compileTemplate(p);
      const list = templates.get(t.segments.length) ?? [];
      list.push(t);
      templates.set(t.segments.length, list);
    }
    for (const list of templates.values()) list.sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.path < b.path ? -1 : 1));
    st = { extract, dialect, strict, coercing, templates, methodsByTemplate, opsByKey, cache: new Map() };
    this.state.set(api, st);
    return st;
  }

  /** Matches a concrete path (no query) against the templates; a literal segment wins over a parameter. */
  matchOperation(api: Api, method: string, concretePath: string): MatchResult {
    const st = this.api(api);
    let p = concretePath.split('?')[0];
    if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    const parts = p.split('/').slice(1);
    const candidates = st.templates.get(parts.length) ?? [];
    for (const t of candidates) {
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = t.segments[i];
        let raw = parts[i];
        try {
          raw = decodeURIComponent(raw);
        } catch {
          // keep it as sent
        }
        if ('literal' in seg) ok = seg.literal === raw;
        else {
          const m = seg.regex.exec(raw);
          if (!m || raw === '') ok = false;
          else seg.names.forEach((n, j) => (params[n] = m[j + 1]));
        }
      }
      if (!ok) continue;
      const methods = [...(st.methodsByTemplate.get(t.path) ?? [])].sort();
      const m = method.toUpperCase();
      const operation = st.opsByKey.get(`${m} ${t.path}`);
      return { operation, template: t.path, params, methods, notExtracted: !operation && methods.includes(m) ? true : undefined };
    }
    return { params: {}, methods: [] };
  }

  validateRequest(api: Api, req: RequestInput): RequestResult {
    const st = this.api(api);
    const method = req.method.toUpperCase();
    const concrete = req.path.split('?')[0];
    const match = this.matchOperation(api, method, concrete);
    const violations: Violation[] = [];
    const op = match.operation;
    if (!op) {
      const where = `${method} ${concrete}`;
      let message: string;
      if (!match.template) message = `${where}: no such path in the ${api} specs`;
      else if (match.notExtracted) message = `${where}: ${method} ${match.template} is in the vendor spec but not in our extract (add it to packages/contracts/src/operations.ts)`;
      else message = `${where}: method ${method} not allowed on ${match.template} (the spec has ${match.methods.join(', ') || 'none'})`;
      violations.push({ api, direction: 'request', operation: where, where: 'operation', message });
      return { violations };
    }
    const v = (where: Violation['where'], text: string, pointer?: string): void => {
      violations.push({ api, direction: 'request', operation: op.key, where, message: `${op.key} ${text}`, ...(pointer !== undefined ? { pointer } : {}) });
    };

    // Path parameters.
    const pathCheck = this.paramValidator(st, op, 'path');
    if (pathCheck) this.checkParams(pathCheck, { ...match.params }, 'path parameter', v, 'path');

    // Query parameters (strings → numbers/booleans/arrays as the spec types them).
    const query = normaliseQuery(req.query ?? (req.path.includes('?') ? req.path.slice(req.path.indexOf('?') + 1) : undefined), op.parameters);
    const queryCheck = this.paramValidator(st, op, 'query');
    if (queryCheck) this.checkParams(queryCheck, query, 'query parameter', v, 'query');

    // Headers (names case-insensitive).
    const headers: Record<string, string> = {};
    for (const [k, val] of Object.entries(req.headers ?? {})) {
      if (val === undefined) continue;
      headers[k.toLowerCase()] = Array.isArray(val) ? val.map(String).join(', ') : String(val);
    }
    const headerCheck = this.paramValidator(st, op, 'header');
    if (headerCheck) this.checkParams(headerCheck, { ...headers }, 'header', v, 'header');
    if (op.auth.required) {
      const auth = headers.authorization;
      if (!auth) v('header', `header: missing required header 'Authorization'${op.auth.schemes.length ? ` (${op.auth.schemes.join(' or ')})` : ''}`);
      else if (op.auth.schemes.length > 0) {
        const scheme = auth.split(/\s+/)[0].toLowerCase();
        if (!op.auth.schemes.includes(scheme)) v('header', `header: Authorization scheme '${auth.split(/\s+/)[0]}' is not ${op.auth.schemes.join(' or ')}`);
      }
    }

    // Content type and body.
    const ct = req.contentType ?? headers['content-type'];
    if (op.requestBody) {
      if (bodyAbsent(req.body)) {
        if (op.requestBody.required) v('body', 'body: required, but there is none');
      } else {
        const types = Object.keys(op.requestBody.content);
        if (!ct) v('content-type', `content-type: missing (the spec takes ${types.join(', ')})`);
        else {
          const mt = findMedia(op.requestBody.content, ct);
          if (!mt) v('content-type', `content-type: '${mediaBase(ct)}' is not accepted (the spec takes ${types.join(', ')})`);
          else {
            const compiled = this.bodyValidator(st, op, 'request', mt, op.requestBody.content[mt]);
            if (compiled) {
              const data = isForm(mt) && isObject(req.body) ? { ...req.body } : req.body;
              if (!compiled.validate(data)) {
                for (const d of describe(compiled.validate.errors ?? [])) v('body', `body${dotted(d.pointer)}: ${d.text}`, d.pointer);
              }
            }
          }
        }
      }
    } else if (!bodyEmpty(req.body)) {
      v('body', 'body: the operation takes no body');
    }
    return { operation: op, violations };
  }

  /** Checks an answer against the operation's documented responses (see GENERIC_ERROR_STATUSES). */
  validateResponse(api: Api, operation: OperationSpec | string, res: ResponseInput): Violation[] {
    const st = this.api(api);
    const op = typeof operation === 'string' ? st.opsByKey.get(operation) : operation;
    if (!op) {
      return [{ api, direction: 'response', operation: String(operation), where: 'operation', message: `${String(operation)}: not an extracted operation` }];
    }
    const violations: Violation[] = [];
    const v = (where: Violation['where'], text: string, pointer?: string): void => {
      violations.push({ api, direction: 'response', operation: op.key, where, message: `${op.key} → ${res.status} ${text}`, ...(pointer !== undefined ? { pointer } : {}) });
    };
    const status = String(res.status);
    const key = op.responses[status] ? status : op.responses[`${status[0]}XX`] ? `${status[0]}XX` : op.responses.default ? 'default' : undefined;
    if (!key) {
      if (!(api === 'heroku' ? HEROKU_ERROR_STATUSES : GENERIC_ERROR_STATUSES).has(res.status)) v('status', `status: not documented (the spec has ${Object.keys(op.responses).join(', ') || 'none'})`);
      return violations;
    }
    const spec: ResponseSpec = op.responses[key];
    const noBodyStatus = res.status === 204 || res.status === 205 || res.status === 304;
    if (noBodyStatus) {
      if (!bodyAbsent(res.body)) v('body', 'body: must be empty');
      return violations;
    }
    if (!spec.content) return violations; // documented without a body description: nothing to check
    const types = Object.keys(spec.content);
    if (bodyAbsent(res.body)) {
      if (Object.values(spec.content).some((m) => m.schema !== undefined)) v('body', `body: missing (the spec describes ${types.join(', ')})`);
      return violations;
    }
    let mt: string | undefined;
    if (res.contentType) {
      mt = findMedia(spec.content, res.contentType);
      if (!mt) {
        v('content-type', `content-type: '${mediaBase(res.contentType)}' is not documented (the spec has ${types.join(', ')})`);
        return violations;
      }
    } else {
      mt = findMedia(spec.content, 'application/json') ?? types[0];
    }
    const compiled = this.bodyValidator(st, op, `response ${key}`, mt, spec.content[mt]);
    if (compiled && !compiled.validate(res.body)) {
      for (const d of describe(compiled.validate.errors ?? [])) v('body', `body${dotted(d.pointer)}: ${d.text}`, d.pointer);
    }
    return violations;
  }

  private checkParams(
    compiled: Compiled,
    data: Record<string, unknown>,
    label: string,
    v: (where: Violation['where'], text: string, pointer?: string) => void,
    where: Violation['where'],
  ): void {
    if (compiled.validate(data)) return;
    for (const e of compiled.validate.errors ?? []) {
      const p = e.params as Record<string, unknown>;
      if (e.keyword === 'required') {
        const missing = String(p.missingProperty);
        v(where, `${where}: missing required ${label} '${compiled.names?.get(missing) ?? missing}'`);
        continue;
      }
      if (e.keyword === 'additionalProperties') {
        v(where, `${where}: unknown ${label} '${String(p.additionalProperty)}' (not in the spec)`);
        continue;
      }
      if (['oneOf', 'anyOf'].includes(e.keyword) && (compiled.validate.errors ?? []).length > 1) continue;
      const tokens = e.instancePath.split('/').slice(1);
      const key = (tokens[0] ?? '').replace(/~1/g, '/').replace(/~0/g, '~');
      const rest = tokens.length > 1 ? dotted(`/${tokens.slice(1).join('/')}`) : '';
      const [d] = describe([e]);
      v(where, `${label} '${compiled.names?.get(key) ?? key}'${rest}: ${d.text}`, e.instancePath);
    }
  }

  /** Object schema over one parameter location (closed for query: unknown names are violations). */
  private paramValidator(st: ApiState, op: OperationSpec, loc: ParameterSpec['in']): Compiled | null {
    const cacheKey = `${op.key}|param|${loc}`;
    const hit = st.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const params = expandParams(op.parameters.filter((p) => p.in === loc));
    let compiled: Compiled | null = null;
    if (params.length > 0 || loc === 'query') {
      const properties: Record<string, JsonSchema> = {};
      const required: string[] = [];
      const names = new Map<string, string>();
      for (const p of params) {
        const name = loc === 'header' ? p.name.toLowerCase() : p.name;
        names.set(name, p.name);
        properties[name] = prepare(p.schema, { dialect: st.dialect, direction: 'request', closed: false, form: false });
        if (p.required) required.push(name);
      }
      const schema: Record<string, unknown> = { type: 'object', properties };
      if (required.length > 0) schema.required = required;
      if (loc === 'query') schema.additionalProperties = false;
      compiled = { validate: st.coercing.compile(schema), names };
    }
    st.cache.set(cacheKey, compiled);
    return compiled;
  }

  private bodyValidator(st: ApiState, op: OperationSpec, direction: string, mt: string, media: MediaSpec): Compiled | null {
    const cacheKey = `${op.key}|${direction}|${mt}`;
    const hit = st.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    let compiled: Compiled | null = null;
    if (media.schema !== undefined) {
      const request = direction === 'request';
      const form = request && isForm(mt);
      const schema = prepare(media.schema, { dialect: st.dialect, direction: request ? 'request' : 'response', closed: request, form });
      try {
        compiled = { validate: (form ? st.coercing : st.strict).compile(schema as object) };
      } catch (err) {
        throw new Error(`${op.key} ${direction} ${mt}: schema does not compile: ${(err as Error).message}`);
      }
    }
    st.cache.set(cacheKey, compiled);
    return compiled;
  }

  /** Compiles every schema of every operation (a test: the extract is usable as a whole). */
  compileAll(api: Api): number {
    const st = this.api(api);
    let n = 0;
    for (const op of Object.values(st.extract.operations)) {
      for (const loc of ['path', 'query', 'header'] as const) if (this.paramValidator(st, op, loc)) n++;
      for (const [mt, media] of Object.entries(op.requestBody?.content ?? {})) if (this.bodyValidator(st, op, 'request', mt, media)) n++;
      for (const [status, r] of Object.entries(op.responses)) {
        for (const [mt, media] of Object.entries(r.content ?? {})) if (this.bodyValidator(st, op, `response ${status}`, mt, media)) n++;
      }
    }
    return n;
  }
}

/**
 * OpenAPI `style: form, explode: true` (the query default) serialises an object parameter as
 * its properties: `deploymentQuery: {limit, offset}` arrives as `?limit=&offset=`.
 */
function expandParams(params: ParameterSpec[]): ParameterSpec[] {
  const out: ParameterSpec[] = [];
  for (const p of params) {
    const s = p.schema;
    const exploded = p.in === 'query' && (p.style ?? 'form') === 'form' && p.explode !== false;
    if (exploded && isObject(s) && (s.type === 'object' || isObject(s.properties)) && isObject(s.properties)) {
      const req = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
      for (const [name, sub] of Object.entries(s.properties)) {
        out.push({ name, in: 'query', required: p.required && req.has(name), schema: sub as JsonSchema });
      }
    } else out.push(p);
  }
  return out;
}

/** Query input → `{ name: string | string[] }`; `explode: false` arrays split on commas. */
function normaliseQuery(query: RequestInput['query'], params: ParameterSpec[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const add = (k: string, val: string): void => {
    const cur = out[k];
    if (cur === undefined) out[k] = val;
    else out[k] = Array.isArray(cur) ? [...cur, val] : [cur, val];
  };
  if (query === undefined) return out;
  if (typeof query === 'string' || query instanceof URLSearchParams) {
    for (const [k, val] of new URLSearchParams(query)) add(k, val);
  } else {
    for (const [k, val] of Object.entries(query)) {
      if (val === undefined) continue;
      if (Array.isArray(val)) for (const x of val) add(k, typeof x === 'string' ? x : JSON.stringify(x));
      else out[k] = typeof val === 'string' ? val : typeof val === 'object' && val !== null ? val : String(val);
    }
  }
  for (const p of params) {
    if (p.in !== 'query' || p.explode !== false) continue;
    const s = p.schema;
    if (isObject(s) && s.type === 'array' && typeof out[p.name] === 'string') out[p.name] = (out[p.name] as string).split(',');
  }
  return out;
}

let shared: ContractValidator | undefined;

/** The validator over the committed extract (one per process). */
export function contracts(): ContractValidator {
  shared ??= new ContractValidator();
  return shared;
}

export function matchOperation(api: Api, method: string, concretePath: string): MatchResult {
  return contracts().matchOperation(api, method, concretePath);
}

export function validateRequest(api: Api, req: RequestInput): RequestResult {
  return contracts().validateRequest(api, req);
}

export function validateResponse(api: Api, operation: OperationSpec | string, res: ResponseInput): Violation[] {
  return contracts().validateResponse(api, operation, res);
}
