// A CPU profile of part of a bench (its burst, not its set-up), written as a .cpuprofile that Chrome's
// DevTools and `node --cpu-prof`'s readers open. `node --cpu-prof` would cover the whole process, and
// NODE_OPTIONS refuses it, so the bench turns the profiler on and off through node:inspector.
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector/promises';

/** Starts profiling this thread when `dir` is set; the returned stop writes `<dir>/<name>.cpuprofile`. */
export async function profileCpu(dir: string | undefined, name: string): Promise<() => Promise<string | undefined>> {
  if (!dir) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  // 1 ms: the default (1 ms in Node too, stated so the figures are comparable with --cpu-prof's).
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    return file;
  };
}
