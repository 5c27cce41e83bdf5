/**
 * `npm run bench`: earshot's performance figures, printed, never asserted (see BENCHMARKS.md).
 *
 *   npm run bench                      everything (about 10 minutes on 2 cores; the web benchmark writes 1 M mentions)
 *   npm run bench -- --quick           smaller sizes, for trying the script itself
 *   npm run bench -- --only ingest,poll,latency,memory,startup,cluster,slack,web
 *   npm run bench -- --no-build        skip `npm run build` (dist/ must be current)
 *   npm run bench -- --json FILE       also write the figures as JSON
 *
 * Data is generated with a fixed seed (`--seed N`, default 42). Subprocesses run the built CLI
 * (`node bin/earshot.js`), as users do, against local servers on 127.0.0.1.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { makeBrands, makeMentions } from './bench/corpus.js';
import { benchCluster, type ClusterFigures } from './bench/cluster.js';
import { benchIngest, type IngestFigures } from './bench/ingest.js';
import { benchLatency, type LatencyFigures } from './bench/latency.js';
import { benchMemory, type MemoryFigures } from './bench/memory.js';
import { benchPoll, type PollFigures } from './bench/poll.js';
import { benchSlackActions, type SlackActionsFigures } from './bench/slack-actions.js';
import { repoRoot } from './bench/proc.js';
import { createRng } from './bench/rng.js';
import { benchStartup, type StartupFigures } from './bench/startup.js';
import { benchWeb, type WebFigures } from './bench/web.js';
import { startSlackServer } from '../test/helpers/slack-server.js';

interface Args {
  quick: boolean;
  only: Set<string>;
  build: boolean;
  json: string | null;
  seed: number;
}

const ALL = ['ingest', 'poll', 'latency', 'memory', 'startup', 'slack', 'web', 'cluster'];

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(ALL), build: true, json: null, seed: 42 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') args.quick = true;
    else if (a === '--no-build') args.build = false;
    else if (a === '--only') args.only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--json') args.json = resolve(argv[++i] ?? 'bench.json');
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else throw new Error(`unknown option ${a}; see the header of scripts/bench.ts`);
  }
  for (const name of args.only) if (!ALL.includes(name)) throw new Error(`--only: unknown benchmark ${name}; known: ${ALL.join(', ')}`);
  return args;
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGb: number;
  node: string;
  loadBefore: number[];
  loadAfter: number[];
  date: string;
}

function machine(): Machine {
  const model = /^model name\s*:\s*(.+)$/m.exec(existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '')?.[1] ?? cpus()[0]?.model ?? 'unknown';
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {
    // nproc is coreutils; cpus() is the fallback.
  }
  return { nproc, cpu: model, memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, loadBefore: loadavg(), loadAfter: [], date: new Date().toISOString() };
}

interface Row {
  metric: string;
  value: string;
  target: string;
  ratio: string;
  ok: boolean | null;
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

function ingestRows(f: IngestFigures): Row[] {
  const rate = (ms: number) => (f.mentions / ms) * 1000;
  const rawRate = (f.stored / f.rawMs) * 1000;
  const cpuRatio = (cpu: number | null) => (cpu ? ` (CPU ${fmt(f.rawCpuMs / cpu, 3)})` : '');
  const rows: Row[] = [
    {
      metric: `ingest in process (${fmt(f.mentions)} mentions → ${fmt(f.stored)} stored)`,
      value: `${fmt(rate(f.pipelineMs))} mentions/s (${fmt(f.pipelineMs / 1000, 1)} s: ingest ${fmt(f.ingestMs / 1000, 1)} + rules ${fmt(f.rulesMs / 1000, 1)}; CPU ${fmt(f.pipelineCpuMs / 1000, 1)} s)`,
      target: `raw ${fmt(rawRate)} rows/s (${fmt(f.rawMs / 1000, 2)} s, CPU ${fmt(f.rawCpuMs / 1000, 2)} s); ≥ 1/3`,
      ratio: `${fmt(f.rawMs / f.pipelineMs, 3)}${cpuRatio(f.pipelineCpuMs)}`,
      ok: f.rawMs / f.pipelineMs >= 1 / 3,
    },
  ];
  rows.push(
    f.importMs === null
      ? { metric: 'ingest via `earshot import` subprocess', value: `failed: ${f.importOutput}`, target: '≥ 1/3 of raw', ratio: 'n/a', ok: null }
      : {
          metric: 'ingest via `earshot import` subprocess',
          value: `${fmt(rate(f.importMs))} mentions/s (${fmt(f.importMs / 1000, 1)} s wall${f.importCpuMs ? `, CPU ${fmt(f.importCpuMs / 1000, 1)} s` : ''})`,
          target: `raw ${fmt(rawRate)} rows/s; ≥ 1/3`,
          ratio: `${fmt(f.rawMs / f.importMs, 3)}${cpuRatio(f.importCpuMs)}`,
          ok: f.rawMs / f.importMs >= 1 / 3,
        },
  );
  rows.push({
    metric: 'raw inserts without the FTS index (context)',
    value: `${fmt((f.stored / f.rawPlainMs) * 1000)} rows/s (${fmt(f.rawPlainMs / 1000, 2)} s)`,
    target: '-',
    ratio: '-',
    ok: null,
  });
  // The second baseline: what parsing and storing the same lines costs at the very least.
  const linesRate = (f.mentions / f.rawLinesMs) * 1000;
  rows.push({
    metric: 'raw: the same JSON lines into a plain table with one unique key (baseline 2)',
    value: `${fmt(linesRate)} lines/s (${fmt(f.rawLinesMs / 1000, 2)} s, CPU ${fmt(f.rawLinesCpuMs / 1000, 2)} s)`,
    target: '-',
    ratio: f.importMs === null ? 'n/a' : `import/baseline 2: ${fmt(f.rawLinesMs / f.importMs, 3)}`,
    ok: null,
  });
  if (f.importMs !== null) {
    rows.push({
      metric: '`earshot import` throughput target (issue #13)',
      value: `${fmt(rate(f.importMs))} mentions/s`,
      target: '≥ 25,000 mentions/s',
      ratio: fmt(rate(f.importMs) / 25_000, 3),
      ok: rate(f.importMs) >= 25_000,
    });
  }
  return rows;
}

const cpu = (ms: number | null) => (ms === null ? '' : ` (CPU ${fmt(ms / 1000, 2)} s)`);

function pollRows(f: PollFigures): Row[] {
  return [
    {
      metric: `poll --once, ${fmt(f.feeds)} feeds (${fmt(f.items)} items, ${fmt(f.stored)} stored)`,
      value: `${fmt(f.firstMs / 1000, 2)} s${cpu(f.firstCpuMs)}${f.firstCode === 0 ? '' : ` (exit ${f.firstCode})`}`,
      target: '≤ 10 s',
      ratio: fmt(f.firstMs / 10_000, 2),
      ok: f.firstMs <= 10_000,
    },
    {
      metric: `poll --once again, all 304 (${fmt(f.notModified)} not modified)`,
      value: `${fmt(f.secondMs / 1000, 2)} s${cpu(f.secondCpuMs)}${f.secondCode === 0 ? '' : ` (exit ${f.secondCode})`}`,
      target: '≤ 10 s',
      ratio: fmt(f.secondMs / 10_000, 2),
      ok: f.secondMs <= 10_000,
    },
  ];
}

function latencyRows(f: LatencyFigures): Row[] {
  return [
    {
      metric: `poll end → Slack received, earshot run (${f.samples.length}/${f.expected} alerts)`,
      value: `median ${fmt(f.medianMs)} ms, max ${fmt(f.maxMs)} ms`,
      target: '≤ 1000 ms',
      ratio: fmt(f.maxMs / 1000, 2),
      ok: f.samples.length === f.expected && f.maxMs <= 1000,
    },
  ];
}

function memoryRows(f: MemoryFigures): Row[] {
  return [
    {
      metric: `peak RSS of earshot run${f.uiPages ? ` --http with the web UI open (${fmt(f.uiPages)} pages, event stream)` : ''}, ${f.sources} sources, ${f.seconds} s (${fmt(f.polls)} polls)`,
      value: `${fmt(f.peakKb / 1024, 1)} MB (VmHWM; last VmRSS ${fmt(f.lastRssKb / 1024, 1)} MB)${f.exitedEarly ? ' EXITED EARLY' : ''}`,
      target: '≤ 150 MB',
      ratio: fmt(f.peakKb / 1024 / 150, 2),
      ok: !f.exitedEarly && f.peakKb / 1024 <= 150,
    },
  ];
}

function startupRows(f: StartupFigures): Row[] {
  return [
    {
      metric: `earshot check, median of ${f.checkRuns.length}${f.checkCode === 0 ? '' : ` (exit ${f.checkCode})`}`,
      value: `${fmt(f.checkMedianMs)} ms${f.checkCpuMedianMs === null ? '' : ` (CPU ${fmt(f.checkCpuMedianMs)} ms)`}; bare node ${fmt(f.nodeMedianMs)} ms`,
      target: '≤ 300 ms',
      ratio: fmt(f.checkMedianMs / 300, 2),
      ok: f.checkMedianMs <= 300,
    },
    ...(f.withoutExtraCa
      ? [
          {
            metric: 'earshot check, same, NODE_EXTRA_CA_CERTS unset',
            value: `${fmt(f.withoutExtraCa.checkMedianMs)} ms; bare node ${fmt(f.withoutExtraCa.nodeMedianMs)} ms (this machine sets it: node parses that CA bundle at every start)`,
            target: '≤ 300 ms',
            ratio: fmt(f.withoutExtraCa.checkMedianMs / 300, 2),
            ok: f.withoutExtraCa.checkMedianMs <= 300,
          },
        ]
      : []),
    {
      metric: 'createAnalyzer(), fresh process, median of 5',
      value: `${fmt(f.analyzerColdMs)} ms (+ import ${fmt(f.analyzerImportMs)} ms; warm ${fmt(f.analyzerWarmMs, 1)} ms)`,
      target: '-',
      ratio: '-',
      ok: null,
    },
  ];
}

function slackRows(f: SlackActionsFigures): Row[] {
  return [
    {
      metric: `Slack click → 200 answer, POST /slack/actions (${fmt(f.clicks)} signed clicks)`,
      value: `p50 ${fmt(f.answerP50Ms, 1)} ms, p99 ${fmt(f.answerP99Ms, 1)} ms, max ${fmt(f.answerMaxMs, 1)} ms`,
      target: `GET /healthz p50 ${fmt(f.healthzP50Ms, 1)} ms, p99 ${fmt(f.healthzP99Ms, 1)} ms; Slack's limit 3000 ms`,
      ratio: `${fmt(f.answerP50Ms / f.healthzP50Ms, 2)} × healthz; ${fmt(f.answerMaxMs / 3000, 4)} of 3 s`,
      ok: f.answerMaxMs <= 3000,
    },
    {
      metric: 'Slack click → chat.update received (applied, re-rendered, sent)',
      value: `p50 ${fmt(f.updateP50Ms)} ms, p99 ${fmt(f.updateP99Ms)} ms, max ${fmt(f.updateMaxMs)} ms`,
      target: '≤ 1000 ms',
      ratio: fmt(f.updateP99Ms / 1000, 2),
      ok: f.updateP99Ms <= 1000,
    },
  ];
}

function webRows(f: WebFigures): Row[] {
  const kb = (n: number) => `${fmt(n / 1024, 1)} KB`;
  const rows: Row[] = [
    {
      metric: `web: ${fmt(f.mentions)} mentions in the database (${fmt(f.dbMb)} MB, written in ${fmt(f.buildMs / 1000, 1)} s)`,
      value: `GET /healthz p50 ${fmt(f.healthz.p50Ms, 1)} ms, p99 ${fmt(f.healthz.p99Ms, 1)} ms`,
      target: 'baseline for the rows below',
      ratio: '-',
      ok: null,
    },
  ];
  for (const p of f.pages) {
    const dashboard = p.path.startsWith('/brands/');
    const target = dashboard ? 200 : 50;
    rows.push({
      metric: `web: ${p.name}${p.rows !== null ? ` (${p.rows} rows)` : ''}, n=${p.n}`,
      value: `p50 ${fmt(p.p50Ms, 1)} ms, p99 ${fmt(p.p99Ms, 1)} ms, max ${fmt(p.maxMs, 1)} ms`,
      target: dashboard ? '≤ 200 ms' : '≤ 50 ms p50 / ≤ 150 ms p99',
      ratio: `${fmt(p.p50Ms / target, 2)} / ${fmt(p.p99Ms / (dashboard ? 200 : 150), 2)}`,
      ok: dashboard ? p.p99Ms <= 200 : p.p50Ms <= 50 && p.p99Ms <= 150,
    });
  }
  const w = f.weight;
  rows.push({
    metric: 'web: page weight, JS + CSS (htmx, app.js, app.css)',
    value: `${kb(w.jsBytes + w.cssBytes)} (${kb(w.jsGzip + w.cssGzip)} gzipped, as served); inbox HTML ${kb(w.htmlBytes)} (${kb(w.htmlGzip)} gzipped)`,
    target: '≤ 100 KB',
    ratio: fmt((w.jsBytes + w.cssBytes) / 1024 / 100, 2),
    ok: (w.jsBytes + w.cssBytes) / 1024 <= 100,
  });
  return rows;
}

function clusterRows(f: ClusterFigures): Row[] {
  if (f.skipped) return [{ metric: 'cluster (PostgreSQL) benchmarks', value: `skipped: ${f.skipped}`, target: '', ratio: '', ok: null }];
  const rows: Row[] = [];
  const sqliteIngest = f.ingest.find((r) => r.backend === 'sqlite');
  for (const r of f.ingest) {
    rows.push({
      metric: `ingest, ${r.backend === 'sqlite' ? 'SQLite, 1 node' : `PostgreSQL, ${r.nodes} node${r.nodes > 1 ? 's' : ''}`} (earshot import --no-alerts, ${r.stored} stored)`,
      value: `${Math.round(r.perSecond)} mentions/s (${(r.ms / 1000).toFixed(1)} s; ${r.bytesPerMention ?? '?'} B/mention)`,
      target: 'vs SQLite',
      ratio: sqliteIngest ? (r.perSecond / sqliteIngest.perSecond).toFixed(2) : '',
      ok: null,
    });
  }
  const sqliteDelivery = f.delivery.find((r) => r.backend === 'sqlite');
  for (const r of f.delivery) {
    rows.push({
      metric: `alerts delivered, ${r.backend === 'sqlite' ? 'SQLite, 1 node' : `PostgreSQL, ${r.nodes} node${r.nodes > 1 ? 's' : ''}`} (${r.alerts} to as many channels)`,
      value: `${r.perSecond.toFixed(1)} alerts/s (${(r.ms / 1000).toFixed(1)} s)`,
      target: 'vs SQLite',
      ratio: sqliteDelivery ? (r.perSecond / sqliteDelivery.perSecond).toFixed(2) : '',
      ok: null,
    });
  }
  if (f.latency) {
    rows.push({
      metric: `poll → Slack, PostgreSQL, ${f.latency.nodes} nodes (${f.latency.alerts}/${f.latency.expected} alerts)`,
      value: `p50 ${Math.round(f.latency.p50Ms)} ms, p99 ${Math.round(f.latency.p99Ms)} ms`,
      target: '≤ 1000 ms',
      ratio: (f.latency.p99Ms / 1000).toFixed(2),
      ok: f.latency.p99Ms <= 1000,
    });
  }
  return rows;
}

function printTable(rows: Row[]): void {
  const header = ['metric', 'value', 'baseline / target', 'ratio', ''];
  const cells = rows.map((r) => [r.metric, r.value, r.target, r.ratio, r.ok === null ? '' : r.ok ? 'met' : 'MISSED']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => v.padEnd(widths[i]!)).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) console.log(line(c));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const info = machine();
  const log = (msg: string) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${msg}\n`);
  log(`${info.nproc} × ${info.cpu}, ${info.memoryGb} GB, node ${info.node}, load ${info.loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  if (!existsSync(join(repoRoot, '../shared/fixtures/reddit'))) log('../shared/fixtures is absent: the memory benchmark (Reddit, HN, Twitter servers replay its captures) is skipped');

  if (args.build) {
    log('npm run build');
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      log(`npm run build reported errors (dist/ may be partly stale): ${String((err as { stderr?: Buffer }).stderr ?? err).slice(0, 500)}`);
    }
  }

  const now = new Date('2026-11-23T12:00:00Z');
  const results: Record<string, unknown> = { machine: info };
  const rows: Row[] = [];
  const brands50 = makeBrands(50);

  if (args.only.has('startup')) {
    log('startup: earshot check ×10, createAnalyzer ×5');
    const f = await benchStartup(brands50.slice(0, 5), args.quick ? 3 : 10);
    results.startup = f;
    rows.push(...startupRows(f));
  }
  if (args.only.has('ingest')) {
    const count = args.quick ? 10_000 : 100_000;
    log(`ingest: generating ${count} mentions`);
    const mentions = makeMentions({ count, brands: makeBrands(20), rng: createRng(args.seed), now });
    const slack = await startSlackServer();
    log('ingest: in process, raw baseline, then `earshot import`');
    try {
      const f = await benchIngest(makeBrands(20), mentions, slack);
      results.ingest = f;
      rows.push(...ingestRows(f));
    } finally {
      await slack.close();
    }
  }
  if (args.only.has('poll')) {
    const perBrand = args.quick ? 4 : 20;
    log(`poll: ${brands50.length * perBrand} feeds, twice`);
    const f = await benchPoll(brands50, perBrand, createRng(args.seed + 1), now);
    results.poll = f;
    rows.push(...pollRows(f));
  }
  if (args.only.has('latency')) {
    const perBrand = args.quick ? 2 : 5;
    log(`latency: earshot run, 4 brands × ${perBrand} alerts`);
    const f = await benchLatency(brands50.slice(0, 4), perBrand);
    results.latency = f;
    rows.push(...latencyRows(f));
  }
  if (args.only.has('memory') && existsSync(join(repoRoot, '../shared/fixtures/reddit'))) {
    const seconds = args.quick ? 10 : 30;
    log(`memory: earshot run, 50 brands × 4 sources, ${seconds} s`);
    const f = await benchMemory(brands50, createRng(args.seed + 2), now, seconds);
    results.memory = f;
    rows.push(...memoryRows(f));
    log(`memory: the same with --http and a person using the web UI, ${seconds} s`);
    const ui = await benchMemory(brands50, createRng(args.seed + 2), now, seconds, { ui: true });
    results.memoryUi = ui;
    rows.push(...memoryRows(ui));
  }
  if (args.only.has('slack')) {
    const clicks = args.quick ? 100 : 500;
    log(`slack: ${clicks} signed clicks on POST /slack/actions, each to its chat.update`);
    const f = await benchSlackActions(clicks);
    results.slack = f;
    rows.push(...slackRows(f));
  }

  if (args.only.has('web')) {
    const count = args.quick ? 100_000 : 1_000_000;
    log(`web: writing ${fmt(count)} mentions, then timing pages`);
    const f = await benchWeb(makeBrands(3), count, createRng(args.seed + 3), now, args.quick ? 20 : 60);
    results.web = f;
    rows.push(...webRows(f));
  }

  if (args.only.has('cluster')) {
    const count = args.quick ? 4_000 : 20_000;
    log(`cluster: ${count} mentions through 1 SQLite and 1/2/4 PostgreSQL nodes; delivery; latency with 3 nodes`);
    const f = await benchCluster({
      brands: makeBrands(20),
      mentions: makeMentions({ count, brands: makeBrands(20), rng: createRng(args.seed + 3), now }),
      alerts: args.quick ? 200 : 1_000,
      latencyPerBrand: args.quick ? 3 : 8,
      nodeCounts: [1, 2, 4],
      log,
    });
    results.cluster = f;
    rows.push(...clusterRows(f));
  }

  info.loadAfter = loadavg();
  console.log('');
  console.log(`earshot benchmarks, ${info.date}: ${info.nproc} × ${info.cpu}, ${info.memoryGb} GB RAM, node ${info.node}`);
  console.log(`load average before ${info.loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${info.loadAfter.map((l) => l.toFixed(2)).join(' ')} (a shared machine: other work was running)`);
  console.log('');
  printTable(rows);
  console.log('');
  console.log(`ratio: ingest rows = raw time / earshot time for the same stored rows (target ≥ 0.333); other rows = value / target (≤ 1 meets it). Total ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ ...results, rows }, null, 2));
    log(`wrote ${args.json}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
