/**
 * Database locked and disk full, through `earshot poll --once`:
 *  - another process holds an exclusive write lock (BEGIN EXCLUSIVE) while the poll runs: a clear
 *    error that says the database is busy, exit 1 (not an internal error), nothing half-written;
 *    once the lock is gone the same command succeeds and alerts;
 *  - the database's filesystem is full (a 3 MiB tmpfs mounted in a temp dir, when this machine
 *    allows mounting; otherwise the file-size limit RLIMIT_FSIZE of the child process does the
 *    same to SQLite's writes): a clear error, exit 1, integrity intact, nothing half-written; once
 *    space is freed the next poll stores and alerts everything.
 */
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledCli } from '../scripts/soak.js';
import { collect, makeDeployment, repoRoot, rssFeed, runCli, type FeedItem } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { until } from './helpers/wait.js';

let feed: FeedServer;
let slack: SlackServer;

beforeEach(async () => {
  [feed, slack] = await Promise.all([startFeedServer(), startSlackServer()]);
});
afterEach(async () => {
  await Promise.all([feed.close(), slack.close()]);
});

const NEGATIVE = 'Acme Cloud lost our data again. Furious, this is the worst service ever, we want a refund now.';

function items(ids: string[]): FeedItem[] {
  return ids.map((id) => ({ guid: id, title: `Acme Cloud outage ${id}`, description: `${NEGATIVE} (case ${id})` }));
}

function deployment(dbPath?: string): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    alert_backfill: 1d\n`,
    'rules/alerts.yaml': 'rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n',
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n${dbPath ? `EARSHOT_DB=${dbPath}\n` : ''}`,
  });
}

function counts(dbPath: string): { mentions: number; alerts: number; deliveries: number; integrity: string } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      mentions: n('SELECT COUNT(*) AS n FROM mentions'),
      alerts: n('SELECT COUNT(*) AS n FROM alerts'),
      deliveries: n('SELECT COUNT(*) AS n FROM deliveries'),
      integrity: String(db.pragma('integrity_check', { simple: true })),
    };
  } finally {
    db.close();
  }
}

