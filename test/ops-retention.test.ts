/**
 * Retention with a controlled clock: what is pruned and what is kept, the horizon that stops a
 * pruned mention from coming back (and alerting twice), the poll-log cap, the daily schedule,
 * and a database that stops growing once retention is reached.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../src/core/log.js';
import { getMeta, type Db } from '../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { insertMention } from '../src/store/sqlite/mentions.js';
import type { NewMention } from '../src/store/types.js';
import { insertAlert, markSent } from '../src/store/sqlite/outbox.js';
import { parseRetention, pruneOnce, startRetention } from '../src/store/retention.js';
import { logPoll } from '../src/store/sqlite/source-state.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-23T12:00:00.000Z');
const daysAgo = (d: number, from = NOW) => new Date(from.getTime() - d * DAY).toISOString();

let store: SqliteStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  vi.useRealTimers();
});

function freshDb(): { db: Db; store: SqliteStore; path: string } {
  const path = join(mkdtempSync(join(tmpdir(), 'earshot-retention-')), 'earshot.db');
  store = openSqliteStore(path);
  return { db: store.db, store, path };
}

let seq = 0;
function mention(publishedAt: string, extra: Partial<NewMention> = {}): NewMention {
  seq++;
  return {
    brand: 'acme',
    source: 'rss',
    sourceKey: 'acme/rss',
    sourceId: `item-${seq}`,
    url: `https://news.example.com/${seq}`,
    canonicalUrl: `https://news.example.com/${seq}`,
    author: 'someone',
    reach: null,
    title: `Acme Cloud story ${seq}`,
    text: `Acme Cloud text number ${seq} zebraword${seq}`,
    kind: 'article',
    linkUrl: null,
    language: 'en',
    publishedAt,
    fetchedAt: publishedAt,
    matchedTerms: ['acme cloud'],
    sentiment: { label: 'negative', score: -0.6, reasons: [] },
    urgency: { level: 'medium', score: 0.4, reasons: [] },
    duplicateOf: null,
    storyKey: null,
    metrics: {},
    fingerprint: `fp-${seq}`,
    alertState: 'evaluated',
    ...extra,
  };
}

function alertFor(db: Db, mentionIds: number[], createdAt: string, status: 'pending' | 'held' = 'pending'): number {
  return db.transaction(() =>
    insertAlert(db, {
      rule: 'neg',
      ruleHash: 'h',
      ruleType: 'mention',
      groupKey: 'acme',
      brand: 'acme',
      summary: 's',
      details: [],
      mentionIds,
      totalMentions: mentionIds.length,
      createdAt,
      deliveries: [{ notifier: 'slack', target: '#alerts', status }],
    }),
  )()!;
}

const count = (db: Db, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
const ftsHits = (db: Db, word: string) =>
  (db.prepare('SELECT COUNT(*) AS n FROM mentions_fts WHERE mentions_fts MATCH ?').get(word) as { n: number }).n;

describe('EARSHOT_RETENTION', () => {
  it.each([
    [undefined, 90 * DAY],
    ['', 90 * DAY],
    ['30d', 30 * DAY],
    ['26w', 26 * 7 * DAY],
    ['off', null],
    ['OFF', null],
  ])('%j -> %j', (value, expected) => {
    expect(parseRetention(value)).toBe(expected);
  });

  it.each(['90', '12h', 'forever', '-5d'])('rejects %j with a message naming the variable', (value) => {
    expect(() => parseRetention(value)).toThrow(/EARSHOT_RETENTION=.*at least 1d/);
  });
});

describe('pruneOnce', () => {
  it('deletes old mentions, delivered alerts and the poll log; keeps recent ones and what a pending alert needs', async () => {
    const { db, store } = freshDb();
    const oldMention = mention(daysAgo(100));
    const old = insertMention(db, oldMention)!;
    const oldWord = oldMention.text.split(' ').at(-1)!;
    const oldWithPending = insertMention(db, mention(daysAgo(95)))!;
    const recent = insertMention(db, mention(daysAgo(10)))!;
    const edge = insertMention(db, mention(daysAgo(89.99)))!;
    // A newer duplicate of an old original: stays, loses its link (the original is gone).
    const dup = insertMention(db, mention(daysAgo(5), { duplicateOf: old, alertState: 'duplicate' }))!;

    const sentOld = alertFor(db, [old], daysAgo(99));
    markSent(db, sentOld, daysAgo(99), 'ts');
    const pendingOld = alertFor(db, [oldWithPending], daysAgo(94));
    const oldHeld = insertMention(db, mention(daysAgo(93)))!;
    const heldOld = alertFor(db, [oldHeld], daysAgo(92), 'held');
    const sentRecent = alertFor(db, [recent], daysAgo(9));
    markSent(db, sentRecent, daysAgo(9), 'ts');

    for (const d of [40, 31, 29, 1]) {
      logPoll(db, { sourceKey: 'acme/rss', startedAt: daysAgo(d), durationMs: 10, outcome: 'ok', fetched: 1, stored: 0 });
    }

    const result = await pruneOnce(store, { retentionMs: 90 * DAY, now: NOW });
    expect(result).toMatchObject({ horizon: daysAgo(90), mentions: 1, alerts: 1, pollLog: 2 });

    const ids = (db.prepare('SELECT id FROM mentions ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
    expect(ids).toEqual([oldWithPending, recent, edge, dup, oldHeld]);
    expect((db.prepare('SELECT duplicate_of, alert_state FROM mentions WHERE id = ?').get(dup) as object)).toEqual({ duplicate_of: null, alert_state: 'duplicate' });
    const alerts = (db.prepare('SELECT id FROM alerts ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id);
    expect(alerts).toEqual([pendingOld, heldOld, sentRecent]);
    expect(count(db, 'deliveries')).toBe(3);
    expect(count(db, 'alert_mentions')).toBe(3);
    expect(ftsHits(db, oldWord)).toBe(0);
    expect(count(db, 'poll_log')).toBe(2);
    expect(getMeta(db, 'retention.horizon')).toBe(daysAgo(90));
    expect(getMeta(db, 'retention.last_run_at')).toBe(NOW.toISOString());
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('removes a pruned mention from full-text search', async () => {
    const { db, store } = freshDb();
    const m = mention(daysAgo(200), { text: 'Acme Cloud quokkaword outage' });
    insertMention(db, m);
    expect(ftsHits(db, 'quokkaword')).toBe(1);
    await pruneOnce(store, { retentionMs: 90 * DAY, now: NOW });
    expect(ftsHits(db, 'quokkaword')).toBe(0);
  });

  it('never stores a mention published before the horizon again, so a feed that still lists it cannot alert twice', async () => {
    const { db, store } = freshDb();
    const item = mention(daysAgo(120));
    expect(insertMention(db, item)).not.toBeNull();
    await pruneOnce(store, { retentionMs: 90 * DAY, now: NOW });
    expect(count(db, 'mentions')).toBe(0);
    // The next poll returns the same old item: refused (insertMention says "not stored").
    expect(insertMention(db, { ...item, fetchedAt: NOW.toISOString(), alertState: 'new' })).toBeNull();
    expect(count(db, 'mentions')).toBe(0);
    // New mentions are stored as usual.
    expect(insertMention(db, mention(daysAgo(1)))).not.toBeNull();
  });

  it('deletes in batches and converges', async () => {
    const { db, store } = freshDb();
    db.transaction(() => {
      for (let i = 0; i < 250; i++) insertMention(db, mention(daysAgo(100 + i / 100)));
      for (let i = 0; i < 30; i++) insertMention(db, mention(daysAgo(i / 10)));
    })();
    const result = await pruneOnce(store, { retentionMs: 90 * DAY, now: NOW, batchSize: 40 });
    expect(result.mentions).toBe(250);
    expect(count(db, 'mentions')).toBe(30);
  });

  it('keeps the database file bounded: a month of daily mentions and daily pruning stops growing', async () => {
    const { db, store, path } = freshDb();
    const retentionMs = 5 * DAY;
    const sizes: number[] = [];
    const body = 'Acme Cloud long complaint text '.repeat(40);
    for (let day = 0; day < 30; day++) {
      const today = new Date(NOW.getTime() + day * DAY);
      db.transaction(() => {
        for (let i = 0; i < 60; i++) insertMention(db, mention(new Date(today.getTime() - i * 60_000).toISOString(), { text: `${body} ${day}-${i}` }));
      })();
      for (let i = 0; i < 100; i++) {
        logPoll(db, { sourceKey: 'acme/rss', startedAt: new Date(today.getTime() - i * 60_000).toISOString(), durationMs: 5, outcome: 'ok', fetched: 1, stored: 1 });
      }
      await pruneOnce(store, { retentionMs, now: today });
      db.pragma('wal_checkpoint(TRUNCATE)');
      sizes.push(statSync(path).size);
    }
    // Five days of 60, plus the one published exactly at the horizon (kept: strictly older goes).
    expect(count(db, 'mentions')).toBe(5 * 60 + 1);
    // Unbounded, day 30 would be ~3x day 10; bounded, freed pages are reused.
    expect(sizes[29]!).toBeLessThanOrEqual(sizes[9]! * 1.2);
  });
});

describe('startRetention (daily schedule)', () => {
  it('runs after the first delay, then every 24 hours of the controlled clock', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: NOW });
    const { db, store } = freshDb();
    insertMention(db, mention(daysAgo(91)));
    insertMention(db, mention(daysAgo(89.5)));
    insertMention(db, mention(daysAgo(88.5)));
    const runs: string[] = [];
    const schedule = startRetention({ store, log: silentLogger(), retentionMs: 90 * DAY, firstDelayMs: 60_000, onRun: (r) => runs.push(r.horizon) });

    await vi.advanceTimersByTimeAsync(59_000);
    expect(runs).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(count(db, 'mentions')).toBe(2);

    // One day later: the mention that was 89.5 days old is now past the horizon.
    await vi.advanceTimersByTimeAsync(DAY);
    await vi.waitFor(() => expect(runs).toHaveLength(2));
    expect(count(db, 'mentions')).toBe(1);
    expect(runs[1]).toBe(new Date(NOW.getTime() + 60_000 + DAY - 90 * DAY).toISOString());
    await schedule.stop();
    await vi.advanceTimersByTimeAsync(2 * DAY);
    expect(runs).toHaveLength(2);
  });

  it('off: prunes nothing and clears the horizon', async () => {
    const { db, store } = freshDb();
    insertMention(db, mention(daysAgo(400)));
    await pruneOnce(store, { retentionMs: 90 * DAY, now: NOW });
    const schedule = startRetention({ store, log: silentLogger(), retentionMs: null });
    expect(await schedule.runNow()).toBeNull();
    expect(getMeta(db, 'retention.horizon')).toBeNull();
    expect(insertMention(db, mention(daysAgo(400)))).not.toBeNull();
    await schedule.stop();
  });
});
