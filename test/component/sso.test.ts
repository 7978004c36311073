import request from 'supertest';
import { createHash, randomUUID } from 'node:crypto';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';

// Tokens computed the way Heroku computes them (independently of src/domain/sso.ts).
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let ctx: AppContext;
let uuid: string;
let salt: string;
const nowSec = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  ctx = await appContext('sso');
  salt = ctx.config.SSO_SALT;
  const body = provisionBody({ name: 'acme-primary-gateway', plan: 'basic' });
  uuid = body.uuid;
  const res = await request(ctx.app).post('/heroku/resources').set('Authorization', basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD)).send(body);
  expect(res.status).toBe(202);
});
afterAll(async () => {
  await ctx.close();
});

function form(fields: Record<string, string>) {
  return request(ctx.app).post('/sso/login').type('form').send(fields);
}

function sessionCookie(res: request.Response): string | undefined {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return cookies.find((c) => c.startsWith('aag_session='));
}

describe('POST /sso/login', () => {
  it('accepts a user_scoped_resource_token (SHA-256), sets a signed HttpOnly SameSite=Lax session and heroku-nav-data, 302 to the dashboard', async () => {
    const ts = String(nowSec());
    const res = await form({
      resource_id: uuid,
      timestamp: ts,
      user_id: 'user-123@heroku.com',
      email: 'dev@example.com',
      user_scoped_resource_token: sha256(`${uuid}:${salt}:${ts}:user-123@heroku.com:dev@example.com`),
      resource_token: 'ignored-when-user-scoped-is-present',
      app: 'acme-app',
      'nav-data': 'abc123',
    });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`/dashboard/${uuid}`);
    const cookie = sessionCookie(res)!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Max-Age=\d+/i);
    expect(cookie).toMatch(/; Secure/i); // Secure outside development
    expect(([] as string[]).concat(res.headers['set-cookie']).some((c) => c.startsWith('heroku-nav-data=abc123'))).toBe(true);

    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie.split(';')[0]);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
    expect(page.text).toContain('acme-primary-gateway');
    expect(page.text).toContain('Basic');
    expect(page.text).toContain('1,000 requests / minute');
    expect(page.text).toContain('provisioning');
    expect(page.text).toContain('dev@example.com');
  });

  it('accepts a resource_token (SHA-1)', async () => {
    const ts = String(nowSec());
    const res = await form({ resource_id: uuid, timestamp: ts, resource_token: sha1(`${uuid}:${salt}:${ts}`) });
    expect(res.status).toBe(302);
    expect(sessionCookie(res)).toBeDefined();
  });

  it('accepts the legacy id + token form post', async () => {
    const ts = String(nowSec());
    const res = await form({ id: uuid, timestamp: ts, token: sha1(`${uuid}:${salt}:${ts}`) });
    expect(res.status).toBe(302);
  });

  it('accepts the legacy GET /heroku/resources/:id?token=&timestamp= without Basic auth', async () => {
    const ts = String(nowSec());
    const res = await request(ctx.app).get(`/heroku/resources/${uuid}`).query({ token: sha1(`${uuid}:${salt}:${ts}`), timestamp: ts });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe(`/dashboard/${uuid}`);
  });

  it('a wrong token → 403, no session', async () => {
    const ts = String(nowSec());
    for (const fields of <Record<string, string>[]>[
      { resource_id: uuid, timestamp: ts, resource_token: sha1(`${uuid}:wrong-salt:${ts}`) },
      { resource_id: uuid, timestamp: ts, user_id: 'u', email: 'e@x', user_scoped_resource_token: sha256(`${uuid}:${salt}:${ts}:u:other@x`) },
      { resource_id: uuid, timestamp: ts, resource_token: '' },
    ]) {
      const res = await form(fields);
      expect(res.status).toBe(403);
      expect(sessionCookie(res)).toBeUndefined();
    }
  });

  it('a timestamp older than 5 minutes → 403; more than 60 s ahead → 403; within the window → 302', async () => {
    const stale = String(nowSec() - 6 * 60);
    expect((await form({ resource_id: uuid, timestamp: stale, resource_token: sha1(`${uuid}:${salt}:${stale}`) })).status).toBe(403);
    const future = String(nowSec() + 120);
    expect((await form({ resource_id: uuid, timestamp: future, resource_token: sha1(`${uuid}:${salt}:${future}`) })).status).toBe(403);
    const recent = String(nowSec() - 4 * 60);
    expect((await form({ resource_id: uuid, timestamp: recent, resource_token: sha1(`${uuid}:${salt}:${recent}`) })).status).toBe(302);
  });

  it('an unknown resource with a valid token → 404', async () => {
    const other = randomUUID();
    const ts = String(nowSec());
    const res = await form({ resource_id: other, timestamp: ts, resource_token: sha1(`${other}:${salt}:${ts}`) });
    expect(res.status).toBe(404);
  });

  it('a form without a timestamp → 400', async () => {
    expect((await form({ resource_id: uuid, resource_token: 'x' })).status).toBe(400);
  });
});

