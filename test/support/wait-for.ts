// Tests never sleep for a fixed time and never assert on durations: they poll for the condition
// they expect and fail, saying what they were waiting for, only when a generous deadline passes.

export type WaitOptions = { timeoutMs?: number; intervalMs?: number };

/** Polls `probe` until it returns something other than undefined/false/null, and returns it. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const interval = options.intervalMs ?? 50;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${options.timeoutMs ?? 30_000} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** A promise with its resolve function, for handlers the test releases by hand. */
export function gate<T = void>() {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/**
 * Moves an injectable clock in small steps (the scheduler and jobs run on it) until `probe` holds,
 * pausing briefly between steps so the server's timers and the browser catch up.
 */
export async function advanceClockUntil(clock: { advance(ms: number): unknown }, what: string, probe: () => Promise<boolean>, options: { stepMs?: number; timeoutMs?: number } = {}) {
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    clock.advance(options.stepMs ?? 200);
    await new Promise((r) => setTimeout(r, 50));
  }
}
