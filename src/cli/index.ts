/**
 * The earshot CLI (commander). Each command lives in its own file; this file only wires them.
 * Exit codes: 0 success, 1 a user-facing problem (invalid config, bad arguments, failed delivery
 * in --once), 2 an internal error.
 */
import type { Command } from 'commander';
import { createRequire } from 'node:module';
import { lazy } from '../core/lazy.js';
import { redact } from '../core/log.js';
import { notifierManifests } from '../notifiers/registry.js';
import { SOURCE_TYPES, sourceManifests } from '../sources/registry.js';
import { createContext, guardOutputPipes, OutputClosed, processIo, requireConfig, UserError, type GlobalOptions, type Io } from './context.js';

const require = createRequire(import.meta.url);

/** 'a, b and c'. */
function listOf(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : items.join('');
}
/** Loaded when a command needs parsing: the plain `earshot check` does without (see plainCheckArgs). */
const commander = lazy<typeof import('commander')>('commander');

export function buildProgram(io: Io, setCode: (code: number) => void): Command {
  const { Command, Option } = commander();
  const { version } = require('../../package.json') as { version: string };
  const program = new Command();
  program
    .name('earshot')
    .description(`Brand-mention listening and alerting: polls ${listOf(sourceManifests.map((m) => m.name))}, scores sentiment and urgency, and alerts ${listOf(notifierManifests.map((m) => m.label))} by YAML rules.`)
    .version(version)
    .option('--config-dir <dir>', 'config directory with sources/ and rules/ (default: $EARSHOT_HOME or the current directory)')
    .option('--db <file>', 'SQLite database (default: $EARSHOT_DB or data/earshot.db in the config directory)')
    .option('--database-url <url>', 'PostgreSQL database shared by several nodes, postgres://USER:PASS@HOST:PORT/DB (default: $EARSHOT_DATABASE_URL); wins over --db')
    .addOption(new Option('--log-level <level>', 'log level').choices(['trace', 'debug', 'info', 'warn', 'error', 'silent']))
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride();

  const ctx = () => createContext(program.opts<GlobalOptions>(), io);

  program
    .command('run')
    .description('run the daemon: poll every source on its schedule, evaluate rules, send alerts; reload config on change; prune data older than $EARSHOT_RETENTION (default 90d) daily')
    .option('--no-watch', 'do not reload sources/ and rules/ when they change')
    .option('--http [addr]', 'serve /healthz, /metrics, the web UI and the JSON API on this address (default 127.0.0.1:9464; a bare port stays on loopback)')
    .action(async (opts) => setCode(await (await import('./run.js')).runCommand(ctx(), opts)));

  program
    .command('poll')
    .description('poll sources, run rules and deliver alerts (with --once: one pass, then exit; for cron and tests)')
    .option('--once', 'one poll of every source, then rules and delivery, then exit')
    .option('--source <brand/type>', 'poll only this source (e.g. acme/rss, or a brand id)')
    .action(async (opts) => setCode(await (await import('./poll.js')).pollCommand(ctx(), opts)));

  program
    .command('check')
    .description('validate sources/, rules/ and the environment; print each problem as file:line:col: message')
    .option('--strict', 'treat warnings (e.g. missing credentials) as errors')
    .option('--online', 'also check with each service: Slack token and channel membership, SMTP login, source credentials (sends nothing)')
    .action(async (opts) => {
      const check = await import('./check.js');
      setCode(opts.online ? await check.checkOnlineCommand(ctx(), opts) : check.checkCommand(ctx(), opts));
    });

  const notify = program.command('notify').description('try alert destinations');
  notify
    .command('test')
    .description('send a sample alert, marked as a test, to every destination of RULE, or to TYPE:TARGET (slack:#brand-alerts, email:pr@example.com)')
    .argument('<rule-or-target>', 'a rule name, or TYPE:TARGET')
    .action(async (what: string) => {
      const c = ctx();
      const { config } = requireConfig(c);
      setCode(await (await import('./online.js')).notifyTestCommand(c, config, what));
    });

  program
    .command('status')
    .description('show sources (last success, errors, mentions in 24h, rate-limit budget, next poll), the outbox, config reloads, the daemon (or the cluster nodes) and the database')
    .option('--json', 'one JSON object')
    .action(async (opts) => setCode(await (await import('./status.js')).statusCommand(ctx(), opts)));

  program
    .command('mentions')
    .description('list stored mentions, newest first')
    .option('--brand <brand>', 'only this brand')
    .option('--source <type>', `only this source type (${SOURCE_TYPES.join(', ')})`)
    .option('--since <when>', 'a duration (24h, 7d) or a date', '24h')
    .option('--sentiment <label>', 'negative, neutral, positive or unknown')
    .option('--search <query>', 'only mentions whose title and text match this query, in the query language of brand queries (words, "phrases", OR, -word, prefix*)')
    .option('--limit <n>', 'at most this many', '100')
    .option('--duplicates', 'include mentions recognised as duplicates')
    .option('--json', 'one JSON object per line')
    .action(async (opts) => setCode(await (await import('./mentions.js')).mentionsCommand(ctx(), opts)));

  const rules = program.command('rules').description('work with alert rules');
  rules
    .command('test')
    .description('run the rule unit tests (rules/*.test.yaml) and replay stored mentions through the rules, printing the alerts they would have sent; sends nothing')
    .argument('[files...]', 'rule test files to run (default: rules/*.test.yaml); only these, no replay')
    .option('--unit', 'only the rule unit tests (no database needed; exit 1 when one fails)')
    .option('--replay', 'only the replay of stored mentions')
    .option('--since <when>', 'replay from: a duration (7d) or a date (default 7d; implies --replay)')
    .option('--rule <name>', 'replay only this rule')
    .option('--show <n>', 'alerts to show per rule', '3')
    .option('--json', 'one JSON object per test result and per would-be alert')
    .action(async (files: string[], opts) => setCode(await (await import('./rules-test.js')).rulesTestCommand(ctx(), opts, files)));

  const silence = program.command('silence').description('hold back a rule\'s alerts for a while (recorded, shown in the digest, not sent)');
  silence
    .command('add')
    .description('silence a rule (or every rule) for a while, optionally for one brand')
    .requiredOption('--rule <name>', "the rule to silence, or '*' for every rule")
    .option('--brand <brand>', 'only alerts about this brand (default: every brand)')
    .requiredOption('--for <duration>', 'how long, e.g. 30m, 2h, 1d')
    .option('--start <time>', 'start later, e.g. 2026-11-24T09:00Z (default: now)')
    .requiredOption('--reason <text>', 'why, for whoever wonders where the alerts went')
    .action(async (opts) => setCode(await (await import('./silence.js')).silenceAddCommand(ctx(), opts)));
  silence
    .command('list')
    .description('list active and upcoming silences')
    .option('--all', 'also ended and removed silences')
    .option('--json', 'one JSON object per silence')
    .action(async (opts) => setCode(await (await import('./silence.js')).silenceListCommand(ctx(), opts)));
  silence
    .command('remove')
    .description('end a silence now')
    .argument('<id>', 'the silence id, as shown by `earshot silence list`')
    .action(async (id: string) => setCode(await (await import('./silence.js')).silenceRemoveCommand(ctx(), id)));

  program
    .command('digest')
    .description('build a digest now: print it, send it (--send), or write the HTML to a file (--out)')
    .option('--brand <brand>', 'only this brand (default: the brands of each configured digest)')
    .option('--name <digest>', 'only this configured digest')
    .option('--date <YYYY-MM-DD>', "a past day, in the digest's timezone (default: the period that ended last)")
    .option('--send', "send it now to the digest's recipients")
    .option('--out <file.html>', 'write the HTML to this file')
    .action(async (opts) => setCode(await (await import('./digest.js')).digestCommand(ctx(), opts)));

  program
    .command('import')
    .description('ingest mentions from a JSON-lines file through the same pipeline as the pollers')
    .argument('<file>', 'one JSON object per line: brand, source, id, url, author, title, text, published, optional reach')
    .option('--no-alerts', 'store without running rules or sending alerts')
    .action(async (file: string, opts) => setCode(await (await import('./import.js')).importCommand(ctx(), file, opts)));

  program
    .command('learn')
    .description("learn a brand's adaptation from its team's corrections now, and print what changed")
    .requiredOption('--brand <id>', 'the brand (sources/*.yaml)')
    .option('--forget', 'delete what it learned: the shared models answer again')
    .action(async (opts) => setCode(await (await import('./learn.js')).learnCommand(ctx(), opts)));

  program
    .command('analyze')
    .description('score text for sentiment, urgency, language and flags (offensive, hate, irony); prints one JSON object per text')
    .argument('[text...]', 'texts to score')
    .option('--input <file>', 'CSV with id,text columns, or JSON lines with id and text')
    .option('--brand <id>', 'score toward this brand of sources/*.yaml (its handles and vocabulary), as the pipeline does; default: general sentiment')
    .action(async (texts: string[], opts) => setCode(await (await import('./analyze.js')).analyzeCommand(ctx(), texts, opts)));

  const outbox = program.command('outbox').description('alert deliveries waiting for a retry or given up, and sending them again');
  outbox
    .command('list')
    .description('list pending and held deliveries (--failed: those given up), oldest first')
    .option('--failed', 'the deliveries that failed for good')
    .option('--rule <name>', 'only alerts of this rule')
    .option('--notifier <type>', 'only this notifier (slack, email, ...)')
    .option('--json', 'one JSON object per delivery')
    .action(async (opts) => setCode(await (await import('./outbox.js')).outboxListCommand(ctx(), opts)));
  outbox
    .command('retry')
    .description('send pending deliveries now (--failed: send failed ones again, e.g. after fixing a token); the running daemon sends them, or this command does')
    .option('--failed', 'the deliveries that failed for good')
    .option('--rule <name>', 'only alerts of this rule')
    .option('--notifier <type>', 'only this notifier (slack, email, ...)')
    .action(async (opts) => setCode(await (await import('./outbox.js')).outboxRetryCommand(ctx(), opts)));

  program
    .command('backup')
    .description('copy the database to FILE with SQLite\'s online backup (safe while `earshot run` is running), then verify the copy')
    .argument('<file>', 'where to write the copy')
    .option('--force', 'overwrite FILE if it exists')
    .action(async (file: string, opts) => setCode(await (await import('./backup.js')).backupCommand(ctx(), file, opts)));

  program
    .command('export')
    .description('write stored mentions as CSV (RFC 4180) or JSON lines, oldest first, for spreadsheets and BI tools')
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).default('csv'))
    .option('--brand <brand>', 'only this brand')
    .option('--source <type>', `only this source type (${SOURCE_TYPES.join(', ')})`)
    .option('--since <when>', 'published at or after: a duration (30d) or a date (default: everything)')
    .option('--until <when>', 'published before: a duration ago or a date')
    .option('--duplicates', 'include mentions recognised as duplicates')
    .option('--raw', 'CSV: do not guard cells that start with = + - @ against spreadsheet formula injection')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (opts) => setCode(await (await import('./export.js')).exportCommand(ctx(), opts)));

  program
    .command('migrate-db')
    .description('copy this SQLite deployment (mentions, statuses, alerts, rule state, cursors) into an empty PostgreSQL database')
    .option('--to <url>', 'the PostgreSQL database, postgres://USER:PASSWORD@HOST:PORT/DB')
    .action(async (opts) => setCode(await (await import('./migrate-db.js')).migrateDbCommand(ctx(), opts)));

  program
    .command('password')
    .description('hash a password for the web UI: prints EARSHOT_UI_PASSWORD_HASH=... for .env (reads the password from the terminal, or the first line of standard input)')
    .action(async () => setCode(await (await import('./password.js')).passwordCommand(ctx())));

  program
    .command('init')
    .description('write a starter sources/, rules/ and .env.example that pass `earshot check`')
    .argument('[dir]', 'where to write (default: the current directory)')
    .option('--force', 'overwrite existing files')
    .action(async (dir: string | undefined, opts) => setCode((await import('./init.js')).initCommand(io, dir ?? '.', opts)));

  return program;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

