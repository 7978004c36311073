import request from 'supertest';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { appContext, basic, provisionBody, type AppContext } from '../helpers/context';

// Tokens computed the way Heroku computes them (independently of src/domain/sso.ts).
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let ctx: AppContext;
let uuid: string;
let salt: string;
const nowSec = () => Math.floor(Date.now() / 1000);
// Each sign-on form works once: forms meant to succeed get timestamps of their own.
let lastTs = 0;
const freshTs = () => String((lastTs = Math.max(nowSec() - 120, lastTs + 1)));

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

function cookies(res: request.Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []);
}

function sessionCookie(res: request.Response): string | undefined {
  return cookies(res).find((c) => c.startsWith('aag_session='));
}

/** Heroku's form today: both tokens, for one user. */
function herokuForm(id: string, ts = freshTs(), user = { id: 'user-123@heroku.com', email: 'dev@example.com' }) {
  return {
    resource_id: id,
    timestamp: ts,
    user_id: user.id,
    email: user.email,
    user_scoped_resource_token: sha256(`${id}:${salt}:${ts}:${user.id}:${user.email}`),
    resource_token: sha1(`${id}:${salt}:${ts}`),
    app: 'acme-app',
  };
}

async function signIn(fields: Record<string, string>): Promise<string> {
  const res = await form(fields);
  expect(res.status).toBe(302);
  return sessionCookie(res)!.split(';')[0];
}

/** The hidden fields and action of the dashboard's sign-out form. */
function logoutForm(html: string): { action: string; csrf: string } {
  const m = /<form method="post" action="([^"]+)"><input type="hidden" name="csrf" value="([^"]+)">/.exec(html);
  if (!m) throw new Error('no sign-out form on the page');
  return { action: m[1], csrf: m[2] };
}

describe('POST /sso/login', () => {
  it('accepts a user_scoped_resource_token (SHA-256), sets a signed HttpOnly SameSite=Lax session and heroku-nav-data, 302 to the dashboard', async () => {
    const ts = freshTs();
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
    expect(cookies(res).some((c) => c.startsWith('heroku-nav-data=abc123'))).toBe(true);
    // the cookie names a server-side session; who signed in is kept there, not in the cookie
    expect(Buffer.from(cookie.split('=')[1].split('.')[0], 'base64url').toString()).not.toContain('dev@example.com');

    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie.split(';')[0]);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
    expect(page.text).toContain('acme-primary-gateway');
    expect(page.text).toContain('Basic');
    expect(page.text).toContain('1,000 requests / minute');
    expect(page.text).toContain('provisioning');
    // the user-scoped token vouched for this email
    expect(page.text).toContain('<dt>Signed in as</dt><dd data-testid="identity">dev@example.com</dd>');
  });

  it("accepts a resource_token (SHA-1), but shows no form-supplied email as signed in: nothing vouched for it", async () => {
    const ts = freshTs();
    const res = await form({ resource_id: uuid, timestamp: ts, resource_token: sha1(`${uuid}:${salt}:${ts}`), email: 'mallory@example.com', user_id: 'u-9' });
    expect(res.status).toBe(302);
    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', sessionCookie(res)!.split(';')[0]);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('mallory@example.com');
    expect(page.text).not.toContain('Signed in as');
    expect(page.text).toContain('Heroku did not vouch for a user');
  });

  it('accepts the legacy id + token form post (identity not shown either)', async () => {
    const ts = freshTs();
    const res = await form({ id: uuid, timestamp: ts, token: sha1(`${uuid}:${salt}:${ts}`), email: 'legacy@example.com' });
    expect(res.status).toBe(302);
    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', sessionCookie(res)!.split(';')[0]);
    expect(page.text).not.toContain('legacy@example.com');
  });

  it('a wrong token → 403, no session', async () => {
    const ts = freshTs();
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
    const ts = freshTs();
    const res = await form({ resource_id: other, timestamp: ts, resource_token: sha1(`${other}:${salt}:${ts}`) });
    expect(res.status).toBe(404);
  });

  it('a form without a timestamp → 400', async () => {
    expect((await form({ resource_id: uuid, resource_token: 'x' })).status).toBe(400);
  });
});

