/**
 * Benchmark 1: ingest throughput of the import path (brand query match, analysis, dedup,
 * storage, rules) for generated mentions, in process (the import's own batching, ImportBatches
 * with its worker thread, then runRules) and as a real `earshot import` subprocess; beside a
 * baseline of raw better-sqlite3 batched inserts of the same rows into an equivalent table.
 */
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAnalyzer } from '../../src/analyze/index.js';
import { loadConfig, type Config } from '../../src/config/load.js';
import { hasErrors, formatProblem } from '../../src/config/problems.js';
import { silentLogger } from '../../src/core/log.js';
import type { FetchedItem, SourceType } from '../../src/core/types.js';
import { runRules } from '../../src/pipeline/cycle.js';
import { Deliverer } from '../../src/pipeline/deliver.js';
import { ImportBatches } from '../../src/cli/import.js';
import { PrepareWorker } from '../../src/pipeline/prepare-pool.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/store.js';
import type { BenchBrand, BenchMention } from './corpus.js';
import { cpuMs, makeDir, removeDir, runEarshot } from './proc.js';

/**
 * Rules that look at every mention (sentiment, urgency, text, reach) but send one alert each,
 * to three channels: Slack spaces messages to one channel by a second, so twenty alerts to one
 * channel (big-voices grouped by brand, as it was) added ~19 s of waiting to `earshot import`.
 */
export const BENCH_RULES = `rules:
  - name: negative
    match: { sentiment: negative }
    throttle: 1h
    notify: [{ slack: "#bench-negative" }]
  - name: urgent-outage
    match: { urgency: { atLeast: high }, text: 'outage OR down OR refund OR "lost our data"' }
    throttle: 1h
    notify: [{ slack: "#bench-urgent" }]
  - name: big-voices
    match: { reach: { atLeast: 100000 } }
    throttle: 1h
    notify: [{ slack: "#bench-reach" }]
`;

/** One file per brand (as users write them), each with one feed that the import bench never polls. */
export function brandFiles(brands: BenchBrand[], sources: (b: BenchBrand, i: number) => string): Record<string, string> {
  const files: Record<string, string> = {};
  brands.forEach((b, i) => {
    files[`sources/${b.id}.yaml`] = `brand: ${b.id}\nname: ${b.name}\nquery: '${b.query.replaceAll("'", "''")}'\nhandles: [${b.compact}]\nsources:\n${sources(b, i)}`;
  });
  return files;
}

export function loadBenchConfig(dir: string, env: Record<string, string>): Config {
  const { config, problems } = loadConfig(dir, env);
  if (hasErrors(problems)) throw new Error(`bench config invalid:\n${problems.map((p) => formatProblem(p)).join('\n')}`);
  return config;
}

export interface IngestFigures {
  mentions: number;
  stored: number;
  duplicates: number;
  unmatched: number;
  /** In-process pipeline: ingest batches, then rules. */
  pipelineMs: number;
  pipelineCpuMs: number;
  ingestMs: number;
  rulesMs: number;
  alerts: number;
  /** `earshot import` subprocess wall time (startup, JSON parsing, pipeline, rules, delivery). */
  importMs: number | null;
  importCpuMs: number | null;
  importOutput: string;
  /** Raw inserts of the same rows into the same table, indexes, FTS index and trigger. */
  rawMs: number;
  rawCpuMs: number;
  /** Raw inserts into the same table without the FTS index. */
  rawPlainMs: number;
  /**
   * The second baseline (issue #13): the same JSON lines, parsed and inserted in batches of 1,000
   * into a plain table with one unique key (brand, source, id) — what storing them costs at least.
   */
  rawLinesMs: number;
  rawLinesCpuMs: number;
}

function toItem(m: BenchMention): FetchedItem {
  return { sourceId: m.id, url: m.url, author: m.author, reach: m.reach, title: m.title, text: m.text, published: m.published, language: null };
}

/** `earshot import`'s own batching (ImportBatches, with its worker thread), minus reading and validating JSON lines. */
async function ingestLikeImport(config: Config, store: SqliteStore, mentions: readonly BenchMention[]) {
  const worker = new PrepareWorker(config.brands.values(), (reason) => {
    throw new Error(`bench: the prepare worker failed: ${reason}`);
  });
  try {
    const batches = new ImportBatches({ store, config, analyzer: createAnalyzer(), now: () => new Date(), quiet: false, worker });
    for (const m of mentions) await batches.add(m.brand, m.source as SourceType, toItem(m));
    await batches.finish();
    return batches.totals;
  } finally {
    await worker.close();
  }
}

/** The earshot schema of `mentions` (table, indexes, FTS and its insert trigger), copied from a migrated database. */
function mentionsDdl(db: Database.Database, withFts: boolean): string[] {
  const rows = db
    .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND (tbl_name = 'mentions' OR name = 'mentions_fts') ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END")
    .all() as Array<{ type: string; name: string; sql: string }>;
  return rows
    // No triggers: the store indexes each inserted row in mentions_fts itself (migration 010), and so does rawInserts.
    .filter((r) => r.type !== 'trigger')
    .filter((r) => withFts || !r.name.startsWith('mentions_fts'))
    .map((r) => r.sql);
}

