/**
 * Durations as users write them in YAML and on the command line: `90s`, `15m`, `2h`, `7d`,
 * `1w`, and combinations like `1h30m`. A bare number is rejected: `every: 15` is ambiguous.
 */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;

/** Parses a duration; returns milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const input = text.trim();
  if (input === '') return null;
  if (input === '0') return 0;
  PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (;;) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match) {
      PART.lastIndex = start;
      break;
    }
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
    consumed = PART.lastIndex;
  }
  if (consumed !== input.length) return null;
  return Math.round(total);
}

/** Formats milliseconds the way users write them: 90000 -> '1m30s'. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
