import { spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { DEFAULT_PORTS, parsePorts, startSandboxes, UsageError } from '@aag/standins/src/cli';

const ROOT = path.resolve(__dirname, '../..');

describe('sandbox CLI: ports', () => {
  it('defaults, env, then flags', () => {
    expect(parsePorts([], {})).toEqual({ ...DEFAULT_PORTS, help: false });
    expect(parsePorts([], { SANDBOX_HEROKU_PORT: '5100', SANDBOX_ANYPOINT_PORT: '5200', SANDBOX_GATEWAY_PORT: '0' })).toEqual({
      heroku: 5100,
      anypoint: 5200,
      gateway: 0,
      help: false,
    });
    expect(parsePorts(['--heroku-port', '6100', '--gateway-port=6300'], { SANDBOX_HEROKU_PORT: '5100' })).toEqual({
      heroku: 6100,
      anypoint: 4200,
      gateway: 6300,
      help: false,
    });
    expect(parsePorts(['--help'], {}).help).toBe(true);
  });

  it('refuses nonsense', () => {
    expect(() => parsePorts(['--heroku-port', 'abc'], {})).toThrow(UsageError);
    expect(() => parsePorts(['--heroku-port'], {})).toThrow(/needs a value/);
    expect(() => parsePorts(['--bogus'], {})).toThrow(/unknown argument/);
    expect(() => parsePorts([], { SANDBOX_GATEWAY_PORT: '70000' })).toThrow(/SANDBOX_GATEWAY_PORT/);
  });
});

describe('sandbox CLI: both stand-ins', () => {
  it('starts both on free ports, gives the env lines, and closes both', async () => {
    const running = await startSandboxes({ heroku: 0, anypoint: 0, gateway: 0 }, { HEROKU_OAUTH_CLIENT_SECRET: 'cli-secret-123' });
    try {
      expect(running.env).toEqual({
        ANYPOINT_BASE_URL: running.anypointUrl,
        HEROKU_API_URL: running.herokuUrl,
        HEROKU_ID_URL: running.herokuUrl,
        ANYPOINT_PROXY_SCHEME: 'http',
      });
      expect(running.gatewayUrl).toMatch(/^http:\/\//);
      const created = await request(running.herokuUrl).post('/__sandbox/addons').send({ plan: 'test' });
      expect(created.status).toBe(201);
      const tok = await request(running.herokuUrl)
        .post('/oauth/token')
        .type('form')
        .send({ grant_type: 'authorization_code', code: created.body.oauth_grant.code, client_secret: 'cli-secret-123' });
      expect(tok.status).toBe(200);
    } finally {
      await running.close();
    }
    await expect(request(running.herokuUrl).get('/__sandbox/calls')).rejects.toThrow();
  });

  it('runs as `npm run sandbox`, prints the environment, stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'packages/standins/src/cli.ts', '--heroku-port', '0', '--anypoint-port=0'],
      { cwd: ROOT, env: { ...process.env, SANDBOX_GATEWAY_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no output in time; stderr: ${err}`)), 12_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('ANYPOINT_PROXY_SCHEME=http')) {
            clearTimeout(t);
            resolve();
          }
        });
        child.on('exit', () => reject(new Error(`exited early; stderr: ${err}`)));
      });
      const env = Object.fromEntries(
        out
          .split('\n')
          .filter((l) => /^[A-Z_]+=/.test(l))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      expect(Object.keys(env).sort()).toEqual(['ANYPOINT_BASE_URL', 'ANYPOINT_PROXY_SCHEME', 'HEROKU_API_URL', 'HEROKU_ID_URL']);
      expect(env.HEROKU_ID_URL).toBe(env.HEROKU_API_URL);
      expect((await request(env.HEROKU_API_URL).get('/__sandbox/calls')).status).toBe(200);
      expect(env.ANYPOINT_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$|^http:\/\/localhost:\d+$/);
      // every stdout line is a comment or NAME=value: usable as a .env file
      expect(out.trim().split('\n').every((l) => l.startsWith('#') || /^[A-Z_]+=/.test(l))).toBe(true);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 20_000);
});
