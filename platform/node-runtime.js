// How Switchboard's own Node processes and threads are started. Plain JavaScript: bin/switchboard.js
// imports it before it knows whether the running Node can read TypeScript.

/**
 * V8 flags of a long-running server (`switchboard start`). V8 sizes the young generation by the
 * machine's memory: on a 24 GiB host it grows to 2 × 64 MB during start-up (migrations, module
 * compilation) and keeps it, so an idle server on PostgreSQL sat at 295 MB RSS. Semi-spaces of
 * 16 MB brought that to 186 MB, of 8 MB to 166 MB (partner/README.md "Memory"); the server's
 * garbage is per request and dies young either way. The flag holds for every isolate of the
 * process, worker threads included (their own young-generation limit is ignored): a billing
 * report's writer thread costs about 40 MB less at 8 than at 16. A flag of the same name in the
 * command line or NODE_OPTIONS wins.
 */
export const SERVER_V8_FLAGS = ['--max-semi-space-size=8'];

/** The server flags not already given (in execArgv or NODE_OPTIONS): what a re-execution must add. */
export function missingServerFlags(execArgv, nodeOptions) {
  const given = execArgv.concat((nodeOptions || '').split(/\s+/));
  return SERVER_V8_FLAGS.filter(function (flag) {
    var name = flag.split('=')[0];
    return !given.some(function (arg) {
      return arg === name || arg.indexOf(name + '=') === 0 || arg.replace(/_/g, '-').indexOf(name + '=') === 0;
    });
  });
}

/**
 * Environment of a long-running server, read by the C library when the process starts. glibc moves
 * its threshold for serving large allocations with their own mappings up to the largest block freed
 * (up to 32 MB): after that, the 1 MB buffers of a billing report and its download come from the
 * shared heap, whose freed pages stay in the process. Fixed at 128 KiB (glibc's default), they go
 * back to the system when freed. Measured side by side (two pairs, a report of 1 M
 * subscriber-months, then its 194 MB download, then a second report): RSS after the download 244–255
 * MB against 314–317 MB without; the second report peaked at 283–300 MB against 338–351 MB. A value
 * already in the environment wins.
 */
export const SERVER_ENV = { MALLOC_MMAP_THRESHOLD_: '131072' };

/** The server environment variables not already set: what a re-execution must add. */
export function missingServerEnv(env) {
  var missing = {};
  Object.keys(SERVER_ENV).forEach(function (name) {
    if (env[name] === undefined || env[name] === '') missing[name] = SERVER_ENV[name];
  });
  return missing;
}
