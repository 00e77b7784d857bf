import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { MASK, logRedactPaths, redactLogObject } from './secrets/redact.ts';

export type { Logger };

/**
 * JSON lines for log collectors; on a terminal (stdout a TTY, no destination given) the same records
 * pretty-printed, in this thread so nothing is lost when the process exits.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const stream = destination ?? (process.stdout.isTTY ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', sync: true }) : undefined);
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: logRedactPaths, censor: MASK },
      formatters: { log: (object) => redactLogObject(object) },
    },
    stream,
  );
}
