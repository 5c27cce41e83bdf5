/**
 * The persisted Mastodon position: the newest status id seen, plus the ids already returned in
 * the overlap window below it.
 *
 * Search indexing lags, and a federated status can reach the instance after newer ones while
 * sorting (by its id) before them; a bare "since the newest id" would skip such a status for
 * good. Mastodon ids carry their time (milliseconds << 16), so each poll asks for statuses newer
 * than the id of OVERLAP_MS before the saved one, and skips the ids it already returned.
 * Ids that carry no time (other server software) get no overlap.
 *
 * Stored as JSON: {"since_id":"117020593741189701","recent":["117020593741189701", …]}.
 * A bare id (an older cursor) is read as `since_id` with no overlap.
 */
import { z } from 'zod';
import { compareIds } from './payload.js';

export const OVERLAP_MS = 10 * 60_000;
export const MAX_RECENT = 500;
/** 2016-01-01 in ms: Mastodon-style ids with an earlier time are not time-based. */
const EARLIEST_MS = 1_451_606_400_000n;

export interface MastodonCursor {
  sinceId: string;
  recent: Set<string>;
  /** Ask for statuses newer than this; at or below it they count as seen. */
  floorId: string;
}

const stored = z.object({ since_id: z.string().regex(/^[0-9A-Za-z]{1,40}$/), recent: z.array(z.string()).default([]) });

/** The id OVERLAP_MS earlier than `id`, or `id` itself when it carries no time. */
export function floorId(id: string): string {
  if (!/^\d{1,30}$/.test(id)) return id;
  const ms = BigInt(id) >> 16n;
  if (ms < EARLIEST_MS) return id;
  return ((ms - BigInt(OVERLAP_MS)) << 16n).toString();
}

export function readCursor(raw: string | null): MastodonCursor | null {
  if (!raw) return null;
  if (/^[0-9A-Za-z]{1,40}$/.test(raw)) return { sinceId: raw, recent: new Set(), floorId: raw };
  try {
    const parsed = stored.safeParse(JSON.parse(raw));
    if (!parsed.success) return null;
    const sinceId = parsed.data.since_id;
    return { sinceId, recent: new Set(parsed.data.recent), floorId: floorId(sinceId) };
  } catch {
    return null;
  }
}

export function writeCursor(previous: MastodonCursor | null, accepted: string[]): string | null {
  const all = new Set([...(previous?.recent ?? []), ...accepted]);
  let sinceId = previous?.sinceId ?? null;
  for (const id of all) if (sinceId === null || compareIds(id, sinceId) > 0) sinceId = id;
  if (sinceId === null) return null;
  const floor = floorId(sinceId);
  const recent = [...all]
    .filter((id) => compareIds(id, floor) > 0)
    .sort((a, b) => compareIds(b, a))
    .slice(0, MAX_RECENT);
  return JSON.stringify({ since_id: sinceId, recent });
}
