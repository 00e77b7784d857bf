import pino, { type Logger } from 'pino';
import { MASK, logRedactPaths, redactLogObject } from './secrets/redact.ts';

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchboard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: logRedactPaths, censor: MASK },
      formatters: { log: (object) => redactLogObject(object) },
    },
    destination,
  );
}
