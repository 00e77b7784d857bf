import { AppError } from '../errors.ts';

/**
 * An error the CLI reports and exits with: an error envelope from the API (with its tracking ID),
 * an unreachable server, missing credentials. Local services still throw AppError; `reportError`
 * prints both the same way.
 */
export class CliError extends Error {
  readonly code: string;
  readonly trackingId: string | null;
  readonly details: unknown;
  readonly exitCode: number;
  /** A second line telling the user what to do next. */
  readonly hint: string | null;

  constructor(code: string, message: string, options: { trackingId?: string | null; details?: unknown; exitCode?: number; hint?: string | null } = {}) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.trackingId = options.trackingId ?? null;
    this.details = options.details;
    this.exitCode = options.exitCode ?? 1;
    this.hint = options.hint ?? null;
  }
}

/** Exit code for a usage mistake (the same code commander uses for its own). */
export const USAGE_EXIT_CODE = 2;

/** Prints one clear line (no stack) for an error and returns the exit code to use. */
export function reportError(error: unknown, write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): number {
  if (error instanceof CliError) {
    const facts = [`code ${error.code}`, ...(error.trackingId ? [`tracking ID ${error.trackingId}`] : [])];
    write(`Error: ${error.message} (${facts.join(', ')})`);
    if (error.hint) write(`Hint: ${error.hint}`);
    return error.exitCode;
  }
  if (error instanceof AppError) {
    write(`Error: ${error.message} (code ${error.code})`);
    return 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  write(`Error: ${message}`);
  // A bug rather than a user's mistake: the stack helps, but only when asked for.
  if (process.env.SWITCHBOARD_DEBUG && error instanceof Error && error.stack) write(error.stack);
  else write('Hint: set SWITCHBOARD_DEBUG=1 to see where this came from.');
  return 1;
}
