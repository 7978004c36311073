/**
 * (c) Every example the extract keeps validates against its own schema (tests use them as
 * fixtures), except those overrides.ts lists as vendor inconsistencies, which must still fail
 * (so a fixed vendor example drops out of the list).
 */
import { contracts, OVERRIDES, type Api, type OperationSpec } from '@aag/contracts';

interface Example {
  api: Api;
  op: OperationSpec;
  /** `<status or "request"> <media type> <name>`, as overrides.ts names it. */
  id: string;
  status?: number;
  mediaType: string;
  value: unknown;
}

function examples(api: Api): Example[] {
  const out: Example[] = [];
  for (const op of Object.values(contracts().extract(api).operations)) {
    for (const [mt, media] of Object.entries(op.requestBody?.content ?? {})) {
      for (const [name, value] of Object.entries(media.examples ?? {})) out.push({ api, op, id: `request ${mt} ${name}`, mediaType: mt, value });
    }
    for (const [status, resp] of Object.entries(op.responses)) {
      for (const [mt, media] of Object.entries(resp.content ?? {})) {
        for (const [name, value] of Object.entries(media.examples ?? {})) {
          // A `default` / `4XX` example stands for some status of that class.
          const code = /^\d{3}$/.test(status) ? Number(status) : status === 'default' ? 599 : Number(status[0]) * 100 + 99;
          out.push({ api, op, id: `${status} ${mt} ${name}`, status: code, mediaType: mt, value });
        }
      }
    }
  }
  return out;
}

const known = new Set(
  OVERRIDES.flatMap((o) => (o.kind === 'known-inconsistency' ? o.examples.map((e) => `${o.api} ${o.operation} ${e}`) : [])),
);

/** A concrete path for a template, valid for its parameters. */
function concretePath(op: OperationSpec): string {
  return op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const p = op.parameters.find((x) => x.in === 'path' && x.name === name);
    const s = (typeof p?.schema === 'object' ? p.schema : {}) as Record<string, unknown>;
    if (s.type === 'integer' || s.type === 'number') return '42';
    if (name === 'version') return '1.0.0';
    if (s.format === 'uuid' || /Id$|_identity$/.test(name) || typeof s.pattern === 'string' || Array.isArray(s.anyOf)) return '0a14e2fd-1cfe-4310-acbc-54bf93eb8420';
    return 'x';
  });
}

function violationsOf(ex: Example): string[] {
  const v = contracts();
  if (ex.status !== undefined) {
    return v.validateResponse(ex.api, ex.op, { status: ex.status, contentType: ex.mediaType.includes('*') ? undefined : ex.mediaType, body: ex.value }).map((x) => x.message);
  }
  const { violations } = v.validateRequest(ex.api, { method: ex.op.method, path: concretePath(ex.op), headers: {}, contentType: ex.mediaType, body: ex.value });
  return violations.filter((x) => x.where === 'body').map((x) => x.message);
}

describe.each(['anypoint', 'heroku'] as const)('%s examples', (api) => {
  const all = examples(api);
  const checked = all.filter((e) => !known.has(`${api} ${e.op.key} ${e.id}`));
  const listed = all.filter((e) => known.has(`${api} ${e.op.key} ${e.id}`));

  if (api === 'anypoint') {
    it('there are examples to use as fixtures', () => {
      expect(checked.length).toBeGreaterThan(30);
    });
  }

  it('each one validates against its own schema', () => {
    const failures = checked.flatMap((e) => violationsOf(e).map((m) => `${e.id}: ${m}`));
    expect(failures).toEqual([]);
  });

  it('the vendor inconsistencies listed in overrides.ts still fail (else drop them from the list)', () => {
    for (const e of listed) expect({ example: `${e.op.key} ${e.id}`, fails: violationsOf(e).length > 0 }).toEqual({ example: `${e.op.key} ${e.id}`, fails: true });
    const present = new Set(listed.map((e) => `${api} ${e.op.key} ${e.id}`));
    const missing = [...known].filter((k) => k.startsWith(`${api} `) && !present.has(k));
    expect(missing).toEqual([]);
  });
});