describe('SSO tokens are single-use', () => {
  it('the same form again → 403 with a message, no session; its tokens alone are refused too', async () => {
    const f = herokuForm(uuid);
    expect((await form(f)).status).toBe(302);
    const again = await form(f);
    expect(again.status).toBe(403);
    expect(again.body.message).toMatch(/already used.*open the add-on again from the Heroku dashboard/);
    expect(sessionCookie(again)).toBeUndefined();
    // dropping one of the two tokens does not make a replay new
    const { resource_token: _r, ...userScopedOnly } = f;
    const { user_scoped_resource_token: _u, ...resourceOnly } = f;
    expect((await form(userScopedOnly)).status).toBe(403);
    expect((await form(resourceOnly)).status).toBe(403);
  });

  it('keeps only the SHA-256 of a used token, until its window closes (6 minutes)', async () => {
    const f = herokuForm(uuid);
    expect((await form(f)).status).toBe(302);
    const key = `${ctx.prefix}:sso:used:${sha256(f.user_scoped_resource_token)}`;
    const ttl = await ctx.redis.ttl(key);
    expect(ttl).toBeGreaterThan(350);
    expect(ttl).toBeLessThanOrEqual(360);
    expect(await ctx.redis.ttl(`${ctx.prefix}:sso:used:${sha256(f.resource_token)}`)).toBeGreaterThan(350);
    const keys = await ctx.redis.keys(`${ctx.prefix}:*`);
    const values = await Promise.all(keys.filter((k) => !k.includes(':bull:')).map((k) => ctx.redis.type(k).then((t) => (t === 'string' ? ctx.redis.get(k) : ''))));
    for (const text of [...keys, ...values]) {
      expect(text).not.toContain(f.user_scoped_resource_token);
      expect(text).not.toContain(f.resource_token);
    }
  });

  it('two users signing in to one add-on in the same second both get in (the user-scoped token decides)', async () => {
    const ts = freshTs();
    expect((await form(herokuForm(uuid, ts, { id: 'u-1', email: 'one@example.com' }))).status).toBe(302);
    expect((await form(herokuForm(uuid, ts, { id: 'u-2', email: 'two@example.com' }))).status).toBe(302);
  });

  it('a refused token (wrong or stale) is not marked used', async () => {
    const stale = String(nowSec() - 6 * 60);
    const token = sha1(`${uuid}:${salt}:${stale}`);
    expect((await form({ resource_id: uuid, timestamp: stale, resource_token: token })).status).toBe(403);
    expect(await ctx.redis.exists(`${ctx.prefix}:sso:used:${sha256(token)}`)).toBe(0);
  });
});

