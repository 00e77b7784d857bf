import { CliError } from './cli-error.ts';

/**
 * Asks for a secret without echoing it. When stdin is not a terminal (a pipe), the first line of
 * stdin is the answer, so `printf '%s\n' "$PW" | switchboard login …` works in scripts.
 */
export async function promptSecret(question: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    const answer = text.split(/\r?\n/)[0];
    if (!answer) throw new CliError('PASSWORD_MISSING', 'No password given.', { exitCode: 2, hint: 'Use --password, set SWITCHBOARD_PASSWORD, pipe it on stdin, or run in a terminal.' });
    return answer;
  }
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = () => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003') {
          finish();
          reject(new CliError('CANCELLED', 'Cancelled.', { exitCode: 130 }));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    input.on('data', onData);
  });
}
