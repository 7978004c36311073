import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/preflight';
import { SMOKE_GATEWAY_PREFIX } from '../../src/preflight/index';
import { EMPTY, made, startWorld, type World } from './support';

/**
 * `npm run preflight` as an operator runs it: a process (bin/preflight.js, here on the TypeScript
 * source through ts-node, as in development) that prints one line per check and exits 0 only when
 * all pass; `--smoke` killed midway (SIGKILL: nothing of it runs any more) leaves pieces that the
 * next run finds by their names and removes, so the stand-ins end empty.
 */

const ROOT = path.resolve(__dirname, '../..');
let world: World;
let dir: string;

beforeAll(async () => {
  world = await startWorld('preflight-cli');
  dir = mkdtempSync(path.join(os.tmpdir(), 'aag-preflight-cli-'));
});
afterAll(async () => {
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function preflight(args: string[], env: Record<string, string> = {}): Run {
  let out = '';
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/preflight.js'), ...args], {
    cwd: ROOT,
    // the child trusts the service's certificate the way Node is told to (on Heroku: the system's)
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...world.env, NODE_EXTRA_CA_CERTS: world.caFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('npm run preflight (the process)', () => {
  it('settings that do not load, a manifest that differs: failing lines and exit 1; bad arguments: exit 2', async () => {
    const manifest = path.join(dir, 'stale-manifest.json');
    writeFileSync(manifest, JSON.stringify({ id: 'anypoint-api-gateway', api: { password: 'an-older-password-value', sso_salt: world.env.SSO_SALT, production: { base_url: 'https://REPLACE_WITH_SERVICE_HOST/heroku/resources' } } }));
    const lines: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((l: string) => void lines.push(l));
    const err = jest.spyOn(console, 'error').mockImplementation((l: string) => void lines.push(l));
    try {
      expect(await main(['--manifest', manifest], world.env)).toBe(1);
      expect(lines).toContain(
        "FAIL heroku: manifest values: the manifest's api.password differs from the service's setting; the manifest's api.production.base_url is still a placeholder; the manifest's api.production.sso_url differs from the service's setting [fix: set the real values (heroku config:set …) and push the manifest with the same ones (README \"Pushing the manifest\")]",
      );
      expect(lines.join('\n')).not.toContain(world.env.ADDON_PASSWORD);
      lines.length = 0;
      expect(await main([], { ...world.env, SSO_SALT: 'REPLACE_WITH_SSO_SALT' })).toBe(1);
      expect(lines).toEqual(['FAIL settings: SSO_SALT: still holds a placeholder (REPLACE_WITH_…); set the real value [fix: correct the setting (README "Environment")]', '0 passed, 1 failed']);
      lines.length = 0;
      expect(await main(['--region', 'ap'], world.env)).toBe(2);
      expect(lines.join('\n')).toContain('--region is us or eu, not ap');
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });

  it('--smoke killed midway (SIGKILL), then run again: the second run removes what the first left, every check passes, nothing remains', async () => {
    world.anypoint.reset();
    // the API takes long to go live: the kill lands while the smoke waits for it
    world.anypoint.configure({ apiGoLiveDelayMs: 120_000 });
    const first = preflight(['--smoke', '--upstream', world.upstream.url]);
    const deadline = Date.now() + 45_000;
    while (!world.anypoint.inspect().apis[0]?.deployment) {
      if (first.child.exitCode !== null || Date.now() > deadline) throw new Error(`the smoke did not get to its deployment:\n${first.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const left = made(world.anypoint.inspect());
    expect(left.gateways.map((g) => (g as { name: string }).name)).toEqual([`${SMOKE_GATEWAY_PREFIX}us`]);
    expect(left.assets).toHaveLength(1);
    expect(left.apis).toHaveLength(1);
    expect(left.policies).toHaveLength(1);

    // run again, as an operator would, with the manifest about to be pushed
    const manifest = path.join(dir, 'addon-manifest.json');
    writeFileSync(
      manifest,
      JSON.stringify({
        id: 'anypoint-api-gateway',
        api: {
          password: world.env.ADDON_PASSWORD,
          sso_salt: world.env.SSO_SALT,
          production: { base_url: `${world.serviceUrl}/heroku/resources`, sso_url: `${world.serviceUrl}/sso/login` },
        },
      }),
    );
    world.anypoint.configure({ apiGoLiveDelayMs: 20 });
    const hits = world.upstream.hits();
    const second = preflight(['--smoke', '--upstream', world.upstream.url, '--manifest', manifest]);
    expect(await second.exited).toBe(0);
    const out = second.output();
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ok   '))).toHaveLength(16);
    expect(lines.at(-1)).toBe('16 passed, 0 failed');
    expect(out).toContain('ok   heroku: manifest values — set, and the same as the manifest file');
    expect(out).toMatch(/leftovers of an earlier smoke: API instance \d+, gateway aag-preflight-us, Exchange asset heroku-addon-[0-9a-f-]+; removing them first/);
    expect(out).toContain('ok   smoke: nothing left behind');
    expect(world.upstream.hits()).toBe(hits + 1);
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  }, 120_000);
});
