/**
 * Turns an extract schema into what ajv compiles, per direction:
 * - OpenAPI 3.0 → JSON Schema 2019-09: `nullable: true` becomes a type union (and adds `null`
 *   to an `enum`; without a `type`, `anyOf [schema, {type: null}]`); boolean
 *   `exclusiveMinimum/Maximum` become the numeric form; `readOnly` properties are not required
 *   in a request, `writeOnly` ones not in a response (OpenAPI 3.0 rules).
 * - requests are checked closed-world: where a schema lists `properties` and says nothing of
 *   others, an unlisted property is a violation (a misspelt optional field would otherwise
 *   pass silently and the vendor would ignore it). Anypoint: `unevaluatedProperties: false`
 *   (sees through allOf/oneOf); Heroku (draft-04, no unevaluated*): `additionalProperties:
 *   false` on plain object schemas only. Responses stay open: vendors add fields.
 * - form bodies (multipart, urlencoded): a `format: binary` field accepts anything (a file
 *   as the caller's parser gives it).
 */
import type { JsonSchema } from './types';

export type Dialect = 'openapi-3.0' | 'draft-04';
export type Direction = 'request' | 'response';

export interface PrepOptions {
  dialect: Dialect;
  direction: Direction;
  /** Close object schemas (requests). */
  closed: boolean;
  /** Form body: binary fields accept anything. */
  form: boolean;
}

type S = Record<string, unknown>;
const isObject = (v: unknown): v is S => v !== null && typeof v === 'object' && !Array.isArray(v);

const SUB_ONE = ['not', 'additionalItems', 'additionalProperties', 'items'];
const SUB_LIST = ['allOf', 'anyOf', 'oneOf'];
const SUB_MAP = ['properties', 'patternProperties'];

/** Deep copy with the conversions above. `valuePosition`: the schema describes a value (not a branch of allOf/oneOf/anyOf). */
export function prepare(schema: JsonSchema, opts: PrepOptions): JsonSchema {
  return convert(schema, opts, true);
}

function convert(schema: unknown, opts: PrepOptions, valuePosition: boolean): JsonSchema {
  if (typeof schema === 'boolean') return schema;
  if (!isObject(schema)) return {};
  let s: S = {};
  for (const [k, v] of Object.entries(schema)) {
    if (SUB_LIST.includes(k) && Array.isArray(v)) s[k] = v.map((x) => convert(x, opts, false));
    else if (SUB_MAP.includes(k) && isObject(v)) s[k] = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, convert(x, opts, true)]));
    else if (k === 'items' && Array.isArray(v)) s[k] = v.map((x) => convert(x, opts, true));
    else if (SUB_ONE.includes(k) && (isObject(v) || typeof v === 'boolean')) s[k] = convert(v, opts, k !== 'not');
    else if (k === 'dependencies' && isObject(v)) s[k] = Object.fromEntries(Object.entries(v).map(([n, x]) => [n, Array.isArray(x) ? x : convert(x, opts, false)]));
    else s[k] = v;
  }

  if (opts.form && s.format === 'binary') return {};

  if (opts.dialect === 'openapi-3.0') {
    // readOnly / writeOnly: not required in the direction where they are absent.
    if (Array.isArray(s.required) && isObject(s.properties)) {
      const props = s.properties as Record<string, unknown>;
      const skip = opts.direction === 'request' ? 'readOnly' : 'writeOnly';
      const req = (s.required as string[]).filter((n) => !(isObject(props[n]) && (props[n] as S)[skip] === true));
      if (req.length > 0) s.required = req;
      else delete s.required;
    }
    delete s.readOnly;
    delete s.writeOnly;

    for (const [bound, excl] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']] as const) {
      if (typeof s[excl] === 'boolean') {
        if (s[excl] === true && typeof s[bound] === 'number') {
          s[excl] = s[bound];
          delete s[bound];
        } else delete s[excl];
      }
    }

    if (s.nullable === true) {
      delete s.nullable;
      if (Array.isArray(s.enum) && !s.enum.includes(null)) s.enum = [...s.enum, null];
      if (typeof s.type === 'string') s.type = [s.type, 'null'];
      else if (Array.isArray(s.type)) {
        if (!s.type.includes('null')) s.type = [...s.type, 'null'];
      } else if (!Array.isArray(s.enum)) {
        s = { anyOf: [s, { type: 'null' }] };
      }
    } else delete s.nullable;
  }

  if (opts.closed && valuePosition) close(s, opts.dialect);
  return s;
}

/** Does this schema (or one of its combinator branches) list properties? */
function listsProperties(s: S): boolean {
  if (isObject(s.properties) && Object.keys(s.properties).length > 0) return true;
  for (const k of SUB_LIST) {
    if (Array.isArray(s[k]) && (s[k] as unknown[]).some((b) => isObject(b) && listsProperties(b))) return true;
  }
  return false;
}

/** Does this schema (or a branch) already say something of unlisted properties? */
function saysAboutOthers(s: S): boolean {
  if ('additionalProperties' in s || 'patternProperties' in s || 'unevaluatedProperties' in s) return true;
  for (const k of SUB_LIST) {
    if (Array.isArray(s[k]) && (s[k] as unknown[]).some((b) => isObject(b) && saysAboutOthers(b))) return true;
  }
  return false;
}

function close(s: S, dialect: Dialect): void {
  if (!listsProperties(s) || saysAboutOthers(s)) return;
  if (dialect === 'openapi-3.0') {
    s.unevaluatedProperties = false;
  } else if (isObject(s.properties) && !SUB_LIST.some((k) => k in s)) {
    s.additionalProperties = false;
  }
}

/** Every `format` used below a schema (to register the unknown ones as annotations). */
export function formatsIn(schema: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(schema)) for (const x of schema) formatsIn(x, out);
  else if (isObject(schema)) {
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'format' && typeof v === 'string') out.add(v);
      else if (k !== 'enum' && k !== 'default' && k !== 'examples') formatsIn(v, out);
    }
  }
  return out;
}