describe('the SSO v1 GET form is not served', () => {
  it('GET /heroku/resources/:id?token=&timestamp= with a valid token → 404 like any unknown route: no sign-in, no cookie, no Basic prompt', async () => {
    const ts = freshTs();
    const res = await request(ctx.app).get(`/heroku/resources/${uuid}`).query({ token: sha1(`${uuid}:${salt}:${ts}`), timestamp: ts });
    expect(res.status).toBe(404);
    expect(res.headers.location).toBeUndefined();
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.body.message).toBe(`no route GET /heroku/resources/${uuid}`);
    // the token was not used up either: the same token still signs in by the v3 form post
    expect((await form({ id: uuid, timestamp: ts, token: sha1(`${uuid}:${salt}:${ts}`) })).status).toBe(302);
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
    const ts = freshTs();
    const res = await form({ resource_id: uuid, timestamp: ts, resource_token: sha1(`${uuid}:${salt}:${ts}`) });
    const value = sessionCookie(res)!.split(';')[0].split('=')[1];
    const [body, mac] = value.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), exp: nowSec() + 99999 })).toString('base64url');
    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', `aag_session=${forgedBody}.${mac}`);
    expect(page.status).toBe(401);
  });

  it("a session for one add-on does not open another's dashboard", async () => {
    const cookie = await signIn(herokuForm(uuid));
    const page = await request(ctx.app).get(`/dashboard/${randomUUID()}`).set('Cookie', cookie);
    expect(page.status).toBe(401);
  });

  it('the session lives in Redis for SESSION_TTL_SECONDS', async () => {
    await signIn(herokuForm(uuid));
    const keys = await ctx.redis.keys(`${ctx.prefix}:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    const ttl = await ctx.redis.ttl(keys[0]);
    expect(ttl).toBeGreaterThan(ctx.config.SESSION_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(ctx.config.SESSION_TTL_SECONDS);
  });
});

describe('sign-out', () => {
  it('the dashboard form ends the session server-side and lands on a signed-out page; the old cookie opens nothing', async () => {
    const cookie = await signIn(herokuForm(uuid));
    const before = await ctx.redis.keys(`${ctx.prefix}:session:*`);
    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie);
    const { action, csrf } = logoutForm(page.text);
    expect(action).toBe('/sso/logout');

    const out = await request(ctx.app).post(action).type('form').set('Cookie', cookie).set('Origin', 'http://127.0.0.1').set('Host', '127.0.0.1').send({ csrf });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/signed-out');
    expect(out.headers['cache-control']).toBe('no-store');
    expect(cookies(out).find((c) => c.startsWith('aag_session='))).toMatch(/Expires=Thu, 01 Jan 1970/);
    const after = await ctx.redis.keys(`${ctx.prefix}:session:*`);
    expect(after.length).toBe(before.length - 1);

    const landing = await request(ctx.app).get('/signed-out');
    expect(landing.status).toBe(200);
    expect(landing.text).toContain('You have signed out.');
    // the cookie is still validly signed, but its session is gone
    const again = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie);
    expect(again.status).toBe(401);
    expect(again.text).toContain('Your session has expired.');
  });

  it('a post without the form token, with a wrong one, or from another site is refused (403) and the session lives on', async () => {
    const cookie = await signIn(herokuForm(uuid));
    const { csrf } = logoutForm((await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie)).text);
    const post = () => request(ctx.app).post('/sso/logout').type('form').set('Cookie', cookie);
    expect((await post().send({})).status).toBe(403);
    expect((await post().send({ csrf: randomBytes(24).toString('base64url') })).status).toBe(403);
    const crossSite = await post().set('Sec-Fetch-Site', 'cross-site').send({ csrf });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.message).toBe('cross-site request refused');
    expect((await post().set('Origin', 'https://evil.example').send({ csrf })).status).toBe(403);
    expect((await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie)).status).toBe(200);
  });

  it("Origin: null (what a no-referrer page's own form post carries) passes only beside Sec-Fetch-Site: same-origin", async () => {
    const cookie = await signIn(herokuForm(uuid));
    const { csrf } = logoutForm((await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie)).text);
    const post = () => request(ctx.app).post('/sso/logout').type('form').set('Cookie', cookie).set('Origin', 'null');
    expect((await post().send({ csrf })).status).toBe(403);
    expect((await post().set('Sec-Fetch-Site', 'same-site').send({ csrf })).status).toBe(403);
    expect((await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie)).status).toBe(200);
    expect((await post().set('Sec-Fetch-Site', 'same-origin').send({ csrf })).status).toBe(303);
    expect((await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie)).status).toBe(401);
  });

  it('without a session it just lands on the signed-out page', async () => {
    const res = await request(ctx.app).post('/sso/logout').type('form').send({});
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/signed-out');
  });
});

describe('security headers', () => {
  it("the dashboard: a CSP that allows its one style block (by hash) and same-origin script only, no framing, no sniffing, no referrer, no caching", async () => {
    const cookie = await signIn(herokuForm(uuid));
    const page = await request(ctx.app).get(`/dashboard/${uuid}`).set('Cookie', cookie);
    const csp = String(page.headers['content-security-policy']);
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.text)![1];
    expect(csp).toBe(`default-src 'none';style-src 'sha256-${createHash('sha256').update(style).digest('base64')}';script-src 'self';form-action 'self';base-uri 'none';frame-ancestors 'none'`);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['strict-transport-security']).toBeUndefined(); // not production
    // no inline script: the Copy button's code is a same-origin file
    expect(page.text).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(page.text).not.toMatch(/\son[a-z]+=/i);
    expect(page.text).toContain('<script src="/assets/dashboard.js" defer></script>');
    const script = await request(ctx.app).get('/assets/dashboard.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(script.text).toContain("closest('button[data-copy]')");
  });

  it("the sign-on answers and the signed-out pages are no-store; every answer (JSON too) carries default-src 'none' and nosniff", async () => {
    const sso = await form(herokuForm(uuid));
    expect(sso.status).toBe(302);
    expect(sso.headers['cache-control']).toBe('no-store');
    expect(sso.headers['content-security-policy']).toMatch(/^default-src 'none';/);
    const refused = await form({ resource_id: uuid, timestamp: freshTs(), resource_token: 'f'.repeat(40) });
    expect(refused.headers['cache-control']).toBe('no-store');
    expect((await request(ctx.app).get(`/dashboard/${uuid}`)).headers['cache-control']).toBe('no-store');
    for (const res of [await request(ctx.app).get('/healthz'), await request(ctx.app).post('/heroku/resources').send({})]) {
      expect(res.headers['content-security-policy']).toBe("default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
  });
});

describe('HSTS in production', () => {
  it('is sent on every answer when NODE_ENV=production, for a year', async () => {
    const secret = () => randomBytes(24).toString('hex');
    const prod = await appContext('sso-prod', {
      config: {
        NODE_ENV: 'production',
        ADDON_PASSWORD: secret(),
        SSO_SALT: secret(),
        HEROKU_OAUTH_CLIENT_SECRET: secret(),
        SESSION_SECRET: secret(),
        ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        ANYPOINT_CLIENT_ID: secret(),
        ANYPOINT_CLIENT_SECRET: secret(),
        ADMIN_PASSWORD: secret(),
      },
    });
    try {
      const res = await request(prod.app).get('/healthz');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await prod.close();
    }
  });
});

describe('dashboard pages for ended add-ons', () => {
  it('a failed add-on shows that it failed, why, and what to do', async () => {
    const body = provisionBody({ name: 'acme-broken-gateway' });
    await request(ctx.app).post('/heroku/resources').set('Authorization', basic(ctx.config.ADDON_ID, ctx.config.ADDON_PASSWORD)).send(body);
    await ctx.store.update(body.uuid, (r) => ({ ...r, state: 'failed', failureReason: 'Waiting for the proxy to run failed: the proxy did not start within 15 minutes. Remove the add-on and create it again; if it fails again, contact support with the add-on id.' }));
    const page = await request(ctx.app).get(`/dashboard/${body.uuid}`).set('Cookie', await signIn(herokuForm(body.uuid)));
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
    const page = await request(ctx.app).get(`/dashboard/${body.uuid}`).set('Cookie', await signIn(herokuForm(body.uuid)));
    expect(page.status).toBe(200);
    expect(page.text).toContain('This add-on has been removed. Nothing of it remains in Anypoint.');
  });
});
