import { randomUUID } from 'node:crypto';
import { pageHeaderProblems, parseCsp, postForm } from './browser-rules';
import { basicAuth, brief, cookieHeader, cookieNamed, HttpFailure, htmlTitle, type HttpReply } from './http';
import { sleep, StandIn, type StandInAddon } from './heroku';
import type { Credentials } from './options';
import { ServiceClient } from './service';
import { DEFAULT_SSO_USER, resourceToken, ssoForm, userScopedToken } from './tokens';

/**
 * `aag-driver check`: a conformance run over the Heroku add-on protocol (v3) against a running
 * service, one line per check. Every check runs even when an earlier one failed: a part of the
 * service that is missing shows up as FAIL lines, never as silence.
 */

export interface CheckOptions extends Credentials {
  service: string;
  /** The Heroku stand-in: when given, add-ons come from it and the async part runs. */
  heroku?: string;
  /** Bound of each asynchronous wait, seconds. Default 120. */
  waitSeconds?: number;
  /** Called with each line as soon as it is known (the CLI prints it). */
  onLine?: (line: string) => void;
  /** Delay between polls, ms. Default 200. */
  pollMs?: number;
}

export interface CheckResult {
  passed: number;
  failed: number;
  lines: string[];
}

/** The config vars a provisioning sets (sorted): the manifest's, but for the origin secret's _PREVIOUS, set only during a rotation. */
export const EXPECTED_CONFIG_VARS = ['ANYPOINT_API_GATEWAY_API_ID', 'ANYPOINT_API_GATEWAY_ORIGIN_SECRET', 'ANYPOINT_API_GATEWAY_URL'];

class Fail extends Error {}

function fail(why: string): never {
  throw new Fail(why);
}

function got(res: HttpReply): string {
  return `got ${res.status}${res.text ? ` ${brief(res.text, 120)}` : ''}`;
}

function expectStatus(res: HttpReply, ...want: number[]): void {
  if (!want.includes(res.status)) fail(`expected ${want.join(' or ')}, ${got(res)}`);
}

function expectMessage(res: HttpReply): void {
  const m = (res.json as { message?: unknown } | undefined)?.message;
  if (typeof m !== 'string' || m.trim() === '') fail(`expected a JSON body {"message": "..."}, got ${brief(res.text || '(empty)', 120)}`);
}

