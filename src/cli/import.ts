/**
 * `earshot import FILE [--no-alerts]`: ingests mentions from JSON lines through the same pipeline
 * as the pollers (query match, dedup, analysis, storage, rules, delivery). A bad line is reported
 * with its line number and skipped; the rest is imported.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { createAnalyzer } from '../analyze/index.js';
import { SOURCE_TYPES, type FetchedItem, type SourceType } from '../core/types.js';
import { Deliverer } from '../pipeline/deliver.js';
import { deliverPatiently, runRules } from '../pipeline/cycle.js';
import { ingestItems } from '../pipeline/ingest.js';
import type { PreparedItem } from '../pipeline/prepare.js';
import { PrepareWorker } from '../pipeline/prepare-pool.js';
import { createProgress } from '../ops/progress.js';
import { openDb, requireConfig, UserError, type Context } from './context.js';

const lineSchema = z.object({
  brand: z.string().min(1),
  source: z.enum(SOURCE_TYPES),
  id: z.union([z.string().min(1), z.number()]).transform(String),
  url: z.string().nullable().optional(),
  author: z.string().nullable().optional(),
  title: z.string().nullable().optional(),
  text: z.string().nullable().optional(),
  published: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'published must be an ISO 8601 time like 2026-11-23T08:00:00Z')
    .optional(),
  reach: z.number().int().min(0).nullable().optional(),
  language: z.string().nullable().optional(),
});

export interface ImportOptions {
  alerts?: boolean;
  /** Files at least this large are prepared in a worker thread (default 1 MB); tests lower it. */
  workerMinBytes?: number;
}

const BATCH = 1000;
/** Below this a worker thread's start-up (analyzer, brand queries) costs more than it saves. */
const WORKER_MIN_BYTES = 1_000_000;
/** Batches handed to the worker ahead of the one being stored. */
const PREPARE_AHEAD = 2;

interface Group {
  brandId: string;
  source: SourceType;
  items: FetchedItem[];
  prepared: Promise<PreparedItem[] | null> | null;
}

export async function importCommand(ctx: Context, file: string, options: ImportOptions): Promise<number> {
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  const { config } = requireConfig(ctx);
  const db = openDb(ctx);
  const now = () => new Date();
  const deliverer = new Deliverer(db, config, ctx.log, now);
  const analyzer = createAnalyzer();
  const quiet = options.alerts === false;
  let lineNo = 0;
  let bad = 0;
  const totals = { lines: 0, known: 0, matched: 0, stored: 0, duplicates: 0 };
  const batches = new Map<string, FetchedItem[]>();

  const size = statSync(file).size;
  const worker = size >= (options.workerMinBytes ?? WORKER_MIN_BYTES)
    ? new PrepareWorker(config.brands.values(), (reason) => ctx.log.warn({ reason }, 'import: analysing in the main thread'))
    : null;
  // Batches in order; each group's items are being prepared by the worker while earlier batches are stored.
  const queue: Group[][] = [];

  // One transaction per batch (the per-group ingests become savepoints): commits dominate otherwise.
  const store = (groups: Group[], prepared: (PreparedItem[] | null)[]) => db.transaction(() => {
    groups.forEach((group, i) => {
      const brand = config.brands.get(group.brandId)!;
      const target = { db, analyzer, brand, source: group.source, sourceKey: `${group.brandId}/import`, now: now(), alertFrom: null, quiet };
      const r = ingestItems(target, group.items, prepared[i] ?? undefined);
      totals.known += r.known;
      totals.matched += r.matched;
      totals.stored += r.stored;
      totals.duplicates += r.duplicates;
    });
  }).immediate();

  const storeAhead = async (keep: number) => {
    while (queue.length > keep) {
      const groups = queue.shift()!;
      store(groups, await Promise.all(groups.map((g) => g.prepared)));
    }
  };

  const flush = async (keep: number) => {
    const groups: Group[] = [];
    for (const [key, items] of batches) {
      const [brandId, source] = key.split('\u0000') as [string, SourceType];
      groups.push({ brandId, source, items, prepared: worker ? worker.prepare(brandId, items) : null });
    }
    batches.clear();
    if (groups.length) queue.push(groups);
    await storeAhead(keep);
  };

  const progress = createProgress('import', { total: size, unit: 'bytes' });
  let bytes = 0;
  try {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let pending = 0;
    for await (const raw of lines) {
      lineNo++;
      bytes += Buffer.byteLength(raw) + 1;
      progress.update(bytes);
      const line = raw.trim();
      if (!line) continue;
      totals.lines++;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (err) {
        bad++;
        ctx.io.err(`${file}:${lineNo}: not valid JSON (${(err as Error).message}); line skipped`);
        continue;
      }
      const parsed = lineSchema.safeParse(json);
      if (!parsed.success) {
        bad++;
        const issue = parsed.error.issues[0]!;
        ctx.io.err(`${file}:${lineNo}: ${issue.path.join('.') || 'line'}: ${issue.message}; line skipped`);
        continue;
      }
      const d = parsed.data;
      if (!config.brands.has(d.brand)) {
        bad++;
        ctx.io.err(`${file}:${lineNo}: brand: unknown brand "${d.brand}" (brands are ${[...config.brands.keys()].join(', ')}); line skipped`);
        continue;
      }
      const key = `${d.brand}\u0000${d.source}`;
      let batch = batches.get(key);
      if (!batch) batches.set(key, (batch = []));
      batch.push({
        sourceId: d.id,
        url: d.url ?? null,
        author: d.author ?? null,
        reach: d.reach ?? null,
        title: d.title ?? '',
        text: d.text ?? '',
        published: d.published ? new Date(d.published).toISOString() : null,
        language: d.language ?? null,
      });
      if (++pending >= BATCH) {
        await flush(worker ? PREPARE_AHEAD : 0);
        pending = 0;
      }
    }
    await flush(0);
    progress.done();
    let alerts = 0;
    let failed = false;
    if (!quiet) {
      const deps = { db, config, log: ctx.log, now, deliverer };
      alerts = runRules(deps, true).length;
      const delivered = await deliverPatiently(deps, 30_000);
      failed = delivered.failed > 0;
    }
    ctx.io.out(
      `${totals.lines} lines: ${totals.stored} stored (${totals.duplicates} duplicates), ${totals.known} already stored, ${totals.lines - bad - totals.known - totals.matched} did not match the brand query, ${bad} skipped as invalid${quiet ? '; alerts off' : `; ${alerts} alerts`}`,
    );
    return bad > 0 || failed ? 1 : 0;
  } finally {
    progress.done();
    await worker?.close();
    await deliverer.close();
    db.close();
  }
}
