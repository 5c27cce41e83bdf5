/** What every command needs: where the config and database are, the environment, a logger. */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { LevelWithSilent } from 'pino';
import { loadConfig, loadEnv, type Config, type Env } from '../config/load.js';
import { formatProblem, hasErrors, type ConfigProblem } from '../config/problems.js';
import { createLogger, registerSecret, type Logger } from '../core/log.js';
import { openStore as openStoreAt } from '../store/index.js';
import { checkDatabaseUrl, PostgresUrlError, registerUrlSecret } from '../store/pg/url.js';
import type { Store } from '../store/types.js';

/** A problem the user can fix (bad arguments, invalid config): exit code 1, no stack trace. */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

export interface GlobalOptions {
  configDir?: string;
  db?: string;
  /** PostgreSQL instead of the SQLite file (also EARSHOT_DATABASE_URL). */
  databaseUrl?: string;
  logLevel?: string;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Thrown by `processIo.out` once the reader of standard output has gone (`earshot mentions | head`
 * closed the pipe): the command stops where it is, its `finally` blocks run, and main exits 0.
 */
export class OutputClosed extends Error {
  constructor() {
    super('standard output was closed by its reader');
    this.name = 'OutputClosed';
  }
}

const closed = { stdout: false, stderr: false };

function isEpipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null | undefined)?.code === 'EPIPE';
}

/**
 * A write to a closed pipe fails synchronously (stdout and stderr pipes are blocking on Linux) and
 * the stream emits 'error' on the next tick; unhandled, that error crashed the process with a stack.
 * The listeners note the closed pipe (any other error still surfaces); `out` checks the stream's
 * error state right after each write so that a long listing stops at once instead of running on.
 */
export function guardOutputPipes(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    if (stream.listenerCount('error') > 0) continue;
    stream.on('error', (err) => {
      if (!isEpipe(err)) throw err;
      closed[name] = true;
    });
  }
}

export const processIo: Io = {
  out: (line) => {
    if (closed.stdout) throw new OutputClosed();
    process.stdout.write(line + '\n');
    if (isEpipe(process.stdout.errored)) {
      closed.stdout = true;
      throw new OutputClosed();
    }
  },
  err: (line) => {
    if (closed.stderr || isEpipe(process.stderr.errored)) return;
    process.stderr.write(line + '\n');
  },
};

/** Environment variable names whose values are secrets: registered so logs redact them. */
const SECRET_NAMES = /TOKEN|SECRET|PASSWORD|PASS$|_KEY$|APP_PASSWORD/;

export interface Context {
  dir: string;
  dbPath: string;
  /** EARSHOT_DATABASE_URL / --database-url: every command uses this PostgreSQL database instead of dbPath. */
  databaseUrl: string | null;
  env: Env;
  log: Logger;
  io: Io;
}

export function createContext(opts: GlobalOptions, io: Io = processIo): Context {
  const dir = resolve(opts.configDir ?? process.env.EARSHOT_HOME ?? process.cwd());
  if (opts.configDir && !existsSync(dir)) throw new UserError(`--config-dir ${opts.configDir}: no such directory`);
  const env = loadEnv(dir);
  for (const [name, value] of Object.entries(env)) if (SECRET_NAMES.test(name)) registerSecret(value);
  if (env.SMTP_URL) {
    try {
      const url = new URL(env.SMTP_URL);
      registerSecret(decodeURIComponent(url.password));
      registerSecret(url.password);
    } catch {
      // an invalid SMTP_URL is reported by the email notifier
    }
  }
  const databaseUrl = databaseUrlOf(opts, env);
  const dbOption = opts.db ?? env.EARSHOT_DB;
  const dbPath = dbOption ? (isAbsolute(dbOption) ? dbOption : resolve(dbOption)) : join(dir, 'data', 'earshot.db');
  const level = (opts.logLevel ?? env.EARSHOT_LOG_LEVEL ?? 'info') as LevelWithSilent;
  let log: Logger | undefined;
  return {
    dir,
    dbPath,
    databaseUrl,
    env,
    io,
    // Made on first use: a command that logs nothing does not pay for the logger.
    get log() {
      return (log ??= createLogger({ level }));
    },
  };
}

