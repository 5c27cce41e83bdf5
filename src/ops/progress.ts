/**
 * Progress for long commands (import, export, backup, rules test over a large history): one
 * line on stderr, redrawn in place at most every 100 ms, when stderr is a terminal; nothing at
 * all when it is piped or redirected, so scripts and logs see only the command's real output.
 *
 *   const progress = createProgress('export', { total: count });
 *   for (const row of rows) { ...; progress.tick(); }
 *   progress.done(`${n} mentions`);
 */

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** Units of work expected, when known (shows a percentage); can be set later with setTotal. */
  total?: number;
  /** What a unit is called, e.g. 'mentions', 'pages'. */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Force on or off; default: on when the stream is a TTY. */
  enabled?: boolean;
  /** Minimum time between redraws; default 100 ms. */
  intervalMs?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export interface Progress {
  readonly enabled: boolean;
  /** Adds `n` (default 1) units done. */
  tick(n?: number): void;
  /** Sets the units done so far (for callbacks that report absolute positions, like backup). */
  update(done: number, total?: number): void;
  setTotal(total: number): void;
  /** Clears the line and, when given, prints a final summary line. */
  done(summary?: string): void;
}

function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function createProgress(label: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const enabled = options.enabled ?? Boolean(stream.isTTY);
  const now = options.now ?? Date.now;
  const interval = options.intervalMs ?? 100;
  const started = now();
  let total = options.total;
  let current = 0;
  let lastDraw = -Infinity;
  let drawn = false;
  let finished = false;

  const line = (): string => {
    const unit = options.unit ? ` ${options.unit}` : '';
    const counts = total !== undefined && total > 0
      ? `${current}/${total}${unit} (${Math.min(100, Math.floor((current / total) * 100))}%)`
      : `${current}${unit}`;
    const text = `${label}: ${counts} ${formatElapsed(now() - started)}`;
    const width = stream.columns && stream.columns > 10 ? stream.columns - 1 : 79;
    return text.length > width ? text.slice(0, width) : text;
  };

  const draw = (force: boolean): void => {
    if (!enabled || finished) return;
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    // \r and erase-to-end-of-line: redraw in place without scrolling.
    stream.write(`\r${line()}\u001b[K`);
    drawn = true;
  };

  return {
    enabled,
    tick(n = 1) {
      current += n;
      draw(false);
    },
    update(done, newTotal) {
      current = done;
      if (newTotal !== undefined) total = newTotal;
      draw(false);
    },
    setTotal(newTotal) {
      total = newTotal;
      draw(false);
    },
    done(summary) {
      if (!enabled || finished) return;
      finished = true;
      if (drawn) stream.write('\r\u001b[K');
      if (summary) stream.write(`${label}: ${summary} in ${formatElapsed(now() - started)}\n`);
    },
  };
}
