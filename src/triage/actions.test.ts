import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedMentionSync as seedMention } from '../../test/helpers/digest-seed.js';
import { openDatabase, stmt, type Db } from '../store/sqlite/db.js';
import { listMentions } from '../store/sqlite/mentions.js';
import { MIGRATIONS } from '../store/migrations.js';
import { SqliteTriageStore } from '../store/sqlite/triage.js';
import type { Actor } from '../store/triage-types.js';
import { applyAction, applyBulk, TriageError, undoLast } from './actions.js';
import { onTriageChange, type TriageChange } from './events.js';
import { parseFilter } from './filter.js';
import { wakeSnoozed } from './snooze.js';

const maria: Actor = { kind: 'ui', id: 'maria', name: 'maria' };
const slackUser: Actor = { kind: 'slack', id: 'U024BE7LH', name: '@jo' };
const T0 = new Date('2026-11-23T10:00:00.000Z');

let dir: string;
let db: Db;
let store: SqliteTriageStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'earshot-triage-'));
  db = openDatabase(join(dir, 'earshot.db'));
  store = new SqliteTriageStore(db);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function seed(n: number, extra: (i: number) => Partial<Parameters<typeof seedMention>[1]> = () => ({})): number[] {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(seedMention(db, { id: `m${i}`, at: new Date(T0.getTime() - (n - i) * 60_000).toISOString(), text: `acme mention ${i}`, ...extra(i) }));
  }
  return ids;
}

const at = (ms: number) => () => new Date(T0.getTime() + ms);