/** A separate process that takes an exclusive write lock on the database and holds it until told to let go. */
async function holdExclusiveLock(dbPath: string): Promise<{ release: () => Promise<void> }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('BEGIN EXCLUSIVE');
    db.prepare("INSERT INTO meta (key, value) VALUES ('lock-holder', 'x') ON CONFLICT (key) DO UPDATE SET value = 'x'").run();
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, dbPath], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const out = collect(child);
  const deadline = Date.now() + 15_000;
  while (!out.stdout().includes('locked')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`lock holder did not start: ${out.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    release: async () => {
      child.stdin?.write('go\n');
      await out.exited;
    },
  };
}

describe('database locked by another process', () => {
  it('reports a busy database clearly, writes nothing, and succeeds once the lock is gone', async () => {
    feed.route('/feed.xml', { body: rssFeed(items(['a1'])) });
    const dir = deployment();
    const dbPath = join(dir, 'data/earshot.db');
    const first = await runCli(dir, ['poll', '--once']);
    expect(first.code, first.stderr).toBe(0);
    expect(slack.messages).toHaveLength(1);
    const before = counts(dbPath);

    feed.route('/feed.xml', { body: rssFeed(items(['a2', 'a3', 'a1'])) });
    const lock = await holdExclusiveLock(dbPath);
    let locked;
    try {
      locked = await runCli(dir, ['poll', '--once']);
    } finally {
      await lock.release();
    }
    console.log(`database locked: exit ${locked.code}\n${locked.stdout}\n${locked.stderr}`);
    expect(locked.code).toBe(1);
    expect(locked.stderr + locked.stdout).toMatch(/database .*(busy|locked)/i);
    expect(locked.stderr).not.toMatch(/internal error|    at /);
    expect(counts(dbPath)).toEqual(before);
    expect(slack.messages).toHaveLength(1);

    const after = await runCli(dir, ['poll', '--once']);
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain('acme/rss: 3 fetched, 2 matched, 2 new');
    expect(slack.messages).toHaveLength(3);
    expect(counts(dbPath)).toMatchObject({ mentions: 3, alerts: 3, integrity: 'ok' });
  }, 60_000);
});

describe('database locked under the daemon', () => {
  it('a lock taken while earshot run works: logged, nothing sent meanwhile, recovers on its own once released', async () => {
    feed.route('/feed.xml', { body: rssFeed([]) });
    const dir = deployment();
    writeFileSync(join(dir, 'sources/acme.yaml'), readFileSync(join(dir, 'sources/acme.yaml'), 'utf8').replace('alert_backfill: 1d', 'alert_backfill: 1d\n    every: 1s'));
    const dbPath = join(dir, 'data/earshot.db');
    const launcher = compiledCli();
    const child = spawn(process.execPath, [launcher, '--config-dir', dir, 'run', '--no-watch'], { cwd: dir, env: { ...process.env, EARSHOT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collect(child);
    let lock: { release: () => Promise<void> } | null = null;
    try {
      const ready = Date.now() + 30_000;
      while (!out.stderr().includes('"msg":"poll ok"') && Date.now() < ready) await new Promise((r) => setTimeout(r, 50));
      expect(out.stderr()).toContain('"msg":"poll ok"');
      lock = await holdExclusiveLock(dbPath);
      feed.route('/feed.xml', { body: rssFeed(items(['r1'])) });
      // Locked until the daemon has waited out SQLite's 5 s busy timeout and reported it.
      const mark = out.stderr().length;
      await until(() => /locked|busy/.test(out.stderr().slice(mark)), 30_000, 'the daemon to report the locked database');
      expect(slack.messages).toHaveLength(0);
      expect(child.exitCode).toBeNull();
      await lock.release();
      lock = null;
      await slack.waitForMessages(1, 30_000);
      child.kill('SIGTERM');
      expect(await out.exited).toBe(0);
    } finally {
      if (lock) await lock.release();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const lockLines = out.stderr().split('\n').filter((l) => /locked|busy/.test(l));
    console.log(`daemon under a lock taken while running: ${lockLines.length} log lines about it, e.g.\n${lockLines.slice(0, 2).join('\n').slice(0, 600)}`);
    expect(lockLines.length).toBeGreaterThan(0);
    expect(slack.messages).toHaveLength(1);
    expect(counts(dbPath)).toMatchObject({ mentions: 1, alerts: 1, integrity: 'ok' });
  }, 90_000);

  it('a lock held when earshot run starts: exit 1 with a clear message (a supervisor restarts it), and a restart works', async () => {
    feed.route('/feed.xml', { body: rssFeed(items(['s1'])) });
    const dir = deployment();
    const dbPath = join(dir, 'data/earshot.db');
    const { openDatabase } = await import('../src/store/sqlite/db.js');
    openDatabase(dbPath).close();
    const launcher = compiledCli();
    const lock = await holdExclusiveLock(dbPath);
    let first;
    try {
      const child = spawn(process.execPath, [launcher, '--config-dir', dir, 'run', '--no-watch'], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = collect(child);
      first = { code: await out.exited, stderr: out.stderr() };
    } finally {
      await lock.release();
    }
    expect(first.code, first.stderr).toBe(1);
    expect(first.stderr).toMatch(/the database is busy/);
    expect(first.stderr).not.toMatch(/internal error|    at /);
    const again = spawn(process.execPath, [launcher, '--config-dir', dir, 'run', '--no-watch'], { cwd: dir, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const againOut = collect(again);
    await slack.waitForMessages(1, 30_000);
    again.kill('SIGTERM');
    expect(await againOut.exited).toBe(0);
    expect(counts(dbPath)).toMatchObject({ alerts: 1, integrity: 'ok' });
  }, 90_000);
});

/** Mounts a small tmpfs in a temp dir; null when this machine does not allow it (not root, no mount). */
function mountTinyFs(bytes: number): { path: string; unmount: () => void } | null {
  if (process.platform !== 'linux') return null;
  const path = mkdtempSync(join(tmpdir(), 'earshot-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', path], { stdio: 'pipe' });
  if (r.status !== 0) {
    rmSync(path, { recursive: true, force: true });
    return null;
  }
  return {
    path,
    unmount: () => {
      spawnSync('umount', [path], { stdio: 'pipe' });
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** Fills the filesystem holding `dir` until a write fails with ENOSPC; returns the filler's path. */
function fillUp(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}

/** `poll --once` in a child process whose files may not grow beyond `limitKb` (SIGXFSZ ignored, so writes fail with EFBIG). */
async function pollWithFileLimit(dir: string, limitKb: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const launcher = compiledCli();
  const child = spawn('sh', ['-c', `trap '' XFSZ; ulimit -f ${limitKb}; exec "$0" "$@"`, process.execPath, launcher, '--config-dir', dir, 'poll', '--once'], {
    cwd: dir,
    env: { ...process.env, EARSHOT_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = collect(child);
  const code = await out.exited;
  return { code, stdout: out.stdout(), stderr: out.stderr() };
}

describe('disk full', () => {
  it('reports a full disk clearly, keeps the database intact with nothing half-written, and recovers when space is freed', async () => {
    feed.route('/feed.xml', { body: rssFeed(items(['d1'])) });
    const fs = mountTinyFs(3 * 1024 * 1024);
    const dataDir = fs ? fs.path : mkdtempSync(join(tmpdir(), 'earshot-full-'));
    const dbPath = join(dataDir, 'earshot.db');
    const dir = deployment(dbPath);
    try {
      const first = await runCli(dir, ['poll', '--once']);
      expect(first.code, first.stdout + first.stderr).toBe(0);
      const before = counts(dbPath);

      // New mentions: any write needs pages the full filesystem cannot give.
      feed.route('/feed.xml', { body: rssFeed(items(['n1', 'n2', 'n3', 'n4', 'd1'])) });
      let full: { code: number | null; stdout: string; stderr: string };
      let filler: string | null = null;
      if (fs) {
        filler = fillUp(dataDir);
        const r = await runCli(dir, ['poll', '--once']);
        full = r;
      } else {
        // No file may grow at all: the first write to the WAL fails as on a full disk.
        full = await pollWithFileLimit(dir, 0);
      }
      console.log(`disk full (${fs ? 'tmpfs' : 'RLIMIT_FSIZE'}): exit ${full.code}\n${full.stdout}\n${full.stderr.slice(0, 2000)}`);
      expect(full.code).toBe(1);
      expect(full.stdout + full.stderr).toMatch(/disk|full|space/i);
      expect(full.stderr).not.toMatch(/internal error|    at /);
      if (filler) rmSync(filler);
      // Nothing half-written: every transaction either happened whole or not at all.
      expect(counts(dbPath)).toEqual({ ...before, integrity: 'ok' });
      const check = new Database(dbPath, { readonly: true });
      expect(check.prepare('SELECT COUNT(*) AS n FROM alerts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id)').get()).toEqual({ n: 0 });
      check.close();
      expect(slack.messages).toHaveLength(1);

      const recovered = await runCli(dir, ['poll', '--once']);
      expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
      expect(recovered.stdout).toContain('5 fetched, 4 matched, 4 new');
      expect(counts(dbPath)).toMatchObject({ mentions: 5, alerts: 5, integrity: 'ok' });
      expect(slack.messages).toHaveLength(5);
    } finally {
      fs?.unmount();
      if (!fs) rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('disk full under the daemon', () => {
  it('earshot run backs off instead of spinning on a full disk, and delivers once space is freed', async (ctx) => {
    const fs = mountTinyFs(3 * 1024 * 1024);
    if (!fs) {
      ctx.skip(); // needs a small filesystem to fill while the daemon runs (mount not allowed here)
      return;
    }
    feed.route('/feed.xml', { body: rssFeed([]) });
    const dbPath = join(fs.path, 'earshot.db');
    const dir = deployment(dbPath);
    writeFileSync(join(dir, 'sources/acme.yaml'), readFileSync(join(dir, 'sources/acme.yaml'), 'utf8').replace('alert_backfill: 1d', 'alert_backfill: 1d\n    every: 1s'));
    const launcher = compiledCli();
    const child = spawn(process.execPath, [launcher, '--config-dir', dir, 'run', '--no-watch'], { cwd: dir, env: { ...process.env, EARSHOT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collect(child);
    try {
      const ready = Date.now() + 30_000;
      while (!out.stderr().includes('"msg":"poll ok"') && Date.now() < ready) await new Promise((r) => setTimeout(r, 50));
      expect(out.stderr()).toContain('"msg":"poll ok"');
      const filler = fillUp(fs.path);
      feed.route('/feed.xml', { body: rssFeed(items(['full1'])) });
      const mark = out.stderr().length;
      // Reported, but not in a tight loop: each failed pass waits longer (1 s, 2 s, 4 s ...), as
      // its log line says and the log's own times show.
      const failedPasses = (): Array<{ time: number; retryInMs: number }> =>
        out
          .stderr()
          .slice(mark)
          .split('\n')
          .filter((l) => l.includes('"msg":"daemon loop failed; retrying shortly"') && /disk is full|SQLITE_FULL/.test(l))
          .map((l) => JSON.parse(l) as { time: number; retryInMs: number });
      const passes = await until(() => (failedPasses().length >= 3 ? failedPasses() : null), 40_000, 'three failed passes on the full disk');
      console.log(`daemon on a full disk: failed passes ${passes.length}, waits ${passes.map((p) => p.retryInMs).join(', ')} ms`);
      expect(passes[1]!.retryInMs).toBeGreaterThan(passes[0]!.retryInMs);
      expect(passes[2]!.retryInMs).toBeGreaterThan(passes[1]!.retryInMs);
      for (let i = 1; i < passes.length; i++) expect(passes[i]!.time - passes[i - 1]!.time).toBeGreaterThanOrEqual(passes[i - 1]!.retryInMs * 0.9);
      expect(slack.messages).toHaveLength(0);
      expect(child.exitCode).toBeNull();
      rmSync(filler);
      await slack.waitForMessages(1, 40_000);
      child.kill('SIGTERM');
      expect(await out.exited).toBe(0);
      expect(slack.messages).toHaveLength(1);
      expect(counts(dbPath)).toMatchObject({ mentions: 1, alerts: 1, integrity: 'ok' });
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await out.exited;
      }
      fs.unmount();
    }
  }, 90_000);
});
