/**
 * Benchmark: several nodes on one PostgreSQL database against one node on SQLite, in the same
 * run, on the same data (README, "Running several nodes").
 *
 *   ingest    N `earshot import --no-alerts` processes (1, 2, 4) share the JSON lines (split by
 *             brand) into one PostgreSQL database: mentions stored per second of wall time, from
 *             the first start to the last exit; SQLite: one `earshot import` of all of it. Same
 *             pipeline as the pollers (match, dedup, analysis, storage). Also the bytes per
 *             stored mention on each backend.
 *   delivery  an outbox of A alerts, each to its own Slack channel (so Slack's one message per
 *             second per channel does not decide the figure), due a few seconds after N `earshot
 *             run` processes (1, 2, 4) on PostgreSQL, or one on SQLite, have started: alerts per
 *             second from the first message to the last at a local Slack server.
 *   latency   3 `earshot run` nodes on PostgreSQL poll feeds every 2 s; each new negative item's
 *             alert is timed from the moment the feed server finished sending the response that
 *             first carried it to the local Slack server receiving the message (p50 / p99).
 *
 * PostgreSQL runs on this machine (test/helpers/postgres.ts: its own server, durability off as
 * for tests), so nodes and database share the same 2 cores: the figures show coordination
 * overhead and CPU contention, not what separate machines would add.
 */
import { openStore } from '../../src/store/index.js';
import type { NewMention, Store } from '../../src/store/types.js';
import { startFeedServer } from '../../test/helpers/feed-server.js';
import { pgQuery, postgresAvailability, startTestPostgres, type TestPostgres } from '../../test/helpers/postgres.js';
import { startSlackServer, type SlackServer } from '../../test/helpers/slack-server.js';
import type { BenchBrand, BenchMention } from './corpus.js';
import { rssDocument } from './feeds.js';
import { brandFiles } from './ingest.js';
import { makeDir, removeDir, runEarshot, sleep, spawnEarshot, stopChild } from './proc.js';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';

export interface ClusterIngestRow {
  backend: 'sqlite' | 'postgres';
  nodes: number;
  stored: number;
  ms: number;
  perSecond: number;
  bytesPerMention: number | null;
}

export interface ClusterDeliveryRow {
  backend: 'sqlite' | 'postgres';
  nodes: number;
  alerts: number;
  ms: number;
  perSecond: number;
}

