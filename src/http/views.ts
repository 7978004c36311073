import { createHash } from 'node:crypto';
import type { AddonRecord } from '../domain/addon';
import type { StepEvent } from '../domain/progress';
import { stepsOf } from '../engine';
import { ADDON_WORKFLOWS, PROVISION } from '../workflows';
import { describeLimit, findPlan, PLANS } from '../domain/plans';
import type { TrafficView } from '../domain/traffic';
import { boundaryOf, CLIENT_ID_HEADER, CLIENT_SECRET_HEADER, CORS_METHODS, ORIGIN_SECRET_HEADER, ORIGIN_SECRET_PREVIOUS_VAR, ORIGIN_SECRET_VAR } from '../domain/boundary';
import { renderTraffic } from './traffic-view';

/**
 * Server-rendered pages: readable without JavaScript, no inline script (the Copy button's few lines
 * are a same-origin file, DASHBOARD_SCRIPT_PATH) and one inline style block, allowed by its hash
 * (STYLE_CSP_SOURCE) in the pages' Content-Security-Policy.
 */

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f6fa;color:#1d2433}
header{background:#3d2a6b;color:#fff;padding:14px 24px}header h1{margin:0;font-size:18px}
main{max-width:960px;margin:24px auto;padding:0 16px}
section{background:#fff;border:1px solid #dde1ea;border-radius:8px;padding:16px 20px;margin-bottom:16px}
h2{font-size:16px;margin:0 0 12px}dl{display:grid;grid-template-columns:200px 1fr;gap:6px 12px;margin:0}dt{color:#5a6275}dd{margin:0;word-break:break-all}
.state{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:13px}
.s-provisioned{background:#d8f5e3;color:#11663a}.s-provisioning,.s-deprovisioning{background:#fff2cc;color:#7a5a00}
.s-failed{background:#fde0e0;color:#8a1c1c}.s-deprovisioned{background:#e6e8ee;color:#3b4252}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eef0f5;font-size:14px}
.current{background:#f0ebfa;font-weight:600}code{background:#f0f2f7;padding:1px 5px;border-radius:4px}
.ok{color:#11663a}.bad{color:#8a1c1c}.wait{color:#7a5a00}.muted{color:#5a6275}
button{font:inherit;padding:2px 10px;margin-left:8px;cursor:pointer}
header{display:flex;justify-content:space-between;align-items:center}header form{margin:0}
`;

/** The CSP source that allows exactly the STYLE block above (a hash, not 'unsafe-inline'). */
export const STYLE_CSP_SOURCE = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/** The same-origin script of the dashboard (the Copy button); see src/http/assets.ts. */
export const DASHBOARD_SCRIPT_PATH = '/assets/dashboard.js';

/** Where a signed-out browser lands. */
export const SIGNED_OUT_PATH = '/signed-out';
export const LOGOUT_PATH = '/sso/logout';

function page(title: string, body: string, opts: { script?: boolean; logout?: { csrf: string } } = {}): string {
  const logout = opts.logout
    ? `<form method="post" action="${LOGOUT_PATH}"><input type="hidden" name="csrf" value="${esc(opts.logout.csrf)}"><button type="submit" id="sign-out">Sign out</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${STYLE}</style>${opts.script ? `<script src="${DASHBOARD_SCRIPT_PATH}" defer></script>` : ''}</head><body><header><h1>Anypoint API Gateway</h1>${logout}</header><main>${body}</main></body></html>`;
}

const HOW_TO_SIGN_IN = `<p>This dashboard opens through Heroku single sign-on. Open your app in the
<a href="https://dashboard.heroku.com/apps">Heroku dashboard</a>, then click <strong>Anypoint API Gateway</strong> under
Add-ons, or run <code>heroku addons:open anypoint-api-gateway</code>.</p>`;

export function renderSignedOut(why: 'none' | 'expired' | 'other' | 'ended'): string {
  const lead =
    why === 'expired'
      ? 'Your session has expired.'
      : why === 'other'
        ? 'Your session belongs to another add-on.'
        : why === 'ended'
          ? 'You have signed out.'
          : 'You are not signed in.';
  return page('Sign in through Heroku', `<section><h2 data-testid="signed-out">${esc(lead)}</h2>${HOW_TO_SIGN_IN}</section>`);
}

/** Words for every step of every workflow of this add-on (compensation included). */
function stepLabels(rec: AddonRecord): Record<string, string> {
  return Object.fromEntries(
    Object.values(ADDON_WORKFLOWS).flatMap((wf) => [...stepsOf(wf.steps, rec), ...stepsOf(wf.compensation, rec)].map((s) => [s.name, s.label])),
  );
}

function lastEventOf(rec: AddonRecord, step: string): StepEvent | undefined {
  for (let i = rec.timeline.length - 1; i >= 0; i--) if (rec.timeline[i].step === step) return rec.timeline[i];
  return undefined;
}

/** A failed step's message already names its step (src/engine permanentReason); a retry's does not. */
function problemLine(ev: StepEvent, labels: Record<string, string>): string {
  const label = labels[ev.step] ?? ev.step;
  if (ev.message?.startsWith(label)) return ev.message;
  return `${label}: ${ev.message ?? 'failed'}`;
}

function retriesOf(rec: AddonRecord, step: string): number {
  return rec.timeline.filter((e) => e.step === step && e.status === 'retrying').length;
}

function stepsTable(rec: AddonRecord, labels: Record<string, string>): string {
  const rows = stepsOf(PROVISION.steps, rec).map(({ name: s }) => {
    const ev = lastEventOf(rec, s);
    const status = ev?.status ?? 'pending';
    const cls = status === 'done' ? 'ok' : status === 'failed' ? 'bad' : status === 'pending' ? 'muted' : 'wait';
    const retries = retriesOf(rec, s);
    return `<tr><td>${esc(labels[s] ?? s)}</td><td class="${cls}">${esc(status)}</td><td>${esc(ev ? new Date(ev.at).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '')}</td><td>${retries || ''}</td><td>${esc(ev?.message ?? '')}</td></tr>`;
  }).join('');
  return `<table><thead><tr><th>Step</th><th>Status</th><th>When</th><th>Retries</th><th>Note</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function plansTable(current: string): string {
  const rows = PLANS.map(
    (p) =>
      `<tr class="${p.slug === current ? 'current' : ''}"><td>${esc(p.name)}${p.slug === current ? ' (current)' : ''}</td><td><code>${esc(p.slug)}</code></td><td>${esc(describeLimit(p))}</td><td>${esc(p.priceNote)}</td></tr>`,
  ).join('');
  return `<table><thead><tr><th>Plan</th><th>Slug</th><th>Rate limit</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Change plans with <code>heroku addons:upgrade anypoint-api-gateway:&lt;plan&gt;</code>.</p>`;
}

/** Where the add-on's API runs, in words (and where it is moving to). */
function describePlacement(rec: AddonRecord): string {
  const where = (p: NonNullable<AddonRecord['placement']>) =>
    p.target === 'omni'
      ? `a shared Anypoint Omni Gateway${p.gatewayName ? ` (${p.gatewayName})` : ''}, region ${p.region}`
      : `a dedicated Mule 4 proxy on CloudHub 2.0${p.applicationName ? ` (${p.applicationName})` : ''}, region ${p.region}`;
  if (!rec.placement) return rec.target === 'omni' ? 'a shared Anypoint Omni Gateway (being prepared)' : 'a dedicated CloudHub 2.0 proxy (being prepared)';
  return `${where(rec.placement)}${rec.next ? `; moving to ${where(rec.next)}` : ''}`;
}

export interface DashboardContext {
  /** Shown as "signed in as" only when Heroku's user-scoped token vouched for it. */
  verifiedEmail?: string;
  anypointBaseUrl: string;
  /** The logout form's anti-forgery token. */
  csrf: string;
  /** The gateway's traffic figures (src/http/traffic-view.ts). */
  traffic?: TrafficView;
  /** A key just made: shown this once. */
  reveal?: { name: string; clientId: string; clientSecret: string };
}

/** A console form: a POST with the session's anti-forgery token. */
function consoleForm(action: string, csrf: string, inner: string, id?: string): string {
  return `<form method="post" action="${esc(action)}"${id ? ` id="${esc(id)}"` : ''}><input type="hidden" name="csrf" value="${esc(csrf)}">${inner}</form>`;
}

/** The policy console: origin secret, API keys, IP allowlist, CORS (src/http/console.ts takes the forms). */
function renderPolicies(rec: AddonRecord, ctx: DashboardContext): string {
  if (rec.state !== 'provisioned') return '';
  const b = boundaryOf(rec);
  const id = rec.uuid;
  const plan = findPlan(rec.plan);
  const under = b.change ? `<p class="wait" data-testid="policy-change">Under way: ${esc(b.change.summary)} (asked by ${esc(b.change.by)}). Reload to follow it.</p>` : '';
  const failure = b.lastFailure
    ? `<p class="bad" data-testid="policy-failure">${esc(`Not applied: ${b.lastFailure.summary}. The gateway keeps the policies it had. ${b.lastFailure.reason}`)}</p>`
    : '';
  const reveal = ctx.reveal
    ? `<div data-testid="new-key"><p class="ok">New API key <strong>${esc(ctx.reveal.name)}</strong>. Copy the secret now: it is shown only this once.</p>
<dl><dt>client_id</dt><dd><code id="new-client-id">${esc(ctx.reveal.clientId)}</code></dd><dt>client_secret</dt><dd><code id="new-client-secret">${esc(ctx.reveal.clientSecret)}</code></dd></dl>
<p class="muted">Callers send them as the <code>${CLIENT_ID_HEADER}</code> and <code>${CLIENT_SECRET_HEADER}</code> headers.</p></div>`
    : '';
  const keyRows = b.keys
    .map(
      (k) =>
        `<tr data-testid="key-${esc(k.id)}"><td>${esc(k.name)}</td><td><code>${esc(k.clientId ?? '')}</code></td><td>${esc(k.createdAt.slice(0, 19).replace('T', ' '))} UTC</td><td>${esc(k.createdBy)}</td><td>${esc(k.state)}</td><td>${
          k.state === 'active' ? consoleForm(`/dashboard/${id}/keys/${k.id}/revoke`, ctx.csrf, '<button type="submit">Revoke</button>') : ''
        }</td></tr>`,
    )
    .join('');
  const s = b.settings;
  const enforcement = s.enforcement
    ? `<p data-testid="enforcement">Calls need a key (client-ID enforcement is on).</p>${consoleForm(`/dashboard/${id}/enforcement`, ctx.csrf, '<input type="hidden" name="enforcement" value="off"><button type="submit">Stop requiring keys</button>')}`
    : `<p data-testid="enforcement">Calls need no key${b.keys.length ? '' : ' (the first key you create switches client-ID enforcement on)'}.</p>${
        b.keys.length ? consoleForm(`/dashboard/${id}/enforcement`, ctx.csrf, '<input type="hidden" name="enforcement" value="on"><button type="submit">Require keys</button>') : ''
      }`;
  const cors = s.cors;
  const changes = rec.timeline.filter((e) => e.workflow === 'policy' && e.step === 'policy.record' && e.message).slice(-5).reverse();
  const history = changes.length
    ? `<h3>Recent changes</h3><ul data-testid="policy-history">${changes.map((e) => `<li>${esc(e.at.slice(0, 19).replace('T', ' '))} UTC: ${esc(e.message)}</li>`).join('')}</ul>`
    : '';
  return `<section id="policies"><h2>Who may call</h2>${under}${failure}${reveal}${history}
<h3>Origin secret</h3>
<p>The gateway adds <code>${ORIGIN_SECRET_HEADER}</code> to every request it forwards; your app refuses requests whose header does not match
<code>${ORIGIN_SECRET_VAR}</code> (or <code>${ORIGIN_SECRET_PREVIOUS_VAR}</code> during a rotation), so nobody can skip the gateway.</p>
${consoleForm(`/dashboard/${id}/origin-secret/rotate`, ctx.csrf, '<button type="submit" id="rotate-secret">Rotate the origin secret</button>')}
<h3>API keys</h3>${enforcement}
<table><thead><tr><th>Name</th><th>client_id</th><th>Created</th><th>By</th><th>State</th><th></th></tr></thead><tbody>${keyRows || '<tr><td colspan="6" class="muted">No keys yet.</td></tr>'}</tbody></table>
<p class="muted">${b.keys.length} of ${plan?.maxApiKeys ?? 0} keys your plan allows.</p>
${consoleForm(`/dashboard/${id}/keys`, ctx.csrf, '<label>Name <input name="name" maxlength="60" required></label><button type="submit">Create a key</button>', 'create-key')}
<h3>IP allowlist</h3>
<p>${s.ipAllowlist.length ? `Only these sources may call: <code>${esc(s.ipAllowlist.join(', '))}</code>` : 'Any source may call.'}</p>
${consoleForm(`/dashboard/${id}/ip-allowlist`, ctx.csrf, `<label>Address ranges (CIDR, IPv4 or IPv6; one a line; empty: any source)<br><textarea name="cidrs" rows="3" cols="40">${esc(s.ipAllowlist.join('\n'))}</textarea></label><br><button type="submit">Save the allowlist</button>`)}
<h3>CORS</h3>
<p>${cors ? `Browsers on <code>${esc(cors.origins.join(', '))}</code> may call with ${esc(cors.methods.join(', '))}${cors.headers.length ? ` and headers ${esc(cors.headers.join(', '))}` : ''}.` : 'No CORS policy.'}</p>
${consoleForm(
  `/dashboard/${id}/cors`,
  ctx.csrf,
  `<label>Allowed origins (one a line, or *; empty: no CORS)<br><textarea name="origins" rows="2" cols="40">${esc(cors?.origins.join('\n') ?? '')}</textarea></label><br>
<label>Methods (${CORS_METHODS.join(', ')}) <input name="methods" value="${esc(cors?.methods.join(', ') ?? 'GET')}"></label><br>
<label>Headers <input name="headers" value="${esc(cors?.headers.join(', ') ?? '')}"></label><br><button type="submit">Save CORS</button>`,
)}
</section>`;
}

/** A console form refused: why, and the way back. */
export function renderConsoleRefusal(id: string, why: string): string {
  const back = /^[0-9a-f-]{36}$/i.test(id) ? `<p><a href="/dashboard/${esc(id.toLowerCase())}#policies">Back to the dashboard</a></p>` : '';
  return page('Not changed — Anypoint API Gateway', `<section><h2>Nothing was changed</h2><p class="bad" data-testid="refusal">${esc(why)}</p>${back}</section>`);
}

export function renderDashboard(rec: AddonRecord, ctx: DashboardContext): string {
  const plan = findPlan(rec.plan);
  const r = rec.resources;
  const p = rec.placement;
  const labels = stepLabels(rec);
  const stateNote: Record<string, string> = {
    provisioning: 'Your gateway is being set up. This page shows each step as it completes; reload to follow it.',
    provisioned: 'Your gateway is running. Point clients at the proxy URL below.',
    failed: `Provisioning failed${rec.leftovers?.length ? '' : ' and everything it had made was removed'}. ${rec.failureReason ?? 'Remove the add-on and create it again; if it fails again, contact support with the add-on id.'}`,
    deprovisioning: 'The add-on is being removed; its proxy, API instance and Exchange asset are being deleted.',
    deprovisioned: 'This add-on has been removed. Nothing of it remains in Anypoint.',
  };
  const apiManagerLink =
    r.orgId && r.envId && p?.apiId
      ? `<a href="${esc(`${ctx.anypointBaseUrl}/apimanager/#/organizations/${r.orgId}/environments/${r.envId}/apis/${p.apiId}`)}">open in API Manager</a>`
      : '<span class="muted">not created yet</span>';
  const proxy = p?.proxyUrl
    ? `<code id="proxy-url">${esc(p.proxyUrl)}</code><button type="button" id="copy-proxy-url" data-copy="proxy-url">Copy</button>`
    : '<span class="muted">appears when the proxy runs</span>';
  const configVars = r.configuredUrl
    ? `<code>ANYPOINT_API_GATEWAY_URL</code> = <code>${esc(r.configuredUrl)}</code><br><code>ANYPOINT_API_GATEWAY_API_ID</code> = <code>${esc(p?.apiId)}</code><br><code>${ORIGIN_SECRET_VAR}</code> = <span class="muted">(secret, see heroku config)</span>`
    : '<span class="muted">not set yet</span>';
  const lastError = [...rec.timeline].reverse().find((e) => e.status === 'failed' || e.status === 'retrying');
  // a plan change (or a move to another target) refused for good: the add-on runs as it did, and says why
  const planRefused =
    rec.state === 'provisioned' && r.planChangeFailedFor === rec.plan
      ? [...rec.timeline].reverse().find((e) => e.status === 'failed' && (e.workflow === 'plan-change' || e.workflow === 'move'))
      : undefined;
  const body = `
<section><h2>${esc(rec.name)}</h2>
<p><span class="state s-${esc(rec.state)}" data-testid="state">${esc(rec.state)}</span></p>
<p>${esc(stateNote[rec.state])}</p>
<dl>
<dt>Add-on id</dt><dd><code>${esc(rec.uuid)}</code></dd>
<dt>Plan</dt><dd data-testid="plan">${esc(plan?.name ?? rec.plan)} — ${esc(plan ? describeLimit(plan) : '')}</dd>
<dt>Proxy URL</dt><dd data-testid="proxy">${proxy}</dd>
<dt>Runs on</dt><dd data-testid="target">${esc(describePlacement(rec))}</dd>
<dt>Upstream</dt><dd data-testid="upstream">${r.upstreamUrl ? `<code>${esc(r.upstreamUrl)}</code>` : '<span class="muted">not known yet</span>'}${
  r.upstreamChangedAt ? ` <span class="muted" data-testid="upstream-changed">— changed ${esc(r.upstreamChangedAt)}: ${esc(r.upstreamChangeReason ?? 'the app changed')}</span>` : r.upstreamUrl && !rec.options.upstream ? ' <span class="muted">— followed when the app is renamed or its domains change</span>' : ''
}</dd>
<dt>API Manager</dt><dd>${apiManagerLink}</dd>
<dt>Config vars</dt><dd>${configVars}</dd>
<dt>Created</dt><dd>${esc(rec.createdAt)}</dd>
${rec.provisionedAt ? `<dt>Provisioned</dt><dd>${esc(rec.provisionedAt)}</dd>` : ''}
${ctx.verifiedEmail ? `<dt>Signed in as</dt><dd data-testid="identity">${esc(ctx.verifiedEmail)}</dd>` : `<dt>Signed in</dt><dd data-testid="identity">through Heroku (Heroku did not vouch for a user, so none is shown)</dd>`}
</dl></section>
${lastError && rec.state !== 'provisioned' ? `<section><h2>Last problem</h2><p class="bad">${esc(problemLine(lastError, labels))}</p></section>` : ''}
${planRefused ? `<section><h2>Plan change not applied</h2><p class="bad" data-testid="plan-change-problem">${esc(`The change to plan ${rec.plan} did not go through; the gateway keeps running ${p?.policyPlan ? `with the limits of plan ${p.policyPlan}` : 'as it was'}.`)} ${esc(problemLine(planRefused, labels))}</p></section>` : ''}
${renderTraffic(rec, ctx.traffic)}
${renderPolicies(rec, ctx)}
<section><h2>Progress</h2>${stepsTable(rec, labels)}</section>
<section><h2>Plans</h2>${plansTable(rec.plan)}</section>`;
  return page(`${rec.name} — Anypoint API Gateway`, body, { script: true, logout: { csrf: ctx.csrf } });
}
