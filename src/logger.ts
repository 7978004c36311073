import pino, { type Logger, type DestinationStream } from 'pino';
import { redactDeep, scrub } from './redact';

export type { Logger };

/**
 * pino, with every logged object and message passed through the redaction module (src/redact.ts):
 * secret-named fields are replaced at any depth, and `secrets` (the service's own secret values)
 * are masked wherever they appear in text.
 */
export function createLogger(opts: { level?: string; name?: string; secrets?: readonly string[] } = {}, destination?: DestinationStream): Logger {
  const secrets = opts.secrets ?? [];
  return pino(
    {
      name: opts.name ?? 'anypoint-api-gateway',
      level: opts.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { log: (obj) => redactDeep(obj, secrets) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // the message and its %s arguments
          for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = scrub(args[i] as string, secrets);
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}
