import { ConfigError, DEV_SECRETS, encryptionKeyring, loadConfig, secretValues } from '../../src/config';

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

/** A production environment with every secret set (what an operator's app has). */
function prodEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { NODE_ENV: 'production' };
  for (const k of Object.keys(DEV_SECRETS)) env[k] = k === 'ENCRYPTION_KEY' ? Buffer.alloc(32, 9).toString('base64') : `prod-${k.toLowerCase()}-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`;
  return { ...env, ...extra };
}

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
    return '';
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return String((err as Error).message);
  }
};

describe('UPSTREAM_CHECK (issue 17 item 1)', () => {
  it('defaults to strict in production and lenient elsewhere', () => {
    expect(loadConfig(prodEnv()).UPSTREAM_CHECK).toBe('strict');
    expect(loadConfig({}).UPSTREAM_CHECK).toBe('lenient');
    expect(loadConfig({ NODE_ENV: 'test' }).UPSTREAM_CHECK).toBe('lenient');
    expect(loadConfig({ UPSTREAM_CHECK: 'strict' }).UPSTREAM_CHECK).toBe('strict');
    expect(problemsOf({ UPSTREAM_CHECK: 'loose' })).toMatch(/UPSTREAM_CHECK/);
  });

  it('production refuses to start with lenient', () => {
    expect(problemsOf(prodEnv({ UPSTREAM_CHECK: 'lenient' }))).toMatch(/UPSTREAM_CHECK: must be strict in production/);
  });
});

describe('fail closed in production (issue 15 item 8)', () => {
  it('on Heroku (DYNO set) without NODE_ENV=production: refuses to start', () => {
    expect(problemsOf({ DYNO: 'web.1' })).toMatch(/NODE_ENV: must be production on Heroku \(DYNO is set\), not development/);
    expect(problemsOf({ DYNO: 'worker.1', NODE_ENV: 'test' })).toMatch(/NODE_ENV: must be production/);
    expect(loadConfig(prodEnv({ DYNO: 'web.1' })).NODE_ENV).toBe('production');
  });

  it.each(['HEROKU_API_URL', 'HEROKU_ID_URL', 'ANYPOINT_BASE_URL', 'PUBLIC_URL'])('refuses an http: %s in production (not outside it)', (k) => {
    expect(problemsOf(prodEnv({ [k]: 'http://plain.example.com' }))).toContain(`${k}: must be an https:// URL in production`);
    expect(problemsOf({ [k]: 'http://127.0.0.1:5000' })).toBe('');
  });

  it('refuses placeholders of the manifest (REPLACE_WITH_…), naming the setting, never its value', () => {
    const msg = problemsOf(prodEnv({ ANYPOINT_CLIENT_SECRET: 'REPLACE_WITH_ANYPOINT_CLIENT_SECRET', SSO_SALT: 'REPLACE_WITH_SSO_SALT_FROM_MANIFEST' }));
    expect(msg).toMatch(/ANYPOINT_CLIENT_SECRET: still holds a placeholder/);
    expect(msg).toMatch(/SSO_SALT: still holds a placeholder/);
    expect(problemsOf({ ADDON_PASSWORD: 'REPLACE_WITH_PASSWORD_1234' })).toMatch(/ADDON_PASSWORD: still holds a placeholder/);
  });
});

describe('ENCRYPTION_KEYS', () => {
  const k1 = Buffer.alloc(32, 1).toString('base64');
  const k2hex = Buffer.alloc(32, 2).toString('hex');

  it('reads id:key pairs, newest first; ENCRYPTION_KEY alone is the one key k0', () => {
    const ring = encryptionKeyring(loadConfig({ ENCRYPTION_KEYS: `k2:${k2hex}, k1:${k1}` }));
    expect(ring.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(ring[0].key).toEqual(Buffer.alloc(32, 2));
    expect(encryptionKeyring(loadConfig({ ENCRYPTION_KEY: k1 }))).toEqual([{ id: 'k0', key: Buffer.alloc(32, 1) }]);
  });

  it.each([`k1:short`, `k1:${k1},k1:${k1}`, `${k1}`, `bad.id:${k1}`])('refuses %j', (v) => {
    expect(problemsOf({ ENCRYPTION_KEYS: v })).toMatch(/ENCRYPTION_KEYS/);
  });

  it('an ENCRYPTION_KEY that is not in ENCRYPTION_KEYS is refused (what it sealed would not open)', () => {
    expect(problemsOf({ ENCRYPTION_KEY: k1, ENCRYPTION_KEYS: `k2:${k2hex}` })).toMatch(/ENCRYPTION_KEY: is set but is not one of ENCRYPTION_KEYS/);
    expect(problemsOf({ ENCRYPTION_KEY: k1, ENCRYPTION_KEYS: `k2:${k2hex},k0:${k1}` })).toBe('');
  });

  it('production: ENCRYPTION_KEYS stands in for ENCRYPTION_KEY, and may not hold the development key', () => {
    const env = prodEnv({ ENCRYPTION_KEYS: `k2:${k2hex}` });
    delete env.ENCRYPTION_KEY;
    expect(problemsOf(env)).toBe('');
    expect(problemsOf({ ...env, ENCRYPTION_KEYS: `k2:${k2hex},k0:${DEV_SECRETS.ENCRYPTION_KEY}` })).toMatch(/ENCRYPTION_KEYS: holds the development key/);
  });

  it('every key is a secret value (masked in logs)', () => {
    const cfg = loadConfig({ ENCRYPTION_KEYS: `k2:${k2hex},k1:${k1}` });
    expect(secretValues(cfg)).toEqual(expect.arrayContaining([k2hex, k1]));
  });
});
