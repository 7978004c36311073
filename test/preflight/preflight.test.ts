import { DEFAULT_ENVIRONMENTS } from '@aag/standins';
import { loadConfig } from '../../src/config';
import { runPreflight, type PreflightOptions, type PreflightResult } from '../../src/preflight/index';
import { EMPTY, GRANTED_SCOPES, made, startWorld, type World } from './support';

/**
 * The preflight against the stand-ins (issue 16): with everything in place every check passes and
 * it exits 0; each deliberate failure (missing scope, unknown environment, no space, a shared space
 * for omni, no supported runtime, hard delete refused, wrong Heroku secret, development manifest
 * values, a public URL that is not https) produces exactly one failing line naming the fix, and exit 1.
 */

let world: World;
beforeAll(async () => {
  world = await startWorld('preflight');
});
afterAll(() => world.close());
beforeEach(() => {
  world.anypoint.reset();
});

async function run(env: Record<string, string> = {}, opts: PreflightOptions = {}): Promise<PreflightResult & { text: string }> {
  const out: string[] = [];
  const config = loadConfig({ ...world.env, ...env });
  const result = await runPreflight(config, { ca: world.ca, out: (l) => out.push(l), sleep: async () => undefined, ...opts });
  return { ...result, text: out.join('\n') };
}

const failing = (r: PreflightResult) => r.lines.filter((l) => l.status === 'fail');

