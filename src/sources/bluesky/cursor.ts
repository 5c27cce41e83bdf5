/**
 * The persisted Bluesky position: the newest `indexedAt` seen, plus the posts seen within the
 * overlap window before it.
 *
 * Search is eventually consistent: a post indexed at 12:00:01 can become searchable after one
 * indexed at 12:00:03 was already returned. A bare "newest time" cursor would skip it forever.
 * So each poll also accepts posts up to OVERLAP_MS older than the saved time, and the cursor
 * remembers the URIs it already returned inside that window, so none is fetched twice.
 *
 * Stored as JSON: {"since":"2025-05-19T17:10:09.813Z","recent":{"at://…":"2025-05-19T17:10:09.813Z"}}.
 * A bare ISO time (an older cursor) is read as `since` with no overlap.
 */
import { z } from 'zod';

export const OVERLAP_MS = 10 * 60_000;
/** Bound on remembered URIs; a busy query keeps its newest ones. */
export const MAX_RECENT = 500;

export interface BlueskyCursor {
  since: string;
  recent: Map<string, string>;
  /** Posts at or before this time are taken as already seen (paging stops there). */
  floor: string;
}

const stored = z.object({ since: z.string(), recent: z.record(z.string(), z.string()).default({}) });

function iso(value: string): string | null {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function minus(time: string, ms: number): string {
  return new Date(Date.parse(time) - ms).toISOString();
}

/** null when there is no usable cursor (first poll, or unreadable: start from the newest page). */
export function readCursor(raw: string | null): BlueskyCursor | null {
  if (!raw) return null;
  if (!raw.trimStart().startsWith('{')) {
    const since = iso(raw);
    return since ? { since, recent: new Map(), floor: since } : null;
  }
  try {
    const parsed = stored.safeParse(JSON.parse(raw));
    if (!parsed.success) return null;
    const since = iso(parsed.data.since);
    if (!since) return null;
    return { since, recent: new Map(Object.entries(parsed.data.recent)), floor: minus(since, OVERLAP_MS) };
  } catch {
    return null;
  }
}

/** The cursor after a poll: newest time, and the URIs (old and new) still inside the window. */
export function writeCursor(previous: BlueskyCursor | null, accepted: Map<string, string>): string | null {
  const recent = new Map([...(previous?.recent ?? []), ...accepted]);
  let since = previous?.since ?? null;
  for (const at of recent.values()) if (since === null || at > since) since = at;
  if (since === null) return null;
  const floor = minus(since, OVERLAP_MS);
  const kept = [...recent.entries()]
    .filter(([, at]) => at > floor)
    .sort((a, b) => (a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0))
    .slice(0, MAX_RECENT);
  return JSON.stringify({ since, recent: Object.fromEntries(kept) });
}
