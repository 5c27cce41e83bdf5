/**
 * The store contract (src/store/types.ts), one suite for every backend: what SQLite does,
 * PostgreSQL does the same, value for value. Each test gets a fresh, empty store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { openPostgresStore, type PostgresStore } from '../src/store/pg/store.js';
import { pgTriageStore } from '../src/store/pg/triage.js';
import type { Actor, TriageStore } from '../src/store/triage-types.js';
import type { MentionCandidate, NewAlert, NewMention, Store } from '../src/store/types.js';
import { applyAction, applyBulk, undoLast, wakeSnoozed } from '../src/triage/index.js';
import { postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from './helpers/postgres.js';

interface Backend {
  name: string;
  skip: string | null;
  setup(): Promise<void>;
  open(): Promise<Store>;
  /** The triage store of an open store. */
  triage(store: Store): TriageStore;
  teardown(): Promise<void>;
}

function postgresBackend(): Backend {
  const availability = postgresAvailability();
  let pg: TestPostgres | undefined;
  return {
    name: 'postgres',
    skip: availability.ok ? null : withSkipReason('', availability),
    setup: async () => {
      pg = await startTestPostgres();
    },
    open: async () => openPostgresStore(await pg!.createDatabase('contract')),
    triage: (store) => pgTriageStore(store as PostgresStore),
    teardown: async () => pg?.stop(),
  };
}

