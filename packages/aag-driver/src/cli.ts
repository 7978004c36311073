#!/usr/bin/env node
/**
 * `aag-driver`: plays Heroku against a running add-on service (see USAGE in options.ts).
 *
 *   npm run driver -- check --service http://127.0.0.1:5000 --heroku http://127.0.0.1:4100
 */
import { COMMANDS } from './commands';
import { parseDriverArgs, USAGE, UsageError } from './options';

export async function main(argv = process.argv.slice(2), env = process.env, out: (line: string) => void = (l) => console.log(l)): Promise<number> {
  try {
    const o = parseDriverArgs(argv, env);
    if (o.help) {
      out(USAGE);
      return 0;
    }
    const run = COMMANDS[o.command];
    if (!run) throw new UsageError(`unknown command "${o.command}"`);
    return await run(o, out);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`aag-driver: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    console.error(`aag-driver: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
