/**
 * One structured logger for the whole program (pino). A fixed message and the variables in an
 * object: `log.warn({ source, err }, 'poll failed')`.
 *
 * Secrets never reach the output: every value registered with `registerSecret` (tokens,
 * passwords, the SMTP URL's credentials) is replaced by `[redacted]` in each line just before it
 * is written, wherever in the line it appears (messages, error stacks, nested objects).
 */
import type { Logger, LevelWithSilent } from 'pino';
import { Writable } from 'node:stream';
import { lazy } from './lazy.js';

/** pino is loaded when the first logger is made (commands like `check` never make one). */
const pinoModule = lazy<typeof import('pino')>('pino');

export type { Logger };

const secrets = new Set<string>();

/** Registers a secret value; values shorter than 4 characters are ignored (they would redact ordinary text). */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  secrets.add(value);
  // A secret may also appear URL-encoded (e.g. a password inside SMTP_URL).
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
}

/** Replaces every registered secret in `text` by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  /** Where lines go; default stderr (stdout is for command output). */
  stream?: NodeJS.WritableStream;
  /** Human-readable lines instead of JSON; default: when the stream is a terminal. */
  pretty?: boolean;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

function prettyLine(json: string): string {
  try {
    const obj = JSON.parse(json) as Record<string, unknown>;
    const { level, time, msg, pid: _pid, hostname: _host, ...rest } = obj;
    const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${when} ${LEVEL_NAMES[level as number] ?? level} ${msg ?? ''}${fields ? ' ' + fields : ''}\n`;
  } catch {
    return json;
  }
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const target = options.stream ?? process.stderr;
  const pretty = options.pretty ?? Boolean((target as NodeJS.WriteStream).isTTY);
  const sink = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      let line = redact(chunk.toString());
      if (pretty) line = prettyLine(line);
      target.write(line);
      done();
    },
  });
  const { pino } = pinoModule();
  return pino(
    {
      level: options.level ?? (process.env.EARSHOT_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.epochTime,
      serializers: { err: pino.stdSerializers.err },
    },
    sink,
  );
}

/** A logger that drops everything: for library use and tests that do not look at logs. */
export function silentLogger(): Logger {
  return pinoModule().pino({ level: 'silent' });
}
