/**
 * Schema-aware copy of a vendor schema: follows `$ref`s, keeps every keyword that validates,
 * drops prose and vendor annotations. The kept set is a whitelist, so anything new a vendor
 * adds is dropped and counted in the extract's notes (check them when regenerating).
 */
import * as path from 'node:path';
import { atPointer, type VendorFiles } from './vendor-files';

/** Keywords whose value is copied as is. */
const PLAIN = new Set([
  'type', 'enum', 'const', 'format', 'pattern', 'default',
  'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf',
  'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'required',
  'nullable', 'readOnly', 'writeOnly',
]);
/** Keywords holding one schema. */
const ONE = new Set(['not', 'additionalItems']);
/** Keywords holding a list of schemas. */
const LIST = new Set(['allOf', 'anyOf', 'oneOf']);
/** Keywords holding a name → schema map. */
const MAP = new Set(['properties', 'patternProperties']);
/** Prose and documentation: dropped silently. */
const PROSE = new Set(['description', 'title', 'summary', 'example', 'examples', 'externalDocs', 'xml', 'deprecated', '$comment', 'markdownDescription']);

export interface SchemaContext {
  files: VendorFiles;
  /** Dropped non-prose keywords and how often (reported in the extract's notes). */
  dropped: Map<string, number>;
  /** Keywords kept only for this api (Heroku drops readOnly/nullable: they mean nothing in draft-04). */
  dialect: 'openapi-3.0' | 'draft-04';
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function follow(ctx: SchemaContext, node: Record<string, unknown>, file: string, stack: string[]): { node: unknown; file: string; stack: string[] } {
  let cur: unknown = node;
  let curFile = file;
  let curStack = stack;
  while (isObject(cur) && typeof cur.$ref === 'string') {
    const ref = cur.$ref;
    const hash = ref.indexOf('#');
    const filePart = hash === -1 ? ref : ref.slice(0, hash);
    const pointer = hash === -1 ? '' : ref.slice(hash + 1);
    const target = filePart === '' ? curFile : path.resolve(path.dirname(curFile), decodeURI(filePart));
    const key = `${ctx.files.rel(target)}#${pointer}`;
    if (curStack.includes(key)) throw new Error(`schema $ref cycle: ${[...curStack, key].join(' → ')}`);
    cur = atPointer(ctx.files.load(target), pointer, ctx.files.rel(target));
    curFile = target;
    curStack = [...curStack, key];
  }
  return { node: cur, file: curFile, stack: curStack };
}

function drop(ctx: SchemaContext, keyword: string): void {
  ctx.dropped.set(keyword, (ctx.dropped.get(keyword) ?? 0) + 1);
}

/** The normalised copy of the schema at `node` (found in `file`). */
export function copySchema(ctx: SchemaContext, node: unknown, file: string, stack: string[] = []): unknown {
  if (typeof node === 'boolean') return node;
  if (!isObject(node)) throw new Error(`not a schema in ${ctx.files.rel(file)}: ${JSON.stringify(node)?.slice(0, 80)}`);
  const resolved = follow(ctx, node, file, stack);
  if (typeof resolved.node === 'boolean') return resolved.node;
  if (!isObject(resolved.node)) throw new Error(`$ref to a non-schema in ${ctx.files.rel(resolved.file)}`);
  const src = resolved.node;
  const here = resolved.file;
  const st = resolved.stack;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(src)) {
    if (PLAIN.has(k)) {
      if (ctx.dialect === 'draft-04' && (k === 'readOnly' || k === 'writeOnly' || k === 'nullable')) {
        drop(ctx, k);
        continue;
      }
      out[k] = structuredClone(v);
    } else if (ONE.has(k)) {
      out[k] = copySchema(ctx, v, here, st);
    } else if (LIST.has(k)) {
      if (!Array.isArray(v)) throw new Error(`${k} is not a list in ${ctx.files.rel(here)}`);
      out[k] = v.map((s) => copySchema(ctx, s, here, st));
    } else if (MAP.has(k)) {
      if (!isObject(v)) throw new Error(`${k} is not a map in ${ctx.files.rel(here)}`);
      const m: Record<string, unknown> = {};
      for (const [name, s] of Object.entries(v)) m[name] = copySchema(ctx, s, here, st);
      out[k] = m;
    } else if (k === 'items') {
      out[k] = Array.isArray(v) ? v.map((s) => copySchema(ctx, s, here, st)) : copySchema(ctx, v, here, st);
    } else if (k === 'additionalProperties') {
      out[k] = typeof v === 'boolean' ? v : copySchema(ctx, v, here, st);
    } else if (k === 'dependencies') {
      if (!isObject(v)) throw new Error(`dependencies is not a map in ${ctx.files.rel(here)}`);
      const m: Record<string, unknown> = {};
      for (const [name, d] of Object.entries(v)) m[name] = Array.isArray(d) ? [...d] : copySchema(ctx, d, here, st);
      out[k] = m;
    } else if (PROSE.has(k) || k.startsWith('x-')) {
      // documentation only
    } else {
      drop(ctx, k);
    }
  }
  return tidy(out);
}

/** Semantics-preserving clean-ups that make the extract easier to read. */
function tidy(s: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(s.required) && s.required.length === 0) delete s.required;
  if (Array.isArray(s.allOf)) {
    const parts = (s.allOf as unknown[]).filter((p) => !(isObject(p) && Object.keys(p).length === 0));
    if (parts.length === 0) delete s.allOf;
    else s.allOf = parts;
    // allOf: [one schema] whose keywords do not clash with ours → merge it in.
    if (parts.length === 1 && isObject(parts[0])) {
      const only = parts[0];
      const clash = Object.keys(only).some((k) => k in s && k !== 'allOf');
      if (!clash) {
        delete s.allOf;
        Object.assign(s, only);
      }
    }
  }
  return s;
}
