import { ConfigError, DEV_SECRETS, loadConfig } from '../../src/config';

describe('config', () => {
  it('fills development defaults', () => {
    const c = loadConfig({});
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.ADDON_ID).toBe('anypoint-api-gateway');
    expect(c.HEROKU_API_URL).toBe('https://api.heroku.com');
    expect(c.ANYPOINT_BASE_URL).toBe('https://anypoint.mulesoft.com');
  });

  it('names a malformed value', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ ENCRYPTION_KEY: 'short' })).toThrow(/ENCRYPTION_KEY/);
  });

  it('accepts rediss:// and prefers REDIS_TLS_URL', () => {
    expect(loadConfig({ REDIS_URL: 'redis://a:1', REDIS_TLS_URL: 'rediss://h:2' }).REDIS_URL).toBe('rediss://h:2');
  });

  it('refuses development secrets in production, naming each', () => {
    let err: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    for (const k of Object.keys(DEV_SECRETS)) expect(String(err)).toContain(k);
    // and never prints the secret values themselves
    for (const v of Object.values(DEV_SECRETS)) expect(String(err)).not.toContain(v);
  });

  it('starts in production when every secret is set', () => {
    const env: Record<string, string> = { NODE_ENV: 'production' };
    for (const k of Object.keys(DEV_SECRETS)) env[k] = k === 'ENCRYPTION_KEY' ? Buffer.alloc(32, 9).toString('base64') : `prod-${k.toLowerCase()}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`;
    expect(loadConfig(env).NODE_ENV).toBe('production');
  });
});
