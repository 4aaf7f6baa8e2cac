import pino, { type DestinationStream, type Logger } from 'pino';
import { redactSecrets } from './redact';

export type { Logger } from 'pino';

export interface LoggerOptions {
  level?: string;
  /** Where lines go; standard output by default (tests pass a stream to read them). */
  destination?: DestinationStream;
}

/** A pino logger for one service; every line passes through secret redaction. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      base: { service },
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => redactSecrets(arg)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    options.destination,
  );
}
