/**
 * Regenerates packages/contracts/extract/{anypoint,heroku}.json from the vendor specs.
 *
 *   npx ts-node --transpile-only packages/contracts/scripts/extract.ts [--check]
 *
 * Vendor directory: $VENDOR_SPECS_DIR, default <repo>/../shared/specs/vendor. `--check` writes
 * nothing and exits 1 when the committed extract differs from a fresh one.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildExtract, type BuiltExtracts } from '../src/extract/build';
import { stableStringify } from '../src/extract/stable-json';

export { buildExtract, stableStringify, type BuiltExtracts };

export const PACKAGE_DIR = path.resolve(__dirname, '..');
export const EXTRACT_DIR = path.join(PACKAGE_DIR, 'extract');
export const REPO_DIR = path.resolve(PACKAGE_DIR, '..', '..');

export function vendorDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.VENDOR_SPECS_DIR ?? path.join(REPO_DIR, '..', 'shared', 'specs', 'vendor'));
}

/** The files the extract consists of, as written. */
export function render(built: BuiltExtracts): Record<string, string> {
  return {
    'anypoint.json': stableStringify(built.anypoint),
    'heroku.json': stableStringify(built.heroku),
  };
}

function main(): void {
  const check = process.argv.includes('--check');
  const dir = vendorDir();
  if (!existsSync(path.join(dir, 'README.md'))) {
    console.error(`vendor specs not found at ${dir} (set VENDOR_SPECS_DIR)`);
    process.exit(2);
  }
  const started = Date.now();
  const files = render(buildExtract(dir));
  let differs = false;
  for (const [name, text] of Object.entries(files)) {
    const target = path.join(EXTRACT_DIR, name);
    const old = existsSync(target) ? readFileSync(target, 'utf8') : '';
    if (old === text) {
      console.log(`${name}: unchanged`);
      continue;
    }
    differs = true;
    if (check) console.log(`${name}: differs from a fresh extract`);
    else {
      mkdirSync(EXTRACT_DIR, { recursive: true });
      writeFileSync(target, text);
      console.log(`${name}: written (${Buffer.byteLength(text)} bytes)`);
    }
  }
  console.log(`from ${dir} in ${Date.now() - started} ms`);
  if (check && differs) process.exit(1);
}

if (require.main === module) main();
