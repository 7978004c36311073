/**
 * Extraction of operations from Heroku's Platform API hyper-schema (draft-04): an operation is
 * a `link` of `definitions.<resource>`; `href` holds `{(<url-encoded JSON pointer>)}`
 * placeholders, `schema` is the request body, `targetSchema` the body of a successful answer.
 */
import * as path from 'node:path';
import type { HttpMethod, JsonSchema, OperationSpec, ParameterSpec } from '../types';
import type { OperationRef } from '../operations';
import { copySchema, type SchemaContext } from './schema';
import { atPointer, type VendorFiles } from './vendor-files';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Link {
  resource: string;
  method: HttpMethod;
  href: string;
  path: string;
  /** Placeholder name → JSON pointer of its schema. */
  params: Array<{ name: string; pointer: string }>;
  raw: Record<string, unknown>;
}

/** `{(%23%2Fdefinitions%2Fadd-on%2Fdefinitions%2Fidentity)}` → name `add_on_identity`, pointer. */
export function herokuPlaceholder(encoded: string): { name: string; pointer: string } {
  const pointer = decodeURIComponent(encoded);
  const m = /^#\/definitions\/([^/]+)\/definitions\/([^/]+)$/.exec(pointer);
  if (!m) throw new Error(`unexpected href placeholder ${pointer}`);
  return { name: `${m[1].replace(/-/g, '_')}_${m[2]}`, pointer: pointer.slice(1) };
}

export class HerokuSchema {
  readonly file: string;
  readonly doc: Record<string, unknown>;
  readonly server = 'https://api.heroku.com';
  private readonly links: Link[] = [];

  constructor(private readonly files: VendorFiles) {
    this.file = path.join(files.root, 'heroku', 'platform-api-schema.json');
    const doc = files.load(this.file);
    if (!isObject(doc) || !isObject(doc.definitions)) throw new Error('platform-api-schema.json has no definitions');
    this.doc = doc;
    for (const [resource, def] of Object.entries(doc.definitions)) {
      if (!isObject(def) || !Array.isArray(def.links)) continue;
      for (const link of def.links) {
        if (!isObject(link) || typeof link.href !== 'string' || typeof link.method !== 'string') continue;
        const params: Link['params'] = [];
        const p = link.href.replace(/\{\(([^)]+)\)\}/g, (_all, enc: string) => {
          const ph = herokuPlaceholder(enc);
          params.push(ph);
          return `{${ph.name}}`;
        });
        this.links.push({ resource, method: link.method.toUpperCase() as HttpMethod, href: link.href, path: p, params, raw: link });
      }
    }
  }

  allOperations(): Array<{ path: string; method: HttpMethod }> {
    return this.links.map((l) => ({ path: l.path, method: l.method }));
  }

  private find(ref: OperationRef): Link | undefined {
    return this.links.find((l) => l.method === ref.method && l.path === ref.path);
  }

  has(ref: OperationRef): boolean {
    return this.find(ref) !== undefined;
  }

  extract(ref: OperationRef, sctx: SchemaContext): OperationSpec {
    const link = this.find(ref);
    if (!link) throw new Error(`${ref.method} ${ref.path} is not a link of platform-api-schema.json`);
    const parameters: ParameterSpec[] = link.params.map(({ name, pointer }) => ({
      name,
      in: 'path',
      required: true,
      schema: copySchema(sctx, atPointer(this.doc, pointer, 'platform-api-schema.json'), this.file) as JsonSchema,
    }));
    const out: OperationSpec = {
      key: `${ref.method} ${ref.path}`,
      api: 'heroku',
      spec: 'platform-api',
      method: ref.method,
      path: ref.path,
      server: this.server,
      operationId: `${link.resource}.${String(link.raw.title ?? link.raw.rel ?? '')}`,
      use: ref.use,
      // The hyper-schema says nothing of authentication; see the heroku-headers override.
      auth: { required: false, schemes: [] },
      parameters,
      // A hyper-schema has no status codes: targetSchema describes any successful answer.
      responses: {
        '2XX': link.raw.targetSchema !== undefined
          ? { content: { 'application/json': { schema: copySchema(sctx, link.raw.targetSchema, this.file) as JsonSchema } } }
          : {},
      },
    };
    if (link.raw.schema !== undefined) {
      out.requestBody = { required: true, content: { 'application/json': { schema: copySchema(sctx, link.raw.schema, this.file) as JsonSchema } } };
    }
    return out;
  }
}
