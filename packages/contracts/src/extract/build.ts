/**
 * The pure extract builder: vendor directory in, `{ anypoint, heroku }` extracts out (nothing
 * written). scripts/extract.ts writes them; test/contracts rebuilds them in memory and compares.
 */
import * as path from 'node:path';
import { OPERATIONS, type OperationRef } from '../operations';
import { OVERRIDES, type Override } from '../overrides';
import type { Api, Extract, ExtractSource, OperationSpec } from '../types';
import { HerokuSchema } from './heroku';
import { OpenApiSpec } from './openapi';
import type { SchemaContext } from './schema';
import { sortKeys } from './stable-json';
import { VendorFiles } from './vendor-files';

export interface BuildOptions {
  operations?: readonly OperationRef[];
  overrides?: readonly Override[];
}

export interface BuiltExtracts {
  anypoint: Extract;
  heroku: Extract;
}

/** The vendor README's table: `| folder | source | licence |`. */
function vendorOrigin(files: VendorFiles, api: Api): ExtractSource['vendor'] {
  const readme = files.text(path.join(files.root, 'README.md'));
  const folder = api === 'anypoint' ? '`anypoint/`' : '`heroku/platform-api-schema.json`';
  const row = readme.split('\n').find((l) => l.startsWith(`| ${folder}`));
  if (!row) throw new Error(`vendor README.md has no row for ${folder}`);
  const [, , sourceCell, licenceCell] = row.split('|').map((c) => c.trim());
  const m = /repository ([\w.-]+\/[\w.-]+), commit ([0-9a-f]{7,40}) \(([^)]+)\)(?:, (?:folder )?`([^`]+)`)?/.exec(sourceCell);
  if (!m) throw new Error(`vendor README.md row for ${folder} names no repository/commit: ${sourceCell}`);
  return { repository: m[1], commit: m[2], date: m[3], path: m[4] ?? '', licence: licenceCell.replace(/`/g, '') };
}

function applyOverrides(api: Api, ops: Record<string, OperationSpec>, fromVendor: Set<string>, overrides: readonly Override[]): string[] {
  const applied: string[] = [];
  for (const o of overrides) {
    if (o.api !== api || o.kind === 'add-operation') continue;
    if (o.kind === 'known-inconsistency') {
      if (!ops[o.operation]) throw new Error(`override ${o.id}: ${o.operation} is not extracted`);
      applied.push(o.id);
      continue;
    }
    const targets = o.operation === '*' ? [...fromVendor].sort() : [o.operation];
    for (const key of targets) {
      const op = ops[key];
      if (!op) throw new Error(`override ${o.id}: ${key} is not extracted (stale override?)`);
      o.apply(op, {
        operation(other: string): OperationSpec {
          const found = ops[other];
          if (!found) throw new Error(`override ${o.id}: ${other} is not extracted`);
          return found;
        },
      });
      op.overrides = [...(op.overrides ?? []), o.id];
    }
    applied.push(o.id);
  }
  return applied;
}

function buildApi(
  vendorDir: string,
  api: Api,
  refs: readonly OperationRef[],
  overrides: readonly Override[],
): Extract {
  const files = new VendorFiles(path.resolve(vendorDir));
  const vendor = vendorOrigin(files, api);
  const notes = new Set<string>();
  const sctx: SchemaContext = { files, dropped: new Map(), dialect: api === 'anypoint' ? 'openapi-3.0' : 'draft-04' };
  const ops: Record<string, OperationSpec> = {};
  const fromVendor = new Set<string>();
  const otherPaths: Record<string, Set<string>> = {};
  const noteOf = { add: (n: string) => notes.add(n) };

  const specs = new Map<string, OpenApiSpec | HerokuSchema>();
  const specOf = (name: string): OpenApiSpec | HerokuSchema => {
    let s = specs.get(name);
    if (!s) {
      s = api === 'heroku' ? new HerokuSchema(files) : new OpenApiSpec(files, name);
      specs.set(name, s);
    }
    return s;
  };

  for (const ref of refs.filter((r) => r.api === api)) {
    const key = `${ref.method} ${ref.path}`;
    if (ops[key]) throw new Error(`operations.ts lists ${key} twice`);
    const added = overrides.find((o) => o.api === api && o.kind === 'add-operation' && o.operation === key);
    // Heroku's OAuth endpoint (id.heroku.com) is no part of the Platform API schema.
    const spec = api === 'anypoint' || ref.spec === 'platform-api' ? specOf(ref.spec) : undefined;
    if (spec?.has(ref)) {
      if (added) throw new Error(`override ${added.id} adds ${key}, but the vendor spec has it now: drop the override`);
      ops[key] = spec instanceof HerokuSchema ? spec.extract(ref, sctx) : spec.extract(ref, sctx, noteOf);
      fromVendor.add(key);
    } else if (added && added.kind === 'add-operation') {
      const op = added.define(ref);
      op.overrides = [added.id];
      ops[key] = op;
    } else {
      throw new Error(`${key} (${ref.spec}) is not in the vendor spec and no add-operation override defines it`);
    }
  }

  // Every other operation of the specs we read (routing and "not extracted" messages).
  for (const spec of specs.values()) {
    for (const { path: p, method } of spec.allOperations()) {
      if (ops[`${method} ${p}`]) continue;
      (otherPaths[p] ??= new Set()).add(method);
    }
  }

  const applied = [
    ...overrides.filter((o) => o.api === api && o.kind === 'add-operation').map((o) => o.id),
    ...applyOverrides(api, ops, fromVendor, overrides),
  ];
  const addIds = new Set(overrides.filter((o) => o.api === api && o.kind === 'add-operation').map((o) => o.id));
  for (const id of addIds) {
    if (!Object.values(ops).some((op) => op.overrides?.includes(id))) throw new Error(`override ${id} defines an operation that operations.ts does not list`);
  }

  for (const [k, n] of [...sctx.dropped.entries()].sort()) notes.add(`schema keyword "${k}" dropped ${n} time(s) (not a validation keyword of this dialect)`);

  const extract: Extract = {
    format: 1,
    api,
    source: {
      vendor,
      files: Object.fromEntries([...files.hashes.entries()].sort()),
      generator: 'packages/contracts/scripts/extract.ts',
      overrides: applied,
      notes: [...notes].sort(),
    },
    operations: ops,
    otherPaths: Object.fromEntries(Object.entries(otherPaths).map(([p, ms]) => [p, [...ms].sort()])),
  };
  return sortKeys(extract) as Extract;
}

/** Builds both extracts from a vendor directory (the one holding README.md, anypoint/, heroku/). */
export function buildExtract(vendorDir: string, options: BuildOptions = {}): BuiltExtracts {
  const refs = options.operations ?? OPERATIONS;
  const overrides = options.overrides ?? OVERRIDES;
  return {
    anypoint: buildApi(vendorDir, 'anypoint', refs, overrides),
    heroku: buildApi(vendorDir, 'heroku', refs, overrides),
  };
}