export interface ClusterFigures {
  skipped: string | null;
  ingest: ClusterIngestRow[];
  delivery: ClusterDeliveryRow[];
  latency: { nodes: number; alerts: number; expected: number; p50Ms: number; p99Ms: number; maxMs: number; samples: number[] } | null;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function deploymentFiles(brands: BenchBrand[], slack: SlackServer | null, extra = ''): Record<string, string> {
  return {
    ...brandFiles(brands, (b) => `  - type: rss\n    url: http://127.0.0.1:9/${b.id}.xml\n    every: 1h\n`),
    'rules/alerts.yaml': 'rules: []\n',
    '.env': `${slack ? `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n` : ''}${extra}`,
  };
}

/** N import processes, each with its share of the brands' mentions. */
async function ingestOnce(brands: BenchBrand[], mentions: BenchMention[], nodes: number, url: string | null, log: (m: string) => void): Promise<ClusterIngestRow> {
  const dir = makeDir(deploymentFiles(brands, null));
  try {
    const shares = Array.from({ length: nodes }, () => [] as BenchMention[]);
    const brandIndex = new Map(brands.map((b, i) => [b.id, i]));
    for (const m of mentions) shares[(brandIndex.get(m.brand) ?? 0) % nodes]!.push(m);
    const files = shares.map((share, i) => {
      const file = join(dir, `part-${i}.jsonl`);
      writeFileSync(file, share.map((m) => JSON.stringify(m)).join('\n') + '\n');
      return file;
    });
    const env = url ? { EARSHOT_DATABASE_URL: url } : {};
    let emptyBytes = 0;
    if (url) {
      // Migrate first (as a deployment would), so the timed run measures ingest, not schema setup.
      const ready = await runEarshot(['--config-dir', dir, 'status', '--json'], env);
      if (ready.code !== 0) throw new Error(`earshot status on PostgreSQL failed: ${ready.stderr.slice(0, 500)}`);
      emptyBytes = Number((await pgQuery<{ bytes: string }>(url, 'SELECT pg_database_size(current_database()) AS bytes'))[0]!.bytes);
    }
    const started = performance.now();
    const runs = await Promise.all(files.map((file) => runEarshot(['--config-dir', dir, 'import', file, '--no-alerts'], env)));
    const ms = performance.now() - started;
    for (const r of runs) if (r.code !== 0 && r.code !== 1) throw new Error(`earshot import failed (${r.code}): ${r.stderr.slice(0, 500)}`);
    const stored = runs.reduce((n, r) => n + Number(/(\d+) stored/.exec(r.stdout)?.[1] ?? 0), 0);
    let bytesPerMention: number | null = null;
    if (url) {
      const [size] = await pgQuery<{ bytes: string; n: string }>(url, 'SELECT pg_database_size(current_database()) AS bytes, (SELECT count(*) FROM mentions) AS n');
      // What the mentions added to the empty, migrated database (its catalog is ~8 MB by itself).
      bytesPerMention = Math.round((Number(size!.bytes) - emptyBytes) / Math.max(1, Number(size!.n)));
    } else {
      const db = join(dir, 'data/earshot.db');
      const bytes = statSync(db).size + (statSync(`${db}-wal`, { throwIfNoEntry: false })?.size ?? 0);
      bytesPerMention = Math.round(bytes / Math.max(1, stored));
    }
    log(`ingest ${url ? 'postgres' : 'sqlite'} × ${nodes}: ${stored} stored in ${(ms / 1000).toFixed(1)} s`);
    return { backend: url ? 'postgres' : 'sqlite', nodes, stored, ms, perSecond: stored / (ms / 1000), bytesPerMention };
  } finally {
    removeDir(dir);
  }
}

/** A mention and an alert with one Slack delivery per channel, written through the store. */
async function fillOutbox(store: Store, brands: BenchBrand[], alerts: number, notBefore: string): Promise<void> {
  const now = new Date().toISOString();
  for (let i = 0; i < alerts; i++) {
    const brand = brands[i % brands.length]!;
    const m: NewMention = {
      brand: brand.id,
      source: 'rss',
      sourceKey: `${brand.id}/rss`,
      sourceId: `bench-${i}`,
      url: `https://news.example.com/bench/${i}`,
      canonicalUrl: `https://news.example.com/bench/${i}`,
      author: `author${i}`,
      reach: null,
      title: `${brand.name} outage ${i}`,
      text: `${brand.name} is down again, we want a refund (${i})`,
      kind: null,
      linkUrl: null,
      language: 'en',
      publishedAt: now,
      fetchedAt: now,
      matchedTerms: [brand.name],
      sentiment: { label: 'negative', score: -0.7, reasons: [] },
      urgency: { level: 'high', score: 0.7, reasons: [] },
      duplicateOf: null,
      storyKey: null,
      metrics: {},
      fingerprint: null,
      alertState: 'evaluated',
    };
    const id = await store.mentions.insert(m);
    await store.outbox.insertAlert({
      rule: 'bench',
      ruleHash: 'h',
      ruleType: 'mention',
      groupKey: String(i),
      brand: brand.id,
      summary: `alert ${i}`,
      details: [],
      mentionIds: [id!],
      totalMentions: 1,
      createdAt: now,
      deliveries: [{ notifier: 'slack', target: `#bench-${i}`, notBefore }],
    });
  }
}

async function deliveryOnce(brands: BenchBrand[], alerts: number, nodes: number, pg: TestPostgres | null, log: (m: string) => void): Promise<ClusterDeliveryRow> {
  const slack = await startSlackServer();
  const url = pg ? await pg.createDatabase('bench_delivery') : null;
  const dir = makeDir(deploymentFiles(brands, slack));
  const children: ChildProcess[] = [];
  try {
    // Due a little later, so every node has started (and compiled, and joined) before the first
    // send: the figure is the sending, not N processes starting at once on two cores.
    const store = await openStore(url ? { url } : { path: join(dir, 'data/earshot.db') });
    const due = Date.now() + 8_000 + nodes * 2_000;
    await fillOutbox(store, brands, alerts, new Date(due).toISOString());
    await store.close();
    const env: Record<string, string> = url ? { EARSHOT_DATABASE_URL: url, EARSHOT_LOG_LEVEL: 'warn' } : { EARSHOT_LOG_LEVEL: 'warn' };
    for (let i = 0; i < nodes; i++) children.push(spawnEarshot(['--config-dir', dir, 'run', '--no-watch'], env));
    const deadline = Date.now() + 120_000;
    while (slack.messages.length < alerts && Date.now() < deadline && children.every((c) => c.exitCode === null)) await sleep(50);
    const times = slack.messages.map((m) => m.receivedAt.getTime());
    const ms = times.length > 1 ? Math.max(...times) - Math.min(...times) : NaN;
    log(`delivery ${url ? 'postgres' : 'sqlite'} × ${nodes}: ${slack.messages.length}/${alerts} messages in ${(ms / 1000).toFixed(1)} s`);
    return { backend: url ? 'postgres' : 'sqlite', nodes, alerts: slack.messages.length, ms, perSecond: (slack.messages.length - 1) / (ms / 1000) };
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 10_000)));
    await slack.close();
    removeDir(dir);
  }
}

const ANGRY = '{b} has been down for three hours and support is ignoring us. Terrible service, we want a refund.';

