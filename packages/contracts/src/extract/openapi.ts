/** Extraction of operations from one MuleSoft OpenAPI 3.0 spec (anypoint/<folder>/api.yaml). */
import * as path from 'node:path';
import type { AuthSpec, HttpMethod, JsonSchema, MediaSpec, OperationSpec, ParameterSpec, ResponseSpec } from '../types';
import type { OperationRef } from '../operations';
import { mediaExamples, type ExampleNotes } from './examples';
import { copySchema, type SchemaContext } from './schema';
import { atPointer, type VendorFiles } from './vendor-files';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export class OpenApiSpec {
  readonly file: string;
  readonly doc: Record<string, unknown>;
  /** Path of the first server URL (`/apimanager/api/v1`), templates kept. */
  readonly basePath: string;
  readonly server: string;
  readonly serverVariables: Record<string, { default?: string; enum?: string[] }>;

  constructor(
    private readonly files: VendorFiles,
    readonly folder: string,
  ) {
    this.file = path.join(files.root, 'anypoint', folder, 'api.yaml');
    const doc = files.load(this.file);
    if (!isObject(doc) || !isObject(doc.paths)) throw new Error(`${folder}/api.yaml has no paths`);
    this.doc = doc;
    const servers = Array.isArray(doc.servers) ? doc.servers : [];
    const first = servers[0];
    if (!isObject(first) || typeof first.url !== 'string') throw new Error(`${folder}/api.yaml has no server`);
    this.server = first.url;
    const m = /^[a-z]+:\/\/[^/]+(\/.*)?$/i.exec(first.url);
    this.basePath = (m?.[1] ?? '').replace(/\/$/, '');
    this.serverVariables = isObject(first.variables) ? (first.variables as OpenApiSpec['serverVariables']) : {};
  }

  /** Every (full path, method) of the spec. */
  allOperations(): Array<{ path: string; method: HttpMethod }> {
    const out: Array<{ path: string; method: HttpMethod }> = [];
    for (const [p, item] of Object.entries(this.doc.paths as Record<string, unknown>)) {
      if (!isObject(item)) continue;
      for (const m of METHODS) if (isObject(item[m])) out.push({ path: this.basePath + p, method: m.toUpperCase() as HttpMethod });
    }
    return out;
  }

  has(ref: OperationRef): boolean {
    const item = this.pathItem(ref.path);
    return item !== undefined && isObject(item[ref.method.toLowerCase()]);
  }

  private pathItem(fullPath: string): Record<string, unknown> | undefined {
    if (!fullPath.startsWith(this.basePath)) return undefined;
    const item = (this.doc.paths as Record<string, unknown>)[fullPath.slice(this.basePath.length)];
    return isObject(item) ? item : undefined;
  }

  /** A `$ref`-ed component (parameter, request body, response) and the file it lives in. */
  private deref(node: unknown, file: string): { node: Record<string, unknown>; file: string } {
    let cur = node;
    let curFile = file;
    for (let i = 0; isObject(cur) && typeof cur.$ref === 'string'; i++) {
      if (i > 20) throw new Error(`$ref chain too long in ${this.folder}`);
      const ref = cur.$ref;
      const hash = ref.indexOf('#');
      const filePart = hash === -1 ? ref : ref.slice(0, hash);
      const target = filePart === '' ? curFile : path.resolve(path.dirname(curFile), filePart);
      cur = atPointer(this.files.load(target), hash === -1 ? '' : ref.slice(hash + 1), this.files.rel(target));
      curFile = target;
    }
    if (!isObject(cur)) throw new Error(`not an object behind a $ref in ${this.folder}`);
    return { node: cur, file: curFile };
  }

  extract(ref: OperationRef, sctx: SchemaContext, notes: ExampleNotes): OperationSpec {
    const item = this.pathItem(ref.path);
    const op = item?.[ref.method.toLowerCase()];
    if (!item || !isObject(op)) throw new Error(`${ref.method} ${ref.path} is not in ${this.folder}/api.yaml`);
    const where = `${ref.method} ${ref.path}`;
    const schema = (node: unknown, file: string): JsonSchema => copySchema(sctx, node, file) as JsonSchema;

    // Parameters: path-item level, then operation level (which wins on the same name + in).
    const params = new Map<string, ParameterSpec>();
    for (const list of [item.parameters, op.parameters]) {
      if (!Array.isArray(list)) continue;
      for (const raw of list) {
        const { node: p, file } = this.deref(raw, this.file);
        const name = String(p.name);
        const loc = String(p.in) as ParameterSpec['in'];
        let s: JsonSchema = {};
        if (p.schema !== undefined) s = schema(p.schema, file);
        else if (isObject(p.content)) {
          const media = Object.values(p.content)[0];
          if (isObject(media) && media.schema !== undefined) s = schema(media.schema, file);
        }
        const spec: ParameterSpec = { name, in: loc, required: loc === 'path' ? true : p.required === true, schema: s };
        if (typeof p.style === 'string') spec.style = p.style;
        if (typeof p.explode === 'boolean') spec.explode = p.explode;
        // OpenAPI: Accept, Content-Type and Authorization header parameters are ignored (the
        // media types and security say it); the extract keeps them out too.
        if (loc === 'header' && ['accept', 'content-type', 'authorization'].includes(name.toLowerCase())) continue;
        params.set(`${loc}:${loc === 'header' ? name.toLowerCase() : name}`, spec);
      }
    }
    // Template variables of the server URL's path (analytics: /analytics/{version}/{organizationId}).
    for (const v of this.basePath.match(/\{[^}]+\}/g) ?? []) {
      const name = v.slice(1, -1);
      if (params.has(`path:${name}`)) continue;
      const def = this.serverVariables[name];
      const s: Record<string, unknown> = { type: 'string' };
      if (def?.enum) s.enum = [...def.enum];
      params.set(`path:${name}`, { name, in: 'path', required: true, schema: s });
    }
    // Every {name} of the template must be a path parameter.
    for (const v of ref.path.match(/\{[^}]+\}/g) ?? []) {
      const name = v.slice(1, -1);
      if (!params.has(`path:${name}`)) throw new Error(`${where}: path parameter {${name}} is not declared`);
    }

    const out: OperationSpec = {
      key: `${ref.method} ${ref.path}`,
      api: 'anypoint',
      spec: this.folder,
      method: ref.method,
      path: ref.path,
      server: this.server,
      use: ref.use,
      auth: this.auth(op),
      parameters: [...params.values()],
      responses: {},
    };
    if (typeof op.operationId === 'string') out.operationId = op.operationId;

    if (op.requestBody !== undefined) {
      const { node: rb, file } = this.deref(op.requestBody, this.file);
      out.requestBody = { required: rb.required === true, content: this.content(rb.content, file, `${where} request`, sctx, notes) };
    }

    if (isObject(op.responses)) {
      for (const [status, raw] of Object.entries(op.responses)) {
        const { node: r, file } = this.deref(raw, this.file);
        const resp: ResponseSpec = {};
        if (isObject(r.content) && Object.keys(r.content).length > 0) resp.content = this.content(r.content, file, `${where} ${status}`, sctx, notes);
        if (isObject(r.headers)) {
          const headers: NonNullable<ResponseSpec['headers']> = {};
          for (const [h, hraw] of Object.entries(r.headers)) {
            const { node: hd, file: hf } = this.deref(hraw, file);
            headers[h] = { required: hd.required === true, ...(hd.schema !== undefined ? { schema: schema(hd.schema, hf) } : {}) };
          }
          if (Object.keys(headers).length > 0) resp.headers = headers;
        }
        out.responses[/^\dxx$/i.test(status) ? status.toUpperCase() : status] = resp;
      }
    }
    return out;
  }

  private content(content: unknown, file: string, where: string, sctx: SchemaContext, notes: ExampleNotes): Record<string, MediaSpec> {
    const out: Record<string, MediaSpec> = {};
    if (!isObject(content)) return out;
    for (const [mt, raw] of Object.entries(content)) {
      if (!isObject(raw)) {
        out[mt] = {};
        continue;
      }
      const m: MediaSpec = {};
      if (raw.schema !== undefined) m.schema = copySchema(sctx, raw.schema, file) as JsonSchema;
      const ex = mediaExamples(this.files, raw, file, `${where} ${mt}`, notes);
      if (ex) m.examples = ex;
      out[mt] = m;
    }
    return out;
  }

  /**
   * Security → is `Authorization` required, with which schemes. OpenAPI: the operation's
   * `security` replaces the document's; an empty requirement `{}` makes it optional.
   */
  private auth(op: Record<string, unknown>): AuthSpec {
    const security = Array.isArray(op.security) ? op.security : Array.isArray(this.doc.security) ? this.doc.security : [];
    if (security.length === 0) return { required: false, schemes: [] };
    const components = isObject(this.doc.components) && isObject(this.doc.components.securitySchemes) ? this.doc.components.securitySchemes : {};
    const schemes = new Set<string>();
    let optional = false;
    for (const req of security) {
      if (!isObject(req) || Object.keys(req).length === 0) {
        optional = true;
        continue;
      }
      for (const name of Object.keys(req)) {
        const def = components[name];
        if (!isObject(def)) throw new Error(`${this.folder}: unknown security scheme ${name}`);
        if (def.type === 'oauth2' || def.type === 'openIdConnect') schemes.add('bearer');
        else if (def.type === 'http' && typeof def.scheme === 'string') schemes.add(def.scheme.toLowerCase());
        else optional = true; // apiKey and the like: not an Authorization header we can check
      }
    }
    return { required: !optional, schemes: [...schemes].sort() };
  }
}
