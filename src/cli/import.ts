/**
 * `earshot import FILE [--no-alerts]`: ingests mentions from JSON lines through the same pipeline
 * as the pollers (query match, dedup, analysis, storage, rules, delivery). A bad line is reported
 * with its line number and skipped; the rest is imported.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { createAnalyzer } from '../analyze/index.js';
import type { Config } from '../config/load.js';
import { type Analyzer, type FetchedItem, type SourceType } from '../core/types.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import { Deliverer } from '../pipeline/deliver.js';
import { deliverPatiently, oneShotDelivery, runRulesInTurn } from '../pipeline/cycle.js';
import { ingestItems } from '../pipeline/ingest.js';
import type { PreparedItem } from '../pipeline/prepare.js';
import { PrepareWorker } from '../pipeline/prepare-pool.js';
import { createProgress } from '../ops/progress.js';
import type { Store } from '../store/types.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';
import { plural } from '../core/text.js';
import { oneShotPatience, reportPending } from './pending.js';

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

/** Every problem of a line at once (fixing one to meet the next is slow): missing fields together, then each wrong one. */
function lineProblems(json: unknown, issues: readonly z.core.$ZodIssue[]): string {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return 'expected a JSON object (one mention per line)';
  const record = json as Record<string, unknown>;
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const issue of issues) {
    const field = issue.path.join('.');
    if (issue.path.length === 1 && record[field] === undefined) missing.push(field);
    else wrong.push(`${field || 'line'}: ${issue.message}`);
  }
  return [...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []), ...wrong].join('; ');
}

export interface ImportOptions {
  alerts?: boolean;
  /** Files at least this large are prepared in a worker thread (default 1 MB); tests lower it. */
  workerMinBytes?: number;
  /** Counts the items the worker prepared (for tests). */
  stats?: { preparedAhead: number };
}

const BATCH = 1000;
/** Below this a worker thread's start-up (analyzer, brand queries) costs more than it saves. */
const WORKER_MIN_BYTES = 1_000_000;
/** Batches handed to the worker ahead of the one being stored. */
const PREPARE_AHEAD = 2;
/**
 * A batch is prepared by this thread instead when the worker already has this many waiting:
 * preparing (analysis) costs about three times what storing does, so a worker alone left this
 * thread idle most of the time and the import ran at the speed of one core.
 */
const WORKER_QUEUE = 2;

interface Group {
  brandId: string;
  source: SourceType;
  items: FetchedItem[];
  prepared: Promise<PreparedItem[] | null> | null;
}

export interface ImportBatchOptions {
  store: Store;
  config: Config;
  analyzer: Analyzer;
  now: () => Date;
  quiet: boolean;
  /** Prepares each batch ahead in a worker thread; null: inline. */
  worker: PrepareWorker | null;
  stats?: { preparedAhead: number };
}

/**
 * The import's batching (also run by `npm run bench`): items grouped by brand and source, 1,000
 * lines a batch, each batch stored in one transaction; with a worker, the next batches are
 * being prepared while one is stored.
 */
export class ImportBatches {
  readonly totals = { known: 0, matched: 0, stored: 0, duplicates: 0 };
  private readonly batches = new Map<string, FetchedItem[]>();
  private pending = 0;
  // Batches in order, their items being prepared by the worker while earlier batches are stored.
  private readonly queue: Group[][] = [];
  /** Batches the worker is preparing now. */
  private inWorker = 0;

  constructor(private readonly o: ImportBatchOptions) {}

  /** Hands the batch's groups to the worker, or leaves them to be prepared here (null) when it is busy. */
  private prepareAhead(groups: Array<Omit<Group, 'prepared'>>): Group[] {
    const worker = this.o.worker;
    if (!worker || this.inWorker >= WORKER_QUEUE) return groups.map((g) => ({ ...g, prepared: null }));
    this.inWorker++;
    const out = groups.map((g) => ({ ...g, prepared: worker.prepare(g.brandId, g.items) }));
    void Promise.allSettled(out.map((g) => g.prepared)).then(() => this.inWorker--);
    return out;
  }

  async add(brandId: string, source: SourceType, item: FetchedItem): Promise<void> {
    const key = `${brandId}\u0000${source}`;
    let batch = this.batches.get(key);
    if (!batch) this.batches.set(key, (batch = []));
    batch.push(item);
    if (++this.pending >= BATCH) await this.flush(this.o.worker ? PREPARE_AHEAD : 0);
  }

  /** Stores everything added so far. */
  finish(): Promise<void> {
    return this.flush(0);
  }