async function latencyOnce(brands: BenchBrand[], perBrand: number, pg: TestPostgres, nodes: number, log: (m: string) => void): Promise<NonNullable<ClusterFigures['latency']>> {
  const feed = await startFeedServer();
  const slack = await startSlackServer();
  const url = await pg.createDatabase('bench_latency');
  const sentAt = new Map<string, number>();
  const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
  for (const brand of brands) {
    let request = 0;
    feed.route(`/latency/${brand.id}.xml`, (_req, res) => {
      const count = Math.min(request++, perBrand);
      const fresh: BenchMention[] = Array.from({ length: count }, (_, i) => ({
        brand: brand.id,
        source: 'rss',
        id: `${brand.id}-new-${i}`,
        url: `https://news.example.com/${brand.id}/angry-${i}`,
        author: `customer${i}`,
        title: `${brand.name} problem ${i}`,
        text: `${ANGRY.replaceAll('{b}', brand.name)} (ticket ${i})`,
        published: new Date().toISOString(),
        reach: null,
      }));
      const newest = fresh.at(-1);
      if (newest && !sentAt.has(newest.url!)) res.on('finish', () => sentAt.set(newest.url!, performance.timeOrigin + performance.now()));
      const base: BenchMention = { brand: brand.id, source: 'rss', id: `${brand.id}-old`, url: `https://news.example.com/${brand.id}/old`, author: 'r', title: `${brand.name} opens an office`, text: `${brand.name} opens an office.`, published: old, reach: null };
      return { body: rssDocument(`${brand.name} latency feed`, [...fresh].reverse().concat([base])), headers: { 'content-type': 'application/rss+xml' } };
    });
  }
  const dir = makeDir({
    ...brandFiles(brands, (b) => `  - type: rss\n    url: ${feed.url(`/latency/${b.id}.xml`)}\n    every: 2s\n`),
    'rules/alerts.yaml': 'rules:\n' + brands.map((b) => `  - name: negative-${b.id}\n    match: { brand: ${b.id}, sentiment: negative }\n    notify: [{ slack: "#latency-${b.id}" }]\n`).join(''),
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\nEARSHOT_DATABASE_URL=${url}\n`,
  });
  const children: ChildProcess[] = [];
  try {
    for (let i = 0; i < nodes; i++) children.push(spawnEarshot(['--config-dir', dir, 'run', '--no-watch'], { EARSHOT_LOG_LEVEL: 'warn' }));
    const expected = brands.length * perBrand;
    const deadline = Date.now() + 40_000 + perBrand * 4_000;
    while (slack.messages.length < expected && Date.now() < deadline && children.every((c) => c.exitCode === null)) await sleep(100);
    const samples: number[] = [];
    for (const message of slack.messages) {
      const link = /https:\/\/news\.example\.com\/[a-z0-9-]+\/angry-\d+/.exec(JSON.stringify(message.blocks))?.[0];
      const sent = link ? sentAt.get(link) : undefined;
      if (sent !== undefined) samples.push(message.receivedAt.getTime() - sent);
    }
    log(`latency postgres × ${nodes}: ${slack.messages.length}/${expected} alerts, p50 ${percentile(samples, 0.5)} ms`);
    return { nodes, alerts: slack.messages.length, expected, p50Ms: percentile(samples, 0.5), p99Ms: percentile(samples, 0.99), maxMs: samples.length ? Math.max(...samples) : NaN, samples };
  } finally {
    await Promise.all(children.map((c) => stopChild(c, 10_000)));
    await feed.close();
    await slack.close();
    removeDir(dir);
  }
}

export interface ClusterBenchOptions {
  brands: BenchBrand[];
  mentions: BenchMention[];
  alerts: number;
  latencyPerBrand: number;
  nodeCounts: number[];
  log: (message: string) => void;
}

export async function benchCluster(options: ClusterBenchOptions): Promise<ClusterFigures> {
  const availability = postgresAvailability();
  if (!availability.ok) return { skipped: availability.reason, ingest: [], delivery: [], latency: null };
  const pg = await startTestPostgres();
  const { brands, mentions, log } = options;
  try {
    const ingest: ClusterIngestRow[] = [await ingestOnce(brands, mentions, 1, null, log)];
    for (const n of options.nodeCounts) ingest.push(await ingestOnce(brands, mentions, n, await pg.createDatabase('bench_ingest'), log));
    const delivery: ClusterDeliveryRow[] = [await deliveryOnce(brands, options.alerts, 1, null, log)];
    for (const n of options.nodeCounts) delivery.push(await deliveryOnce(brands, options.alerts, n, pg, log));
    const latency = await latencyOnce(brands.slice(0, 6), options.latencyPerBrand, pg, 3, log);
    return { skipped: null, ingest, delivery, latency };
  } finally {
    await pg.stop();
  }
}