/**
 * `earshot check` runs on every save in editors, CI and pre-commit hooks, and loading commander
 * was about a tenth of its start-up. Its plain forms (`[--config-dir D] [--db F] [--log-level L]
 * check [--strict]`, options in any order, `--opt value` or `--opt=value`) are read here; anything
 * else (help, a typo, an unknown option, a missing value) returns null and goes through commander,
 * so every message stays commander's.
 */
export function plainCheckArgs(args: readonly string[]): { global: GlobalOptions; strict: boolean } | null {
  const global: GlobalOptions = {};
  let command = false;
  let strict = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === 'check' && !command) {
      command = true;
      continue;
    }
    if (arg === '--strict' && command) {
      strict = true;
      continue;
    }
    const option = /^--(config-dir|db|log-level)(?:=(.*))?$/s.exec(arg);
    if (!option) return null;
    const value = option[2] ?? args[++i];
    if (!value || value.startsWith('-')) return null;
    if (option[1] === 'config-dir') global.configDir = value;
    else if (option[1] === 'db') global.db = value;
    else if (LOG_LEVELS.includes(value)) global.logLevel = value;
    else return null;
  }
  return command ? { global, strict } : null;
}

/** Runs the CLI; returns the exit code. `commander: true` always parses with commander (tests). */
export async function main(argv: string[], io: Io = processIo, options: { commander?: boolean } = {}): Promise<number> {
  let code = 0;
  const setCode = (c: number) => {
    code = c;
  };
  if (io === processIo) guardOutputPipes();
  try {
    const check = options.commander ? null : plainCheckArgs(argv.slice(2));
    if (check) {
      setCode((await import('./check.js')).checkCommand(createContext(check.global, io), { strict: check.strict }));
      return code;
    }
    await buildProgram(io, setCode).parseAsync(argv);
    return code;
  } catch (err) {
    // The reader has what it wanted (`earshot mentions | head`): a quiet, successful end.
    if (err instanceof OutputClosed) return 0;
    if (err instanceof UserError) {
      io.err(`earshot: ${redact(err.message)}`);
      return 1;
    }
    if (err instanceof commander().CommanderError) {
      // --help and --version exit 0; a bad argument exits 1.
      return err.exitCode === 0 ? 0 : 1;
    }
    const e = err as Error;
    if (e?.name === 'DatabaseVersionError' || (e as NodeJS.ErrnoException)?.code === 'SQLITE_CANTOPEN') {
      io.err(`earshot: ${redact(e.message)}`);
      return 1;
    }
    const storage = storageProblem(err);
    if (storage) {
      io.err(`earshot: ${redact(storage)}`);
      return 1;
    }
    io.err(`earshot: internal error: ${redact(e?.stack ?? String(err))}`);
    return 2;
  }
}

/**
 * SQLite errors the user can fix (a lock held by another process, a full disk, a read-only
 * file): a clear message and exit 1, not an internal error. Writes are transactions, so the
 * failed one left nothing behind.
 */
function storageProblem(err: unknown): string | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return null;
  const detail = (err as Error).message;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `the database is busy (${detail}): another process holds a write lock on it (another earshot, a backup, an open sqlite3 shell?); nothing was written, run the command again once it is released`;
  }
  if (code.startsWith('SQLITE_FULL')) {
    return `the disk holding the database is full (${detail}); nothing was written: free some space and run the command again`;
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return `the database cannot be written (${detail}): check the permissions of the database file and its folder`;
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return `the database could not be read or written (${code}: ${detail}); check the disk (space, errors) and run the command again`;
  }
  return null;
}