/** The PostgreSQL URL to use, checked, its password registered as a secret; null for SQLite. */
function databaseUrlOf(opts: GlobalOptions, env: Env): string | null {
  const url = (opts.databaseUrl ?? env.EARSHOT_DATABASE_URL ?? '').trim();
  if (url === '') return null;
  registerUrlSecret(url);
  try {
    checkDatabaseUrl(url, opts.databaseUrl ? '--database-url' : 'EARSHOT_DATABASE_URL');
  } catch (err) {
    if (err instanceof PostgresUrlError) throw new UserError(err.message);
    throw err;
  }
  return url;
}

/**
 * Loads the config or throws a UserError listing every error. Warnings (missing credentials) are
 * logged, unless `quiet`: commands that neither poll nor send (silence, learn) have no use for them.
 */
export function requireConfig(ctx: Context, options: { quiet?: boolean } = {}): { config: Config; problems: ConfigProblem[] } {
  const { config, problems } = loadConfig(ctx.dir, ctx.env);
  if (hasErrors(problems)) {
    const lines = problems.map(formatProblem).join('\n');
    throw new UserError(`${lines}\nthe config in ${ctx.dir} has errors: fix them (run \`earshot check\`)`);
  }
  if (!options.quiet) for (const p of problems) ctx.log.warn({ file: p.file, line: p.line }, formatProblem(p));
  return { config, problems };
}

/** Opens the command's store; a read-only command on a missing database is a UserError saying what to run first. */
export async function openStore(ctx: Context, options: { readonly?: boolean } = {}): Promise<Store> {
  if (ctx.databaseUrl) {
    try {
      return await openStoreAt({ url: ctx.databaseUrl, onConnectionError: connectionErrorLogger(ctx) });
    } catch (err) {
      // Cannot connect, or written by a newer earshot: the message says what to check (never the password).
      const name = (err as Error)?.name;
      if (name === 'PostgresConnectError' || name === 'PostgresVersionError') throw new UserError((err as Error).message);
      throw err;
    }
  }
  if (options.readonly && !existsSync(ctx.dbPath)) {
    throw new UserError(`no database at ${ctx.dbPath}: run \`earshot poll --once\` or \`earshot run\` first, or pass --db`);
  }
  if (existsSync(ctx.dbPath) && statSync(ctx.dbPath).isDirectory()) {
    throw new UserError(`${ctx.dbPath} is a directory: --db (or EARSHOT_DB) names the database file, e.g. ${join(ctx.dbPath, 'earshot.db')}`);
  }
  try {
    return await openStoreAt({ path: ctx.dbPath, readonly: options.readonly ?? false });
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new UserError(
        `${ctx.dbPath} is not an earshot database (SQLite: ${(err as Error).message}): point --db (or EARSHOT_DB) at the right file, ` +
          'or move this one away and restore a backup (`earshot backup` makes them)',
      );
    }
    throw err;
  }
}

/**
 * Logs a broken PostgreSQL connection (a server restart breaks every idle one at once: one line
 * per 10 s is enough). The pool reconnects on the next query; work that failed meanwhile is
 * retried by its own loop (polls, deliveries, the rules pass).
 */
function connectionErrorLogger(ctx: Context): (err: Error) => void {
  let lastAt = 0;
  return (err) => {
    const now = Date.now();
    if (now - lastAt < 10_000) return;
    lastAt = now;
    ctx.log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'PostgreSQL connection lost; reconnecting on the next query');
  };
}

/** Parses `--since 24h` / `--since 2026-11-01` into an ISO time. */
export function parseSince(text: string, now: Date, parseDuration: (t: string) => number | null): string {
  const ms = parseDuration(text);
  if (ms !== null) return new Date(now.getTime() - ms).toISOString();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UserError(`--since ${text}: expected a duration like 24h or 7d, or a date like 2026-11-01`);
  return new Date(t).toISOString();
}
