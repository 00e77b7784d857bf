// The contract between `npm run bench` (bench/run.ts) and every bench/*.bench.ts file.

/** One measured figure. Leave out what does not apply (a throughput bench may have no p50). */
export type BenchResult = {
  /** Unique across the run, e.g. `jobs: 500 noop, send → completed (embedded)`. */
  name: string;
  opsPerSec?: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Name of the result (from the same file) this one is compared to: the table shows the ratio. */
  baseline?: string;
  /** Anything else worth keeping in the JSON (sample size, connections, errors, settings). */
  extra?: Record<string, number | string>;
};

/**
 * Passed to a bench's `run`; optional to use. A bench that honours `wants` can skip sections the
 * command line did not ask for (`npm run bench -- jobs`); the runner filters the results anyway.
 */
export type BenchContext = {
  /** The filter words given on the command line (empty: everything). */
  filters: string[];
  /** true when a result or section with this name was asked for. */
  wants(name: string): boolean;
  /** A remark printed under the table and kept in the JSON, e.g. why a backend was skipped. */
  note(message: string): void;
};

/** What a bench/*.bench.ts file default-exports. */
export type BenchModule = { default: (context: BenchContext) => Promise<BenchResult[]> };
