/**
 * Benchmark: the web UI and API on a big database. A SQLite file with 1 M mentions of 3 brands
 * over a year (a few percent triaged: handled, not relevant, snoozed, assigned, tagged; stories
 * and reposts), written straight into the tables; then the real web app on the real ops server in
 * this process, signed in, and each page requested one at a time:
 *
 *   time     request sent → whole body received, over loopback, keep-alive (what the server
 *            spends plus a loopback round trip); baseline: GET /healthz on the same server
 *   weight   the JS and CSS a page loads (earshot serves them gzipped), and the inbox's HTML
 *
 * Pages: the inbox's first page, a page 200 pages deep (keyset: should cost the same), filters
 * (common and rare), searches in the query language, the API, a mention's page, a dashboard.
 */
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/log.js';
import { startOpsServer } from '../../src/ops/server.js';
import { openDatabase } from '../../src/store/sqlite/db.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { triageStore } from '../../src/store/sqlite/triage.js';
import { loadAssets } from '../../src/web/assets.js';
import { createWebApp } from '../../src/web/app.js';
import { signIn } from '../../test/helpers/web.js';
import type { BenchBrand } from './corpus.js';
import { brandFiles } from './ingest.js';
import { makeDir, removeDir } from './proc.js';
import type { Rng } from './rng.js';

export interface PageTiming {
  name: string;
  path: string;
  n: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Rows (mentions) on the page, when it lists some. */
  rows: number | null;
}

export interface WebFigures {
  mentions: number;
  buildMs: number;
  dbMb: number;
  healthz: PageTiming;
  pages: PageTiming[];
  weight: { jsBytes: number; cssBytes: number; jsGzip: number; cssGzip: number; htmlBytes: number; htmlGzip: number };
}

const DAY = 86_400_000;
const SOURCES = ['rss', 'reddit', 'twitter', 'hackernews', 'bluesky', 'mastodon'] as const;
const OPENINGS = [
  '{b} has been down for three hours and nobody answers the support tickets',
  'I was charged twice by {b} and they refuse to refund me',
  'Is {b} having an outage? Everything times out since this morning',
  '{b} lost our data after the migration, a disaster',
  'Loving the new {b} dashboard, fast and clean',
  'Shout out to {b} support, fixed in ten minutes',
  '{b} announced a new region in Frankfurt today',
  'Does anyone know whether {b} supports single sign-on with Okta?',
  'Comparing {b} with two competitors for a school project',
  '{b} will publish its quarterly results next Tuesday',
];
const WORDS = 'team billing invoice latency region support ticket migration pricing dashboard console deploy cluster backup restore api webhook alert status incident customer account password login mobile app release beta upgrade network storage database queue cron'.split(' ');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** Writes `count` mentions straight into a fresh database (the FTS index is filled by its trigger). */
export function buildDatabaseForProfile(path: string, brands: BenchBrand[], count: number, rng: Rng, now: Date): void {
  buildDatabase(path, brands, count, rng, now);
}

