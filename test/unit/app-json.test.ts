import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import appJson from '../../app.json';
import pkg from '../../package.json';
import { DEV_SECRETS, encryptionKeyBytes, loadConfig } from '../../src/config';

// The Deploy-to-Heroku manifest must describe every setting the service reads, generate the
// secrets Heroku can generate, and never carry a secret value.
type EnvEntry = { description: string; value?: string; required?: boolean; generator?: string };
const env = appJson.env as Record<string, EnvEntry>;
const ROOT = path.resolve(__dirname, '../..');

describe('app.json', () => {
  it('runs a web and a worker dyno with Heroku Redis', () => {
    expect(Object.keys(appJson.formation).sort()).toEqual(['web', 'worker']);
    expect(appJson.addons.map((a) => a.plan.split(':')[0])).toContain('heroku-redis');
  });

  it('describes every setting of src/config.ts', () => {
    const keys = [...Object.keys(loadConfig({})), 'PUBLIC_URL', 'ENCRYPTION_KEYS'];
    for (const k of keys) {
      expect([k, typeof env[k]?.description]).toEqual([k, 'string']);
      expect(env[k].description.length).toBeGreaterThan(10);
    }
    // nothing described that the service does not read
    for (const k of Object.keys(env)) expect([k, keys.includes(k)]).toEqual([k, true]);
  });

  it('secrets are generated or required, never given a value', () => {
    for (const k of Object.keys(DEV_SECRETS)) {
      const e = env[k];
      expect([k, e.value]).toEqual([k, undefined]);
      expect([k, e.generator === 'secret' || e.required === true]).toEqual([k, true]);
    }
    expect(env.ENCRYPTION_KEY.generator).toBe('secret');
    expect(env.ENCRYPTION_KEY.description).toMatch(/openssl rand -base64 32/);
  });

  it('a production config made the way Heroku makes it (64 hex characters per generated secret) loads', () => {
    const made: Record<string, string> = { REDIS_URL: 'rediss://:pw@ec2-1-2-3-4.compute-1.amazonaws.com:6380' };
    for (const [k, e] of Object.entries(env)) {
      if (e.value !== undefined) made[k] = e.value;
      else if (e.generator === 'secret') made[k] = randomBytes(32).toString('hex');
      else if (e.required) made[k] = `set-by-operator-${k.toLowerCase()}`;
    }
    const cfg = loadConfig(made);
    expect(cfg.NODE_ENV).toBe('production');
    expect(encryptionKeyBytes(cfg)).toHaveLength(32);
  });

  it('Heroku builds TypeScript and the Procfile starts what the build makes', () => {
    expect(pkg.engines.node).toBe('20.x');
    expect(pkg.scripts['heroku-postbuild']).toBe('npm run build');
    const tsBuild = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { compilerOptions: { rootDir?: string } };
    expect(tsBuild.compilerOptions.rootDir).toBe('.');
    const procfile = readFileSync(path.join(ROOT, 'Procfile'), 'utf8');
    expect(procfile).toMatch(/^web: node dist\/src\/server\.js$/m);
    expect(procfile).toMatch(/^worker: node dist\/src\/worker\.js$/m);
    expect(pkg.scripts.start).toBe('node dist/src/server.js');
  });
});