function rawInserts(dir: string, name: string, ddl: string[], rows: Record<string, unknown>[]): { ms: number; cpuMs: number } {
  const db = new Database(join(dir, name));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  for (const sql of ddl) db.exec(sql);
  const columns = Object.keys(rows[0]!);
  const insert = db.prepare(`INSERT INTO mentions (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  const withFts = ddl.some((sql) => sql.includes('mentions_fts'));
  const index = withFts ? db.prepare('INSERT INTO mentions_fts (rowid, title, text) VALUES (?, ?, ?)') : null;
  const batch = db.transaction((chunk: Record<string, unknown>[]) => {
    for (const row of chunk) {
      insert.run(row);
      index?.run(row.id, row.title, row.text);
    }
  });
  const started = performance.now();
  const cpu0 = cpuMs();
  for (let i = 0; i < rows.length; i += 1000) batch.immediate(rows.slice(i, i + 1000));
  const ms = performance.now() - started;
  const cpu = cpuMs() - cpu0;
  db.close();
  return { ms, cpuMs: cpu };
}

/** JSON lines parsed and inserted, 1,000 per transaction, into a table with one unique key. */
function rawJsonLines(dir: string, lines: readonly string[]): { ms: number; cpuMs: number } {
  const db = new Database(join(dir, 'raw-lines.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE lines (brand TEXT NOT NULL, source TEXT NOT NULL, id TEXT NOT NULL, line TEXT NOT NULL, UNIQUE (brand, source, id))');
  const insert = db.prepare('INSERT OR IGNORE INTO lines (brand, source, id, line) VALUES (?, ?, ?, ?)');
  const batch = db.transaction((chunk: readonly string[]) => {
    for (const line of chunk) {
      const m = JSON.parse(line) as { brand: string; source: string; id: string };
      insert.run(m.brand, m.source, m.id, line);
    }
  });
  const started = performance.now();
  const cpu0 = cpuMs();
  for (let i = 0; i < lines.length; i += 1000) batch.immediate(lines.slice(i, i + 1000));
  const ms = performance.now() - started;
  const cpu = cpuMs() - cpu0;
  db.close();
  return { ms, cpuMs: cpu };
}

export async function benchIngest(brands: BenchBrand[], mentions: BenchMention[], slack: { url: string; token: string } | null): Promise<IngestFigures> {
  const env: Record<string, string> = slack ? { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url } : {};
  const files = {
    ...brandFiles(brands, (b) => `  - type: rss\n    url: https://feeds.example.com/${b.id}.xml\n`),
    'rules/alerts.yaml': BENCH_RULES,
    '.env': Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n',
  };

  // In process.
  const dir = makeDir(files);
  const config = loadBenchConfig(dir, env);
  const store = openSqliteStore(join(dir, 'data/earshot.db'));
  const log = silentLogger();
  const now = () => new Date();
  const deliverer = new Deliverer(store, config, log, now);
  const t0 = performance.now();
  const c0 = cpuMs();
  const totals = await ingestLikeImport(config, store, mentions);
  const t1 = performance.now();
  const alerts = (await runRules({ store, config, log, now, deliverer }, true)).length;
  const t2 = performance.now();
  const pipelineCpuMs = cpuMs() - c0;
  await deliverer.close();

  // Baseline: the same rows, the same table definition, batched inserts.
  const db = store.db;
  const rows = db.prepare('SELECT * FROM mentions ORDER BY id').all() as Record<string, unknown>[];
  const ddlFts = mentionsDdl(db, true);
  const ddlPlain = mentionsDdl(db, false);
  await store.close();
  const raw = rawInserts(dir, 'raw.db', ddlFts, rows);
  const rawPlain = rawInserts(dir, 'raw-plain.db', ddlPlain, rows);
  const rawLines = rawJsonLines(dir, mentions.map((m) => JSON.stringify(m)));

  // A real `earshot import` of the same mentions as JSON lines.
  let importMs: number | null = null;
  let importCpuMs: number | null = null;
  let importOutput = '';
  const importDir = makeDir(files);
  const file = join(importDir, 'mentions.jsonl');
  writeFileSync(file, mentions.map((m) => JSON.stringify(m)).join('\n') + '\n');
  const r = await runEarshot(['--config-dir', importDir, 'import', file]);
  removeDir(importDir);
  removeDir(dir);
  importOutput = (r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ');
  if (r.code === 0) {
    importMs = r.ms;
    importCpuMs = r.cpuMs;
  }

  return {
    mentions: mentions.length,
    stored: totals.stored,
    duplicates: totals.duplicates,
    unmatched: mentions.length - totals.matched,
    pipelineMs: t2 - t0,
    pipelineCpuMs,
    ingestMs: t1 - t0,
    rulesMs: t2 - t1,
    alerts,
    importMs,
    importCpuMs,
    importOutput,
    rawMs: raw.ms,
    rawCpuMs: raw.cpuMs,
    rawPlainMs: rawPlain.ms,
    rawLinesMs: rawLines.ms,
    rawLinesCpuMs: rawLines.cpuMs,
  };
}