function buildDatabase(path: string, brands: BenchBrand[], count: number, rng: Rng, now: Date): void {
  openDatabase(path).close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const insert = db.prepare(
    `INSERT INTO mentions (brand, source, source_key, source_id, url, author, reach, title, text, language, published_at, fetched_at,
       matched_terms, sentiment_label, sentiment_score, sentiment_reasons, urgency_level, urgency_score, urgency_reasons, story_key,
       duplicate_of, alert_state, status, status_at, snoozed_until, assignee)
     VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, 'en', ?, ?, '[]', ?, ?, '[]', ?, ?, '[]', ?, ?, 'evaluated', ?, ?, ?, ?)`,
  );
  const event = db.prepare(
    "INSERT INTO mention_events (mention_id, at, actor_kind, actor_id, actor_name, action, value, before, after) VALUES (?, ?, 'ui', ?, ?, ?, NULL, '{}', '{}')",
  );
  const tag = db.prepare('INSERT INTO mention_tags (mention_id, tag) VALUES (?, ?)');
  const start = now.getTime() - 365 * DAY;
  const people = ['maria', 'jo', 'sam'];
  let id = 0;
  const batch = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      id += 1;
      const brand = brands[rng.int(brands.length)]!;
      const source = SOURCES[rng.int(SOURCES.length)]!;
      // Newer mentions are denser (a brand that grew over the year).
      const published = start + Math.floor(Math.sqrt(rng.next()) * 365 * DAY);
      const r = rng.next();
      const sentiment = r < 0.2 ? 'negative' : r < 0.75 ? 'neutral' : r < 0.95 ? 'positive' : 'unknown';
      const words = Array.from({ length: 6 + rng.int(18) }, () => WORDS[rng.int(WORDS.length)]).join(' ');
      const text = `${OPENINGS[rng.int(OPENINGS.length)]!.replace('{b}', brand.name)}. ${words}.`;
      const t = rng.next();
      const status = published > now.getTime() - 60 * DAY && t < 0.05 ? 'handled' : t < 0.06 ? 'irrelevant' : t < 0.062 ? 'snoozed' : 'open';
      const statusAt = status === 'open' ? null : new Date(published + 3_600_000 + rng.int(DAY)).toISOString();
      insert.run(
        brand.id,
        source,
        `${brand.id}/${source}`,
        `m${id}`,
        `https://${source}.example/${brand.id}/${id}`,
        `user${rng.int(20_000)}`,
        rng.int(50_000),
        text,
        new Date(published).toISOString(),
        new Date(published + rng.int(600_000)).toISOString(),
        sentiment,
        sentiment === 'negative' ? -0.6 : sentiment === 'positive' ? 0.6 : 0,
        rng.chance(0.05) ? 'high' : 'low',
        rng.next(),
        rng.chance(0.02) ? `https://story.example/${rng.int(2_000)}` : null,
        id > 10 && rng.chance(0.01) ? id - 1 - rng.int(10) : null,
        status,
        statusAt,
        status === 'snoozed' ? new Date(now.getTime() + DAY).toISOString() : null,
        rng.chance(0.005) ? people[rng.int(3)]! : null,
      );
      if (status === 'handled' || status === 'irrelevant') {
        const who = people[rng.int(3)]!;
        event.run(id, statusAt, who, who, status === 'handled' ? 'handle' : 'irrelevant');
      }
      if (rng.chance(0.005)) tag.run(id, rng.pick(['refund', 'outage', 'billing', 'press']));
    }
  });
  for (let done = 0; done < count; done += 20_000) batch(Math.min(20_000, count - done));
  // Rows written here bypass the store, which indexes what it inserts (migration 010): index them all at once.
  db.exec("INSERT INTO mentions_fts (mentions_fts) VALUES ('rebuild')");
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.exec('ANALYZE');
  db.close();
}

async function time(url: string, headers: Record<string, string>, n: number): Promise<{ ms: number[]; body: string }> {
  const ms: number[] = [];
  let body = '';
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url, { headers });
    body = await res.text();
    ms.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`bench web: ${url} answered ${res.status}: ${body.slice(0, 300)}`);
  }
  return { ms, body };
}

function timing(name: string, path: string, ms: number[], rows: number | null): PageTiming {
  const sorted = [...ms].sort((a, b) => a - b);
  return { name, path, n: ms.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? NaN, rows };
}