describe('triage actions', () => {
  it('starts open; handle records actor and time; a repeat records nothing', async () => {
    const [id] = seed(1);
    expect((await store.getMention(id!))!.status).toBe('open');
    const first = await applyAction(store, { mentionId: id!, action: 'handle', actor: maria }, { now: at(0) });
    expect(first.changed).toBe(true);
    expect(first.mention).toMatchObject({ status: 'handled', statusAt: T0.toISOString() });
    expect(first.event).toMatchObject({ action: 'handle', actor: maria, at: T0.toISOString(), before: { status: 'open' }, after: { status: 'handled' } });
    const again = await applyAction(store, { mentionId: id!, action: 'handle', actor: slackUser }, { now: at(1000) });
    expect(again).toMatchObject({ changed: false, event: null, mention: { status: 'handled', statusAt: T0.toISOString() } });
    expect((await store.listEvents(id!)).map((e) => e.action)).toEqual(['handle']);
  });

  it('undo restores the state before; a second undo changes nothing', async () => {
    const [id] = seed(1);
    await applyAction(store, { mentionId: id!, action: 'irrelevant', actor: maria }, { now: at(0) });
    const undo = await applyAction(store, { mentionId: id!, action: 'undo', actor: maria }, { now: at(5000) });
    expect(undo.mention).toMatchObject({ status: 'open', statusAt: null });
    expect(undo.event).toMatchObject({ action: 'undo', value: 'irrelevant' });
    const events = await store.listEvents(id!);
    expect(events[0]!.undoneBy).toBe(events[1]!.id);
    expect(events[1]!.undoes).toBe(events[0]!.id);
    expect((await applyAction(store, { mentionId: id!, action: 'undo', actor: maria })).changed).toBe(false);
  });

  it('refuses to undo what someone changed since, and says who did what', async () => {
    const [id] = seed(1);
    const handled = await applyAction(store, { mentionId: id!, action: 'handle', actor: maria }, { now: at(0) });
    await applyAction(store, { mentionId: id!, action: 'reopen', actor: slackUser }, { now: at(1000) });
    await expect(applyAction(store, { mentionId: id!, action: 'undo', value: String(handled.event!.id), actor: maria })).rejects.toThrow(
      'cannot undo "handle" by maria: the mention changed since (status is now open)',
    );
  });

  it('rejects unknown actions, bad values and missing mentions with what to do', async () => {
    const [id] = seed(1);
    const cases: Array<[string, string | null, string]> = [
      ['resolve', null, 'action "resolve": expected one of handle, irrelevant, reopen, snooze, assign, tag, untag, note, sentiment, undo'],
      ['snooze', 'soon', 'snooze "soon": expected a duration (4h, 1d, 1w) or a time (2026-12-01T09:00Z)'],
      ['snooze', '2020-01-01T00:00Z', 'snooze "2020-01-01T00:00Z": that time has passed; snooze until a later time'],
      ['sentiment', 'angry', 'sentiment "angry": expected negative, neutral or positive'],
      ['tag', ' ', 'tag: empty; give the tag as value, e.g. "refund"'],
      ['tag', 'a,b', 'tag "a,b": commas and control characters are not allowed'],
      ['note', '', 'note: empty; write the note as value'],
    ];
    for (const [action, value, message] of cases) {
      const err = await applyAction(store, { mentionId: id!, action, value, actor: maria }, { now: at(0) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TriageError);
      expect((err as TriageError).code).toBe('invalid');
      expect((err as Error).message).toBe(message);
    }
    await expect(applyAction(store, { mentionId: 9999, action: 'handle', actor: maria })).rejects.toMatchObject({ code: 'not_found', message: 'mention 9999 does not exist' });
    expect(await store.listEvents(id!)).toEqual([]);
  });

  it('assigns, tags, untags and keeps notes in the history', async () => {
    const [id] = seed(1);
    await applyAction(store, { mentionId: id!, action: 'assign', value: 'maria', actor: maria }, { now: at(0) });
    await applyAction(store, { mentionId: id!, action: 'tag', value: '  Refund  Request ', actor: maria }, { now: at(1) });
    await applyAction(store, { mentionId: id!, action: 'tag', value: 'billing', actor: maria }, { now: at(2) });
    expect((await applyAction(store, { mentionId: id!, action: 'tag', value: 'BILLING', actor: maria })).changed).toBe(false);
    await applyAction(store, { mentionId: id!, action: 'untag', value: 'billing', actor: maria }, { now: at(3) });
    await applyAction(store, { mentionId: id!, action: 'note', value: 'Replied by DM; refund issued', actor: maria }, { now: at(4) });
    const m = (await store.getMention(id!))!;
    expect(m).toMatchObject({ assignee: 'maria', tags: ['refund request'] });
    expect((await store.listEvents(id!)).map((e) => [e.action, e.value])).toEqual([
      ['assign', 'maria'],
      ['tag', 'refund request'],
      ['tag', 'billing'],
      ['untag', 'billing'],
      ['note', 'Replied by DM; refund issued'],
    ]);
    // Undo the untag: the tag comes back.
    const untag = (await store.listEvents(id!))[3]!;
    await applyAction(store, { mentionId: id!, action: 'undo', value: String(untag.id), actor: maria });
    expect((await store.getMention(id!))!.tags).toEqual(['billing', 'refund request']);
  });

  it('a sentiment correction replaces the label on the mention and keeps the analyzer label as an example', async () => {
    const [id] = seed(1, () => ({ sentiment: 'positive', score: 0.4, text: 'great, acme lost my data again' }));
    const r = await applyAction(store, { mentionId: id!, action: 'sentiment', value: 'negative', actor: maria }, { now: at(0) });
    expect(r.mention.sentiment).toEqual({ label: 'negative', score: -0.6, reasons: ['corrected by maria'] });
    expect(r.mention.sentimentCorrectedFrom).toBe('positive');
    // What the digest and rules read (the mentions table) has the corrected label.
    expect(listMentions(db, { sentiment: 'negative' }).map((m) => m.id)).toEqual([id]);
    expect(await store.listCorrections()).toEqual([
      expect.objectContaining({ mentionId: id, text: 'great, acme lost my data again', analyzerLabel: 'positive', analyzerScore: 0.4, label: 'negative', actorName: 'maria' }),
    ]);
    await applyAction(store, { mentionId: id!, action: 'sentiment', value: 'neutral', actor: slackUser }, { now: at(1) });
    expect((await store.listCorrections())[0]).toMatchObject({ analyzerLabel: 'positive', label: 'neutral', actorName: '@jo' });
    // Undo twice: back to the analyzer's own label and score; no correction left.
    await undoLast(store, slackUser);
    await undoLast(store, maria);
    expect((await store.getMention(id!))!.sentiment).toEqual({ label: 'positive', score: 0.4, reasons: [] });
    expect(await store.listCorrections()).toEqual([]);
  });

  it('the labelled example outlives the mention', async () => {
    const [id] = seed(1, () => ({ sentiment: 'neutral' }));
    await applyAction(store, { mentionId: id!, action: 'sentiment', value: 'negative', actor: maria });
    stmt(db, 'DELETE FROM mentions WHERE id = ?').run(id);
    expect(await store.listEvents(id!)).toEqual([]);
    expect((await store.listCorrections()).map((c) => c.label)).toEqual(['negative']);
  });
});

describe('snooze', () => {
  it('returns a snoozed mention to open when its time comes', async () => {
    const [id] = seed(1);
    const r = await applyAction(store, { mentionId: id!, action: 'snooze', value: '4h', actor: maria }, { now: at(0) });
    expect(r.mention).toMatchObject({ status: 'snoozed', snoozedUntil: '2026-11-23T14:00:00.000Z' });
    expect(await wakeSnoozed(store, new Date('2026-11-23T13:59:59.000Z'))).toEqual([]);
    expect(await wakeSnoozed(store, new Date('2026-11-23T14:00:00.000Z'))).toEqual([id]);
    const m = (await store.getMention(id!))!;
    expect(m).toMatchObject({ status: 'open', snoozedUntil: null });
    expect((await store.listEvents(id!)).at(-1)).toMatchObject({ action: 'wake', value: 'snooze ended', actor: { kind: 'system', name: 'earshot' } });
  });

  it('returns it sooner when the same story gets a new mention', async () => {
    const [a, b] = seed(2);
    stmt(db, "UPDATE mentions SET story_key = 'story:https://example.com/outage' WHERE id IN (?, ?)").run(a, b);
    await applyAction(store, { mentionId: a!, action: 'snooze', value: '1d', actor: maria }, { now: at(0) });
    // The story's older mention does not wake it; a mention fetched after the snooze does.
    expect(await wakeSnoozed(store, new Date(T0.getTime() + 60_000))).toEqual([]);
    const c = seedMention(db, { id: 'later', at: new Date(T0.getTime() + 120_000).toISOString(), text: 'acme outage, day 2' });
    stmt(db, "UPDATE mentions SET story_key = 'story:https://example.com/outage' WHERE id = ?").run(c);
    expect(await wakeSnoozed(store, new Date(T0.getTime() + 180_000))).toEqual([a]);
    expect((await store.listEvents(a!)).at(-1)).toMatchObject({ action: 'wake', value: 'new mention in its story' });
  });
});

describe('bulk and events', () => {
  it('a bulk action is one batch: undoLast undoes all of it', async () => {
    const ids = seed(3);
    await applyAction(store, { mentionId: ids[2]!, action: 'handle', actor: maria });
    const bulk = await applyBulk(store, [...ids, 4242], { action: 'irrelevant', actor: maria }, { now: at(0) });
    expect(bulk.results.filter((r) => r.changed)).toHaveLength(3);
    expect(bulk.failed).toEqual([{ mentionId: 4242, error: 'mention 4242 does not exist' }]);
    const undo = await undoLast(store, maria);
    expect(undo).toMatchObject({ undone: 'irrelevant', failed: [] });
    expect((await store.getMentions(ids)).map((m) => m.status)).toEqual(['open', 'open', 'handled']);
  });

  it('tells listeners of the same store once per change, not for repeats', async () => {
    const [id] = seed(1);
    const other = new SqliteTriageStore(db);
    const seen: TriageChange[] = [];
    const otherSeen: TriageChange[] = [];
    const stop = onTriageChange(store, (c) => void seen.push(c));
    onTriageChange(other, (c) => void otherSeen.push(c));
    onTriageChange(store, () => {
      throw new Error('a broken listener');
    });
    const errors: unknown[] = [];
    await applyAction(store, { mentionId: id!, action: 'handle', actor: slackUser }, { onListenerError: (e) => errors.push(e) });
    await applyAction(store, { mentionId: id!, action: 'handle', actor: slackUser }, { onListenerError: (e) => errors.push(e) });
    expect(seen.map((c) => [c.event.action, c.actor.id, c.mention.status])).toEqual([['handle', 'U024BE7LH', 'handled']]);
    expect(otherSeen).toEqual([]);
    expect(errors).toHaveLength(1);
    stop();
    await applyAction(store, { mentionId: id!, action: 'reopen', actor: slackUser }, { onListenerError: () => undefined });
    expect(seen).toHaveLength(1);
  });
});

describe('inbox listing', () => {
  it('pages newest first with a keyset cursor and filters by status, tag and assignee', async () => {
    const ids = seed(25, (i) => ({ sentiment: i % 3 === 0 ? 'negative' : 'neutral', at: new Date(T0.getTime() - Math.floor(i / 2) * 60_000).toISOString() }));
    const all: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listInbox({}, { cursor, limit: 7 });
      all.push(...page.mentions.map((m) => m.id));
      cursor = page.next;
    } while (cursor);
    const expected = listMentions(db, { limit: 100 }).map((m) => m.id);
    expect(all).toEqual(expected);
    expect(all).toHaveLength(25);

    await applyBulk(store, ids.slice(0, 4), { action: 'handle', actor: maria });
    await applyAction(store, { mentionId: ids[5]!, action: 'tag', value: 'refund', actor: maria });
    await applyAction(store, { mentionId: ids[6]!, action: 'assign', value: 'maria', actor: maria });
    const open = await store.listInbox(parseFilter(new URLSearchParams(''), { now: T0, defaultStatus: ['open'] }).filter, { limit: 100 });
    expect(open.mentions).toHaveLength(21);
    const handled = await store.listInbox({ status: ['handled'] }, { limit: 100 });
    expect(handled.mentions.map((m) => m.id).sort()).toEqual(ids.slice(0, 4).sort());
    expect((await store.listInbox({ tag: 'refund' }, { limit: 10 })).mentions.map((m) => m.id)).toEqual([ids[5]]);
    expect((await store.listInbox({ assignee: 'maria' }, { limit: 10 })).mentions.map((m) => m.id)).toEqual([ids[6]]);
    expect((await store.listInbox({ sentiment: ['negative'], status: ['open'] }, { limit: 100 })).mentions.every((m) => m.sentiment.label === 'negative' && m.status === 'open')).toBe(true);
    expect(await store.countNewer({}, ids[20]!)).toBe(4);
  });

  it('reports every bad filter parameter by name', () => {
    const { problems } = parseFilter(new URLSearchParams('status=done&sentiment=angry&reach=lots&since=yesterdayish&q=%22%22'), { now: T0 });
    expect(problems.map((p) => p.message)).toEqual([
      'status=done: expected open, handled, irrelevant, snoozed or all',
      'sentiment=angry: expected negative, neutral, positive, unknown',
      'reach=lots: expected a whole number (the least reach to show)',
      'since=yesterdayish: expected a duration ago (24h, 7d) or a date (2026-11-01)',
      'q="": empty phrase: put words between the quotes (at character 1)',
    ]);
  });
});

