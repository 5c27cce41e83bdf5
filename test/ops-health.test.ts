/**
 * /healthz and /metrics of an in-process daemon on 127.0.0.1: 503 before the scheduler runs and
 * after it stops, 200 while it runs, 503 with the reason when the database is made read-only
 * (the live connection switched to read-only, and the file write-protected on disk), and 200
 * again once it is writable.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, loadEnv } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { startOpsServer, type OpsServer } from '../src/ops/server.js';
import { Daemon } from '../src/pipeline/daemon.js';
import type { Db } from '../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { makeDeployment, rssFeed } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';

let feed: FeedServer;
let daemon: Daemon | null = null;
let server: OpsServer | null = null;
let db: Db | null = null;
let store: SqliteStore | null = null;
let dbPath = '';

beforeEach(async () => {
  feed = await startFeedServer();
  feed.route('/feed.xml', { body: rssFeed([{ guid: 'g1', title: 'Acme Cloud news', description: 'Acme Cloud shipped a release.' }]) });
  const dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 200ms\n`,
    'rules/alerts.yaml': 'rules: []\n',
  });
  const { config, problems } = loadConfig(dir, loadEnv(dir, {}));
  expect(problems).toEqual([]);
  dbPath = join(dir, 'data/earshot.db');
  store = openSqliteStore(dbPath);
  db = store.db;
  daemon = new Daemon({ store, config, analyzer: createAnalyzer(), log: silentLogger(), watch: false });
  server = await startOpsServer({ address: { host: '127.0.0.1', port: 0, exposed: false }, store, scheduler: daemon, log: silentLogger() });
});

afterEach(async () => {
  await daemon?.stop();
  await server?.close();
  await store?.close();
  daemon = null;
  server = null;
  db = null;
  store = null;
  await feed.close();
});

interface HealthBody {
  status: string;
  problems: string[];
  checks: { scheduler: string; database: string };
}

async function health(): Promise<{ status: number; body: HealthBody }> {
  const res = await fetch(`${server!.url}/healthz`);
  return { status: res.status, body: (await res.json()) as HealthBody };
}

async function waitForHealth(status: number, timeoutMs = 5_000): Promise<HealthBody> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await health();
    if (r.status === status) return r.body;
    if (Date.now() > end) throw new Error(`health stayed ${r.status}: ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Write-protects the file the way this user can: chmod for a normal user, the immutable attribute for root. */
function writeProtect(path: string): (() => void) | null {
  if (process.getuid?.() !== 0) {
    chmodSync(path, 0o444);
    return () => chmodSync(path, 0o600);
  }
  try {
    execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
    return () => execFileSync('chattr', ['-i', path], { stdio: 'ignore' });
  } catch {
    return null;
  }
}

describe('/healthz', () => {
  it('is 503 until the scheduler runs, 200 while it runs, 503 after it stops', async () => {
    const before = await health();
    expect(before.status).toBe(503);
    expect(before.body.problems).toEqual(['scheduler is not running (starting or stopping)']);
    expect(before.body.checks).toEqual({ scheduler: 'failing', database: 'ok' });

    await daemon!.start();
    const ok = await waitForHealth(200);
    expect(ok).toMatchObject({ status: 'ok', problems: [], checks: { scheduler: 'ok', database: 'ok' } });

    await daemon!.stop();
    const after = await health();
    expect(after.status).toBe(503);
    expect(after.body.problems[0]).toMatch(/scheduler is not running/);
  });

  it('turns 503 when the live connection becomes read-only, and 200 again when writable', async () => {
    await daemon!.start();
    await waitForHealth(200);
    db!.pragma('query_only = ON');
    const body = await waitForHealth(503);
    expect(body.checks.database).toBe('failing');
    expect(body.problems.join('\n')).toContain(`database ${dbPath} is not writable: attempt to write a readonly database`);
    db!.pragma('query_only = OFF');
    await waitForHealth(200);
  });

  it('turns 503 when the database file is write-protected on disk, naming the file and what to check', async (ctx) => {
    await daemon!.start();
    await waitForHealth(200);
    const undo = writeProtect(dbPath);
    if (!undo) {
      ctx.skip(true, 'running as root where chattr is unavailable: cannot write-protect a file here');
      return;
    }
    try {
      const body = await waitForHealth(503);
      expect(body.checks).toEqual({ scheduler: 'ok', database: 'failing' });
      expect(body.problems[0]).toMatch(new RegExp(`^database ${dbPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not writable \\((EACCES|EPERM)\\): check its owner, permissions and attributes`));
    } finally {
      undo();
    }
    await waitForHealth(200);
  });

  it('answers HEAD, 404 for unknown paths and 405 for other methods', async () => {
    await daemon!.start();
    await waitForHealth(200);
    const head = await fetch(`${server!.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${server!.url}/nope`)).status).toBe(404);
    const post = await fetch(`${server!.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('/metrics', () => {
  it('serves Prometheus text with the database state gauges', async () => {
    await daemon!.start();
    await waitForHealth(200);
    const res = await fetch(`${server!.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP earshot_polls_total /m);
    expect(text).toMatch(/^earshot_database_schema_version \d+$/m);
    expect(text).toMatch(/^earshot_alerts_pending\{notifier="slack"\} 0$/m);
    expect(text).toMatch(/^earshot_outbox_oldest_pending_age_seconds 0$/m);
    expect(text).toMatch(/^earshot_source_consecutive_failures\{source="acme\/rss"\} 0$/m);
    expect(text).toMatch(/^earshot_build_info\{version="\d+\.\d+\.\d+"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    const size = Number(/^earshot_database_size_bytes (\d+)$/m.exec(text)?.[1]);
    expect(size).toBeGreaterThan(4096);
  });
});