export async function benchWeb(brands: BenchBrand[], count: number, rng: Rng, now: Date, runs: number): Promise<WebFigures> {
  const token = 'bench-api-token-0123456789abcdef';
  const dir = makeDir({ ...brandFiles(brands, (b) => `  - type: rss\n    url: https://feeds.example/${b.id}.xml\n`), 'rules/alerts.yaml': 'rules: []\n' });
  const dbPath = join(dir, 'data', 'earshot.db');
  const t0 = performance.now();
  buildDatabase(dbPath, brands, count, rng, now);
  const buildMs = performance.now() - t0;
  const dataStore = openSqliteStore(dbPath);
  const db = dataStore.db;
  const log = silentLogger();
  const { config } = loadConfig(dir, {});
  // Dashboards computed on every view (the app keeps them a minute): these are first-view times.
  const web = createWebApp({ dataStore, store: triageStore(db), config: () => config, env: { EARSHOT_UI_PASSWORD: 'bench password 123', EARSHOT_API_TOKEN: token }, log, dashboardCacheMs: 0, now: () => now });
  const server = await startOpsServer({
    address: { host: '127.0.0.1', port: 0, exposed: false },
    store: dataStore,
    scheduler: { health: () => ({ running: true, lastPassAt: new Date(), lastPassError: null }) },
    log,
    web,
  });
  try {
    const { cookie } = await signIn(server.url, 'bench password 123', 'maria');
    const ui = { cookie };
    const api = { authorization: `Bearer ${token}` };
    const rowsOf = (html: string) => (html.match(/<li class="row /g) ?? []).length;
    const pages: PageTiming[] = [];
    const measure = async (name: string, path: string, headers: Record<string, string>, n = runs) => {
      await time(`${server.url}${path}`, headers, 2); // warm the statement cache and the page cache
      const { ms, body } = await time(`${server.url}${path}`, headers, n);
      const rows = path.startsWith('/api/') ? ((JSON.parse(body) as { mentions?: unknown[] }).mentions?.length ?? null) : path.startsWith('/?') || path === '/' ? rowsOf(body) : null;
      pages.push(timing(name, path, ms, rows));
      return body;
    };
    const healthz = await time(`${server.url}/healthz`, {}, runs);
    const b = brands[0]!.id;
    const first = await measure('inbox, first page (open, newest first)', '/', ui);
    // 200 pages deep through the API's cursor, then the same page in the inbox.
    let cursor = '';
    for (let i = 0; i < 200; i++) {
      const res = (await (await fetch(`${server.url}/api/mentions?limit=50${cursor ? `&cursor=${cursor}` : ''}&status=open`, { headers: api })).json()) as { next: string | null };
      cursor = res.next ?? cursor;
    }
    await measure('inbox, page 200 (keyset cursor)', `/?cursor=${cursor}`, ui);
    await measure('inbox filtered: brand + negative + reddit', `/?brand=${b}&sentiment=negative&source=reddit`, ui);
    await measure('inbox filtered: status handled (rare)', '/?status=handled', ui);
    await measure('inbox filtered: tag (rare)', '/?tag=refund&status=all', ui);
    await measure('inbox filtered: assignee (rare)', '/?assignee=maria&status=all', ui);
    await measure('inbox search: refund', '/?q=refund', ui);
    await measure('inbox search: "data loss" OR outage', `/?q=${encodeURIComponent('"lost our data" OR outage')}`, ui);
    await measure('inbox search: a rare word, one brand', `/?q=okta&brand=${b}`, ui);
    await measure('API: GET /api/mentions?limit=50', '/api/mentions?limit=50', api);
    await measure('API: search + filter', `/api/mentions?q=refund&sentiment=negative&brand=${b}`, api);
    await measure('mention page', `/mentions/${Math.floor(count / 2)}`, ui);
    await measure('dashboard, 24 hours, computed on each view', `/brands/${b}?range=24h`, ui, Math.max(10, Math.round(runs / 3)));
    await measure('dashboard, 7 days, computed on each view', `/brands/${b}?range=7d`, ui, Math.max(10, Math.round(runs / 3)));
    await measure('dashboard, 30 days, computed on each view', `/brands/${b}?range=30d`, ui, Math.max(10, Math.round(runs / 3)));
    const assets = loadAssets();
    const js = ['htmx.min.js', 'app.js'].map((n) => assets.get(n)!);
    const css = assets.get('app.css')!;
    return {
      mentions: count,
      buildMs,
      dbMb: statSync(dbPath).size / 2 ** 20,
      healthz: timing('GET /healthz (baseline)', '/healthz', healthz.ms, null),
      pages,
      weight: {
        jsBytes: js.reduce((s, a) => s + a.body.length, 0),
        cssBytes: css.body.length,
        jsGzip: js.reduce((s, a) => s + a.gzip.length, 0),
        cssGzip: css.gzip.length,
        htmlBytes: Buffer.byteLength(first),
        htmlGzip: gzipSync(first).length,
      },
    };
  } finally {
    web.close();
    await server.close();
    await dataStore.close();
    removeDir(dir);
  }
}
