/** Example values of a media type, as plain named values. */
import * as path from 'node:path';
import { inline, type VendorFiles } from './vendor-files';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const EXAMPLE_OBJECT_KEYS = new Set(['summary', 'description', 'value', 'externalValue']);
/** A string example that is really a file path the vendor forgot to turn into a $ref. */
const LOOKS_LIKE_FILE = /^\.{0,2}\/?[\w\-./]+\.(json|ya?ml)$/;

export interface ExampleNotes {
  add(note: string): void;
}

function value(files: VendorFiles, v: unknown, file: string, where: string, notes: ExampleNotes): { ok: true; value: unknown } | { ok: false } {
  if (typeof v === 'string' && LOOKS_LIKE_FILE.test(v)) {
    const target = path.resolve(path.dirname(file), v);
    if (!files.exists(target)) {
      notes.add(`${where}: example is the path "${v}", a file absent from the vendor folder: dropped`);
      return { ok: false };
    }
    notes.add(`${where}: example is the path "${v}": read that file`);
    return value(files, files.load(target), target, where, notes);
  }
  if (isObject(v) && Object.keys(v).length === 1 && typeof v.externalValue === 'string') {
    // An Example Object's externalValue put where the value belongs.
    const [filePart, pointer = ''] = v.externalValue.split('#');
    const target = path.resolve(path.dirname(file), filePart);
    if (!files.exists(target)) {
      notes.add(`${where}: example is { externalValue: "${v.externalValue}" }, a file absent from the vendor folder: dropped`);
      return { ok: false };
    }
    notes.add(`${where}: example is { externalValue: "${v.externalValue}" }: read that file`);
    const node = inline(files, { $ref: `#${pointer}` }, target);
    return { ok: true, value: isObject(node) && 'value' in node ? node.value : node };
  }
  return { ok: true, value: inline(files, v, file) };
}

/**
 * `example` and `examples` of an OpenAPI media type object (or parameter) → `{ name: value }`.
 * An entry of `examples` is an Example Object (`{ summary?, value }`); one that is not (the
 * vendor put the bare value there) is kept as the value, and noted.
 */
export function mediaExamples(
  files: VendorFiles,
  media: Record<string, unknown>,
  file: string,
  where: string,
  notes: ExampleNotes,
): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  if ('example' in media) {
    const v = value(files, media.example, file, where, notes);
    if (v.ok) out.example = v.value;
  }
  if (isObject(media.examples)) {
    for (const [name, entry] of Object.entries(media.examples)) {
      // Follow a $ref to find the Example Object (and the file its own refs are relative to).
      let node: unknown = entry;
      let nodeFile = file;
      while (isObject(node) && typeof node.$ref === 'string') {
        const ref = node.$ref;
        const hash = ref.indexOf('#');
        const filePart = hash === -1 ? ref : ref.slice(0, hash);
        const target = filePart === '' ? nodeFile : path.resolve(path.dirname(nodeFile), filePart);
        node = inline(files, { $ref: (hash === -1 ? '' : ref.slice(hash)) || '#' }, target);
        nodeFile = target;
      }
      if (isObject(node) && 'value' in node && Object.keys(node).every((k) => EXAMPLE_OBJECT_KEYS.has(k))) {
        const v = value(files, node.value, nodeFile, `${where} example "${name}"`, notes);
        if (v.ok) out[name] = v.value;
      } else if (isObject(node) && 'externalValue' in node) {
        notes.add(`${where} example "${name}": externalValue only: dropped`);
      } else {
        notes.add(`${where} example "${name}": not an Example Object ({ value }): kept as the value`);
        const v = value(files, node, nodeFile, `${where} example "${name}"`, notes);
        if (v.ok) out[name] = v.value;
      }
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
