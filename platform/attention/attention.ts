import type { Actor } from '../auth/actor.ts';

/**
 * What needs someone's attention now, as one area sees it: a count, the console page where it is
 * handled, and the newest few things counted (each acknowledgeable where the area allows it).
 * The home page shows these; an area contributes them through `Area.attention`.
 */
export type AttentionItem = {
  /** Stable across calls: `<area>.<kind>` (`meetings.tickets`). */
  key: string;
  area: string;
  title: string;
  /** What the count counts, in plain words ("open tickets on 2 bridges"). */
  summary: string;
  count: number;
  severity: 'info' | 'warning' | 'critical';
  /** Console path where it is handled (`/meetings/bridges/…`, `/jobs?state=failed`). */
  href: string;
  /** Counted before and acknowledged since: not in `count`, shown beside it. */
  acknowledged?: number;
  /** The newest few (at most 5) of what is counted. */
  entries: AttentionEntry[];
};

export type AttentionEntry = {
  id: string;
  label: string;
  detail?: string;
  at?: Date | null;
  href?: string;
  /** API path to POST (no body) that acknowledges it; present only when the actor's role may. */
  acknowledge?: string;
};

/** A first step on an empty install: shown on the home page until done. */
export type FirstStep = { key: string; area: string; title: string; description: string; href: string; done: boolean };

export type AttentionSource = {
  area: string;
  attention?: (actor: Actor) => Promise<AttentionItem[]>;
  firstSteps?: (actor: Actor) => Promise<FirstStep[]>;
};

export type AttentionReport = {
  items: AttentionItem[];
  firstSteps: FirstStep[];
  /** Areas whose attention could not be read just now (their items are missing, not zero). */
  unavailable: Array<{ area: string; message: string }>;
};

/** Asks every source at once; one area failing leaves the others' items on the page. */
export async function collectAttention(sources: AttentionSource[], actor: Actor, onError: (area: string, error: unknown) => void): Promise<AttentionReport> {
  const report: AttentionReport = { items: [], firstSteps: [], unavailable: [] };
  const answers = await Promise.all(
    sources.map(async (source) => {
      try {
        const [items, steps] = await Promise.all([source.attention?.(actor) ?? [], source.firstSteps?.(actor) ?? []]);
        return { source, items, steps };
      } catch (error) {
        onError(source.area, error);
        return { source, error };
      }
    }),
  );
  for (const answer of answers) {
    if ('error' in answer) {
      report.unavailable.push({ area: answer.source.area, message: `The ${answer.source.area} area could not say what needs attention just now.` });
      continue;
    }
    report.items.push(...answer.items);
    report.firstSteps.push(...answer.steps);
  }
  return report;
}
