/**
 * (a) The committed extract is what the extractor makes of the vendor specs today. Where the
 * vendor folder is absent (a fresh clone), the extract must at least be complete and usable.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ContractValidator, OPERATIONS, OVERRIDES, type Api, type Extract } from '@aag/contracts';
import { buildExtract, EXTRACT_DIR, render, vendorDir } from '@aag/contracts/scripts/extract';

const APIS: Api[] = ['anypoint', 'heroku'];
const committedText = (api: Api): string => readFileSync(path.join(EXTRACT_DIR, `${api}.json`), 'utf8');
const committed = (api: Api): Extract => JSON.parse(committedText(api)) as Extract;
const KEYWORDS = new Set([
  'type', 'enum', 'const', 'format', 'pattern', 'default', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'multipleOf', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'required', 'nullable', 'readOnly', 'writeOnly',
  'not', 'additionalItems', 'allOf', 'anyOf', 'oneOf', 'properties', 'patternProperties', 'items', 'additionalProperties', 'dependencies',
]);

/** Collects every keyword of a schema (recursively) that is not a validation keyword. */
function schemaKeywords(schema: unknown, where: string, out: string[]): void {
  if (schema === undefined || typeof schema === 'boolean') return;
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    out.push(`${where}: not a schema`);
    return;
  }
  for (const [k, v] of Object.entries(schema)) {
    if (!KEYWORDS.has(k)) out.push(`${where}: keyword "${k}"`);
    else if (k === 'properties' || k === 'patternProperties') for (const [n, sub] of Object.entries(v as object)) schemaKeywords(sub, `${where}.${n}`, out);
    else if (['allOf', 'anyOf', 'oneOf'].includes(k) || (k === 'items' && Array.isArray(v))) (v as unknown[]).forEach((sub, i) => schemaKeywords(sub, `${where}/${k}/${i}`, out));
    else if (['not', 'additionalItems', 'additionalProperties', 'items'].includes(k)) schemaKeywords(v, `${where}/${k}`, out);
  }
}

const REGENERATE = 'npx ts-node --transpile-only packages/contracts/scripts/extract.ts';

describe('the committed extract', () => {
  const dir = vendorDir();
  const vendorPresent = existsSync(path.join(dir, 'README.md'));

  it(vendorPresent ? `equals a fresh extract of ${dir}` : 'has a complete source block (no vendor folder here to compare with)', () => {
    if (vendorPresent) {
      const fresh = render(buildExtract(dir));
      for (const api of APIS) {
        const text = fresh[`${api}.json`];
        if (text !== committedText(api)) {
          throw new Error(`packages/contracts/extract/${api}.json is stale: run \`${REGENERATE}\` and commit the result`);
        }
      }
    }
    for (const api of APIS) {
      const { source } = committed(api);
      expect(source.vendor.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(source.vendor.commit).toMatch(/^[0-9a-f]{7,40}$/);
      expect(source.vendor.date).not.toBe('');
      expect(source.vendor.licence).not.toBe('');
      expect(Object.keys(source.files).length).toBeGreaterThan(0);
      expect(source.files['README.md']).toMatch(/^[0-9a-f]{64}$/);
      for (const hash of Object.values(source.files)) expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(source.overrides.sort()).toEqual(OVERRIDES.filter((o) => o.api === api).map((o) => o.id).sort());
    }
  });

  it('holds every operation of operations.ts, and nothing else', () => {
    for (const api of APIS) {
      const keys = Object.keys(committed(api).operations).sort();
      const listed = OPERATIONS.filter((o) => o.api === api).map((o) => `${o.method} ${o.path}`).sort();
      expect(keys).toEqual(listed);
    }
  });

  it('keeps no $ref and no prose: only validation keywords in its schemas', () => {
    for (const api of APIS) {
      const offending: string[] = [];
      for (const op of Object.values(committed(api).operations)) {
        const at = (where: string, s: unknown): void => schemaKeywords(s, `${op.key} ${where}`, offending);
        for (const p of op.parameters) at(`${p.in} ${p.name}`, p.schema);
        for (const [mt, m] of Object.entries(op.requestBody?.content ?? {})) at(`request ${mt}`, m.schema);
        for (const [status, r] of Object.entries(op.responses)) for (const [mt, m] of Object.entries(r.content ?? {})) at(`${status} ${mt}`, m.schema);
      }
      expect(offending).toEqual([]);
      expect(committedText(api).endsWith('}\n')).toBe(true);
    }
  });

  it('compiles: every parameter and body schema of every operation', () => {
    const v = new ContractValidator({ anypoint: committed('anypoint'), heroku: committed('heroku') });
    expect(v.compileAll('anypoint')).toBeGreaterThan(100);
    expect(v.compileAll('heroku')).toBeGreaterThan(10);
  });
});