  private async flush(keep: number): Promise<void> {
    const plain: Array<Omit<Group, 'prepared'>> = [];
    for (const [key, items] of this.batches) {
      const [brandId, source] = key.split('\u0000') as [string, SourceType];
      plain.push({ brandId, source, items });
    }
    const groups = plain.length ? this.prepareAhead(plain) : [];
    this.batches.clear();
    this.pending = 0;
    if (groups.length) this.queue.push(groups);
    while (this.queue.length > keep) {
      const next = this.queue.shift()!;
      await this.store(next, await Promise.all(next.map((g) => g.prepared ?? Promise.resolve(null))));
    }
  }

  /** One transaction per batch: commits dominate otherwise. */
  private async store(groups: Group[], prepared: (PreparedItem[] | null)[]): Promise<void> {
    const { store, config, analyzer, now, quiet } = this.o;
    await store.transaction(async (tx) => {
      for (const [i, group] of groups.entries()) {
        const brand = config.brands.get(group.brandId)!;
        const target = { store: tx, analyzer, brand, source: group.source, sourceKey: `${group.brandId}/import`, now: now(), alertFrom: null, quiet };
        const ahead = prepared[i];
        if (ahead && this.o.stats) this.o.stats.preparedAhead += ahead.length;
        const r = await ingestItems(target, group.items, ahead ?? undefined);
        this.totals.known += r.known;
        this.totals.matched += r.matched;
        this.totals.stored += r.stored;
        this.totals.duplicates += r.duplicates;
      }
    });
  }
}

export async function importCommand(ctx: Context, file: string, options: ImportOptions): Promise<number> {
  if (!existsSync(file)) throw new UserError(`${file}: no such file`);
  const { config } = requireConfig(ctx);
  const store = await openStore(ctx);
  const now = () => new Date();
  const deliverer = new Deliverer(store, config, ctx.log, now, oneShotDelivery(store));
  const analyzer = createAnalyzer();
  const quiet = options.alerts === false;
  let lineNo = 0;
  let bad = 0;
  const importedBrands = new Set<string>();
  let lines = 0;
  const size = statSync(file).size;
  const worker = size >= (options.workerMinBytes ?? WORKER_MIN_BYTES)
    ? new PrepareWorker(config.brands.values(), (reason) => ctx.log.warn({ reason }, 'import: analysing in the main thread'))
    : null;
  const batches = new ImportBatches({ store, config, analyzer, now, quiet, worker, ...(options.stats ? { stats: options.stats } : {}) });
  const totals = batches.totals;

  const progress = createProgress('import', { total: size, unit: 'bytes' });
  let bytes = 0;
  try {
    const input = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const raw of input) {
      lineNo++;
      bytes += Buffer.byteLength(raw) + 1;
      progress.update(bytes);
      const line = raw.trim();
      if (!line) continue;
      lines++;
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
        ctx.io.err(`${file}:${lineNo}: ${lineProblems(json, parsed.error.issues)}; line skipped`);
        continue;
      }
      const d = parsed.data;
      if (!config.brands.has(d.brand)) {
        bad++;
        ctx.io.err(`${file}:${lineNo}: brand: unknown brand "${d.brand}" (brands are ${[...config.brands.keys()].join(', ')}); line skipped`);
        continue;
      }
      importedBrands.add(d.brand);
      await batches.add(d.brand, d.source, {
        sourceId: d.id,
        url: d.url ?? null,
        author: d.author ?? null,
        reach: d.reach ?? null,
        title: d.title ?? '',
        text: d.text ?? '',
        published: d.published ? new Date(d.published).toISOString() : null,
        language: d.language ?? null,
      });
    }
    await batches.finish();
    progress.done();
    for (const brand of importedBrands) await store.mentions.noteImportedHistory(brand);
    let alerts = 0;
    let failed = false;
    if (!quiet) {
      const deps = { store, config, log: ctx.log, now, deliverer };
      alerts = (await runRulesInTurn(deps, true)).length;
      const delivered = await deliverPatiently(deps, oneShotPatience(ctx));
      failed = delivered.failed > 0;
    }
    ctx.io.out(
      `${plural(lines, 'line')}: ${totals.stored} stored (${plural(totals.duplicates, 'duplicate')}), ${totals.known} already stored, ${lines - bad - totals.known - totals.matched} did not match the brand query, ${bad} skipped as invalid${quiet ? '; alerts off' : `; ${plural(alerts, 'alert')}`}`,
    );
    if (!quiet && (await reportPending(ctx, store, now())) > 0) failed = true;
    return bad > 0 || failed ? 1 : 0;
  } finally {
    progress.done();
    await worker?.close();
    await deliverer.close();
    await store.close();
  }
}
