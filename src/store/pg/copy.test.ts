import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgQuery, postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from '../../../test/helpers/postgres.js';
import { MIGRATIONS } from '../migrations.js';
import { openPostgres } from './connect.js';
import { copySqliteToPostgres, CopyError } from './copy.js';
import { openPostgresStore } from './store.js';
import { pgTriageStore } from './triage.js';

const availability = postgresAvailability();
const T = (minutes: number): string => new Date(Date.parse('2026-05-01T08:00:00.000Z') + minutes * 60_000).toISOString();

/** A SQLite deployment with a row in every table, written with plain SQL as earshot stores it. */
function sqliteDeployment(path: string): Database.Database {
  const db = new Database(path);
  for (const m of MIGRATIONS) db.exec(m.sql);
  db.pragma(`user_version = ${MIGRATIONS.length}`);
  const mention = db.prepare(
    `INSERT INTO mentions (id, brand, source, source_key, source_id, url, canonical_url, author, reach, title, text, published_at, fetched_at,
       matched_terms, sentiment_label, sentiment_score, sentiment_reasons, urgency_level, urgency_score, urgency_reasons, fingerprint,
       duplicate_of, metrics, alert_state, status, status_at, assignee)
     VALUES (@id, 'acme', 'reddit', 'acme/reddit', @sid, @url, @url, 'maria', 42, @title, @text, @at, @at, '["acme"]', 'negative', -0.6,
       '["refund"]', 'high', 0.8, '["outage"]', @fp, @dup, '{"score":7}', @state, @status, @statusAt, @assignee)`,
  );
  mention.run({ id: 1, sid: 't3_a', url: 'https://r/a', title: 'Acme refund', text: 'Acme Cloud lost my data, refund please', at: T(-60 * 24 * 100), fp: 'f1', dup: null, state: 'evaluated', status: 'handled', statusAt: T(1), assignee: 'maria' });
  mention.run({ id: 2, sid: 't3_b', url: 'https://r/b', title: '', text: 'repost: Acme Cloud lost my data', at: T(0), fp: 'f2', dup: 1, state: 'duplicate', status: 'open', statusAt: null, assignee: null });
  mention.run({ id: 5, sid: 't3_c', url: 'https://r/c', title: 'Praise', text: 'acme is great', at: T(5), fp: 'f3', dup: null, state: 'new', status: 'open', statusAt: null, assignee: null });
  db.prepare(
    `INSERT INTO source_state (source_key, brand, type, settings_hash, etag, last_modified, cursor, first_success_at, last_success_at, next_poll_at,
       rate_remaining, rate_limit, rate_reset_at, consecutive_failures, created_at)
     VALUES ('acme/reddit', 'acme', 'reddit', 'h1', '"e"', 'Wed, 21 Oct 2015 07:28:00 GMT', 't3_c', ?, ?, ?, 55, 60, ?, 0, ?)`,
  ).run(T(-100), T(5), T(10), T(15), T(-100));
  db.prepare("INSERT INTO poll_log (source_key, started_at, duration_ms, outcome, fetched, stored, gap) VALUES ('acme/reddit', ?, 120, 'ok', 3, 3, 'page cap')").run(T(5));
  db.prepare(
    `INSERT INTO alerts (id, rule, rule_hash, rule_type, group_key, brand, summary, details, total_mentions, created_at, sample_mention_ids)
     VALUES (7, 'negative', 'rh', 'mention', 'acme', 'acme', 'a refund request', '["why"]', 1, ?, '[]')`,
  ).run(T(2));
  db.prepare("INSERT INTO alert_mentions (rule, mention_id, alert_id) VALUES ('negative', 1, 7)").run();
  db.prepare("INSERT INTO deliveries (id, alert_id, notifier, target, status, attempts, next_attempt_at, sent_at, ref) VALUES (3, 7, 'slack', '#alerts', 'sent', 1, ?, ?, '1714550000.000100')").run(T(2), T(2));
  db.prepare("INSERT INTO deliveries (id, alert_id, notifier, target, status, attempts, next_attempt_at) VALUES (4, 7, 'email', 'pr@example.com', 'pending', 2, ?)").run(T(20));
  db.prepare("INSERT INTO rule_groups (rule, rule_hash, group_key, last_alert_at, last_alert_id, streak, active) VALUES ('spike', 'sh', 'acme', ?, 7, 2, 1)").run(T(2));
  db.prepare("INSERT INTO rule_pending (rule, rule_hash, group_key, mention_id, added_at) VALUES ('negative', 'rh', 'acme', 5, ?)").run(T(6));
  db.prepare("INSERT INTO rule_hits (rule, mention_id, group_key, at) VALUES ('spike', 5, 'acme', ?)").run(T(5));
  db.prepare("INSERT INTO digest_runs (digest, period_end, period_start, status, attempts, next_attempt_at, sent_at, recipients, created_at) VALUES ('daily', ?, ?, 'sent', 1, ?, ?, '[\"team@example.com\"]', ?)").run(T(0), T(-1440), T(0), T(1), T(0));
  db.prepare("INSERT INTO silences (id, rule, brand, starts_at, ends_at, reason, created_at) VALUES (2, '*', 'acme', ?, ?, 'maintenance', ?)").run(T(0), T(600), T(0));
  db.prepare(
    `INSERT INTO mention_events (id, mention_id, at, actor_kind, actor_id, actor_name, action, before, after)
     VALUES (1, 1, ?, 'ui', 'maria', 'maria', 'handle', '{"status":"open"}', '{"status":"handled"}')`,
  ).run(T(1));
  db.prepare("INSERT INTO mention_tags (mention_id, tag) VALUES (1, 'billing')").run();
  db.prepare(
    `INSERT INTO sentiment_corrections (mention_id, brand, source, title, text, analyzer_label, analyzer_score, analyzer_reasons, label, actor_name, at)
     VALUES (1, 'acme', 'reddit', 'Acme refund', 'Acme Cloud lost my data, refund please', 'neutral', 0, '[]', 'negative', 'maria', ?)`,
  ).run(T(1));
  db.prepare("INSERT INTO saved_views (name, query, created_by, created_at) VALUES ('Refunds', 'refund', 'maria', ?)").run(T(1));
  db.prepare("INSERT INTO ui_sessions (id, user_name, via, csrf, created_at, last_seen_at, expires_at) VALUES ('s', 'maria', 'password', 'c', ?, ?, ?)").run(T(0), T(0), T(600));
  db.prepare("INSERT INTO ui_preferences (user_name, keyboard) VALUES ('maria', 0)").run();
  // The horizon is newer than mention 1, which stays because an alert showing it waits to be sent.
  db.prepare("INSERT INTO meta (key, value) VALUES ('retention.horizon', ?), ('config.last_reload_at', ?)").run(T(-60 * 24 * 90), T(0));
  return db;
}

