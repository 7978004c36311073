import { loadConfig } from '../../src/config';
import { runPreflight, SMOKE_GATEWAY_PREFIX, SMOKE_UUID, type PreflightOptions } from '../../src/preflight/index';
import { EMPTY, made, startWorld, type World } from './support';

/**
 * `--smoke` against the stand-ins: one throwaway API made the way a provision makes it on the default
 * target, called once through its gateway, then removed; whatever it made is removed when a step
 * fails or the run is stopped, it says so when something cannot be removed, and the next run removes
 * what an earlier one left before it starts. The stand-ins end empty.
 */

let world: World;
beforeAll(async () => {
  world = await startWorld('preflight-smoke');
});
afterAll(() => world.close());
beforeEach(() => {
  world.anypoint.reset();
});

const ASSET = `heroku-addon-${SMOKE_UUID}`;

async function smoke(env: Record<string, string> = {}, opts: Partial<PreflightOptions> = {}) {
  const out: string[] = [];
  const r = await runPreflight(loadConfig({ ...world.env, ...env }), {
    ca: world.ca,
    out: (l) => out.push(l),
    smoke: { region: 'us', upstream: world.upstream.url },
    ...opts,
  });
  return { ...r, text: out.join('\n'), fails: r.lines.filter((l) => l.status === 'fail') };
}

async function until<T>(what: string, fn: () => T | undefined, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('preflight --smoke', () => {
  it('makes one API on a gateway of its own, calls it once through the gateway, removes everything, and exits 0', async () => {
    const hits = world.upstream.hits();
    const r = await smoke();
    expect(r.fails).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(world.upstream.hits()).toBe(hits + 1);
    // the steps of a provision on omni, each with its time, and each call with its status and time
    for (const step of ['Creating the gateway', 'Creating the Exchange asset', 'Creating the API instance', 'Applying the rate limit', 'Deploying on the gateway', 'Waiting for the API to go live', 'Removing the API instances', 'Removing the Exchange asset', 'Removing the gateway']) {
      expect(r.text).toMatch(new RegExp(`\\n {5}${step}: done in \\d+ ms`));
    }
    expect(r.text).toMatch(/POST \/gatewaymanager\/api\/v1\/organizations\/[^ ]+\/gateways → 201 \(\d+ ms\)/);
    expect(r.text).toMatch(/POST \/apimanager\/api\/v1\/organizations\/[^ ]+\/apis\/\d+\/policies → 201 \(\d+ ms\)/);
    expect(r.text).toMatch(/ok {3}smoke: a throwaway API — http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/ answered 200 in \d+ ms/);
    expect(r.text).toContain('ok   smoke: nothing left behind');
    expect(r.text).toMatch(/\n16 passed, 0 failed$/);
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });

  it('a step that fails: the line names the step, everything made so far is removed, exit 1', async () => {
    world.anypoint.setFaults([{ path: '/proxies/xapi/v1/.*/deployments$', method: 'POST', status: 400 }]);
    const r = await smoke();
    expect(r.fails.map((l) => l.name)).toEqual(['smoke: a throwaway API']);
    expect(r.fails[0].text).toMatch(/^FAIL smoke: a throwaway API: Deploying on the gateway: proxies POST \/proxies\/xapi\/v1\/.+ failed \(400/);
    expect(r.text).toContain('ok   smoke: nothing left behind');
    expect(r.exitCode).toBe(1);
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });

  it('says what it could not remove, and the next run removes it first', async () => {
    world.anypoint.setFaults([{ path: `/exchange/api/v2/assets/.+/${ASSET}/1\\.0\\.0$`, method: 'DELETE', status: 403 }]);
    const first = await smoke();
    expect(first.fails.map((l) => l.name)).toEqual(['smoke: nothing left behind']);
    expect(first.fails[0].text).toMatch(new RegExp(`still there: Exchange asset ${ASSET}; Removing the Exchange asset: exchange DELETE .+ failed \\(403\\)`));
    expect(first.fails[0].text).toContain('[fix: run the smoke again');
    expect(first.exitCode).toBe(1);
    expect(world.anypoint.inspect().assets.map((a) => a.assetId)).toEqual([ASSET]);

    world.anypoint.clearFaults();
    const second = await smoke();
    expect(second.text).toContain(`leftovers of an earlier smoke: Exchange asset ${ASSET}; removing them first`);
    expect(second.fails).toEqual([]);
    expect(second.exitCode).toBe(0);
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });

  it('stopped midway (Ctrl-C): it stops at once, even in a long wait, and still removes what it made', async () => {
    world.anypoint.configure({ gatewayCreateDelayMs: 0, apiGoLiveDelayMs: 60_000 });
    const stop = new AbortController();
    // a poll of 30 s, as on the platform: the stop must not wait it out
    const running = smoke({ DEPLOY_POLL_MS: '30000' }, { smoke: { region: 'us', upstream: world.upstream.url, signal: stop.signal } });
    await until('the API deployed on the smoke gateway', () => (world.anypoint.inspect().apis[0]?.deployment ? true : undefined));
    expect(world.anypoint.inspect().gateways.map((g) => g.name)).toEqual([`${SMOKE_GATEWAY_PREFIX}us`]);
    await new Promise((res) => setTimeout(res, 100));
    const t0 = Date.now();
    stop.abort();
    const r = await running;
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.fails.map((l) => l.text)).toEqual([expect.stringMatching(/^FAIL smoke: a throwaway API: interrupted \[fix: the pieces made so far are removed now/)]);
    expect(r.text).toContain('ok   smoke: nothing left behind');
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });

  it('on ch2 (a dedicated CloudHub 2.0 proxy) a stopped run leaves nothing either: the proxy application is found by its name', async () => {
    world.anypoint.configure({ deployDelayMs: 60_000 });
    const stop = new AbortController();
    const running = smoke({ ANYPOINT_DEFAULT_TARGET: 'ch2' }, { smoke: { region: 'eu', upstream: world.upstream.url, signal: stop.signal } });
    await until('the proxy application', () => (world.anypoint.inspect().applications.length ? true : undefined));
    stop.abort();
    const r = await running;
    expect(r.text).toContain('Deploying the proxy: done in');
    expect(r.text).toContain('Removing the proxy application: done in');
    expect(r.text).toContain('ok   smoke: nothing left behind');
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });

  it('is not run when a check failed (it makes real resources)', async () => {
    world.anypoint.configure({ hardDeletionEnabled: false });
    const r = await smoke();
    expect(r.lines.find((l) => l.name === 'smoke: a throwaway API')?.text).toBe('skip smoke: a throwaway API: fix the failing lines first (the smoke makes real resources)');
    expect(r.exitCode).toBe(1);
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });
});
