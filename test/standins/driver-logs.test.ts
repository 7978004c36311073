import { createHerokuSandbox, type HerokuSandbox } from '@aag/standins';
import { main } from '@aag/driver/src/cli';
import { parseDriverArgs, UsageError } from '@aag/driver/src/options';

/** `aag-driver logs <uuid> [--tail]`: the add-on's app log in the Heroku stand-in, as `heroku logs` prints it. */

let heroku: HerokuSandbox;
let url: string;
beforeAll(async () => {
  heroku = createHerokuSandbox({});
  ({ url } = await heroku.start(0));
});
afterAll(() => heroku.close());

async function postLines(logUrl: string, messages: string[]): Promise<number> {
  const u = new URL(logUrl);
  const frames = messages.map((m) => `<190>1 2026-11-28T10:00:05.120Z host anypoint-api-gateway gateway - - ${m}`).map((f) => `${Buffer.byteLength(f)} ${f}`).join('');
  const res = await fetch(`${u.origin}${u.pathname}`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${u.username}:${u.password}`).toString('base64')}`, 'Content-Type': 'application/logplex-1', 'Logplex-Msg-Count': String(messages.length) },
    body: frames,
  });
  return res.status;
}

async function run(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, {}, (l) => lines.push(l));
  return { code, lines };
}

it('prints the lines of the add-on\'s app as heroku logs does (no --service needed)', async () => {
  const a = heroku.createAddon({ plan: 'test', appName: 'drv-shop' });
  expect(await postLines(a.log_input_url, ['method=GET path=/orders status=200', 'method=GET path=/orders status=429 outcome=BLOCKED'])).toBe(204);
  const r = await run(['logs', a.uuid, '--heroku', url]);
  expect(r).toEqual({
    code: 0,
    lines: [
      '2026-11-28T10:00:05.120000+00:00 anypoint-api-gateway[gateway]: method=GET path=/orders status=200',
      '2026-11-28T10:00:05.120000+00:00 anypoint-api-gateway[gateway]: method=GET path=/orders status=429 outcome=BLOCKED',
    ],
  });
});

it('--tail keeps printing the lines that come (here for --wait 2 seconds)', async () => {
  const a = heroku.createAddon({ plan: 'test', appName: 'drv-tail' });
  await postLines(a.log_input_url, ['first']);
  const later = new Promise<number>((resolve) => setTimeout(() => void postLines(a.log_input_url, ['second', 'third']).then(resolve), 600));
  const r = await run(['logs', a.uuid, '--tail', '--wait', '2', '--heroku', url]);
  expect(await later).toBe(204);
  expect(r.code).toBe(0);
  expect(r.lines.map((l) => l.split(': ')[1])).toEqual(['first', 'second', 'third']);
});

it('an unknown add-on: exit 1 saying so; other commands still need --service', async () => {
  const r = await run(['logs', '00000000-0000-4000-8000-000000000000', '--heroku', url]);
  expect(r.code).toBe(1);
  expect(r.lines[0]).toMatch(/no add-on 00000000-0000-4000-8000-000000000000/);
  expect(parseDriverArgs(['logs', 'x'], {}).service).toBe('');
  expect(() => parseDriverArgs(['check'], {})).toThrow(UsageError);
});
