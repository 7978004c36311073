import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brief, cookieHeader, htmlTitle, joinUrl, type HttpReply } from './http';
import { DEFAULT_HEROKU_SANDBOX, UsageError, type DriverOptions } from './options';
import { sleep, StandIn, standInLogs, type StandInLogLine } from './heroku';
import { ServiceClient } from './service';
import { ssoForm } from './tokens';
import { runCheck } from './check';

/** The driver's commands. Each prints through `out` and answers an exit code. */

export type Out = (line: string) => void;

function showReply(out: Out, what: string, res: HttpReply): void {
  out(`${what}: ${res.status}`);
  if (res.text) out(res.json !== undefined ? JSON.stringify(res.json, null, 2) : res.text);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidArg(o: DriverOptions, usage: string): string {
  const uuid = o.args[0];
  if (!uuid) throw new UsageError(`usage: ${usage}`);
  if (!UUID.test(uuid)) throw new UsageError(`"${uuid}" is not an add-on uuid`);
  return uuid;
}

export async function provisionCommand(o: DriverOptions, out: Out): Promise<number> {
  const standIn = new StandIn(o.heroku ?? DEFAULT_HEROKU_SANDBOX);
  const body = await standIn.createAddon({
    plan: o.plan,
    ...(o.app ? { appName: o.app } : {}),
    ...(o.upstream ? { options: { upstream: o.upstream } } : {}),
  });
  out(`add-on ${body.uuid} (app from the stand-in ${standIn.url}, plan ${body.plan})`);
  const svc = new ServiceClient(o.service, o);
  const res = await svc.provision(body);
  showReply(out, 'POST /heroku/resources', res);
  if (res.status < 200 || res.status >= 300) return 1;
  if (res.status !== 202) {
    out('(a synchronous answer: nothing to wait for)');
    return 0;
  }
  out(`waiting up to ${o.wait} s for the provision action...`);
  const { addon, timedOut } = await standIn.waitForProvisionOutcome(body.uuid, o.wait * 1000, 250);
  if (!addon) {
    out('the stand-in lost the add-on');
    return 1;
  }
  if (addon.state === 'deprovisioned') {
    out(`uuid ${body.uuid}: provisioning FAILED (the service sent the deprovision action)`);
    return 1;
  }
  if (timedOut) {
    out(`uuid ${body.uuid}: still ${addon.state} after ${o.wait} s`);
    return 1;
  }
  out(`uuid ${body.uuid}: provisioned`);
  for (const [k, v] of Object.entries(addon.config)) out(`${k}=${v}`);
  return 0;
}

export async function planCommand(o: DriverOptions, out: Out): Promise<number> {
  const usage = 'aag-driver plan <uuid> <plan> --service URL';
  const uuid = uuidArg(o, usage);
  const plan = o.args[1];
  if (!plan) throw new UsageError(`usage: ${usage}`);
  const res = await new ServiceClient(o.service, o).changePlan(uuid, plan);
  showReply(out, `PUT /heroku/resources/${uuid}`, res);
  return res.status >= 200 && res.status < 300 ? 0 : 1;
}

export async function deprovisionCommand(o: DriverOptions, out: Out): Promise<number> {
  const uuid = uuidArg(o, 'aag-driver deprovision <uuid> --service URL');
  const res = await new ServiceClient(o.service, o).deprovision(uuid);
  showReply(out, `DELETE /heroku/resources/${uuid}`, res);
  return res.status >= 200 && res.status < 300 ? 0 : 1;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const htmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An HTML page that posts the sign-on form as soon as it opens, as Heroku's dashboard does. */
export function autoSubmitPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${htmlAttr(k)}" value="${htmlAttr(v)}">`)
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Signing in through Heroku…</title></head>
<body><form method="post" action="${htmlAttr(action)}">
${inputs}
<noscript><button type="submit">Sign in</button></noscript></form>
<script>document.forms[0].submit()</script></body></html>
`;
}

export async function ssoCommand(o: DriverOptions, out: Out): Promise<number> {
  const uuid = uuidArg(o, 'aag-driver sso <uuid> --service URL [--follow] [--user-id ID] [--email EMAIL]');
  const fields = ssoForm({ uuid, salt: o.salt, userId: o.userId, email: o.email, app: o.app });
  const action = joinUrl(o.service, '/sso/login');
  out(`# valid for 5 minutes from ${new Date(Number(fields.timestamp) * 1000).toISOString()}`);
  out(`curl -i -X POST ${shellQuote(action)} ${Object.entries(fields).map(([k, v]) => `--data-urlencode ${shellQuote(`${k}=${v}`)}`).join(' ')}`);
  const file = path.join(tmpdir(), `aag-sso-${uuid}-${fields.timestamp}.html`);
  writeFileSync(file, autoSubmitPage(action, fields), { mode: 0o600 });
  out(`# open in a browser: file://${file}`);
  if (!o.follow) return 0;

  const svc = new ServiceClient(o.service, o);
  const res = await svc.ssoPost(fields);
  out(`POST /sso/login: ${res.status}${res.status === 302 ? ` → ${res.headers.get('location') ?? '(no Location)'}` : ` ${brief(res.text)}`}`);
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) return 1;
  const page = await svc.get(location, cookieHeader(res.setCookies));
  out(`GET ${location}: ${page.status} — ${htmlTitle(page.text) ?? '(no title)'}`);
  return page.status === 200 ? 0 : 1;
}

