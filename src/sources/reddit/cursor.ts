/**
 * Reddit's resume point: per stream (submissions, comments) the newest fullname seen and its
 * created_utc, plus the other fullnames seen in that same second. An item is "already seen" when
 * it is older than that second, or in that second and one of those names. Ids cannot order items
 * within a second: Reddit's "new" listing does not follow them there (the recorded r/all/new
 * lists t3_5jo11z before t3_5jo120).
 *
 * Persisted as JSON, e.g. `{"posts":{"name":"t3_5jo13y","created":1482373050,"same":["t3_5jo13x"]}}`.
 */
import { z } from 'zod';

export interface StreamCursor {
  name: string;
  created: number;
  /** Other fullnames seen with the same created_utc. */
  same?: string[];
}

export interface RedditCursor {
  posts?: StreamCursor;
  comments?: StreamCursor;
}

const FULLNAME = z.string().regex(/^t[13]_[0-9a-z]+$/);
const streamCursorSchema = z.object({ name: FULLNAME, created: z.number(), same: z.array(FULLNAME).optional() });
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

export interface Position {
  name: string;
  created: number;
}

/** True when `item` was not seen by the poll that left `cursor`. */
export function isNewer(item: Position, cursor: StreamCursor | undefined): boolean {
  if (!cursor) return true;
  if (item.created !== cursor.created) return item.created > cursor.created;
  return item.name !== cursor.name && !(cursor.same ?? []).includes(item.name);
}

/** The cursor after also seeing `item`. */
export function advance(cursor: StreamCursor | undefined, item: Position): StreamCursor {
  if (!cursor || item.created > cursor.created) return { name: item.name, created: item.created };
  if (item.created < cursor.created || !isNewer(item, cursor)) return cursor;
  return { ...cursor, same: [...(cursor.same ?? []), item.name] };
}
