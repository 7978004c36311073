/**
 * Reads vendor files (YAML or JSON) once, remembers the sha256 of each file read, and inlines
 * `$ref`s (to other files by relative path, or to JSON pointers) so an extracted piece stands
 * alone.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';

export class VendorFiles {
  private readonly docs = new Map<string, unknown>();
  /** sha256 by path relative to the vendor root, for the `source` block. */
  readonly hashes = new Map<string, string>();

  constructor(readonly root: string) {}

  /** Relative (to the root, `/`-separated) path of an absolute file path. */
  rel(abs: string): string {
    return path.relative(this.root, abs).split(path.sep).join('/');
  }

  exists(abs: string): boolean {
    return existsSync(abs);
  }

  /** Raw text of a file (hashed like any other file read). */
  text(abs: string): string {
    const raw = readFileSync(abs);
    this.hashes.set(this.rel(abs), createHash('sha256').update(raw).digest('hex'));
    return raw.toString('utf8');
  }

  /** Parsed document (YAML 1.2 core schema, so `2014-07-27` stays a string; JSON is YAML). */
  load(abs: string): unknown {
    const cached = this.docs.get(abs);
    if (cached !== undefined) return cached;
    const text = this.text(abs);
    const doc = abs.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: -1, uniqueKeys: false });
    this.docs.set(abs, doc);
    return doc;
  }
}

export function decodePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return pointer === '/' ? [''] : [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function atPointer(doc: unknown, pointer: string, where: string): unknown {
  let node: unknown = doc;
  for (const token of decodePointer(pointer)) {
    if (node === null || typeof node !== 'object' || !(token in (node as object))) {
      throw new Error(`$ref target not found: ${where}#${pointer} (at "${token}")`);
    }
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Inlines every `$ref` below `value` (found in file `file`). A `$ref` object's siblings are
 * ignored, as OpenAPI 3.0 and draft-04 say. A reference cycle is an error naming the chain
 * (none of the operations we extract has one; bundle under `schemas` if that ever changes).
 */
export function inline(files: VendorFiles, value: unknown, file: string, stack: string[] = []): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(files, v, file, stack));
  if (!isObject(value)) return value;
  const ref = value.$ref;
  if (typeof ref === 'string') {
    const hash = ref.indexOf('#');
    const filePart = hash === -1 ? ref : ref.slice(0, hash);
    const pointer = hash === -1 ? '' : ref.slice(hash + 1);
    const target = filePart === '' ? file : path.resolve(path.dirname(file), decodeURI(filePart));
    const key = `${files.rel(target)}#${pointer}`;
    if (stack.includes(key)) throw new Error(`$ref cycle: ${[...stack, key].join(' → ')}`);
    const doc = files.load(target);
    return inline(files, atPointer(doc, pointer, files.rel(target)), target, [...stack, key]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = inline(files, v, file, stack);
  return out;
}