export async function checkCommand(o: DriverOptions, out: Out): Promise<number> {
  const r = await runCheck({ service: o.service, heroku: o.heroku, id: o.id, password: o.password, salt: o.salt, waitSeconds: o.wait, onLine: out });
  return r.failed > 0 ? 1 : 0;
}

/**
 * A log line as `heroku logs` prints it: `<time with microseconds>+00:00 <source>[<proc>]: <message>`,
 * e.g. `2026-11-28T10:00:05.120000+00:00 anypoint-api-gateway[gateway]: method=GET path=/orders …`.
 */
export function herokuLogLine(l: StandInLogLine): string {
  const t = Date.parse(l.at);
  const time = Number.isFinite(t) ? `${new Date(t).toISOString().slice(0, 23)}000+00:00` : l.at;
  return `${time} ${l.source}[${l.proc}]: ${l.message}`;
}

export async function logsCommand(o: DriverOptions, out: Out): Promise<number> {
  const uuid = uuidArg(o, 'aag-driver logs <uuid> [--tail] [--wait SECONDS] [--heroku URL]');
  const standIn = new StandIn(o.heroku ?? DEFAULT_HEROKU_SANDBOX);
  const first = await standInLogs(standIn, uuid);
  if (!first) {
    out(`no add-on ${uuid} in the Heroku stand-in ${standIn.url}`);
    return 1;
  }
  for (const l of first.lines) out(herokuLogLine(l));
  if (!o.tail) return 0;
  let shown = first.lines.length;
  const until = o.waitGiven ? Date.now() + o.wait * 1000 : Infinity;
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once('SIGINT', onSignal);
  try {
    while (!stop && Date.now() < until) {
      await sleep(Math.min(1_000, Math.max(0, until - Date.now())));
      const now = await standInLogs(standIn, uuid);
      if (!now) break;
      // the stand-in keeps the newest lines; a shorter list means old ones went: show what is new
      const fresh = now.lines.length >= shown ? now.lines.slice(shown) : now.lines;
      for (const l of fresh) out(herokuLogLine(l));
      shown = now.lines.length;
    }
  } finally {
    process.off('SIGINT', onSignal);
  }
  return 0;
}

/** `aag-driver rename <uuid> <new-name>`: the add-on's app renamed in the Heroku stand-in (its old host stops answering). */
export async function renameCommand(o: DriverOptions, out: Out): Promise<number> {
  const usage = 'aag-driver rename <uuid> <new-name> [--heroku URL]';
  const uuid = uuidArg(o, usage);
  const name = o.args[1];
  if (!name) throw new UsageError(`usage: ${usage}`);
  const r = await new StandIn(o.heroku ?? DEFAULT_HEROKU_SANDBOX).renameApp(uuid, name);
  if (r.status !== 200) {
    out(`rename refused: ${r.status} ${r.message ?? ''}`.trim());
    return 1;
  }
  out(`app renamed to ${name}: ${r.oldHost ?? '(none)'} → ${r.newHost ?? '(none)'}; webhook deliveries started: ${r.deliveries ?? 0}`);
  return 0;
}

/** `aag-driver domain add|remove <uuid> <hostname>` (and `domain list <uuid>`) on the add-on's app in the Heroku stand-in. */
export async function domainCommand(o: DriverOptions, out: Out): Promise<number> {
  const usage = 'aag-driver domain add|remove|list <uuid> [<hostname>] [--heroku URL]';
  const [op, uuid, hostname] = o.args;
  if (op !== 'add' && op !== 'remove' && op !== 'list') throw new UsageError(`usage: ${usage}`);
  if (!uuid || !UUID.test(uuid)) throw new UsageError(uuid ? `"${uuid}" is not an add-on uuid` : `usage: ${usage}`);
  const standIn = new StandIn(o.heroku ?? DEFAULT_HEROKU_SANDBOX);
  if (op === 'list') {
    for (const d of await standIn.domains(uuid)) out(`${d.hostname} (${d.kind})`);
    return 0;
  }
  if (!hostname) throw new UsageError(`usage: ${usage}`);
  const r = await standIn.changeDomain(uuid, op, hostname);
  if (r.status !== 200 && r.status !== 201) {
    out(`domain ${op} refused: ${r.status} ${r.message ?? ''}`.trim());
    return 1;
  }
  out(`${op === 'add' ? 'added' : 'removed'} ${hostname}; webhook deliveries started: ${r.deliveries ?? 0}`);
  return 0;
}

export const COMMANDS: Record<string, (o: DriverOptions, out: Out) => Promise<number>> = {
  provision: provisionCommand,
  plan: planCommand,
  deprovision: deprovisionCommand,
  sso: ssoCommand,
  check: checkCommand,
  logs: logsCommand,
  rename: renameCommand,
  domain: domainCommand,
};
