/**
 * `earshot analyze [TEXT...] [--input FILE] [--brand B]`: scores text. `--input` takes CSV (with
 * `id,text` columns) or JSON lines; `--brand` scores toward that brand of sources/*.yaml (its
 * name, handles and vocabulary), as the pipeline does; without it, general sentiment. Output is
 * one JSON object per line:
 * {"id", "sentiment": {"label", "score", "reasons"}, "urgency": {"level", "score", "reasons"}, "language", "flags": {"offensive", "hate", "irony"}}
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse/sync';
import { createAnalyzer } from '../analyze/index.js';
import { loadConfig } from '../config/load.js';
import type { Analyzer, BrandContext } from '../core/types.js';
import { UserError, type Context } from './context.js';

export interface AnalyzeOptions {
  input?: string;
  brand?: string;
}

/** Ids are strings whatever the input (a CSV column, a JSON number, a position), as SPEC.md shows. */
function score(analyzer: Analyzer, id: string | number, text: string, brand: BrandContext | undefined) {
  const a = analyzer.analyze(brand ? { text, brand } : { text });
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    id: String(id),
    sentiment: { label: a.sentiment.label, score: round(a.sentiment.score), reasons: a.sentiment.reasons },
    urgency: { level: a.urgency.level, score: round(a.urgency.score), reasons: a.urgency.reasons },
    language: a.language,
    flags: a.flags,
  };
}

/** One JSON line of `--input`: its id and text, or what is wrong with it. */
function parseTextLine(raw: string): { id: string | number | undefined; text: string } | string {
  try {
    const obj = JSON.parse(raw) as { id?: unknown; text?: unknown };
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return 'expected a JSON object with "text" (and usually "id")';
    if (typeof obj.text !== 'string') return 'no "text" string';
    return { id: obj.id as string | number | undefined, text: obj.text };
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
}

export async function analyzeCommand(ctx: Context, texts: string[], options: AnalyzeOptions): Promise<number> {
  if (!options.input && texts.length === 0) throw new UserError('give TEXT to score, or --input FILE (CSV with id,text columns, or JSON lines)');
  const brand = options.brand === undefined ? undefined : brandContext(ctx, options.brand);
  const analyzer = createAnalyzer();
  texts.forEach((text, i) => ctx.io.out(JSON.stringify(score(analyzer, i + 1, text, brand))));
  if (!options.input) return 0;
  const file = options.input;
  if (!existsSync(file)) throw new UserError(`--input ${file}: no such file`);
  const head = readFileSync(file, 'utf8').slice(0, 1).trim();
  let bad = 0;
  if (head === '{') {
    let lineNo = 0;
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const raw of lines) {
      lineNo++;
      if (!raw.trim()) continue;
      const line = parseTextLine(raw);
      if (typeof line === 'string') {
        bad++;
        ctx.io.err(`${file}:${lineNo}: ${line}; line skipped`);
        continue;
      }
      ctx.io.out(JSON.stringify(score(analyzer, line.id ?? lineNo, line.text, brand)));
    }
    return bad ? 1 : 0;
  }
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true });
  } catch (err) {
    throw new UserError(`--input ${file}: not valid CSV: ${(err as Error).message}`);
  }
  if (rows.length > 0 && !('text' in rows[0]!)) throw new UserError(`--input ${file}: the CSV needs a "text" column (and usually "id")`);
  rows.forEach((row, i) => ctx.io.out(JSON.stringify(score(analyzer, row.id ?? i + 1, row.text ?? '', brand))));
  return 0;
}

/** The brand's context from sources/*.yaml, or a UserError naming the configured brands. */
function brandContext(ctx: Context, id: string): BrandContext {
  const brands = loadConfig(ctx.dir, ctx.env).config.brands;
  const brand = brands.get(id);
  if (brand) return brand.context;
  const known = [...brands.keys()].sort();
  throw new UserError(`--brand ${id}: no such brand; ${known.length ? `brands are ${known.join(', ')}` : `no brand is configured (sources/*.yaml in ${ctx.dir})`}`);
}
