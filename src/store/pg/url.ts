/**
 * PostgreSQL URLs without loading pg: checking EARSHOT_DATABASE_URL / --database-url when a
 * command starts, and showing it with its password hidden. The password is a secret: it is
 * registered with the logger's redaction and never appears in a message.
 */
import { registerSecret } from '../../core/log.js';

export class PostgresUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PostgresUrlError';
  }
}

/** The URL with its password (and any password query parameter) replaced by ***. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can parse: show only the scheme, never the rest (it may hold a password).
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '';
    return `${scheme}//***`;
  }
  if (parsed.password) parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

/** Checks that `url` is a postgres:// or postgresql:// URL with a database name. */
export function checkDatabaseUrl(url: string, source = 'EARSHOT_DATABASE_URL'): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PostgresUrlError(`${source}: not a URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new PostgresUrlError(`${source}: ${redactUrl(url)} is not a PostgreSQL URL; expected postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
  if (parsed.pathname.length <= 1) {
    throw new PostgresUrlError(`${source}: ${redactUrl(url)} names no database; add it at the end: postgres://USER:PASSWORD@HOST:PORT/DATABASE`);
  }
}

/** The password (raw and URL-encoded) becomes a secret: logs and errors never show it. */
export function registerUrlSecret(url: string): void {
  try {
    const password = new URL(url).password;
    if (!password) return;
    registerSecret(password);
    registerSecret(decodeURIComponent(password));
  } catch {
    // not a URL: checkDatabaseUrl reports it
  }
}