describe('GET /dashboard/:id', () => {
  it('without a session → 401 with a page that says how to sign in', async () => {
    const res = await request(ctx.app).get(`/dashboard/${uuid}`);
    expect(res.status).toBe(401);
    expect(res.text).toMatch(/Heroku dashboard/);
    expect(res.text).toMatch(/heroku addons:open/);
  });

  it('with a forged or tampered session → 401', async () => {
    const ts = String(nowSec());
    const res = await form({ resource_id: uuid, timestamp: ts, resource_token: sha1(`${uuid}:${salt}:${ts}`) });
    const value = sessionCookie(res)!.split(';')[0].split('=')[1];
    const [body, mac] = value.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), exp: nowSec() + 99999 })).toString('base64url');
    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', `aag_session=${forgedBody}.${mac}`);
    expect(page.status).toBe(401);
  });

  it("a session for one add-on does not open another's dashboard", async () => {
    const ts = String(nowSec());
    const res = await form({ resource_id: uuid, timestamp: ts, resource_token: sha1(`${uuid}:${salt}:${ts}`) });
    const page = await request(ctx.app).get(`/dashboard/${randomUUID()}`).set('Cookie', sessionCookie(res)!.split(';')[0]);
    expect(page.status).toBe(401);
  });
});

describe('dashboard pages for ended add-ons', () => {
  async function signIn(id: string): Promise<string> {
    const ts = String(nowSec());
    const res = await form({ resource_id: id, timestamp: ts, resource_token: sha1(`${id}:${salt}:${ts}`) });
    expect(res.status).toBe(302);
    return sessionCookie(res)!.split(';')[0];
  }

  it('a failed add-on shows that it failed, why, and what to do', async () => {
    const body = provisionBody({ name: 'acme-broken-gateway' });
    await request(ctx.app).post('/heroku/resources').set('Authorization', basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD)).send(body);
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'failed', failureReason: 'Waiting for the proxy to run failed: the proxy did not start within 15 minutes. Remove the add-on and create it again; if it fails again, contact support with the add-on id.' }));
    const page = await request(ctx.app).get(`/dashboard/${body.uuid}`).set('Cookie', await signIn(body.uuid));
    expect(page.status).toBe(200);
    expect(page.text).toContain('Provisioning failed and everything it had made was removed');
    expect(page.text).toContain('the proxy did not start within 15 minutes');
    expect(page.text).toContain('Remove the add-on and create it again');
  });

  it('a deprovisioned add-on says nothing of it remains', async () => {
    const body = provisionBody({ name: 'acme-old-gateway' });
    await request(ctx.app).post('/heroku/resources').set('Authorization', basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD)).send(body);
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'deprovisioning' }));
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'deprovisioned' }));
    const page = await request(ctx.app).get(`/dashboard/${body.uuid}`).set('Cookie', await signIn(body.uuid));
    expect(page.status).toBe(200);
    expect(page.text).toContain('This add-on has been removed. Nothing of it remains in Anypoint.');
  });
});
