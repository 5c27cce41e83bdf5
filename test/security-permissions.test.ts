/**
 * Owner-only files: the database (and its -wal / -shm) and the folder earshot creates for it,
 * and everything `earshot init` writes, are 0600 (files) / 0700 (folders), even under the usual
 * umask 022 that would otherwise make them world-readable.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/sqlite/db.js';
import { makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';

const mode = (path: string) => statSync(path).mode & 0o777;
const octal = (m: number) => `0${m.toString(8)}`;

let previousUmask: number;
let feed: FeedServer;
beforeAll(async () => {
  previousUmask = process.umask(0o022);
  feed = await startFeedServer();
  feed.route('/feed.xml', { body: rssFeed([{ guid: 'p1', title: 'Acme Cloud news', description: 'Acme Cloud opens a region.' }]) });
});
afterAll(async () => {
  process.umask(previousUmask);
  await feed.close();
});

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    out.push(path);
    if (statSync(path).isDirectory()) walk(path, out);
  }
  return out;
}

describe.skipIf(process.platform === 'win32')('owner-only permissions', () => {
  it('creates the database, its -wal and -shm, and its folder owner-only (poll --once)', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n`,
      'rules/alerts.yaml': 'rules: []\n',
    });
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const data = join(dir, 'data');
    expect(octal(mode(data))).toBe('0700');
    expect(octal(mode(join(data, 'earshot.db')))).toBe('0600');
    // The command closed the database (WAL checkpointed and removed); open it as the daemon does, with a write, to see -wal and -shm.
    const db = openDatabase(join(data, 'earshot.db'));
    try {
      db.prepare("INSERT INTO meta (key, value) VALUES ('perm-test', '1') ON CONFLICT (key) DO UPDATE SET value = '1'").run();
      for (const suffix of ['-wal', '-shm']) {
        const path = join(data, `earshot.db${suffix}`);
        expect(existsSync(path), path).toBe(true);
        expect(octal(mode(path)), path).toBe('0600');
      }
    } finally {
      db.close();
    }
  });

  it('creates a --db elsewhere (new nested folders) owner-only too', async () => {
    const base = mkdtempSync(join(tmpdir(), 'earshot-perm-'));
    const dbPath = join(base, 'nested', 'deeper', 'mentions.db');
    const db = openDatabase(dbPath);
    db.prepare("INSERT INTO meta (key, value) VALUES ('x', '1')").run();
    try {
      expect(octal(mode(dbPath))).toBe('0600');
      expect(octal(mode(`${dbPath}-wal`))).toBe('0600');
      expect(octal(mode(join(base, 'nested', 'deeper')))).toBe('0700');
      expect(octal(mode(join(base, 'nested')))).toBe('0700');
    } finally {
      db.close();
    }
  });

  it('writes every file of `earshot init` as 0600 and every folder as 0700', async () => {
    const base = mkdtempSync(join(tmpdir(), 'earshot-init-perm-'));
    const target = join(base, 'my-brand');
    const r = await runCli(base, ['init', target]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const paths = walk(target);
    expect(paths.some((p) => p.endsWith('.yaml'))).toBe(true);
    expect(paths.some((p) => p.endsWith('.env.example'))).toBe(true);
    expect(octal(mode(target))).toBe('0700');
    const wrong = paths
      .map((p) => ({ p, m: mode(p), dir: statSync(p).isDirectory() }))
      .filter(({ m, dir }) => m !== (dir ? 0o700 : 0o600))
      .map(({ p, m }) => `${p.slice(target.length)} ${octal(m)}`);
    expect(wrong).toEqual([]);
  });
});
