import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The design's boundaries, checked on the files themselves (lint checks the same rules while
 * editing): the product imports no workspace package, only the jobs adapter imports BullMQ, the
 * packages import nothing of the product, connections are built in one module, and neither the
 * production build nor what Heroku installs contains stand-in or driver code.
 */

const ROOT = path.resolve(__dirname, '../..');

function filesUnder(dir: string, ext = '.ts'): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, ext));
    else if (full.endsWith(ext)) out.push(full);
  }
  return out;
}

/** Module specifiers of a TypeScript file's imports and requires. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    specs.push(m[1] ?? m[2] ?? m[3]);
  }
  return specs;
}

const rel = (f: string) => path.relative(ROOT, f);

describe('import boundaries', () => {
  const product = filesUnder(path.join(ROOT, 'src'));

  it('the product imports no workspace package (stand-ins, driver, contracts)', () => {
    const bad: string[] = [];
    for (const f of product) {
      for (const spec of importsOf(f)) {
        const target = spec.startsWith('.') ? path.resolve(path.dirname(f), spec) : '';
        if (spec.startsWith('@aag/') || (target && !target.startsWith(path.join(ROOT, 'src')))) bad.push(`${rel(f)} → ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('only the jobs adapter (src/jobs) imports BullMQ', () => {
    const importers = product.filter((f) => importsOf(f).some((s) => s === 'bullmq' || s.startsWith('bullmq/') || s.includes('bullMQAdapter'))).map(rel);
    expect(importers.length).toBeGreaterThan(0);
    expect(importers.filter((f) => !f.startsWith('src/jobs/'))).toEqual([]);
  });

  it('the packages import nothing of the product, and only each other by name', () => {
    const bad: string[] = [];
    for (const pkg of readdirSync(path.join(ROOT, 'packages'))) {
      const dir = path.join(ROOT, 'packages', pkg);
      for (const f of filesUnder(dir)) {
        for (const spec of importsOf(f)) {
          if (!spec.startsWith('.')) continue;
          if (!path.resolve(path.dirname(f), spec).startsWith(dir + path.sep)) bad.push(`${rel(f)} → ${spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('Redis connections are built in src/store/redis.ts only', () => {
    const hits: string[] = [];
    for (const top of ['src', 'test', 'bench', 'scripts', 'packages']) {
      for (const f of filesUnder(path.join(ROOT, top))) {
        if (/new (Redis|Cluster)\(/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''))) hits.push(rel(f));
      }
    }
    expect(hits).toEqual(['src/store/redis.ts']);
  });
});

describe('what ships', () => {
  it('the production build (tsconfig.build.json) holds product code only', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'aag-dist-'));
    try {
      execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: ROOT, stdio: 'pipe' });
      const files = filesUnder(out, '.js').map((f) => path.relative(out, f));
      expect(files.length).toBeGreaterThan(20);
      expect(files.filter((f) => !f.startsWith(`src${path.sep}`))).toEqual([]);
      for (const f of files) {
        const text = readFileSync(path.join(out, f), 'utf8');
        expect({ f, standIn: /@aag\/|createAnypointSandbox|createHerokuSandbox|__sandbox|aag-driver|multer/.test(text) }).toEqual({ f, standIn: false });
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);

  it("what Heroku installs: the slug leaves the packages out, and no workspace package's dependency is a production one", () => {
    const slugignore = readFileSync(path.join(ROOT, '.slugignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const dir of ['packages/', 'test/', 'bench/', 'scripts/']) expect(slugignore).toContain(dir);
    const root = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; bin?: unknown };
    expect(root.bin).toBeUndefined();
    const prodTree = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .map((l) => path.relative(path.join(ROOT, 'node_modules'), l))
      .filter((l) => l && !l.startsWith('..'));
    for (const pkg of readdirSync(path.join(ROOT, 'packages'))) {
      const manifest = JSON.parse(readFileSync(path.join(ROOT, 'packages', pkg, 'package.json'), 'utf8')) as { dependencies?: object; devDependencies?: Record<string, string> };
      // a workspace package's own needs are development needs: npm ci --omit=dev installs none of them
      expect({ pkg, dependencies: manifest.dependencies }).toEqual({ pkg, dependencies: undefined });
      for (const dep of Object.keys(manifest.devDependencies ?? {})) {
        if (dep.startsWith('@aag/') || root.dependencies[dep]) continue;
        expect({ pkg, dep, inProductionTree: prodTree.includes(dep) }).toEqual({ pkg, dep, inProductionTree: false });
      }
    }
  }, 60_000);
});