function expectChallenge(res: HttpReply): void {
  expectStatus(res, 401);
  const h = res.headers.get('www-authenticate');
  if (!h || !/^basic\b/i.test(h.trim())) fail(`401 without a Basic WWW-Authenticate header (got ${h ?? 'none'})`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Visible text of an HTML page (styles, scripts and tags removed). */
function pageText(html: string): string {
  return html
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');
}

/** A provision body as Heroku sends it, made up here (no stand-in: the grant cannot be exchanged). */
function localBody(plan: string): Record<string, unknown> {
  const uuid = randomUUID();
  const drain = `d.${randomUUID()}`;
  return {
    uuid,
    name: `driver-${uuid.slice(0, 8)}`,
    plan,
    region: 'amazon-web-services::us-east-1',
    callback_url: `https://api.heroku.com/addons/${uuid}`,
    oauth_grant: { code: randomUUID(), expires_at: new Date(Date.now() + 300_000).toISOString(), type: 'authorization_code' },
    options: {},
    log_input_url: `https://token:${drain}@1.us.logplex.io/logs`,
    log_drain_token: drain,
  };
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  const emit = (line: string) => {
    lines.push(line);
    opts.onLine?.(line);
  };
  const check = async (name: string, fn: () => Promise<void | string>, hint?: string): Promise<boolean> => {
    try {
      const note = await fn();
      passed++;
      emit(`ok   ${name}${note ? ` (${note})` : ''}`);
      return true;
    } catch (e) {
      failed++;
      const why = e instanceof Fail || e instanceof HttpFailure ? e.message : `unexpected error: ${(e as Error).stack ?? String(e)}`;
      emit(`FAIL ${name}: ${why}${hint ? ` [${hint}]` : ''}`);
      return false;
    }
  };

  const svc = new ServiceClient(opts.service.replace(/\/+$/, ''), opts);
  const standIn = opts.heroku ? new StandIn(opts.heroku.replace(/\/+$/, '')) : undefined;
  const waitMs = (opts.waitSeconds ?? 120) * 1000;
  const pollMs = opts.pollMs ?? 200;
  const nowS = () => Math.floor(Date.now() / 1000);
  // Each valid sign-on form signs in once: every form that must succeed gets a timestamp of its own
  // (strictly increasing, within the window), so two checks never send the same token.
  let lastTs = 0;
  const freshTs = () => (lastTs = Math.max(nowS() - 60, lastTs + 1));
  const https = /^https:/i.test(opts.service);
  const wrongPassword = basicAuth(opts.id, `${opts.password}-wrong`);
  const wrongUser = basicAuth(`${opts.id}-other`, opts.password);

  emit(`# service ${svc.url}${standIn ? `, Heroku stand-in ${standIn.url}` : ' (no --heroku: add-ons are made up here and the async part does not run)'}`);

  /** A new add-on: from the stand-in when there is one (a real grant), else made up. */
  let standInBroken: string | undefined;
  const newBody = async (plan: string): Promise<Record<string, unknown>> => {
    if (standIn && !standInBroken) {
      try {
        return { ...(await standIn.createAddon({ plan })) };
      } catch (e) {
        standInBroken = (e as Error).message;
      }
    }
    return localBody(plan);
  };

  // ---- provision -------------------------------------------------------------------------
  const bodyA = await newBody('test');
  const uuidA = String(bodyA.uuid);
  if (standIn) {
    await check('heroku stand-in: a new add-on with an OAuth grant', async () => {
      if (standInBroken) fail(standInBroken);
    });
  }

  await check('provision: no credentials → 401 with WWW-Authenticate', async () => {
    expectChallenge(await svc.provision(bodyA, { auth: null }));
  });
  await check('provision: wrong password → 401 with WWW-Authenticate', async () => {
    expectChallenge(await svc.provision(bodyA, { auth: wrongPassword }));
  });
  await check('provision: wrong user name → 401 with WWW-Authenticate', async () => {
    expectChallenge(await svc.provision(bodyA, { auth: wrongUser }));
  });
  await check('provision: refused calls made no add-on (plan change on that uuid → 404)', async () => {
    expectStatus(await svc.changePlan(uuidA, 'basic'), 404);
  });

  let firstBody: unknown;
  let accepted = false;
  let firstMs = 0;
  await check('provision: good credentials → 202 {id, message}, no config', async () => {
    const res = await svc.provision(bodyA);
    firstMs = res.ms;
    expectStatus(res, 202);
    if (!isObject(res.json)) fail(`expected a JSON object, got ${brief(res.text || '(empty)')}`);
    const b = res.json;
    if (b.id !== uuidA) fail(`id should be the add-on's uuid ${uuidA}, got ${JSON.stringify(b.id)}`);
    if (typeof b.message !== 'string' || !b.message.trim()) fail('no message');
    if ('config' in b) fail(`an async provision must not send config (got ${JSON.stringify(b.config)})`);
    firstBody = b;
    accepted = true;
  });
  await check('provision: answered within 3 s', async () => {
    if (!accepted) fail('the provision was not accepted');
    if (firstMs > 3000) fail(`took ${firstMs} ms`);
    return `${firstMs} ms`;
  });
  await check('provision: repeated identical request → the same 202 body', async () => {
    const res = await svc.provision(bodyA);
    expectStatus(res, 202);
    if (firstBody === undefined) fail('the first provision gave no body to compare with');
    if (JSON.stringify(res.json) !== JSON.stringify(firstBody)) fail(`bodies differ: ${brief(JSON.stringify(firstBody), 80)} vs ${brief(res.text, 80)}`);
  });
  await check('provision: same uuid, another plan → 409', async () => {
    expectStatus(await svc.provision({ ...bodyA, plan: 'basic' }), 409);
  });
  await check('provision: unknown plan → 422 with a message', async () => {
    const res = await svc.provision(localBody('no-such-plan'));
    expectStatus(res, 422);
    expectMessage(res);
  });
  // internal targets are refused whatever UPSTREAM_CHECK says (an IP literal of the metadata
  // service or of a private range needs no DNS); the add-on is not made
  for (const upstream of ['https://169.254.169.254/latest/meta-data', 'http://10.0.0.1:6379', 'https://[::ffff:169.254.169.254]/']) {
    await check(`provision: --upstream ${upstream} (an internal target) → 422 with a message, no add-on`, async () => {
      const b = localBody('test');
      const res = await svc.provision({ ...b, options: { upstream } });
      expectStatus(res, 422);
      expectMessage(res);
      expectStatus(await svc.changePlan(String(b.uuid), 'basic'), 404);
    });
  }
  await check('provision: malformed JSON → 400', async () => {
    const u = randomUUID();
    expectStatus(await svc.provision(`{"uuid": "${u}", "plan": "test", `), 400);
  });
  await check('provision: oversized body (1 MiB) → 413', async () => {
    const big = { ...localBody('test'), options: { padding: 'x'.repeat(1024 * 1024) } };
    expectStatus(await svc.provision(big), 413);
  });
  const bodyB = await newBody('test');
  await check('provision: Heroku-style body (vendor JSON type, unknown fields) → 202', async () => {
    const res = await svc.provision(
      { ...bodyB, future_field: { nested: true }, another_new_key: 'x' },
      { contentType: 'application/vnd.heroku-addons+json; version=3' },
    );
    expectStatus(res, 202);
  });

  const bodyF = await newBody('test');
  await check('provision: a bare --flag (an option that is boolean true) → 202', async () => {
    const res = await svc.provision({ ...bodyF, options: { ...(bodyF.options as Record<string, unknown> | undefined), 'driver-flag': true } });
    expectStatus(res, 202);
  });
  await check('provision: --upstream as a bare flag (true) → 422 with a message naming the option; nothing made', async () => {
    const body = localBody('test');
    const res = await svc.provision({ ...body, options: { upstream: true } });
    expectStatus(res, 422);
    expectMessage(res);
    if (!/upstream/i.test(String((res.json as { message?: unknown }).message))) fail(`the message does not name --upstream: ${brief(res.text, 120)}`);
    expectStatus(await svc.changePlan(String(body.uuid), 'basic'), 404);
  });
  for (const [label, grant] of [
    ['null', null],
    ['missing', undefined],
  ] as const) {
    await check(`provision: oauth_grant ${label} → 422 with a message for the user; nothing made`, async () => {
      const body: Record<string, unknown> = { ...localBody('test'), oauth_grant: grant };
      if (grant === undefined) delete body.oauth_grant;
      const res = await svc.provision(body);
      expectStatus(res, 422);
      expectMessage(res);
      expectStatus(await svc.changePlan(String(body.uuid), 'basic'), 404);
    });
  }

  const bodyC = await newBody('test');
  await check('provision: the same request three times at once → 202 each, one body', async () => {
    const all = await Promise.all([svc.provision(bodyC), svc.provision(bodyC), svc.provision(bodyC)]);
    for (const res of all) expectStatus(res, 202);
    const bodies = new Set(all.map((r) => JSON.stringify(r.json)));
    if (bodies.size !== 1) fail(`different bodies: ${[...bodies].map((b) => brief(b, 60)).join(' | ')}`);
  });

  // ---- asynchronous provisioning (the stand-in's view) ------------------------------------
  let provisionedA: StandInAddon | undefined;
  if (standIn) {
    await check(`async: the stand-in records the provision action (within ${waitMs / 1000} s)`, async () => {
      if (standInBroken) fail(`no add-on from the stand-in: ${standInBroken}`);
      if (!accepted) fail('the provision was not accepted, so nothing will happen');
      const started = Date.now();
      const { addon, timedOut } = await standIn.waitForProvisionOutcome(uuidA, waitMs, pollMs);
      if (!addon) fail('the stand-in does not know the add-on');
      if (addon.state === 'deprovisioned') fail('the service reported the provisioning as failed (deprovision action)');
      if (timedOut) fail(`still ${addon.state} after ${waitMs / 1000} s (provision actions: ${addon.actions.provision})`);
      if (addon.actions.provision < 1) fail('state provisioned without a provision action');
      provisionedA = addon;
      return `${((Date.now() - started) / 1000).toFixed(1)} s`;
    });
    await check(`async: config vars are exactly ${EXPECTED_CONFIG_VARS.join(', ')}; the URL is a URL`, async () => {
      if (!provisionedA) fail('the add-on was not provisioned');
      const config = provisionedA.config ?? {};
      const keys = Object.keys(config).sort();
      if (JSON.stringify(keys) !== JSON.stringify(EXPECTED_CONFIG_VARS)) fail(`got keys [${keys.join(', ')}]`);
      let u: URL | undefined;
      try {
        u = new URL(config.ANYPOINT_API_GATEWAY_URL);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:') || !u.hostname) fail(`ANYPOINT_API_GATEWAY_URL is not a URL: ${JSON.stringify(config.ANYPOINT_API_GATEWAY_URL)}`);
      if (!config.ANYPOINT_API_GATEWAY_API_ID?.trim()) fail('ANYPOINT_API_GATEWAY_API_ID is empty');
      if ((config.ANYPOINT_API_GATEWAY_ORIGIN_SECRET ?? '').length < 32) fail('ANYPOINT_API_GATEWAY_ORIGIN_SECRET is missing or shorter than 32 characters');
      return config.ANYPOINT_API_GATEWAY_URL;
    });

    // ---- Heroku's webhooks (follow the app) ------------------------------------------------
    const ok2xx = (status: number) => status >= 200 && status < 300;
    let subscribed = false;
    await check('webhooks: the service subscribed the add-on to its app (api:app, api:domain; level sync)', async () => {
      if (!provisionedA) fail('the add-on was not provisioned');
      const subs = await standIn.webhooks(uuidA);
      const w = subs.find((x) => x.include.includes('api:app') && x.include.includes('api:domain'));
      if (!w) fail(`no subscription to api:app and api:domain (${subs.length} subscriptions; is PUBLIC_URL set, and do Heroku's deliveries reach it?)`);
      if (w.level !== 'sync') fail(`level ${w.level}, not sync`);
      subscribed = true;
      return w.url;
    });
    let taken: string | undefined;
    await check('webhooks: a delivery signed as Heroku signs it → 2xx', async () => {
      if (!subscribed) fail('no subscription');
      const r = await standIn.testDelivery(uuidA);
      if (!ok2xx(r.status)) fail(`got ${r.status}`);
      taken = r.eventId;
      return String(r.status);
    });
    await check('webhooks: a bad signature, a wrong Authorization, a body changed after signing → 401 each', async () => {
      if (!subscribed) fail('no subscription');
      const got3 = [];
      for (const tamper of ['signature', 'authorization', 'body'] as const) got3.push(`${tamper} ${(await standIn.testDelivery(uuidA, { tamper })).status}`);
      if (!got3.every((g) => g.endsWith(' 401'))) fail(got3.join(', '));
    });
    await check('webhooks: the same event delivered again → 2xx (deduplicated, not refused)', async () => {
      if (!taken) fail('no event was taken');
      const r = await standIn.testDelivery(uuidA, { eventId: taken });
      if (!ok2xx(r.status)) fail(`got ${r.status}`);
    });
    await check('webhooks: a delivery for an unknown add-on → 2xx (so Heroku stops retrying)', async () => {
      if (!subscribed) fail('no subscription: the receiver of a live add-on was not seen first');
      const res = await svc.webhook(randomUUID(), JSON.stringify({ id: randomUUID(), action: 'update', resource: 'app', data: {} }));
      if (!ok2xx(res.status)) fail(got(res));
    });
  } else {
    emit('# async part not run: pass --heroku <stand-in URL> (the service must use it as HEROKU_API_URL and HEROKU_ID_URL)');
  }

  // ---- plan change -----------------------------------------------------------------------
  // Without the stand-in the add-on's grant is made up: a service that exchanges it at once may
  // rightly fail the add-on, and then refuses plan changes. Still a FAIL, with the reason shown.
  const liveHint = standIn ? undefined : 'without --heroku the made-up OAuth grant cannot be exchanged, so the service may have failed this add-on; run with --heroku';
  await check('plan change: unknown id → 404', async () => {
    expectStatus(await svc.changePlan(randomUUID(), 'basic'), 404);
  });
  await check('plan change: no credentials → 401', async () => {
    expectChallenge(await svc.changePlan(uuidA, 'basic', { auth: null }));
  });
  await check('plan change: wrong password → 401', async () => {
    expectChallenge(await svc.changePlan(uuidA, 'basic', { auth: wrongPassword }));
  });
  await check('plan change: good credentials → 200 with a message', async () => {
    const res = await svc.changePlan(uuidA, 'basic');
    expectStatus(res, 200);
    expectMessage(res);
  }, liveHint);
  await check('plan change: same plan → 200 with a message (no-op)', async () => {
    const res = await svc.changePlan(uuidA, 'basic');
    expectStatus(res, 200);
    expectMessage(res);
  }, liveHint);
  await check('plan change: older body (plan, heroku_id, uuid) → 200 with a message', async () => {
    const res = await svc.changePlanBody(uuidA, { plan: 'basic', heroku_id: 'app123456@heroku.com', uuid: uuidA });
    expectStatus(res, 200);
    expectMessage(res);
  }, liveHint);
  await check('plan change: unknown plan → 422 with a message', async () => {
    const res = await svc.changePlan(uuidA, 'no-such-plan');
    expectStatus(res, 422);
    expectMessage(res);
  });

  // ---- single sign-on --------------------------------------------------------------------
  let cookie: string | undefined;
  let location: string | undefined;
  let page: HttpReply | undefined;
  await check('sso: user-scoped token → 302 to the dashboard, session cookie (HttpOnly, SameSite=Lax), heroku-nav-data cookie', async () => {
    const res = await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'user_scoped', timestamp: freshTs() }));
    expectStatus(res, 302);
    location = res.headers.get('location') ?? undefined;
    if (!location) fail('302 without Location');
    if (!res.setCookies.length) fail('no Set-Cookie');
    if (!cookieNamed(res.setCookies, 'heroku-nav-data')) fail(`no heroku-nav-data cookie (cookies: ${res.setCookies.map((c) => c.split('=')[0]).join(', ')})`);
    const sessions = res.setCookies.filter((c) => c.split('=')[0].trim() !== 'heroku-nav-data');
    if (!sessions.length) fail('no session cookie besides heroku-nav-data');
    const session = sessions.find((c) => /;\s*httponly\b/i.test(c));
    if (!session) fail('the session cookie is not HttpOnly');
    if (!/;\s*samesite=lax\b/i.test(session)) fail(`the session cookie is not SameSite=Lax: ${brief(session.replace(/=[^;]*/, '=…'), 120)}`);
    const problems = pageHeaderProblems(res, { https, html: false });
    if (problems.length) fail(`the sign-on answer: ${problems.join('; ')}`);
    cookie = cookieHeader(res.setCookies);
    return `→ ${location}`;
  });
  await check('sso: following the redirect with the cookie → 200 HTML', async () => {
    if (!location || !cookie) fail('no redirect to follow');
    const res = await svc.get(location, cookie);
    expectStatus(res, 200);
    const type = res.headers.get('content-type') ?? '';
    if (!/text\/html/i.test(type)) fail(`content-type ${type || 'none'}`);
    page = res;
    return `title: ${htmlTitle(res.text) ?? '(none)'}`;
  });
  await check(`sso: the dashboard shows the user the user-scoped token vouched for (${DEFAULT_SSO_USER.email})`, async () => {
    if (!page) fail('no dashboard page');
    if (!pageText(page.text).includes(DEFAULT_SSO_USER.email)) fail(`the page does not name ${DEFAULT_SSO_USER.email}`);
  });
  await check(`sso: the dashboard's headers: CSP default-src 'none' without unsafe script or style, frame-ancestors 'none', nosniff, no-referrer, no-store${https ? ', HSTS' : ''}; no inline script`, async () => {
    if (!page) fail('no dashboard page');
    const problems = pageHeaderProblems(page, { https, html: true });
    if (problems.length) fail(problems.join('; '));
    return https ? undefined : 'HSTS not checked: the service is not on https';
  });
  await check('sso: dashboard without a cookie → 401', async () => {
    expectStatus(await svc.get(location ?? `/dashboard/${uuidA}`), 401);
  });
  await check("sso: the session does not open another add-on's dashboard", async () => {
    if (!cookie || !location) fail('no session');
    const other = location.replace(uuidA, randomUUID());
    if (other === location) fail(`the dashboard URL ${location} does not name the add-on`);
    const res = await svc.get(other, cookie);
    expectStatus(res, 401, 403, 404);
  });
  await check('sso: resource_token → 302', async () => {
    expectStatus(await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'resource', timestamp: freshTs() })), 302);
  });
  await check("sso: with only a resource_token the form's email is not shown as signed in", async () => {
    const email = `unvouched-${randomUUID().slice(0, 8)}@example.com`;
    const res = await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'resource', email, timestamp: freshTs() }));
    expectStatus(res, 302);
    const dash = await svc.get(res.headers.get('location') ?? `/dashboard/${uuidA}`, cookieHeader(res.setCookies));
    expectStatus(dash, 200);
    if (pageText(dash.text).includes(email)) fail(`the dashboard shows ${email}, which nothing vouched for`);
  });
  await check('sso: a sign-on form used once → the same form again is refused (403), no session', async () => {
    const form = ssoForm({ uuid: uuidA, salt: opts.salt, timestamp: freshTs() });
    expectStatus(await svc.ssoPost(form), 302);
    const again = await svc.ssoPost(form);
    if (again.status === 302 || again.setCookies.some((c) => !c.startsWith('heroku-nav-data='))) fail(`the replay signed in again (${again.status})`);
    expectStatus(again, 403);
    const { resource_token: _r, ...userScopedOnly } = form;
    const { user_scoped_resource_token: _u, ...resourceOnly } = form;
    for (const [what, f] of [['its user-scoped token alone', userScopedOnly], ['its resource_token alone', resourceOnly]] as const) {
      const res = await svc.ssoPost(f);
      if (res.status !== 403) fail(`the form replayed with ${what} ${got(res)}`);
    }
  });
  await check('sso: the v1 GET form (GET /heroku/resources/:id?token=&timestamp=) does not sign in: 404 or 405, no cookie', async () => {
    const ts = String(freshTs());
    const res = await svc.ssoLegacyGet(uuidA, resourceToken(uuidA, opts.salt, ts), ts);
    expectStatus(res, 404, 405);
    if (res.setCookies.length) fail(`it set cookies: ${res.setCookies.map((c) => c.split('=')[0]).join(', ')}`);
  });
  await check('sso: signing out (the dashboard\'s form) ends the session: the same cookie then gets 401; a sign-out from another site is refused', async () => {
    const res = await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'user_scoped', timestamp: freshTs() }));
    expectStatus(res, 302);
    const jar = cookieHeader(res.setCookies);
    const where = res.headers.get('location') ?? `/dashboard/${uuidA}`;
    const dash = await svc.get(where, jar);
    expectStatus(dash, 200);
    const form = postForm(dash.text);
    if (!form) fail('the dashboard has no sign-out form (a <form method="post" action=…>)');
    const forged = await svc.postFormFrom('https://attacker.example', form.action, form.fields, jar);
    if (forged.status < 400) fail(`a sign-out posted from another site ${got(forged)}`);
    expectStatus(await svc.get(where, jar), 200);
    const out = await svc.postForm(form.action, form.fields, jar);
    if (out.status >= 400) fail(`the sign-out ${got(out)}`);
    const after = await svc.get(where, jar);
    if (after.status === 200) fail('the old session cookie still opens the dashboard after signing out');
    expectStatus(after, 401, 403);
    return `sign-out ${out.status}${out.headers.get('location') ? ` → ${out.headers.get('location')}` : ''}`;
  });
  await check("console: /admin/queues cannot be framed or cached (seen on its 401 to a stranger)", async () => {
    const res = await svc.get('/admin/queues');
    expectStatus(res, 401);
    const csp = parseCsp(res.headers.get('content-security-policy'));
    if ((csp.get('frame-ancestors') ?? []).join(' ') !== "'none'") fail(`CSP frame-ancestors is ${(csp.get('frame-ancestors') ?? ['absent']).join(' ')}`);
    if (!/\bno-store\b/i.test(res.headers.get('cache-control') ?? '')) fail(`Cache-Control is ${res.headers.get('cache-control') ?? 'absent'}`);
    if ((res.headers.get('x-content-type-options') ?? '').toLowerCase() !== 'nosniff') fail('no X-Content-Type-Options: nosniff');
  });
  await check('sso: wrong user_scoped_resource_token → 403', async () => {
    const f = ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'user_scoped' });
    f.user_scoped_resource_token = userScopedToken(uuidA, `${opts.salt}-wrong`, f.timestamp, f.user_id, f.email);
    expectStatus(await svc.ssoPost(f), 403);
  });
  await check('sso: wrong user-scoped token beside a good resource_token → 403 (the user-scoped one wins)', async () => {
    const f = ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'both' });
    f.user_scoped_resource_token = userScopedToken(uuidA, `${opts.salt}-wrong`, f.timestamp, f.user_id, f.email);
    expectStatus(await svc.ssoPost(f), 403);
  });
  await check('sso: wrong resource_token → 403', async () => {
    const f = ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'resource' });
    f.resource_token = resourceToken(uuidA, `${opts.salt}-wrong`, f.timestamp);
    expectStatus(await svc.ssoPost(f), 403);
  });
  await check('sso: user-scoped token sent with another email → 403', async () => {
    const f = ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'user_scoped' });
    f.email = `other-${DEFAULT_SSO_USER.email}`;
    expectStatus(await svc.ssoPost(f), 403);
  });
  await check('sso: 6-minute-old timestamp → 403', async () => {
    expectStatus(await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, timestamp: nowS() - 360 })), 403);
  });
  await check('sso: timestamp 2 minutes in the future → 403', async () => {
    expectStatus(await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, timestamp: nowS() + 120 })), 403);
  });
  await check('sso: unknown add-on (good token) → 404', async () => {
    expectStatus(await svc.ssoPost(ssoForm({ uuid: randomUUID(), salt: opts.salt })), 404);
  });

  // ---- deprovision -----------------------------------------------------------------------
  await check('deprovision: no credentials → 401', async () => {
    expectChallenge(await svc.deprovision(uuidA, { auth: null }));
  });
  await check('deprovision: wrong password → 401', async () => {
    expectChallenge(await svc.deprovision(uuidA, { auth: wrongPassword }));
  });
  await check('deprovision: unknown id → 404', async () => {
    expectStatus(await svc.deprovision(randomUUID()), 404);
  });
  await check('deprovision: good credentials → 204', async () => {
    expectStatus(await svc.deprovision(uuidA), 204);
  });
  await check('deprovision: repeated → 204', async () => {
    expectStatus(await svc.deprovision(uuidA), 204);
  });
  await check('provision after deprovision (same uuid) → 410 (the tombstone)', async () => {
    expectStatus(await svc.provision(bodyA), 410);
  });
  emit('# the tombstone expires after TOMBSTONE_TTL_DAYS (Heroku never reuses a uuid): an internal of the service, not visible over HTTP within that time');
  await check('plan change after deprovision → 410', async () => {
    expectStatus(await svc.changePlan(uuidA, 'premium'), 410);
  });

  if (standIn) {
    await check(`async: after deprovision the record ends while DELETE keeps answering 204 (within ${waitMs / 1000} s)`, async () => {
      const until = Date.now() + waitMs;
      let seen = 'nothing yet';
      for (let i = 0; ; i++) {
        const del = await svc.deprovision(uuidA);
        if (del.status !== 204) fail(`a repeated DELETE ${got(del)}`);
        // Seen as Heroku's user would: sign-on refused, or the dashboard shows the add-on removed.
        // (each try is another user's form: a sign-on form works once)
        const sso = await svc.ssoPost(ssoForm({ uuid: uuidA, salt: opts.salt, tokens: 'user_scoped', userId: `driver-user-${i}`, email: `driver-${i}@example.com` }));
        if (sso.status === 404 || sso.status === 410) return `sign-on answers ${sso.status}`;
        if (sso.status !== 302) fail(`sign-on to the removed add-on ${got(sso)}`);
        const page = await svc.get(sso.headers.get('location') ?? `/dashboard/${uuidA}`, cookieHeader(sso.setCookies));
        const text = pageText(page.text);
        if (page.status === 404 || page.status === 410) return `dashboard answers ${page.status}`;
        if (page.status === 200 && /\bdeprovisioned\b/i.test(text) && !/\bdeprovisioning\b/i.test(text)) return 'dashboard shows it deprovisioned';
        seen = /\bdeprovisioning\b/i.test(text) ? 'still deprovisioning' : `dashboard ${page.status}: ${brief(text, 100)}`;
        if (Date.now() >= until) fail(`after ${waitMs / 1000} s: ${seen}`);
        await sleep(pollMs);
      }
    });
  }

  await check('deprovision: three add-ons, each DELETE twice at once → 204 each', async () => {
    const ids = [String(bodyB.uuid), String(bodyC.uuid), String(bodyF.uuid)];
    const all = await Promise.all(ids.flatMap((id) => [svc.deprovision(id), svc.deprovision(id)]));
    const bad = all.filter((r) => r.status !== 204);
    if (bad.length) fail(`expected 204 from all ${all.length}, ${bad.map(got).join('; ')}`);
  });

  emit(`${passed} passed, ${failed} failed`);
  return { passed, failed, lines };
}
