/**
 * Reddit's resume point: per stream (submissions, comments) the newest fullname seen and its
 * created_utc. An item is "already seen" when it is older than that second, or in the same
 * second with an id not above the cursor's: Reddit ids are base36 counters that grow with time,
 * so they order items created within one second.
 *
 * Persisted as JSON, e.g. `{"posts":{"name":"t3_5jo13y","created":1482373050}}`.
 */
import { z } from 'zod';

export interface StreamCursor {
  name: string;
  created: number;
}

export interface RedditCursor {
  posts?: StreamCursor;
  comments?: StreamCursor;
}

const streamCursorSchema = z.object({ name: z.string().regex(/^t[13]_[0-9a-z]+$/), created: z.number() });
const cursorSchema = z.object({ posts: streamCursorSchema.optional(), comments: streamCursorSchema.optional() });

/** Parses a persisted cursor; null for none, and also for one this version cannot read (logged by the caller). */
export function parseCursor(text: string | null): RedditCursor | null {
  if (!text) return null;
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export function formatCursor(cursor: RedditCursor): string {
  return JSON.stringify(cursor);
}

function base36Id(fullname: string): string {
  return fullname.replace(/^t\d_/, '');
}

/** Compares Reddit ids without converting them: longer is newer, then plain string order (0-9 < a-z). */
export function compareIds(a: string, b: string): number {
  const ia = base36Id(a);
  const ib = base36Id(b);
  if (ia.length !== ib.length) return ia.length - ib.length;
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** True when `item` is newer than the cursor. */
export function isNewer(item: StreamCursor, cursor: StreamCursor | undefined): boolean {
  if (!cursor) return true;
  if (item.created !== cursor.created) return item.created > cursor.created;
  return compareIds(item.name, cursor.name) > 0;
}

/** The newer of two stream positions. */
export function newest(a: StreamCursor | undefined, b: StreamCursor | undefined): StreamCursor | undefined {
  if (!a) return b;
  if (!b) return a;
  return isNewer(b, a) ? b : a;
}