describe('preflight: everything in place', () => {
  it('every check passes, one line each, and it exits 0', async () => {
    const r = await run();
    expect(failing(r)).toEqual([]);
    expect(r.lines.filter((l) => l.status === 'skip')).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(r.lines.map((l) => l.name)).toEqual([
      'anypoint: connected app token',
      'anypoint: organisation',
      'anypoint: environment',
      'anypoint: connected app scopes',
      'anypoint: space us',
      'anypoint: space eu',
      'anypoint: gateway versions (omni)',
      'anypoint: gateway pool us (omni)',
      'anypoint: gateway pool eu (omni)',
      'anypoint: rate-limit policy (flexGateway)',
      'anypoint: Exchange hard deletion',
      'heroku: OAuth client secret',
      'heroku: manifest values',
      'heroku: public URL',
    ]);
    expect(r.text).toMatch(/\n14 passed, 0 failed$/);
    expect(r.text).toContain(`ok   anypoint: connected app scopes — all ${GRANTED_SCOPES.length} granted`);
    expect(r.text).toContain('ok   anypoint: space us — aag-us-private (private-space');
    expect(r.text).toContain('ok   anypoint: gateway pool us (omni) — Gateway Manager answers; no gateway yet');
    expect(r.text).toContain(`ok   heroku: public URL — ${world.serviceUrl}/healthz answers 200`);
    // read-only: nothing was made
    expect(made(world.anypoint.inspect())).toEqual(EMPTY);
  });

  it('with plans on both targets it checks the Mule runtime of each region and both technologies’ rate limit', async () => {
    const r = await run({ PLAN_TARGETS: 'premium:ch2' });
    expect(failing(r)).toEqual([]);
    expect(r.text).toMatch(/ok {3}anypoint: runtime us \(ch2\) — new proxies run Mule 4\.9\.8:3/);
    expect(r.text).toContain('ok   anypoint: rate-limit policy (mule4)');
    expect(r.text).toContain('ok   anypoint: rate-limit policy (flexGateway)');
    expect(r.exitCode).toBe(0);
  });

  it('the pool’s running gateways and the platform’s API limit per gateway are reported', async () => {
    world.anypoint.configure({ gatewayApiLimit: 40 });
    const base = `${world.env.ANYPOINT_BASE_URL}`;
    const token = await fetch(`${base}/accounts/api/v2/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'dev-anypoint-client', client_secret: 'dev-anypoint-client-secret' }) });
    const { access_token } = (await token.json()) as { access_token: string };
    const gw = await fetch(`${base}/gatewaymanager/api/v1/organizations/${world.anypoint.inspect().orgId}/environments/${DEFAULT_ENVIRONMENTS[0].id}/gateways`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'aag-us-1', targetId: '7d0c1e2a-1111-4c2e-9f10-aa2b3c4d5e01', runtimeVersion: '1.10.3', releaseChannel: 'lts', size: 'small' }),
    });
    expect(gw.status).toBe(201);
    await new Promise((res) => setTimeout(res, 150));
    const r = await run({ OMNI_GATEWAY_API_LIMIT: '60' });
    expect(r.text).toContain('ok   anypoint: gateway pool us (omni) — 1 gateway running (aag-us-1); API limit 40 per gateway (OMNI_GATEWAY_API_LIMIT 60 is above it: 40 is used)');
    expect(r.exitCode).toBe(0);
  });
});

describe('preflight: each failure on purpose gives one failing line naming the fix, and exit 1', () => {
  const cases: { what: string; env?: Record<string, string>; setup?: () => void; line: string; why: RegExp; fix: RegExp }[] = [
    {
      what: 'a missing scope',
      setup: () => world.anypoint.configure({ scopes: GRANTED_SCOPES.filter((s) => s !== 'manage:api_policies') }),
      line: 'anypoint: connected app scopes',
      why: /lacks a scope in environment Sandbox: manage:api_policies: apply and rewrite the rate limit \(Manage Policies\)$/,
      fix: /add manage:api_policies to connected app dev-anypoint-client .*Access Management → Connected Apps → Scopes/,
    },
    {
      what: 'an unknown environment',
      env: { ANYPOINT_ENVIRONMENT: 'Staging' },
      line: 'anypoint: environment',
      why: /"Staging" not found; the organisation has: "Sandbox", "Production"/,
      fix: /set ANYPOINT_ENVIRONMENT to one of them/,
    },
    {
      what: 'no space',
      env: { ANYPOINT_REGION_SPACES: 'us:aag-us-private,eu:aag-eu-nowhere' },
      line: 'anypoint: space eu',
      why: /no CloudHub 2\.0 space "aag-eu-nowhere" is visible to environment Sandbox \(visible: aag-us-private, aag-eu-private\)/,
      fix: /Runtime Manager → Private Spaces.*ANYPOINT_REGION_SPACES \(eu:<space>\)/,
    },
    {
      what: 'no supported runtime line',
      setup: () => world.anypoint.configure({ ltsRuntimes: false }),
      line: 'anypoint: gateway versions (omni)',
      why: /the platform offers no LTS gateway version/,
      fix: /pin OMNI_GATEWAY_RUNTIME_VERSION to an offered version/,
    },
    {
      what: 'hard delete refused',
      setup: () => world.anypoint.configure({ hardDeletionEnabled: false }),
      line: 'anypoint: Exchange hard deletion',
      why: /does not allow hard deletion of Exchange assets/,
      fix: /Exchange → Settings/,
    },
    {
      what: 'a wrong Heroku OAuth secret',
      env: { HEROKU_OAUTH_CLIENT_SECRET: 'not-the-partner-portal-secret' },
      line: 'heroku: OAuth client secret',
      why: /refused the client secret \(401 unauthorized\)/,
      fix: /Add-on Partner Portal .*HEROKU_OAUTH_CLIENT_SECRET/,
    },
    {
      what: 'the manifest’s values at their development defaults',
      env: { ADDON_PASSWORD: '', SSO_SALT: '' },
      line: 'heroku: manifest values',
      why: /ADDON_PASSWORD is the development default; SSO_SALT is the development default/,
      fix: /push the manifest with the same ones/,
    },
    {
      what: 'a public URL that is not https',
      env: { PUBLIC_URL: 'http://127.0.0.1:9' },
      line: 'heroku: public URL',
      why: /is not https/,
      fix: /https:\/\/ origin of the service app/,
    },
  ];

  it.each(cases)('$what', async ({ env, setup, line, why, fix }) => {
    setup?.();
    const r = await run(env);
    const fails = failing(r);
    expect(fails.map((l) => l.name)).toEqual([line]);
    expect(fails[0].text.startsWith(`FAIL ${line}: `)).toBe(true);
    const [w, f] = fails[0].text.slice(`FAIL ${line}: `.length).split(' [fix: ');
    expect(w).toMatch(why);
    expect(f).toMatch(fix);
    expect(r.exitCode).toBe(1);
    expect(r.text).toMatch(new RegExp(`\\n${r.passed} passed, 1 failed(, ${r.skipped} skipped)?$`));
  });

  it('shared spaces where omni needs private ones: a failing line per region (ch2 runs in shared spaces)', async () => {
    // the stand-in's default spaces are the shared ones of the service's default settings
    const { createAnypointSandbox } = await import('@aag/standins');
    const shared = createAnypointSandbox({ seed: 3 });
    shared.configure({ scopes: GRANTED_SCOPES });
    const s = await shared.start(0);
    try {
      const omni = await run({ ANYPOINT_BASE_URL: s.url, ANYPOINT_REGION_SPACES: 'us:Cloudhub-US-East-2,eu:Cloudhub-EU-West-1' });
      expect(failing(omni).map((l) => l.name)).toEqual(['anypoint: space us', 'anypoint: space eu']);
      expect(failing(omni)[0].text).toContain('"Cloudhub-US-East-2" is a shared-space; managed Omni Gateways (target omni) run only in a CloudHub 2.0 private space [fix: create a private space in region us');
      const ch2 = await run({ ANYPOINT_BASE_URL: s.url, ANYPOINT_REGION_SPACES: 'us:Cloudhub-US-East-2,eu:Cloudhub-EU-West-1', ANYPOINT_DEFAULT_TARGET: 'ch2' });
      expect(failing(ch2)).toEqual([]);
    } finally {
      await shared.close();
    }
  });

  it('what depends on a failed check is skipped, not failed again', async () => {
    const r = await run({ ANYPOINT_ENVIRONMENT: 'Staging' });
    expect(r.lines.filter((l) => l.status === 'skip').map((l) => l.text)).toEqual([
      'skip anypoint: connected app scopes: needs "anypoint: environment"',
      'skip anypoint: space us: needs "anypoint: environment"',
      'skip anypoint: space eu: needs "anypoint: environment"',
      'skip anypoint: gateway pool us (omni): needs "anypoint: environment"',
      'skip anypoint: gateway pool eu (omni): needs "anypoint: environment"',
      'skip anypoint: rate-limit policy (flexGateway): needs "anypoint: environment"',
      'skip anypoint: Exchange hard deletion: needs "anypoint: environment"',
    ]);
    // Heroku's side does not depend on Anypoint's
    expect(r.lines.filter((l) => l.name.startsWith('heroku:')).map((l) => l.status)).toEqual(['ok', 'ok', 'ok']);
  });
});

describe('preflight: the environment is found despite paging', () => {
  it('past the first page of 500, the one that differs only in case', async () => {
    const many = Array.from({ length: 530 }, (_, i) => ({ id: `5e0c0000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `Team ${i}` }));
    const paged = await startWorld('preflight-paged', { environments: [...many, { id: DEFAULT_ENVIRONMENTS[0].id, name: 'Sandbox' }] });
    try {
      const out: string[] = [];
      const r = await runPreflight(loadConfig({ ...paged.env, ANYPOINT_ENVIRONMENT: 'sandbox' }), { ca: paged.ca, out: (l) => out.push(l) });
      expect(out).toContain(`ok   anypoint: environment — Sandbox (${DEFAULT_ENVIRONMENTS[0].id})`);
      expect(r.exitCode).toBe(0);
    } finally {
      await paged.close();
    }
  });
});
