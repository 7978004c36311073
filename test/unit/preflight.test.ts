import { DEV_SECRETS } from '../../src/config';
import { pickGatewayVersion } from '../../src/domain/runtimes';
import { findSpace, poolGateways, targetsInUse } from '../../src/preflight/anypoint';
import { manifestProblems } from '../../src/preflight/heroku';
import { failureOf } from '../../src/preflight/report';
import { missingScopes, REQUIRED_SCOPES } from '../../src/preflight/scopes';
import { UpstreamError } from '../../src/clients/errors';
import { PermanentFailure } from '../../src/engine';

/** The preflight's rules, pure: scopes per organisation and environment, manifest values, targets in use, the pool, the gateway version rule. */

const ORG = 'org-1';
const ENV = 'env-1';

describe('missingScopes', () => {
  const all = (envId?: string, org = ORG) => REQUIRED_SCOPES.map((r) => ({ scope: r.scope, org, envId }));

  it('every required scope granted for the environment (or for the whole organisation) → none missing', () => {
    expect(missingScopes(all(ENV), { orgId: ORG, envId: ENV })).toEqual([]);
    expect(missingScopes(all(undefined), { orgId: ORG, envId: ENV })).toEqual([]);
  });

  it('a grant for another environment or organisation does not count', () => {
    const granted = [...all(ENV).filter((g) => g.scope !== 'manage:api_proxies'), { scope: 'manage:api_proxies', org: ORG, envId: 'env-2' }, { scope: 'manage:api_proxies', org: 'org-2', envId: ENV }];
    expect(missingScopes(granted, { orgId: ORG, envId: ENV })).toEqual(['manage:api_proxies']);
  });
});

describe('manifestProblems', () => {
  const live = { ADDON_ID: 'anypoint-api-gateway', ADDON_PASSWORD: 'a-live-password-123456', SSO_SALT: 'a-live-sso-salt-123456', PUBLIC_URL: 'https://svc-1a2b3c4d5e6f.herokuapp.com', HEROKU_ID_URL: 'https://id.heroku.com' };
  const manifest = {
    id: 'anypoint-api-gateway',
    api: { password: live.ADDON_PASSWORD, sso_salt: live.SSO_SALT, production: { base_url: `${live.PUBLIC_URL}/heroku/resources`, sso_url: `${live.PUBLIC_URL}/sso/login` } },
  };

  it('live values, and a manifest with the same ones → nothing', () => {
    expect(manifestProblems(live)).toEqual([]);
    expect(manifestProblems(live, manifest)).toEqual([]);
  });

  it('development defaults, placeholders, no PUBLIC_URL, and every manifest field that differs, named without its value', () => {
    const problems = manifestProblems(
      { ...live, ADDON_PASSWORD: DEV_SECRETS.ADDON_PASSWORD, PUBLIC_URL: 'https://REPLACE_WITH_SERVICE_HOST' },
      { ...manifest, api: { ...manifest.api, sso_salt: 'REPLACE_WITH_SSO_SALT' } },
    );
    expect(problems).toEqual([
      'PUBLIC_URL holds a REPLACE_WITH_… placeholder',
      'ADDON_PASSWORD is the development default',
      "the manifest's api.password differs from the service's setting",
      "the manifest's api.sso_salt is still a placeholder",
      "the manifest's api.production.base_url differs from the service's setting",
      "the manifest's api.production.sso_url differs from the service's setting",
    ]);
    expect(problems.join(' ')).not.toContain(live.SSO_SALT);
    expect(manifestProblems({ ...live, PUBLIC_URL: undefined })).toEqual(['PUBLIC_URL is not set (the manifest’s base_url and sso_url are on it)']);
  });
});

describe('targets, spaces, the pool, gateway versions', () => {
  it('targets in use: the default and those PLAN_TARGETS names', () => {
    expect(targetsInUse({ ANYPOINT_DEFAULT_TARGET: 'omni', PLAN_TARGETS: {} })).toEqual(['omni']);
    expect(targetsInUse({ ANYPOINT_DEFAULT_TARGET: 'omni', PLAN_TARGETS: { premium: 'ch2', basic: 'omni' } })).toEqual(['ch2', 'omni']);
  });

  it('a space by exact name, else the one that differs in case', () => {
    const t = [{ id: '1', name: 'aag-US' }, { id: '2', name: 'aag-us-2' }];
    expect(findSpace(t, 'aag-us')?.id).toBe('1');
    expect(findSpace(t, 'aag-us-2')?.id).toBe('2');
    expect(findSpace(t, 'nope')).toBeUndefined();
  });

  it('the pool of a region: aag-<region>-<n> in slot order, nothing else', () => {
    const g = (name: string) => ({ id: name, name });
    expect(poolGateways([g('aag-us-10'), g('aag-eu-1'), g('aag-us-2'), g('aag-preflight-us'), g('aag-us-x')], 'us').map((x) => x.name)).toEqual(['aag-us-2', 'aag-us-10']);
  });

  it('gateway versions: newest LTS, or the pin when an LTS or Edge channel offers it', () => {
    const channels = { lts: ['1.10.3', '1.9.9'], edge: ['1.12.1'] };
    expect(pickGatewayVersion(channels)).toEqual({ ok: true, value: '1.10.3' });
    expect(pickGatewayVersion(channels, '1.12.1')).toEqual({ ok: true, value: '1.12.1' });
    expect(pickGatewayVersion(channels, '1.8.0')).toMatchObject({ ok: false, message: expect.stringContaining('1.8.0 is not offered') });
    expect(pickGatewayVersion({ edge: ['1.12.1'] })).toEqual({ ok: false, message: 'the platform offers no LTS gateway version' });
  });
});

describe('failureOf: what an error means for the operator', () => {
  it('an upstream status names the likely fix; a step’s own words are kept', () => {
    const err = (status?: number) => new UpstreamError({ api: 'apimanager', method: 'GET', path: '/x', status, retryable: false });
    expect(failureOf(err(403)).fix).toMatch(/scopes of README "Going live"/);
    expect(failureOf(err(401)).fix).toMatch(/ANYPOINT_CLIENT_SECRET/);
    expect(failureOf(err(undefined)).fix).toMatch(/no answer: check the URL setting/);
    expect(failureOf(err(503)).fix).toMatch(/run the preflight again/);
    expect(failureOf(new PermanentFailure('the gateway refused the API (failed)', 'Do this.'))).toMatchObject({ why: 'the gateway refused the API (failed)', fix: 'Do this.' });
  });
});