describe.skipIf(!availability.ok)(withSkipReason('earshot migrate-db: SQLite to PostgreSQL', availability), () => {
  let pg: TestPostgres;
  let dir: string;
  beforeAll(async () => {
    pg = await startTestPostgres();
    dir = mkdtempSync(join(tmpdir(), 'earshot-copy-'));
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('copies every table with its ids and links, verified by counts; the copy then works as a store', async () => {
    const sqlite = sqliteDeployment(join(dir, 'full.db'));
    const url = await pg.createDatabase('copy');
    const target = await openPostgres(url);
    const progress: string[] = [];
    const report = await copySqliteToPostgres(sqlite, target, { onProgress: (table, done, total) => progress.push(`${table} ${done}/${total}`) });
    await target.close();
    sqlite.close();
    expect(report.tables.every((t) => t.sqlite === t.postgres)).toBe(true);
    expect(report.tables.find((t) => t.table === 'mentions')).toEqual({ table: 'mentions', sqlite: 3, postgres: 3 });
    expect(report.tables.map((t) => t.table)).toContain('ui_preferences');
    expect(progress).toContain('mentions 3/3');

    const store = await openPostgresStore(url);
    try {
      const [first, repost, praise] = await store.mentions.get([1, 2, 5]);
      expect(first).toMatchObject({ id: 1, publishedAt: T(-60 * 24 * 100), matchedTerms: ['acme'], metrics: { score: 7 }, sentiment: { label: 'negative', score: -0.6, reasons: ['refund'] } });
      expect(repost).toMatchObject({ id: 2, duplicateOf: 1 });
      expect(praise!.id).toBe(5);
      expect((await store.mentions.list({ search: '"lost my data"', includeDuplicates: true, since: T(-1e6) })).map((m) => m.id)).toEqual([2, 1]);
      expect(await store.outbox.getAlert(7)).toMatchObject({ mentionIds: [1], details: ['why'], createdAt: T(2) });
      expect(await store.outbox.threadRoot('negative', 'acme', 'slack', '#alerts', T(0))).toBe('1714550000.000100');
      expect((await store.outbox.summary(T(0))).pending).toBe(1);
      expect(await store.rules.getGroup('spike', 'sh', 'acme')).toEqual({ lastAlertAt: T(2), lastAlertId: 7, streak: 2, active: true });
      expect(await store.rules.pendingGroups()).toEqual([{ rule: 'negative', ruleHash: 'rh', groupKey: 'acme', firstAddedAt: T(6), mentionIds: [5] }]);
      expect(await store.rules.countHits('spike', T(0), T(10))).toEqual(new Map([['acme', 1]]));
      expect(await store.sources.get('acme/reddit')).toMatchObject({ cursor: 't3_c', etag: '"e"', lastModified: 'Wed, 21 Oct 2015 07:28:00 GMT', nextPollAt: T(10), rateRemaining: 55 });
      expect(await store.sources.pollSummarySince(T(0))).toEqual([{ sourceKey: 'acme/reddit', polls: 1, errors: 0, fetched: 3, stored: 3, lastError: null, gaps: 1 }]);
      expect(await store.digests.get('daily', T(0))).toMatchObject({ status: 'sent', recipients: ['team@example.com'] });
      expect(await store.silences.active('negative', 'acme', T(30))).toMatchObject({ id: 2, reason: 'maintenance' });
      expect(await store.meta.get('retention.horizon')).toBe(T(-60 * 24 * 90));
      const triage = pgTriageStore(store);
      expect(await triage.getMention(1)).toMatchObject({ status: 'handled', statusAt: T(1), assignee: 'maria', tags: ['billing'], sentimentCorrectedFrom: 'neutral' });
      expect(await triage.listEvents(1)).toEqual([expect.objectContaining({ action: 'handle', before: { status: 'open' }, after: { status: 'handled' } })]);
      expect(await triage.getKeyboardPreference('maria')).toBe(false);
      // New rows continue after the copied ids.
      const next = await store.silences.add({ rule: 'x', startsAt: T(0), endsAt: T(1), reason: 'r' });
      expect(next.id).toBe(3);
      const alertId = await store.outbox.insertAlert({
        rule: 'other', ruleHash: 'h', ruleType: 'mention', groupKey: '', brand: 'acme', summary: 's', details: [], mentionIds: [5], totalMentions: 1, createdAt: T(30), deliveries: [],
      });
      expect(alertId).toBe(8);
    } finally {
      await store.close();
    }
  });

  it('refuses a database that already holds data, and keeps nothing of a copy that fails', async () => {
    const url = await pg.createDatabase('busy');
    const first = sqliteDeployment(join(dir, 'a.db'));
    const target = await openPostgres(url);
    await copySqliteToPostgres(first, target);
    await expect(copySqliteToPostgres(first, target)).rejects.toThrow(/already holds data \(table mentions is not empty\)/);
    first.close();

    const broken = sqliteDeployment(join(dir, 'b.db'));
    broken.prepare("UPDATE silences SET reason = 'x', created_at = 'not a time'").run();
    const emptyUrl = await pg.createDatabase('empty');
    const empty = await openPostgres(emptyUrl);
    const error = (await copySqliteToPostgres(broken, empty).then(() => null, (err: unknown) => err)) as Error;
    expect(error).toBeInstanceOf(CopyError);
    expect(error.message).toContain('silences.created_at: "not a time" is not a time');
    const [left] = await pgQuery<{ n: string }>(emptyUrl, 'SELECT (SELECT count(*) FROM mentions) + (SELECT count(*) FROM alerts) AS n');
    expect(left!.n).toBe('0');
    broken.close();
    await target.close();
    await empty.close();
  });
});
