import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pkg from '../../package.json';

/**
 * The project runs on the Node of package.json's engines (24, the LTS line; Heroku reads the same
 * field): the node devDependency that `npm ci` installs is first on the PATH under `npm test`, so
 * jest, ts-jest and every process the tests spawn with process.execPath (through ts-node) run on it.
 */
const ROOT = path.resolve(__dirname, '../..');
const major = (v: string) => v.replace(/^v/, '').split('.')[0];

describe('runtime', () => {
  it('engines names Node 24 and the devDependency that provides it is on the same line', () => {
    expect(pkg.engines.node).toBe('24.x');
    expect(pkg.devDependencies.node).toMatch(/^24\.\d+\.\d+$/);
    expect(major(pkg.devDependencies['@types/node'].replace(/^\^|~/, ''))).toBe('24');
    expect(pkg.allowScripts).toEqual(expect.objectContaining({ node: true }));
  });

  it('the tests run on Node 24', () => {
    expect(major(process.version)).toBe('24');
  });

  it('a child started with process.execPath runs the product through ts-node on the same Node', () => {
    const out = execFileSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-e', "const n = require('./src/domain/naming'); const c = require('./src/config'); console.log(JSON.stringify({ v: process.version, asset: n.assetIdFor('ABC'), port: c.loadConfig({}).PORT }))"],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, timeout: 30_000 },
    );
    const seen = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { v: string; asset: string; port: number };
    expect(seen).toEqual({ v: process.version, asset: 'heroku-addon-abc', port: 5000 });
  });
});