describe('search, flags, related mentions, backlog', () => {
  it('search gives what the query language selects, however common the words (every strategy)', async () => {
    const texts = ['acme refund please', 'acme all good', 'acme refund now', 'acme okta sso', 'acme refunds', 'acme "refund" again'];
    seed(60, (i) => ({ text: texts[i % texts.length]!, sentiment: i % 10 === 0 ? 'negative' : 'neutral' }));
    // The matcher's answer, newest first: the reference for every plan.
    const expected = (query: string, pred: (m: { sentiment: { label: string } }) => boolean = () => true) =>
      listMentions(db, { search: query, limit: 1000 })
        .filter(pred)
        .map((m) => m.id);
    const cases: Array<[string, Record<string, unknown>, (m: { sentiment: { label: string } }) => boolean]> = [
      ['refund', {}, () => true],
      ['refund OR okta', {}, () => true],
      ['acme -refund', {}, () => true],
      ['refund*', {}, () => true],
      ['refund', { sentiment: ['negative'] }, (m) => m.sentiment.label === 'negative'],
      ['okta', {}, () => true],
    ];
    for (const options of [{}, { searchDense: 3, searchScanCap: 1_000 }, { searchDense: 3, searchScanCap: 4 }]) {
      const s2 = new SqliteTriageStore(db, options);
      for (const [q, extra, pred] of cases) {
        const got: number[] = [];
        let cursor: string | null = null;
        do {
          const page = await s2.listInbox({ q, ...extra }, { cursor, limit: 7 });
          got.push(...page.mentions.map((m) => m.id));
          cursor = page.next;
        } while (cursor);
        expect(got, `${q} ${JSON.stringify(options)}`).toEqual(expected(q, pred));
      }
    }
  });

  it('filters by raised flags', async () => {
    const [a, b] = seed(3);
    stmt(db, 'UPDATE mentions SET flag_offensive = 0.91, flag_hate = 0.2 WHERE id = ?').run(a);
    stmt(db, 'UPDATE mentions SET flag_offensive = 0.49 WHERE id = ?').run(b);
    expect((await store.listInbox(parseFilter(new URLSearchParams('flag=offensive'), { now: T0 }).filter, { limit: 10 })).mentions.map((m) => m.id)).toEqual([a]);
    expect((await store.listInbox({ flags: ['offensive', 'hate'] }, { limit: 10 })).mentions).toEqual([]);
    expect(parseFilter(new URLSearchParams('flag=rude'), { now: T0 }).problems.map((p) => p.message)).toEqual(['flag=rude: expected offensive, hate, irony']);
  });

  it('finds a mention\'s reposts and its story, oldest first', async () => {
    const [a, b, c, d] = seed(4);
    stmt(db, 'UPDATE mentions SET duplicate_of = ? WHERE id = ?').run(a, b);
    stmt(db, "UPDATE mentions SET story_key = 'k' WHERE id IN (?, ?)").run(a, c);
    const m = (await store.getMention(a!))!;
    expect((await store.related(m, 10)).map((r) => r.id)).toEqual([b, c]);
    const repost = (await store.getMention(b!))!;
    expect((await store.related(repost, 10)).map((r) => r.id)).toEqual([a]);
    expect((await store.related((await store.getMention(d!))!, 10)).map((r) => r.id)).toEqual([]);
  });

  it('counts the open backlog by age, without duplicates or triaged mentions', async () => {
    const now = T0.getTime();
    const ages = [10 * 60_000, 2 * 3_600_000, 3 * 86_400_000, 3 * 86_400_000, 10 * 86_400_000, 40 * 86_400_000];
    const ids = ages.map((age, i) => seedMention(db, { id: `age${i}`, at: new Date(now - age).toISOString(), text: 'acme' }));
    stmt(db, 'UPDATE mentions SET duplicate_of = ? WHERE id = ?').run(ids[2], ids[3]);
    await applyAction(store, { mentionId: ids[4]!, action: 'handle', actor: maria }, { now: at(0) });
    const stats = await store.responseStats('acme', new Date(now - 86_400_000).toISOString(), new Date(now + 1).toISOString(), T0.toISOString());
    expect(stats.backlog).toEqual([
      { label: 'under 1 hour', count: 1 },
      { label: '1 to 24 hours', count: 1 },
      { label: '1 to 7 days', count: 1 },
      { label: '7 to 30 days', count: 0 },
      { label: 'over 30 days', count: 1 },
    ]);
    expect(stats).toMatchObject({ handled: 1, irrelevant: 0 });
  });
});

describe('migration', () => {
  it('mentions stored before triage existed are open', () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    for (const m of MIGRATIONS.slice(0, 5)) old.exec(m.sql);
    old.pragma('user_version = 5');
    old.prepare(
      `INSERT INTO mentions (brand, source, source_key, source_id, published_at, fetched_at, sentiment_label, sentiment_score, urgency_level, urgency_score)
       VALUES ('acme', 'rss', 'acme/rss', 'x1', '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z', 'neutral', 0, 'low', 0.1)`,
    ).run();
    old.close();
    const upgraded = openDatabase(path);
    expect(upgraded.prepare('SELECT status, assignee FROM mentions').all()).toEqual([{ status: 'open', assignee: null }]);
    upgraded.close();
  });
});
