import { ApiError } from '../api.ts';

// A 400 VALIDATION_FAILED names each field it refused (details.issues[].path); forms show the
// message under that field, in plain words rather than the validator's.

export type Issue = { path?: string | Array<string | number>; message?: string; code?: string };

export function issuesOf(details: unknown): Issue[] {
  if (typeof details !== 'object' || details === null || !('issues' in details)) return [];
  const issues = (details as { issues: unknown }).issues;
  return Array.isArray(issues) ? (issues as Issue[]) : [];
}

const pathOf = (issue: Issue) => (Array.isArray(issue.path) ? issue.path.join('.') : (issue.path ?? '')).replace(/^body\./, '');

/** The validator's wording, said plainly ("Too small: expected string to have >=8 characters" → "Use at least 8 characters."). */
export function plainMessage(message: string | undefined): string {
  if (!message) return 'This value is not accepted.';
  let m: RegExpMatchArray | null;
  if ((m = message.match(/expected string to have >=?(\d+) characters?/i))) return m[1] === '1' ? 'Fill this in.' : `Use at least ${m[1]} characters.`;
  if ((m = message.match(/expected string to have <=?(\d+) characters?/i))) return `Use at most ${m[1]} characters.`;
  if ((m = message.match(/expected number to be >=?(-?\d+)/i))) return `Use a number of at least ${m[1]}.`;
  if ((m = message.match(/expected number to be <=?(-?\d+)/i))) return `Use a number of at most ${m[1]}.`;
  if (/invalid (email|e-mail)/i.test(message)) return 'Enter an email address such as name@example.com.';
  if (/invalid uuid/i.test(message)) return 'Enter an ID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301.';
  if (/expected .*, received undefined|required/i.test(message)) return 'Fill this in.';
  if ((m = message.match(/invalid option: expected one of (.+)/i))) return `Choose one of ${m[1].replaceAll('|', ', ').replaceAll('"', '')}.`;
  return message.endsWith('.') ? message : `${message}.`;
}

export function plainIssue(issue: Issue): string {
  const path = pathOf(issue);
  return path ? `${path}: ${plainMessage(issue.message)}` : plainMessage(issue.message);
}

/** Field → plain message, for `form.setErrors` (@mantine/form) or a field's `error` prop. */
export function fieldErrors(error: unknown, fieldNames?: Record<string, string>): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  for (const issue of issuesOf(error.details)) {
    const path = pathOf(issue);
    if (!path) continue;
    out[fieldNames?.[path] ?? path] ??= plainMessage(issue.message);
  }
  return out;
}