function sqliteBackend(): Backend {
  let dir = '';
  return {
    name: 'sqlite',
    skip: null,
    setup: async () => {
      dir = mkdtempSync(join(tmpdir(), 'earshot-contract-'));
    },
    open: async () => openSqliteStore(join(dir, `contract-${++databases}.db`)),
    // The store's own (gated) triage store, as triageStoreOf gives the daemon, the UI and Slack.
    triage: (store) => (store as SqliteStore).triage(),
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

let databases = 0;

function sortBy<T>(rows: T[], key: (row: T) => string): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
const BACKENDS: Backend[] = [sqliteBackend(), postgresBackend()];

const T0 = '2026-03-01T10:00:00.000Z';
const at = (minutes: number): string => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

let serial = 0;
function mention(overrides: Partial<NewMention> = {}): NewMention {
  serial++;
  return {
    brand: 'acme',
    source: 'rss',
    sourceKey: 'acme/rss',
    sourceId: `item-${serial}`,
    url: `https://example.com/${serial}`,
    canonicalUrl: `https://example.com/${serial}`,
    author: 'Someone',
    reach: 12,
    title: `Title ${serial}`,
    text: 'acme cloud is down again',
    kind: 'article',
    linkUrl: null,
    language: 'en',
    publishedAt: at(serial),
    fetchedAt: at(serial + 1),
    matchedTerms: ['acme'],
    sentiment: { label: 'negative', score: -0.5, reasons: ['down'] },
    urgency: { level: 'high', score: 0.7, reasons: ['outage'] },
    duplicateOf: null,
    storyKey: null,
    metrics: { likes: 3 },
    flags: { offensive: 0.91, hate: 0.04, irony: 0.12 },
    fingerprint: `fp-${serial}`,
    alertState: 'new',
    ...overrides,
  };
}

function candidate(overrides: Partial<NewMention> = {}): MentionCandidate {
  const { duplicateOf: _ignored, ...rest } = mention(overrides);
  return rest;
}

function alert(mentionIds: number[], overrides: Partial<NewAlert> = {}): NewAlert {
  return {
    rule: 'negative',
    ruleHash: 'h1',
    ruleType: 'mention',
    groupKey: 'acme',
    brand: 'acme',
    summary: 'a negative mention',
    details: ['detail'],
    mentionIds,
    totalMentions: mentionIds.length,
    createdAt: at(100),
    deliveries: [{ notifier: 'slack', target: '#alerts' }],
    ...overrides,
  };
}

describe.each(BACKENDS)('store contract: $name', (backend) => {
  const title = backend.skip ? `runs (SKIPPED${backend.skip})` : 'runs';
  describe.skipIf(backend.skip !== null)(title, () => {
    const stores: Store[] = [];
    beforeAll(() => backend.setup(), 120_000);
    afterAll(async () => {
      for (const s of stores) await s.close();
      await backend.teardown();
    });
    async function fresh(): Promise<Store> {
      const s = await backend.open();
      stores.push(s);
      return s;
    }

    describe('mentions', () => {
      it('stores a mention once per (brand, source, source id) and returns it as given', async () => {
        const store = await fresh();
        const m = mention({ publishedAt: '2026-03-01T10:00:00.123Z' });
        const id = await store.mentions.insert(m);
        expect(typeof id).toBe('number');
        expect(await store.mentions.insert({ ...m, title: 'changed' })).toBeNull();
        const [got] = await store.mentions.get([id!]);
        const { canonicalUrl: _c, fingerprint: _f, alertState: _s, ...shown } = m;
        expect(got).toEqual({ ...shown, id });
      });

      it('keeps a mention\'s flags, and null (unknown) for one stored without them', async () => {
        const store = await fresh();
        const flagged = await store.mentions.insert(mention({ sourceId: 'flagged', flags: { offensive: 0.5, hate: 0, irony: 1 } }));
        const { flags: _none, ...older } = mention({ sourceId: 'older' });
        const unknown = await store.mentions.insert(older);
        const got = await store.mentions.get([flagged!, unknown!]);
        expect(got.map((m) => m.flags)).toEqual([{ offensive: 0.5, hate: 0, irony: 1 }, null]);
      });

      it('finds known source ids and originals by canonical URL, then fingerprint', async () => {
        const store = await fresh();
        const a = await store.mentions.insert(mention({ sourceId: 'a', canonicalUrl: 'https://x/1', fingerprint: 'f1' }));
        const b = await store.mentions.insert(mention({ sourceId: 'b', canonicalUrl: 'https://x/2', fingerprint: 'f2' }));
        expect(await store.mentions.knownSourceIds('acme', 'rss', ['a', 'b', 'c'])).toEqual(new Set(['a', 'b']));
        expect(await store.mentions.knownSourceIds('acme', 'reddit', ['a'])).toEqual(new Set());
        expect(await store.mentions.findOriginal('acme', 'https://x/2', 'f1')).toBe(b);
        expect(await store.mentions.findOriginal('acme', 'https://x/9', 'f1')).toBe(a);
        expect(await store.mentions.findOriginal('other', 'https://x/2', 'f1')).toBeNull();
        expect(await store.mentions.findOriginal('acme', null, null)).toBeNull();
      });

      it('ingests a batch, marking repeats of earlier mentions (stored or in the batch) as duplicates', async () => {
        const store = await fresh();
        const first = await store.mentions.insert(mention({ sourceId: 'old', canonicalUrl: 'https://x/old', fingerprint: 'old' }));
        const results = await store.mentions.ingest([
          candidate({ sourceId: 'n1', canonicalUrl: 'https://x/new', fingerprint: 'n1' }),
          candidate({ sourceId: 'n2', canonicalUrl: 'https://x/new', fingerprint: 'n2' }),
          candidate({ sourceId: 'n3', canonicalUrl: null, fingerprint: 'old' }),
          candidate({ sourceId: 'old', canonicalUrl: 'https://x/other', fingerprint: 'zz' }),
          candidate({ sourceId: 'n4', alertState: 'quiet' }),
        ]);
        expect(results[0]).toEqual({ id: expect.any(Number), duplicateOf: null });
        expect(results[1]).toEqual({ id: expect.any(Number), duplicateOf: results[0]!.id });
        expect(results[2]).toEqual({ id: expect.any(Number), duplicateOf: first });
        expect(results[3]!.id).toBeNull();
        const states = await store.reports.quietMentionStates('acme', at(-10_000), at(10_000));
        expect(states).toEqual([
          { alertState: 'duplicate', count: 2 },
          { alertState: 'quiet', count: 1 },
        ]);
        expect(await store.mentions.newIds(100)).toEqual([first, results[0]!.id]);
      });

      it('keeps times as ISO UTC instants whatever offset they were written with', async () => {
        const store = await fresh();
        const id = await store.mentions.insert(mention({ publishedAt: new Date('2026-03-29T01:30:00+01:00').toISOString() }));
        const [m] = await store.mentions.get([id!]);
        expect(m!.publishedAt).toBe('2026-03-29T00:30:00.000Z');
        const since = await store.mentions.list({ since: '2026-03-29T00:30:00.000Z', includeDuplicates: true });
        const after = await store.mentions.list({ since: '2026-03-29T00:30:00.001Z', includeDuplicates: true });
        expect(since.map((x) => x.id)).toEqual([id]);
        expect(after).toEqual([]);
      });

      it('lists with filters, newest first or in time order, and counts', async () => {
        const store = await fresh();
        const ids: number[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push(
            (await store.mentions.insert(
              mention({ publishedAt: at(i), sentiment: { label: i % 2 ? 'positive' : 'negative', score: 0, reasons: [] }, source: i < 3 ? 'rss' : 'reddit' }),
            ))!,
          );
        }
        const dup = await store.mentions.insert(mention({ publishedAt: at(9), duplicateOf: ids[0]!, alertState: 'duplicate' }));
        expect((await store.mentions.list()).map((m) => m.id)).toEqual([...ids].reverse());
        expect((await store.mentions.list({ order: 'asc', limit: 2 })).map((m) => m.id)).toEqual(ids.slice(0, 2));
        expect((await store.mentions.list({ includeDuplicates: true, limit: 1 })).map((m) => m.id)).toEqual([dup]);
        expect((await store.mentions.list({ sentiment: 'positive' })).map((m) => m.id)).toEqual([ids[3], ids[1]]);
        expect((await store.mentions.list({ source: 'reddit', since: at(4) })).map((m) => m.id)).toEqual([ids[4]]);
        expect((await store.mentions.list({ until: at(1) })).map((m) => m.id)).toEqual([ids[0]]);
        expect(await store.mentions.count({ source: 'rss' })).toBe(3);
        expect(await store.mentions.count({ includeDuplicates: true })).toBe(6);
        expect(await store.mentions.count({ brand: 'nobody' })).toBe(0);
      });

      it('streams every mention in (published, id) order in pages', async () => {
        const store = await fresh();
        const ids: number[] = [];
        for (let i = 0; i < 7; i++) ids.push((await store.mentions.insert(mention({ publishedAt: at(i % 3) })))!);
        const seen: number[] = [];
        for await (const m of store.mentions.stream({}, 2)) seen.push(m.id);
        const expected = [...ids].sort((a, b) => (at(ids.indexOf(a) % 3) < at(ids.indexOf(b) % 3) ? -1 : at(ids.indexOf(a) % 3) > at(ids.indexOf(b) % 3) ? 1 : a - b));
        expect(seen).toEqual(expected);
      });

      it('searches with full-text queries', async () => {
        const store = await fresh();
        const down = await store.mentions.insert(mention({ title: 'Outage', text: 'Acme Cloud is down, refund please' }));
        const fine = await store.mentions.insert(mention({ title: 'Praise', text: 'acme works fine' }));
        expect((await store.mentions.list({ search: 'refund' })).map((m) => m.id)).toEqual([down]);
        expect((await store.mentions.list({ search: 'acme' })).map((m) => m.id).sort()).toEqual([down, fine].sort());
        expect((await store.mentions.list({ search: 'outage' })).map((m) => m.id)).toEqual([down]);
        expect(await store.mentions.count({ search: 'nothing' })).toBe(0);
      });

      it('answers author, fetch-time and per-source questions', async () => {
        const store = await fresh();
        const a = await store.mentions.insert(mention({ author: 'Maria', fetchedAt: at(5), sourceKey: 'acme/rss' }));
        const b = await store.mentions.insert(mention({ author: 'maria', fetchedAt: at(7), sourceKey: 'acme/rss#2' }));
        expect(await store.mentions.isFirstFromAuthor('acme', 'MARIA', a!)).toBe(true);
        expect(await store.mentions.isFirstFromAuthor('acme', 'MARIA', b!)).toBe(false);
        expect(await store.mentions.lastFetchedAt('acme', ['acme/rss', 'acme/rss#2'])).toBe(at(7));
        expect(await store.mentions.lastFetchedAt('acme', [])).toBeNull();
        expect(await store.mentions.countStoredSince(at(6))).toEqual(new Map([['acme/rss#2', 1]]));
        await store.mentions.setAlertState([a!, b!], 'evaluated');
        expect(await store.mentions.newIds(10)).toEqual([]);
      });
    });

    describe('outbox', () => {
      it('writes an alert once per (rule, mention) with its deliveries', async () => {
        const store = await fresh();
        const m1 = (await store.mentions.insert(mention()))!;
        const m2 = (await store.mentions.insert(mention()))!;
        const first = await store.outbox.insertAlert(alert([m1]));
        expect(first).toEqual(expect.any(Number));
        expect(await store.outbox.insertAlert(alert([m1]))).toBeNull();
        const second = await store.outbox.insertAlert(alert([m1, m2]));
        expect(await store.outbox.getAlert(second!)).toEqual({
          id: second,
          rule: 'negative',
          ruleHash: 'h1',
          ruleType: 'mention',
          groupKey: 'acme',
          brand: 'acme',
          summary: 'a negative mention',
          details: ['detail'],
          totalMentions: 2,
          createdAt: at(100),
          mentionIds: [m2],
          sampleMentionIds: [],
        });
        expect(await store.outbox.insertAlert(alert([m1], { rule: 'other' }))).toEqual(expect.any(Number));
        expect(await store.outbox.getAlert(9999)).toBeNull();
      });

      it('hands out each destination oldest first and records the outcome', async () => {
        const store = await fresh();
        const ids = [];
        for (let i = 0; i < 3; i++) ids.push((await store.mentions.insert(mention()))!);
        await store.outbox.insertAlert(alert([ids[0]!], { createdAt: at(1), deliveries: [{ notifier: 'slack', target: '#a' }, { notifier: 'email', target: 'x@y' }] }));
        await store.outbox.insertAlert(alert([ids[1]!], { createdAt: at(2), deliveries: [{ notifier: 'slack', target: '#a' }] }));
        await store.outbox.insertAlert(
          alert([ids[2]!], { createdAt: at(3), deliveries: [{ notifier: 'slack', target: '#b', status: 'held', notBefore: at(30), holdReason: 'quiet hours' }] }),
        );
        const due = await store.outbox.dueDeliveries(at(5));
        expect(due.map((d) => [d.notifier, d.target, d.status, d.attempts])).toEqual([
          ['slack', '#a', 'pending', 0],
          ['email', 'x@y', 'pending', 0],
        ]);
        expect(await store.outbox.nextDeliveryAt()).toBe(at(1));
        await store.outbox.markRetry(due[0]!.id, { at: at(5), nextAt: at(6), error: 'HTTP 500', kind: 'unavailable', streak: 1 });
        expect((await store.outbox.dueDeliveries(at(5))).map((d) => d.target)).toEqual(['x@y']);
        expect((await store.outbox.dueDeliveries(at(6))).find((d) => d.id === due[0]!.id)).toMatchObject({ retryKind: 'unavailable', retryStreak: 1 });
        await store.outbox.markSent(due[0]!.id, at(6), '1700000000.000100');
        await store.outbox.markFailed(due[1]!.id, at(6), 'HTTP 404');
        const next = await store.outbox.dueDeliveries(at(7));
        expect(next.map((d) => d.target)).toEqual(['#a']);
        expect(await store.outbox.releaseHeld(at(29))).toBe(0);
        expect(await store.outbox.releaseHeld(at(30))).toBe(1);
        expect(await store.outbox.threadRoot('negative', 'acme', 'slack', '#a', at(0))).toBe('1700000000.000100');
        expect(await store.outbox.countDeliveriesSince('slack', '#a', at(0))).toBe(2);
        const summary = await store.outbox.summary(at(0));
        expect(summary).toMatchObject({ pending: 2, failed: 1, sent: 1, held: 0, skipped: 0, suppressed: 0, oldestPendingAt: at(2) });
        expect(summary.recentFailures).toEqual([{ id: due[1]!.id, notifier: 'email', target: 'x@y', error: 'HTTP 404', at: at(6) }]);
      });

      it('lists deliveries, counts failures per settings, and queues them again', async () => {
        const store = await fresh();
        const ids = [];
        for (let i = 0; i < 3; i++) ids.push((await store.mentions.insert(mention()))!);
        await store.outbox.insertAlert(alert([ids[0]!], { rule: 'outage', createdAt: at(1), deliveries: [{ notifier: 'slack', target: '#a' }] }));
        await store.outbox.insertAlert(alert([ids[1]!], { rule: 'refund', createdAt: at(2), deliveries: [{ notifier: 'slack', target: '#a' }] }));
        await store.outbox.insertAlert(alert([ids[2]!], { rule: 'refund', createdAt: at(3), deliveries: [{ notifier: 'email', target: 'x@y' }] }));
        const [first, second, third] = await store.outbox.list({ statuses: ['pending'] });
        expect([first!.rule, second!.rule, third!.rule]).toEqual(['outage', 'refund', 'refund']);
        expect((await store.outbox.list({ statuses: ['pending'], headsOnly: true })).map((d) => d.id)).toEqual([first!.id, third!.id]);
        await store.outbox.markFailed(first!.id, at(4), 'invalid_auth', 'fp-old');
        await store.outbox.markFailed(second!.id, at(4), 'invalid_auth', 'fp-old');
        await store.outbox.markFailed(third!.id, at(4), 'HTTP 550');
        expect(await store.outbox.failedSettings()).toEqual([{ notifier: 'slack', settings: 'fp-old', count: 2 }]);
        expect(await store.outbox.rules()).toEqual(['outage', 'refund']);
        const failed = await store.outbox.list({ statuses: ['failed'], rule: 'refund', notifier: 'slack' });
        expect(failed).toMatchObject([{ id: second!.id, status: 'failed', lastError: 'invalid_auth', failedSettings: 'fp-old', brand: 'acme' }]);
        expect(await store.outbox.requeue({ statuses: ['failed'], rule: 'outage' }, at(5))).toBe(1);
        expect(await store.outbox.list({ statuses: ['pending'] })).toMatchObject([{ id: first!.id, nextAttemptAt: at(5), retryStreak: 0, failedSettings: null }]);
        expect(await store.outbox.requeue({ statuses: ['failed'], notifier: 'email' }, at(6))).toBe(1);
        expect(await store.outbox.failedSettings()).toEqual([{ notifier: 'slack', settings: 'fp-old', count: 1 }]);
      });
    });

    describe('rule state', () => {
      it('keeps group state, hits and waiting mentions', async () => {
        const store = await fresh();
        const ids = [];
        for (let i = 0; i < 3; i++) ids.push((await store.mentions.insert(mention({ urgency: { level: 'low', score: i / 10, reasons: [] } })))!);
        expect(await store.rules.getGroup('r', 'h', 'g')).toEqual({ lastAlertAt: null, lastAlertId: null, streak: 0, active: false });
        await store.rules.setGroupAlerted('r', 'h', 'g', at(1), 7, 2);
        await store.rules.setGroupActive('r', 'h', 'g', true);
        await store.rules.setGroupActive('r', 'h', 'b', true);
        expect(await store.rules.getGroup('r', 'h', 'g')).toEqual({ lastAlertAt: at(1), lastAlertId: 7, streak: 2, active: true });
        expect((await store.rules.activeGroups('r', 'h')).sort()).toEqual(['b', 'g']);

        await store.rules.addHits(ids.map((id, i) => ({ rule: 'r', mentionId: id, groupKey: i < 2 ? 'g' : 'b', at: at(i) })));
        await store.rules.addHits([{ rule: 'r', mentionId: ids[0]!, groupKey: 'other', at: at(0) }]);
        expect(await store.rules.countHits('r', at(0), at(2))).toEqual(new Map([['g', 1], ['b', 1]]));
        expect(await store.rules.sampleHits('r', 'g', at(-1), at(5), 5)).toEqual([ids[1], ids[0]]);
        await store.rules.clearHits('r');
        expect(await store.rules.countHits('r', at(-1), at(5))).toEqual(new Map());

        await store.rules.addPending([
          { rule: 'r', hash: 'h', groupKey: 'g', mentionId: ids[1]!, at: at(3) },
          { rule: 'r', hash: 'h', groupKey: 'g', mentionId: ids[0]!, at: at(2) },
          { rule: 'gone', hash: 'x', groupKey: 'g', mentionId: ids[2]!, at: at(2) },
        ]);
        expect(await store.rules.pendingGroups()).toEqual([
          { rule: 'gone', ruleHash: 'x', groupKey: 'g', firstAddedAt: at(2), mentionIds: [ids[2]] },
          { rule: 'r', ruleHash: 'h', groupKey: 'g', firstAddedAt: at(2), mentionIds: [ids[0], ids[1]] },
        ]);
        expect(await store.rules.reconcilePending([{ rule: 'r', hash: 'h2' }])).toEqual(new Map([['gone', 1]]));
        await store.rules.clearPending('r', [ids[0]!]);
        expect(await store.rules.pendingGroups()).toEqual([{ rule: 'r', ruleHash: 'h2', groupKey: 'g', firstAddedAt: at(3), mentionIds: [ids[1]] }]);
      });
    });

    describe('sources', () => {
      it('creates, resets on new settings, and records polls', async () => {
        const store = await fresh();
        const created = await store.sources.ensure('acme/rss', 'acme', 'rss', 'hash1', at(0));
        expect(created).toMatchObject({ sourceKey: 'acme/rss', settingsHash: 'hash1', consecutiveFailures: 0, createdAt: at(0), cursor: null });
        await store.sources.recordSuccess('acme/rss', {
          at: at(1),
          cursor: { etag: '"e1"', cursor: 'c1' },
          rateLimit: { remaining: 5, limit: 10, resetAt: at(60) },
          nextPollAt: at(16),
          gap: 'missed 3 items',
        });
        await store.sources.recordFailure('acme/rss', { at: at(2), error: 'HTTP 503', kind: 'http', nextPollAt: at(4) });
        expect(await store.sources.get('acme/rss')).toMatchObject({
          etag: '"e1"',
          lastModified: null,
          cursor: 'c1',
          firstSuccessAt: at(1),
          lastSuccessAt: at(1),
          lastAttemptAt: at(2),
          lastError: 'HTTP 503',
          consecutiveFailures: 1,
          nextPollAt: at(4),
          rateRemaining: 5,
          rateLimit: 10,
          rateResetAt: at(60),
          lastGap: 'missed 3 items',
          lastGapAt: at(1),
        });
        await store.sources.recordSuccess('acme/rss', { at: at(3), cursor: { cursor: null }, nextPollAt: at(18) });
        expect(await store.sources.get('acme/rss')).toMatchObject({ etag: '"e1"', cursor: null, rateRemaining: 5, lastGap: 'missed 3 items', consecutiveFailures: 0 });
        const same = await store.sources.ensure('acme/rss', 'acme', 'rss', 'hash1', at(5));
        expect(same.etag).toBe('"e1"');
        const reset = await store.sources.ensure('acme/rss', 'acme', 'rss', 'hash2', at(5));
        expect(reset).toMatchObject({ settingsHash: 'hash2', etag: null, firstSuccessAt: null, createdAt: at(0) });
        await store.sources.ensure('acme/hackernews', 'acme', 'hackernews', 'h', at(0));
        expect((await store.sources.list()).map((s) => s.sourceKey)).toEqual(['acme/hackernews', 'acme/rss']);
        expect(await store.sources.get('nope')).toBeNull();

        await store.sources.logPoll({ sourceKey: 'acme/rss', startedAt: at(1), durationMs: 12.4, outcome: 'ok', fetched: 5, stored: 2 });
        await store.sources.logPoll({ sourceKey: 'acme/rss', startedAt: at(2), durationMs: 30, outcome: 'error', fetched: 0, stored: 0, error: 'HTTP 503', errorKind: 'http' });
        await store.sources.logPoll({ sourceKey: 'acme/rss', startedAt: at(3), durationMs: 30, outcome: 'ok', fetched: 1, stored: 1, gap: 'g' });
        expect(await store.sources.pollSummarySince(at(0))).toEqual([
          { sourceKey: 'acme/rss', polls: 3, errors: 1, fetched: 6, stored: 3, lastError: 'HTTP 503', gaps: 1 },
        ]);
      });
    });

    describe('silences, digests, meta', () => {
      it('silences by rule and brand, for a time', async () => {
        const store = await fresh();
        const s = await store.silences.add({ rule: 'negative', brand: 'acme', startsAt: at(0), endsAt: at(60), reason: 'incident' });
        await store.silences.add({ rule: '*', startsAt: at(0), endsAt: at(120), reason: 'maintenance' });
        await expect(store.silences.add({ rule: 'x', startsAt: at(5), endsAt: at(1), reason: 'r' })).rejects.toThrow(RangeError);
        expect(await store.silences.active('negative', 'acme', at(30))).toMatchObject({ reason: 'maintenance', endsAt: at(120) });
        expect(await store.silences.active('negative', 'acme', at(130))).toBeNull();
        expect((await store.silences.list({ at: at(90) })).map((x) => x.reason)).toEqual(['maintenance']);
        expect((await store.silences.list({ at: at(90), all: true })).length).toBe(2);
        expect(await store.silences.remove(s.id, at(10))).toMatchObject({ id: s.id, removedAt: null });
        expect(await store.silences.get(s.id)).toMatchObject({ removedAt: at(10) });
        expect(await store.silences.remove(999, at(10))).toBeNull();
      });

      it('claims a digest period once, and takes over a stale claim', async () => {
        const store = await fresh();
        const run = await store.digests.claim('daily', at(-1440), at(0), at(1), at(-10));
        expect(run).toMatchObject({ digest: 'daily', periodEnd: at(0), status: 'pending', claimedAt: at(1), recipients: [] });
        expect(await store.digests.claim('daily', at(-1440), at(0), at(2), at(-10))).toBeNull();
        expect(await store.digests.claim('daily', at(-1440), at(0), at(20), at(10))).toMatchObject({ claimedAt: at(20) });
        await store.digests.markSent('daily', at(0), at(21), '<m@x>', ['a@x']);
        expect(await store.digests.get('daily', at(0))).toMatchObject({ status: 'sent', messageId: '<m@x>', recipients: ['a@x'], attempts: 1 });
        expect(await store.digests.recordMissed('daily', at(-1440), at(0), at(30), 'down')).toBe(false);
        expect(await store.digests.recordMissed('daily', at(-2880), at(-1440), at(30), 'down')).toBe(true);
        await store.digests.claim('weekly', at(-1440), at(0), at(1), at(-10));
        await store.digests.markAttemptFailed('weekly', at(0), 'SMTP 451', at(15), false);
        expect((await store.digests.pending()).map((r) => [r.digest, r.nextAttemptAt, r.lastError])).toEqual([['weekly', at(15), 'SMTP 451']]);
        expect((await store.digests.list()).map((r) => `${r.digest}:${r.status}`)).toEqual(['daily:missed', 'daily:sent', 'weekly:pending']);
      });

      it('keeps small values in meta', async () => {
        const store = await fresh();
        expect(await store.meta.get('k')).toBeNull();
        await store.meta.set('k', 'v1');
        await store.meta.set('k', 'v2');
        expect(await store.meta.get('k')).toBe('v2');
        await store.meta.set('k', null);
        expect(await store.meta.get('k')).toBeNull();
      });
    });

    describe('retention', () => {
      it('prunes old mentions and alerts but keeps what a pending delivery shows, and refuses older mentions afterwards', async () => {
        const store = await fresh();
        const old = (await store.mentions.insert(mention({ publishedAt: at(-100) })))!;
        const oldShown = (await store.mentions.insert(mention({ publishedAt: at(-100) })))!;
        const newer = (await store.mentions.insert(mention({ publishedAt: at(0), duplicateOf: old, alertState: 'duplicate' })))!;
        await store.outbox.insertAlert(alert([oldShown], { createdAt: at(-90) }));
        const sentAlert = (await store.outbox.insertAlert(alert([old], { rule: 'x', createdAt: at(-90), deliveries: [{ notifier: 'slack', target: '#other' }] })))!;
        const [sent] = (await store.outbox.dueDeliveries(at(-80))).filter((d) => d.alertId === sentAlert);
        await store.outbox.markSent(sent!.id, at(-80), null);
        await store.retention.setHorizon(at(-50));
        expect(await store.retention.pruneAlerts(at(-50), 10)).toBe(1);
        expect(await store.retention.pruneMentions(at(-50), 10)).toBe(1);
        expect((await store.mentions.get([old, oldShown, newer])).map((m) => [m.id, m.duplicateOf])).toEqual([
          [oldShown, null],
          [newer, null],
        ]);
        expect(await store.mentions.insert(mention({ publishedAt: at(-60) }))).toBeNull();
        expect(await store.mentions.insert(mention({ publishedAt: at(-50) }))).toEqual(expect.any(Number));
        await store.retention.setHorizon(null);
        expect(await store.mentions.insert(mention({ publishedAt: at(-60) }))).toEqual(expect.any(Number));
        await store.sources.logPoll({ sourceKey: 's', startedAt: at(-60), durationMs: 1, outcome: 'ok', fetched: 0, stored: 0 });
        expect(await store.retention.prunePollLog(at(-50), 10)).toBe(1);
        await store.retention.compact({ fullText: true });
      });
    });

    describe('triage', () => {
      const maria: Actor = { kind: 'ui', id: 'maria', name: 'maria' };
      const jo: Actor = { kind: 'slack', id: 'U1', name: '@jo' };
      const now = (minutes: number) => () => new Date(Date.parse(at(minutes)));

      it('records actions with their history, undoes them, and corrects sentiment as a labelled example', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const id = (await store.mentions.insert(mention({ text: 'acme broke my build' })))!;
        expect(await triage.getMention(id)).toMatchObject({ status: 'open', tags: [], assignee: null, sentimentCorrectedFrom: null });
        const handled = await applyAction(triage, { mentionId: id, action: 'handle', actor: maria }, { now: now(1) });
        expect(handled.mention).toMatchObject({ status: 'handled', statusAt: at(1) });
        expect((await applyAction(triage, { mentionId: id, action: 'handle', actor: jo }, { now: now(2) })).changed).toBe(false);
        await applyAction(triage, { mentionId: id, action: 'tag', value: 'billing', actor: jo }, { now: now(3) });
        await applyAction(triage, { mentionId: id, action: 'tag', value: 'bug', actor: jo }, { now: now(3) });
        await applyAction(triage, { mentionId: id, action: 'assign', value: 'maria', actor: jo }, { now: now(4) });
        await applyAction(triage, { mentionId: id, action: 'sentiment', value: 'positive', actor: maria }, { now: now(5) });
        expect(await triage.getMention(id)).toMatchObject({ tags: ['billing', 'bug'], assignee: 'maria', sentiment: { label: 'positive' }, sentimentCorrectedFrom: 'negative' });
        expect(await triage.listCorrections()).toEqual([
          expect.objectContaining({ mentionId: id, analyzerLabel: 'negative', label: 'positive', actorName: 'maria', at: at(5), text: 'acme broke my build' }),
        ]);
        const undo = await undoLast(triage, maria, { now: now(6) });
        expect(undo).toBeTruthy();
        expect((await triage.getMention(id))!.sentiment.label).toBe('negative');
        expect(await triage.listCorrections()).toEqual([]);
        const events = await triage.listEvents(id);
        expect(events.map((e) => e.action)).toEqual(['handle', 'tag', 'tag', 'assign', 'sentiment', 'undo']);
        expect(events[4]!.undoneBy).toBe(events[5]!.id);
        expect(await triage.getEvent(events[0]!.id)).toEqual(events[0]);
        expect((await triage.lastUndoable('jo-nobody'))).toBeNull();
        expect((await triage.lastUndoable('U1', id))!.action).toBe('assign');
        expect(await triage.tagsInUse(10)).toEqual(['billing', 'bug']);
        expect(await triage.assigneesInUse(10)).toEqual(['maria']);
      });

      it('pages the inbox newest first with filters and search, and counts newer mentions', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const ids: number[] = [];
        for (let i = 0; i < 7; i++) ids.push((await store.mentions.insert(mention({ publishedAt: at(i), text: i % 2 ? 'refund please' : 'all good', reach: i * 10 })))!);
        const seen: number[] = [];
        let cursor: string | null = null;
        do {
          const page = await triage.listInbox({}, { cursor, limit: 3 });
          seen.push(...page.mentions.map((m) => m.id));
          cursor = page.next;
        } while (cursor);
        expect(seen).toEqual([...ids].reverse());
        const refunds = await triage.listInbox({ q: 'refund', reachAtLeast: 20 }, { limit: 10 });
        expect(refunds.mentions.map((m) => m.id)).toEqual([ids[5], ids[3]]);
        await applyBulk(triage, [ids[0]!, ids[1]!], { action: 'irrelevant', actor: maria }, { now: now(10) });
        expect((await triage.listInbox({ status: ['irrelevant'] }, { limit: 10 })).mentions.map((m) => m.id)).toEqual([ids[1], ids[0]]);
        expect(await triage.countNewer({ status: ['open'] }, ids[2]!)).toBe(4);
        expect((await triage.listNewer({}, ids[4]!, 10)).map((m) => m.id)).toEqual([ids[6], ids[5]]);
        expect(await triage.latestMentionId()).toBe(ids[6]);
        expect((await triage.getMentions([ids[3]!, 999, ids[1]!])).map((m) => m.id)).toEqual([ids[3], ids[1]]);
      });

      it('wakes snoozed mentions when their time comes', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const id = (await store.mentions.insert(mention()))!;
        await applyAction(triage, { mentionId: id, action: 'snooze', value: '1h', actor: maria }, { now: now(0) });
        expect(await triage.dueSnoozed(at(59), 10)).toEqual([]);
        expect(await triage.dueSnoozed(at(60), 10)).toEqual([id]);
        await wakeSnoozed(triage, new Date(at(61)));
        expect((await triage.getMention(id))!.status).toBe('open');
      });

      it('serialises concurrent actions on one mention', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const id = (await store.mentions.insert(mention()))!;
        await Promise.all(Array.from({ length: 8 }, (_, i) => applyAction(triage, { mentionId: id, action: 'tag', value: `t${i}`, actor: maria }, { now: now(i) })));
        expect((await triage.getMention(id))!.tags).toHaveLength(8);
        expect((await triage.listEvents(id)).filter((e) => e.action === 'tag')).toHaveLength(8);
        // Eight people press "Handled" at once: one changes the mention, the others see it handled.
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => applyAction(triage, { mentionId: id, action: 'handle', actor: { kind: 'ui', id: `u${i}`, name: `u${i}` } }, { now: now(9) })),
        );
        expect(results.filter((r) => r.changed)).toHaveLength(1);
        expect((await triage.listEvents(id)).filter((e) => e.action === 'handle')).toHaveLength(1);
      });

      it('shows a mention’s alerts and related mentions; keeps views, sessions and preferences', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const a = (await store.mentions.insert(mention({ storyKey: 'story' })))!;
        const b = (await store.mentions.insert(mention({ storyKey: 'story' })))!;
        const alertId = (await store.outbox.insertAlert(alert([a])))!;
        const [d] = await store.outbox.dueDeliveries(at(200));
        await store.outbox.markSent(d!.id, at(201), 'ts1');
        expect(await triage.alertsForMention(a)).toEqual([
          {
            alertId,
            rule: 'negative',
            createdAt: at(100),
            summary: 'a negative mention',
            deliveries: [{ notifier: 'slack', target: '#alerts', status: 'sent', attempts: 1, sentAt: at(201), lastError: null, holdReason: null, ref: 'ts1' }],
          },
        ]);
        expect((await triage.related({ id: a, storyKey: 'story', duplicateOf: null }, 5)).map((m) => m.id)).toEqual([b]);

        const view = await triage.saveView('Refunds', 'refund', 'maria', at(1));
        await triage.saveView('refunds later', 'refund*', 'jo', at(2));
        expect((await triage.listViews()).map((v) => v.name)).toEqual(['Refunds', 'refunds later']);
        expect(await triage.deleteView(view.id)).toBe(true);
        expect(await triage.deleteView(view.id)).toBe(false);

        await triage.createSession({ id: 's1', userName: 'maria', via: 'password', csrf: 'c', createdAt: at(0), lastSeenAt: at(0), expiresAt: at(60) });
        expect(await triage.getSession('s1', at(30))).toMatchObject({ userName: 'maria', expiresAt: at(60) });
        await triage.touchSession('s1', at(30), at(90));
        expect(await triage.getSession('s1', at(80))).toMatchObject({ lastSeenAt: at(30) });
        expect(await triage.pruneSessions(at(90))).toBe(1);
        expect(await triage.getSession('s1', at(0))).toBeNull();
        expect(await triage.getKeyboardPreference('maria')).toBe(true);
        await triage.setKeyboardPreference('maria', false);
        expect(await triage.getKeyboardPreference('maria')).toBe(false);
      });

      it('reports response times and the open backlog', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const id = (await store.mentions.insert(mention({ publishedAt: at(0), fetchedAt: at(0) })))!;
        await store.mentions.insert(mention({ publishedAt: at(-3000), fetchedAt: at(-3000) }));
        await applyAction(triage, { mentionId: id, action: 'handle', actor: maria }, { now: now(30) });
        const stats = await triage.responseStats('acme', at(0), at(60), at(60));
        expect(stats).toMatchObject({ handled: 1, medianToHandledMs: 30 * 60_000, p90ToHandledMs: 30 * 60_000, irrelevant: 0 });
        expect(stats.backlog).toEqual([
          { label: 'under 1 hour', count: 0 },
          { label: '1 to 24 hours', count: 0 },
          { label: '1 to 7 days', count: 1 },
          { label: '7 to 30 days', count: 0 },
          { label: 'over 30 days', count: 0 },
        ]);
      });
    });

    describe('transactions and reports', () => {
      it('commits on success and rolls back on failure, savepoints inside', async () => {
        const store = await fresh();
        await expect(
          store.transaction(async (tx) => {
            await tx.meta.set('a', '1');
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.meta.get('a')).toBeNull();
        await store.transaction(async (tx) => {
          await tx.meta.set('b', '1');
          await tx.transaction(async (inner) => inner.meta.set('c', '1'));
          await tx
            .transaction(async (inner) => {
              await inner.meta.set('d', '1');
              throw new Error('inner');
            })
            .catch(() => undefined);
        });
        expect([await store.meta.get('b'), await store.meta.get('c'), await store.meta.get('d')]).toEqual(['1', '1', null]);
      });

      it('a triage action made while a transaction is open is not part of it: it survives the rollback', async () => {
        const store = await fresh();
        const triage = backend.triage(store);
        const id = (await store.mentions.insert(mention({ sourceId: 'before' })))!;
        let action: Promise<unknown> | undefined;
        await expect(
          store.transaction(async (tx) => {
            await tx.mentions.insert(mention({ sourceId: 'inside' }));
            // A Slack click arrives mid-transaction (not awaited here: on SQLite it waits for the connection).
            action = applyAction(triage, { mentionId: id, action: 'handle', actor: { kind: 'slack', id: 'U1', name: '@jo' } });
            for (let turn = 0; turn < 20; turn++) {
              await new Promise((resolve) => setImmediate(resolve));
              await tx.meta.set('turn', String(turn));
            }
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        await action;
        expect((await triage.getMention(id))!.status).toBe('handled');
        expect((await triage.listEvents(id)).map((e) => e.action)).toEqual(['handle']);
        expect(await store.meta.get('turn')).toBeNull();
        expect((await store.mentions.list({})).map((m) => m.sourceId)).toEqual(['before']);
      });

      it('reports what digests and status need', async () => {
        const store = await fresh();
        const a = (await store.mentions.insert(mention({ author: ' Maria ', source: 'reddit' })))!;
        await store.mentions.insert(mention({ author: null, url: 'https://news.example/x' }));
        const alertId = (await store.outbox.insertAlert(
          alert([a], { createdAt: at(10), deliveries: [{ notifier: 'slack', target: '#a' }, { notifier: 'email', target: 'e@x', status: 'suppressed', holdReason: 'silenced' }] }),
        ))!;
        const [slack] = await store.outbox.dueDeliveries(at(10));
        await store.outbox.markSent(slack!.id, at(11), 'ts');
        expect(await store.reports.alertsSent('acme', at(0), at(20))).toEqual([
          { id: alertId, createdAt: at(10), rule: 'negative', summary: 'a negative mention', totalMentions: 1, destinations: ['slack #a'] },
        ]);
        expect(await store.reports.alertedMentions('acme', at(0), at(20))).toEqual([
          { alertId, rule: 'negative', alertCreatedAt: at(10), mentionFetchedAt: (await store.mentions.get([a]))[0]!.fetchedAt },
        ]);
        expect(await store.reports.undelivered('acme', at(0), at(20))).toEqual([{ status: 'suppressed', notifier: 'email', target: 'e@x', reason: 'silenced', count: 1 }]);
        const voices = await store.reports.knownVoices('acme', at(-1000), at(1000));
        expect(voices).toEqual({ authors: new Set(['reddit\u0000maria']), urls: ['https://news.example/x'] });
        expect(await store.reports.deliveriesByNotifier('sent')).toEqual(new Map([['slack', 1]]));
        expect(await store.reports.oldestPendingAt()).toBeNull();
        expect(await store.reports.mentionsByBrand()).toEqual(new Map([['acme', 2]]));
        await store.rules.addPending([{ rule: 'r', hash: 'h', groupKey: 'g', mentionId: a, at: at(1) }]);
        expect(await store.reports.waitingByRule('acme', at(2))).toEqual([{ rule: 'r', count: 1 }]);
        await store.sources.ensure('acme/rss', 'acme', 'rss', 'h', at(0));
        await store.sources.logPoll({ sourceKey: 'acme/rss', startedAt: at(1), durationMs: 1, outcome: 'error', fetched: 0, stored: 0, error: '429', errorKind: 'rate_limit' });
        await store.sources.logPoll({ sourceKey: 'acme/rss', startedAt: at(2), durationMs: 1, outcome: 'error', fetched: 0, stored: 0, error: 'boom', errorKind: 'http' });
        expect(await store.reports.sourceHealth('acme', at(0), at(5))).toEqual([
          { sourceKey: 'acme/rss', polls: 2, errors: 1, rateLimited: 1, gaps: 0, lastError: 'boom', lastGap: null },
        ]);
        const info = await store.describe();
        expect(await store.mentions.count({ includeDuplicates: true })).toBe(2);
        expect(info).toMatchObject({ walBytes: expect.any(Number) });
        expect(info.schemaVersion).toBe(info.knownSchemaVersion);
        expect(store.location).not.toMatch(/:\/\/[^/@]*:(?!\*\*\*@)[^/@]+@/);
      });

      it('knows which brands have mentions, when their imported history starts, and whether anything happened before a time', async () => {
        const store = await fresh();
        expect(await store.reports.activityBefore(at(1000))).toBe(false);
        expect(await store.mentions.brands()).toEqual([]);
        await store.mentions.insert(mention({ brand: 'globex', sourceKey: 'globex/import', publishedAt: at(-30), fetchedAt: at(5) }));
        await store.mentions.insert(mention({ brand: 'globex', sourceKey: 'globex/import', publishedAt: at(-50), fetchedAt: at(5) }));
        await store.mentions.insert(mention({ brand: 'acme', sourceKey: 'acme/rss', publishedAt: at(-90), fetchedAt: at(6) }));
        expect(await store.mentions.brands()).toEqual(['acme', 'globex']);
        expect([await store.mentions.hasBrand('globex'), await store.mentions.hasBrand('initech')]).toEqual([true, false]);
        // Only imported mentions count as imported history; a brand without any has none.
        await store.mentions.noteImportedHistory('globex');
        await store.mentions.noteImportedHistory('acme');
        expect(await store.mentions.importedHistoryFrom('globex')).toBe(at(-50));
        expect(await store.mentions.importedHistoryFrom('acme')).toBeNull();
        // Stored mentions (fetched at 5) and polls both count as activity.
        expect([await store.reports.activityBefore(at(5)), await store.reports.activityBefore(at(6))]).toEqual([false, true]);
        await store.sources.ensure('acme/rss', 'acme', 'rss', 'h', at(0));
        await store.sources.logPoll({ sourceKey: 'acme/rss', startedAt: at(2), durationMs: 1, outcome: 'ok', fetched: 0, stored: 0 });
        expect(await store.reports.activityBefore(at(3))).toBe(true);
      });

      it('lists an alert\'s deliveries, and claims the database for one daemon', async () => {
        const store = await fresh();
        const m = (await store.mentions.insert(mention()))!;
        const alertId = (await store.outbox.insertAlert(
          alert([m], { deliveries: [{ notifier: 'slack', target: '#a' }, { notifier: 'email', target: 'e@x', status: 'held', notBefore: at(200), holdReason: 'quiet hours' }] }),
        ))!;
        const deliveries = await store.outbox.deliveriesOf(alertId);
        expect(deliveries.map((d) => [d.notifier, d.target, d.status, d.nextAttemptAt, d.holdReason])).toEqual([
          ['slack', '#a', 'pending', at(100), null],
          ['email', 'e@x', 'held', at(200), 'quiet hours'],
        ]);
        expect(await store.outbox.deliveriesOf(alertId + 1000)).toEqual([]);
        const lock = await store.lockDaemon({ pid: 4242, host: 'node-a', since: at(0) });
        const state = await store.daemonState();
        if (store.dialect === 'sqlite') expect(state).toEqual({ running: true, owner: { pid: 4242, host: 'node-a', since: at(0) } });
        else expect(state.running).toBe(false);
        lock.release();
        expect((await store.daemonState()).running).toBe(false);
      });

      it('counts a brand\'s mentions of a period in the database: volume, sources, authors, replies, reach, samples, voices', async () => {
        const store = await fresh();
        const hour = (h: number, m = 0) => new Date(Date.parse(T0) + h * 3_600_000 + m * 60_000).toISOString();
        const quiet = { level: 'low' as const, score: 0.1, reasons: [] as string[] };
        const put = async (o: Partial<NewMention>) => (await store.mentions.insert(mention({ sentiment: { label: 'neutral', score: 0, reasons: [] }, urgency: quiet, reach: null, ...o })))!;
        const ids = {
          // hour 0: a complaint reason (needs a reply), and a reason that only quotes the word (does not)
          complaint: await put({ publishedAt: hour(0, 5), author: ' Maria ', source: 'reddit', urgency: { level: 'low', score: 0.5, reasons: ['complaint: "where is my refund" (0.92)'] }, reach: 40 }),
          quoted: await put({ publishedAt: hour(0, 30), author: 'maria', source: 'reddit', urgency: { level: 'low', score: 0.2, reasons: ['crisis: "complaint about fires" (safety)'] }, reach: 900 }),
          // hour 1: negative, critical, a question to the brand, positive
          negative: await put({ publishedAt: hour(1, 1), author: 'Bob', sentiment: { label: 'negative', score: -0.7, reasons: [] }, urgency: { level: 'low', score: 0.5, reasons: [] }, reach: 10 }),
          critical: await put({ publishedAt: hour(1, 2), author: 'bob', urgency: { level: 'critical', score: 0.95, reasons: ['outage'] } }),
          question: await put({ publishedAt: hour(1, 3), author: 'Cy', urgency: { level: 'low', score: 0.5, reasons: ['other', 'question to @acme'] }, reach: 10 }),
          positive: await put({ publishedAt: hour(1, 4), author: 'Dee', sentiment: { label: 'positive', score: 0.8, reasons: [] }, reach: 0 }),
          // hour 3: no author (a feed item), another language
          feed: await put({ publishedAt: hour(3), author: null, url: 'https://www.news.example/a', sentiment: { label: 'unknown', score: 0, reasons: [] }, reach: 5 }),
        };
        // Left out: a repost, another brand, before and after the period.
        await put({ publishedAt: hour(1, 10), author: 'Bob', duplicateOf: ids.negative, sentiment: { label: 'negative', score: -0.7, reasons: [] } });
        await put({ publishedAt: hour(1, 11), brand: 'other', author: 'Bob' });
        await put({ publishedAt: hour(-1), author: 'Bob' });
        await put({ publishedAt: hour(4), author: 'Bob' });
        const [since, until] = [hour(0), hour(4)];

        expect(await store.reports.periodVolume('acme', since, until, 3_600_000)).toEqual([
          { bucket: 0, count: 2, negative: 0, neutral: 2, positive: 0, needsReply: 1 },
          { bucket: 1, count: 4, negative: 1, neutral: 2, positive: 1, needsReply: 3 },
          { bucket: 3, count: 1, negative: 0, neutral: 0, positive: 0, needsReply: 0 },
        ]);
        // Buckets count from `since` (a period need not start on the hour).
        expect((await store.reports.periodVolume('acme', hour(0, 30), until, 7_200_000)).map((r) => [r.bucket, r.count])).toEqual([[0, 5], [1, 1]]);
        expect(sortBy(await store.reports.periodSources('acme', since, until), (r) => r.source)).toEqual([
          { source: 'reddit', count: 2 },
          { source: 'rss', count: 5 },
        ]);
        // Maria twice (named as her first mention spells it), Bob twice; Cy and Dee tie for the last place and both come.
        expect(await store.reports.periodTopAuthors('acme', since, until, 3).then((rows) => sortBy(rows, (r) => `${9 - r.mentions}${r.name}`))).toEqual([
          { source: 'rss', name: 'Bob', mentions: 2, reach: 10 },
          { source: 'reddit', name: 'Maria', mentions: 2, reach: 900 },
          { source: 'rss', name: 'Cy', mentions: 1, reach: 10 },
        ]);
        expect((await store.reports.periodTopAuthors('acme', since, until, 4)).map((r) => r.name).sort()).toEqual(['Bob', 'Cy', 'Dee', 'Maria']);
        // Most urgent first, then reach, then newest (the question and the negative one tie on both).
        expect((await store.reports.periodNeedingReply('acme', since, until, 10)).map((m) => m.id)).toEqual([ids.critical, ids.complaint, ids.question, ids.negative]);
        expect((await store.reports.periodNeedingReply('acme', since, until, 2)).map((m) => m.id)).toEqual([ids.critical, ids.complaint]);
        const [top] = await store.reports.periodTopReach('acme', since, until, 1);
        expect(top).toMatchObject({ id: ids.quoted, author: 'maria', reach: 900, urgency: { reasons: ['crisis: "complaint about fires" (safety)'] } });
        expect((await store.reports.periodTopReach('acme', since, until, 10)).map((m) => m.id)).toEqual([ids.quoted, ids.complaint, ids.negative, ids.question, ids.feed]);

        const all = await store.reports.periodTextSample('acme', since, until, 1);
        expect(all).toHaveLength(7);
        expect(all[0]).toEqual({ title: expect.any(String), text: 'acme cloud is down again' });
        // One in three by a hash of the id: the same on every backend, and the same each time.
        const inSample = (id: number) => ((BigInt(id) % 4294967291n) * 1103515245n) % 4294967291n % 3n === 0n;
        const stored = await store.mentions.get(Object.values(ids));
        const sample = await store.reports.periodTextSample('acme', since, until, 3);
        expect(sample.map((t) => t.title).sort()).toEqual(stored.filter((m) => inSample(m.id)).map((m) => m.title).sort());
        expect(await store.reports.periodTextSample('acme', since, until, 3)).toEqual(sample);

        const voices = await store.reports.periodVoices('acme', since, until);
        expect(sortBy(voices.authors, (r) => r.name)).toEqual([
          { source: 'rss', name: 'Bob', mentions: 2, reach: 10 },
          { source: 'rss', name: 'Cy', mentions: 1, reach: 10 },
          { source: 'rss', name: 'Dee', mentions: 1, reach: 0 },
          { source: 'reddit', name: 'Maria', mentions: 2, reach: 900 },
        ]);
        expect(voices.unsigned).toEqual([{ url: 'https://www.news.example/a', source: 'rss', reach: 5 }]);
        expect(await store.reports.periodVolume('nobody', since, until, 3_600_000)).toEqual([]);
      });
    });
  });
});
