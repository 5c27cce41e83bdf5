/** Inbox keyset cursors, the same on every backend. */

/** Keyset cursor: the last row's (published_at, id), base64url JSON so it survives any URL. */
export function encodeCursor(publishedAt: string, id: number): string {
  return Buffer.from(JSON.stringify([publishedAt, id])).toString('base64url');
}

export class CursorError extends Error {
  constructor(cursor: string) {
    super(`cursor "${cursor.slice(0, 40)}" is not one earshot gave out: start again from the first page (drop cursor=)`);
    this.name = 'CursorError';
  }
}

export function decodeCursor(cursor: string): { publishedAt: string; id: number } {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && Number.isInteger(value[1])) return { publishedAt: value[0], id: value[1] as number };
  } catch {
    // reported below
  }
  throw new CursorError(cursor);
}
