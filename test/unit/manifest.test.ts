import manifest from '../../addon-manifest.json';
import { loadConfig } from '../../src/config';

// Heroku's rules for an add-on manifest (API v3), as in shared/specs/heroku-addon-api.md.
describe('addon-manifest.json', () => {
  const api = manifest.api;

  it('has a lower-case slug id that matches the service default ADDON_ID', () => {
    expect(manifest.id).toMatch(/^[a-z][a-z0-9-]*$/);
    expect(loadConfig({}).ADDON_ID).toBe(manifest.id);
  });

  it('declares API v3 and the regions the service accepts', () => {
    expect(api.version).toBe('3');
    expect(api.regions).toEqual(expect.arrayContaining(['us', 'eu']));
  });

  it('config vars match ^[A-Z][0-9A-Z_]+$ and start with the prefix, which is the slug upper-cased', () => {
    expect(api.config_vars_prefix).toBe(manifest.id.toUpperCase().replace(/-/g, '_'));
    // the origin secret the gateway sends, and the value it replaces while a rotation restarts the app
    expect(api.config_vars).toEqual(['ANYPOINT_API_GATEWAY_URL', 'ANYPOINT_API_GATEWAY_API_ID', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET_PREVIOUS']);
    for (const name of api.config_vars) {
      expect(name).toMatch(/^[A-Z][0-9A-Z_]+$/);
      expect(name.startsWith(`${api.config_vars_prefix}_`)).toBe(true);
    }
  });

  it('production URLs are HTTPS and point at the provisioning and SSO paths', () => {
    expect(new URL(api.production.base_url).protocol).toBe('https:');
    expect(new URL(api.production.sso_url).protocol).toBe('https:');
    expect(new URL(api.production.base_url).pathname).toBe('/heroku/resources');
    expect(new URL(api.production.sso_url).pathname).toBe('/sso/login');
    expect(new URL(api.test.base_url).pathname).toBe('/heroku/resources');
  });

  it('requires log_input: provision requests carry the log_input_url that puts the gateway\'s traffic in heroku logs', () => {
    expect(api.requires).toEqual(['log_input']);
  });

  it('holds placeholders, not secrets', () => {
    expect(api.password).toMatch(/^REPLACE_WITH_/);
    expect(api.sso_salt).toMatch(/^REPLACE_WITH_/);
  });

  it("production URLs name the service host by a placeholder, not a guessed <name>.herokuapp.com (apps created since mid-2023 live at <name>-<12 hex>.herokuapp.com)", () => {
    expect(api.production.base_url).toBe('https://REPLACE_WITH_SERVICE_HOST/heroku/resources');
    expect(api.production.sso_url).toBe('https://REPLACE_WITH_SERVICE_HOST/sso/login');
  });
});
