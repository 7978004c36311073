/**
 * Options of `heroku addons:create anypoint-api-gateway -- --key=value` (pure). Heroku's CLI sends
 * `--key=value` as a string and a bare `--flag` as the boolean `true` (its parseConfig), so a
 * provision's `options` holds strings and booleans. The rule:
 * - every option is stored as a string: a boolean becomes "true" or "false", so a bare `--flag`
 *   means what `--flag=true` means and every reader of the record sees one type;
 * - an option that needs a value (`--upstream`) refuses a boolean with a message that shows the
 *   form to use; nothing is written.
 */

export type RawOptions = Record<string, string | boolean>;

/** Options whose value is the point: a bare flag cannot stand for them. */
export const VALUE_OPTIONS: Readonly<Record<string, string>> = {
  upstream: '--upstream=https://<your app host>',
};

export type ReadOptions = { ok: true; options: Record<string, string> } | { ok: false; message: string };

export function readOptions(raw: RawOptions | null | undefined): ReadOptions {
  const options: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (typeof value === 'boolean') {
      const form = VALUE_OPTIONS[name];
      if (form) return { ok: false, message: `option --${name} needs a value: use ${form}` };
      options[name] = String(value);
    } else {
      options[name] = value;
    }
  }
  return { ok: true, options };
}
