/**
 * `earshot export --format csv|jsonl [--brand B] [--source T] [--since 30d] [--until DATE] [--out FILE]`:
 * stored mentions, oldest first, for spreadsheets and BI tools.
 *
 * CSV follows RFC 4180: a header row, CRLF line ends, every field that holds a comma, a quote, CR
 * or LF quoted, quotes doubled; UTF-8 without a byte-order mark. Lists (matched terms, reasons)
 * are joined with "; ". Text from the internet can start with = + - @ and would run as a formula
 * when a spreadsheet opens the file, so such text cells get a leading ' (OWASP's advice);
 * `--raw` turns that off for tools that are not spreadsheets. Numeric cells are never changed.
 * JSON lines: one mention per line, the same objects as `earshot mentions --json`. Both carry
 * the triage fields (status, assignee, tags; a corrected sentiment replaces the analyzer's, as
 * everywhere) and CSV the analysis flags; new CSV columns are added at the end only, so that
 * existing sheets keep reading theirs.
 *
 * Rows are streamed from the store in pages, so memory stays flat however large the history.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseDuration } from '../core/duration.js';
import { triageStoreOf } from '../store/index.js';
import type { TriagedMention } from '../store/triage-types.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import { createProgress, type ProgressStream } from '../ops/progress.js';
import type { MentionFilter } from '../store/types.js';
import { openStore, parseSince, UserError, type Context } from './context.js';

export interface ExportOptions {
  format?: string;
  brand?: string;
  source?: string;
  since?: string;
  until?: string;
  duplicates?: boolean;
  raw?: boolean;
  out?: string;
  progressStream?: ProgressStream;
}

export const CSV_COLUMNS = [
  'id',
  'brand',
  'source',
  'source_key',
  'source_id',
  'published_at',
  'fetched_at',
  'url',
  'author',
  'reach',
  'kind',
  'language',
  'title',
  'text',
  'sentiment',
  'sentiment_score',
  'sentiment_reasons',
  'urgency',
  'urgency_score',
  'urgency_reasons',
  'matched_terms',
  'link_url',
  'story_key',
  'duplicate_of',
  'status',
  'assignee',
  'tags',
  'flag_offensive',
  'flag_hate',
  'flag_irony',
] as const;

/** Mentions read from the stream before their triage fields are looked up together. */
const PAGE = 500;

type Cell = string | number | null;

function mentionCells(m: TriagedMention): Cell[] {
  return [
    m.id,
    m.brand,
    m.source,
    m.sourceKey,
    m.sourceId,
    m.publishedAt,
    m.fetchedAt,
    m.url,
    m.author,
    m.reach,
    m.kind,
    m.language,
    m.title,
    m.text,
    m.sentiment.label,
    m.sentiment.score,
    m.sentiment.reasons.join('; '),
    m.urgency.level,
    m.urgency.score,
    m.urgency.reasons.join('; '),
    m.matchedTerms.join('; '),
    m.linkUrl,
    m.storyKey,
    m.duplicateOf,
    m.status,
    m.assignee,
    m.tags.join('; '),
    m.flags?.offensive ?? null,
    m.flags?.hate ?? null,
    m.flags?.irony ?? null,
  ];
}

const FORMULA_START = /^[=+\-@\t\r]/;

/** One RFC 4180 field. Strings that a spreadsheet would run as a formula get a leading ' unless raw. */
export function csvField(value: Cell, raw = false): string {
  if (value === null) return '';
  let text = typeof value === 'number' ? String(value) : value;
  if (typeof value === 'string' && !raw && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRecord(values: readonly Cell[], raw = false): string {
  return values.map((v) => csvField(v, raw)).join(',');
}

function buildFilter(options: ExportOptions, now: Date): MentionFilter {
  const filter: MentionFilter = { includeDuplicates: options.duplicates ?? false };
  if (options.brand) filter.brand = options.brand;
  if (options.source) {
    if (!(SOURCE_TYPES as readonly string[]).includes(options.source)) {
      throw new UserError(`--source ${options.source}: expected one of ${SOURCE_TYPES.join(', ')}`);
    }
    filter.source = options.source;
  }
  if (options.since) filter.since = parseSince(options.since, now, parseDuration);
  if (options.until) filter.until = parseSince(options.until, now, parseDuration);
  return filter;
}

export async function exportCommand(ctx: Context, options: ExportOptions): Promise<number> {
  const format = options.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') throw new UserError(`--format ${format}: expected csv or jsonl`);
  const filter = buildFilter(options, new Date());
  const store = await openStore(ctx, { readonly: true });
  let fd: number | null = null;
  try {
    if (options.brand) {
      const known = await store.mentions.count({ brand: options.brand, includeDuplicates: true, limit: 1 });
      if (known === 0) ctx.log.warn({ brand: options.brand }, 'no stored mentions of this brand');
    }
    if (options.out) {
      try {
        fd = openSync(options.out, 'w', 0o600);
      } catch (err) {
        throw new UserError(`--out ${options.out}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    }
    const write = (line: string): void => {
      // io.out ends lines with LF; CSV records end with CRLF.
      if (fd === null) ctx.io.out(format === 'csv' ? `${line}\r` : line);
      else writeSync(fd, line + (format === 'csv' ? '\r\n' : '\n'));
    };
    const total = await store.mentions.count(filter);
    const progress = createProgress('export', { total, unit: 'mentions', ...(options.progressStream ? { stream: options.progressStream } : {}) });
    if (format === 'csv') write(csvRecord(CSV_COLUMNS));
    const triage = await triageStoreOf(store);
    let count = 0;
    let page: number[] = [];
    const flush = async () => {
      for (const mention of await triage.getMentions(page)) {
        write(format === 'csv' ? csvRecord(mentionCells(mention), options.raw) : JSON.stringify(mention));
        count++;
        progress.tick();
      }
      page = [];
    };
    for await (const mention of store.mentions.stream(filter)) {
      page.push(mention.id);
      if (page.length === PAGE) await flush();
    }
    await flush();
    progress.done(`${count} mentions${options.out ? ` written to ${options.out}` : ''}`);
    return 0;
  } finally {
    if (fd !== null) closeSync(fd);
    await store.close();
  }
}
