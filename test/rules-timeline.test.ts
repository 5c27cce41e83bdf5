/**
 * Timeline tests for the rule engine with a controlled clock (Alertmanager acceptance-test
 * style): mentions pushed at t, rules evaluated at chosen instants, the outbox inspected. Real
 * SQLite; real Slack server where delivery (threads, held alerts) matters.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, type Config } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import type { FetchedItem } from '../src/core/types.js';
import { runRules } from '../src/pipeline/cycle.js';
import { Deliverer } from '../src/pipeline/deliver.js';
import { ingestItems } from '../src/pipeline/ingest.js';
import type { Db } from '../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { ensureSourceState, recordSuccess } from '../src/store/sqlite/source-state.js';
import { makeDeployment } from './helpers/cli.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const analyzer = createAnalyzer();
const log = silentLogger();
const T0 = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const at = (minutes: number) => new Date(T0 + minutes * MIN);

let store: SqliteStore | null = null;
let slack: SlackServer | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  await slack?.close();
  slack = null;
});

interface World {
  db: Db;
  store: SqliteStore;
  config: Config;
  clock: { now: Date };
  push(minute: number, text: string, extra?: Partial<FetchedItem> & { source?: 'twitter' | 'reddit' }): Promise<void>;
  evaluate(minute: number): Promise<number[]>;
  alerts(): Array<{ id: number; rule: string; created_at: string; summary: string; total_mentions: number }>;
  deliveries(): Array<{ alert_id: number; status: string; hold_reason: string | null; next_attempt_at: string }>;
}

let seq = 0;
function world(rules: string, env: Record<string, string> = { SLACK_BOT_TOKEN: 'xoxb-test' }, sources = 'rss'): World {
  const dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: ${sources}\n    url: http://127.0.0.1:9/f.xml\n`,
    'rules/alerts.yaml': rules,
  });
  const { config, problems } = loadConfig(dir, env);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const opened = openSqliteStore(join(dir, 'data/earshot.db'));
  store = opened;
  const database = opened.db;
  const clock = { now: at(0) };
  const brand = config.brands.get('acme')!;
  return {
    db: database,
    store: opened,
    config,
    clock,
    async push(minute, text, extra = {}) {
      clock.now = at(minute);
      const { source = 'twitter', ...item } = extra;
      await ingestItems(
        { store: opened, analyzer, brand, source, sourceKey: `acme/${source}`, now: clock.now, alertFrom: null },
        [{ sourceId: `m${++seq}`, url: `https://x.com/u/status/${seq}`, author: `user${seq}`, reach: 10, title: '', text, published: clock.now.toISOString(), ...item }],
      );
    },
    evaluate(minute) {
      clock.now = at(minute);
      const deliverer = new Deliverer(opened, config, log, () => clock.now);
      return runRules({ store: opened, config, log, now: () => clock.now, deliverer });
    },
    alerts() {
      return database.prepare('SELECT id, rule, created_at, summary, total_mentions FROM alerts ORDER BY id').all() as never;
    },
    deliveries() {
      return database.prepare('SELECT alert_id, status, hold_reason, next_attempt_at FROM deliveries ORDER BY id').all() as never;
    },
  };
}

const NEG = (n: number | string) => `acme cloud is down again (${n}), terrible support, we want a refund`;
const MILD = (n: number | string) => `disappointed with acme cloud pricing changes (${n})`;
const CALM = (n: number | string) => `acme cloud published its quarterly report (${n})`;
const minutesOf = (iso: string) => (Date.parse(iso) - T0) / MIN;

describe('type: mention', () => {
  it('grows the throttle while a group keeps firing: 10m, 20m, 40m, then capped at 1h', async () => {
    const w = world(`rules:\n  - name: neg\n    match: { sentiment: negative }\n    throttle: { initial: 10m, factor: 2, max: 1h }\n    notify: [{ slack: "#a" }]\n`);
    for (let m = 0; m <= 180; m += 5) {
      await w.push(m, NEG(m));
      await w.evaluate(m);
    }
    expect(w.alerts().map((a) => minutesOf(a.created_at))).toEqual([0, 10, 30, 70, 130]);
    // Nothing is lost: every mention is in exactly one alert, or still waiting.
    const claimed = (w.db.prepare('SELECT COUNT(*) AS n FROM alert_mentions').get() as { n: number }).n;
    const waiting = (w.db.prepare('SELECT COUNT(*) AS n FROM rule_pending').get() as { n: number }).n;
    expect(claimed + waiting).toBe(37);
  });

  it('a restart in the middle of a group wait loses nothing', async () => {
    const rules = `rules:\n  - name: neg\n    match: { sentiment: negative }\n    group_by: [brand]\n    group_wait: 2m\n    notify: [{ slack: "#a" }]\n`;
    const w = world(rules);
    await w.push(0, NEG(1));
    expect(await w.evaluate(0)).toEqual([]);
    await w.push(1, NEG(2));
    expect(await w.evaluate(1)).toEqual([]);
    // "Restart": a fresh config and engine over the same database file.
    const fresh = loadConfig(w.config.dir, w.config.env).config;
    const deliverer = new Deliverer(w.store, fresh, log, () => at(2));
    const ids = await runRules({ store: w.store, config: fresh, log, now: () => at(2), deliverer });
    expect(ids).toHaveLength(1);
    expect(w.alerts()[0]).toMatchObject({ total_mentions: 2 });
  });

  it('first_from_author alerts on an author’s first mention only', async () => {
    const w = world(`rules:\n  - name: new-voice\n    match: { first_from_author: true }\n    notify: [{ slack: "#a" }]\n`);
    await w.push(0, CALM(1), { author: 'Dana' });
    await w.push(1, CALM(2), { author: 'dana' });
    await w.push(2, CALM(3), { author: 'sam' });
    await w.evaluate(3);
    expect(w.alerts()).toHaveLength(2);
  });
});

describe('type: volume', () => {
  it('fires once when the window reaches the count, stays quiet while it lasts, fires again after it cleared', async () => {
    const w = world(`rules:\n  - name: busy\n    type: volume\n    window: 1h\n    count: 3\n    notify: [{ slack: "#a" }]\n`);
    await w.push(0, CALM(1));
    await w.push(10, CALM(2));
    expect(await w.evaluate(10)).toEqual([]);
    await w.push(20, CALM(3));
    expect(await w.evaluate(20)).toHaveLength(1);
    expect(w.alerts()[0]!.summary).toBe('Volume: 3 mentions of Acme Cloud in 1h');
    await w.push(30, CALM(4));
    expect(await w.evaluate(30)).toEqual([]);
    expect(await w.evaluate(150)).toEqual([]); // window empty: cleared
    for (const m of [151, 152, 153]) await w.push(m, CALM(m));
    expect(await w.evaluate(153)).toHaveLength(1);
    expect(w.alerts()).toHaveLength(2);
  });

  it('counts per group_by key', async () => {
    const w = world(`rules:\n  - name: busy\n    type: volume\n    window: 1h\n    count: 2\n    group_by: [source]\n    notify: [{ slack: "#a" }]\n`);
    await w.push(0, CALM(1), { source: 'twitter' });
    await w.push(1, CALM(2), { source: 'reddit' });
    expect(await w.evaluate(2)).toEqual([]);
    await w.push(3, CALM(3), { source: 'reddit' });
    await w.evaluate(3);
    expect(w.alerts().map((a) => a.summary)).toEqual(['Volume: 2 mentions of Acme Cloud in 1h (source=reddit)']);
  });
});

describe('type: spike', () => {
  const spikeRule = (extra = '') =>
    `rules:\n  - name: spike\n    type: spike\n    window: 1h\n    factor: 3\n    min_count: 5\n    baseline: 4\n${extra}    notify: [{ slack: "#a" }]\n`;

  function watchedFor(w: World, hours: number): void {
    const since = new Date(T0 - hours * 3_600_000);
    ensureSourceState(w.db, 'acme/rss', 'acme', 'rss', w.config.sources[0]!.settingsHash, since.toISOString());
    recordSuccess(w.db, 'acme/rss', { at: since.toISOString(), cursor: {}, nextPollAt: since.toISOString() });
  }

  it('fires on a real jump against the baseline', async () => {
    const w = world(spikeRule());
    watchedFor(w, 10);
    // Baseline: 2 mentions in each of the 4 previous hours.
    for (let h = 4; h >= 1; h--) for (const k of [0, 1]) await w.push(-h * 60 + 10 + k, CALM(`b${h}${k}`));
    expect(await w.evaluate(0)).toEqual([]);
    for (let i = 0; i < 7; i++) await w.push(5 + i, CALM(`s${i}`));
    expect(await w.evaluate(12)).toHaveLength(1);
    expect(w.alerts()[0]!.summary).toBe('Spike: 7 mentions of Acme Cloud in 1h, 3.5x the usual 2.0');
  });

  it('does not fire on 2 -> 6 below min_count, nor without enough history', async () => {
    const w = world(spikeRule().replace('min_count: 5', 'min_count: 10'));
    watchedFor(w, 10);
    for (let h = 4; h >= 1; h--) for (const k of [0, 1]) await w.push(-h * 60 + 10 + k, CALM(`b${h}${k}`));
    for (let i = 0; i < 6; i++) await w.push(5 + i, CALM(`s${i}`));
    expect(await w.evaluate(12)).toEqual([]);

    const young = world(spikeRule());
    watchedFor(young, 2); // needs 5 windows of history
    for (let i = 0; i < 50; i++) await young.push(5 + i / 10, CALM(`y${i}`));
    expect(await young.evaluate(12)).toEqual([]);
  });

  it('reports a drop with direction: both', async () => {
    const w = world(spikeRule('    direction: both\n'));
    watchedFor(w, 10);
    for (let h = 4; h >= 1; h--) for (let k = 0; k < 12; k++) await w.push(-h * 60 + k, CALM(`b${h}-${k}`));
    await w.push(5, CALM('only'));
    expect(await w.evaluate(30)).toHaveLength(1);
    expect(w.alerts()[0]!.summary).toBe('Drop: 1 mentions of Acme Cloud in 1h, usually 12.0');
  });
});

describe('type: silence', () => {
  it('alerts once when a source has not polled successfully for `for`, and again after a recovery', async () => {
    const w = world(`rules:\n  - name: quiet-feed\n    type: silence\n    for: 6h\n    of: polls\n    notify: [{ slack: "#a" }]\n`);
    const hash = w.config.sources[0]!.settingsHash;
    ensureSourceState(w.db, 'acme/rss', 'acme', 'rss', hash, at(-600).toISOString());
    recordSuccess(w.db, 'acme/rss', { at: at(-420).toISOString(), cursor: {}, nextPollAt: at(0).toISOString() });
    expect(await w.evaluate(0)).toHaveLength(1);
    expect(w.alerts()[0]!.summary).toMatch(/^Silence: no successful poll of acme\/rss \(Acme Cloud, a feed\) for 7h$/);
    expect(await w.evaluate(10)).toEqual([]);
    recordSuccess(w.db, 'acme/rss', { at: at(20).toISOString(), cursor: {}, nextPollAt: at(30).toISOString() });
    expect(await w.evaluate(21)).toEqual([]);
    expect(await w.evaluate(20 + 361)).toHaveLength(1);
  });

  it('alerts when a brand has had no new mentions for `for`', async () => {
    const w = world(`rules:\n  - name: no-news\n    type: silence\n    for: 2h\n    of: mentions\n    notify: [{ slack: "#a" }]\n`);
    const hash = w.config.sources[0]!.settingsHash;
    ensureSourceState(w.db, 'acme/rss', 'acme', 'rss', hash, at(-300).toISOString());
    recordSuccess(w.db, 'acme/rss', { at: at(-300).toISOString(), cursor: {}, nextPollAt: at(0).toISOString() });
    w.db.prepare("UPDATE mentions SET source_key = 'acme/rss'").run();
    await w.push(0, CALM(1), { source: 'twitter' });
    w.db.prepare("UPDATE mentions SET source_key = 'acme/rss'").run();
    expect(await w.evaluate(60)).toEqual([]);
    expect(await w.evaluate(121)).toHaveLength(1);
    expect(w.alerts()[0]!.summary).toBe('Silence: no new mentions of Acme Cloud for 2h1m');
  });
});

describe('holding back: quiet hours, budgets, silences', () => {
  it('holds alerts during quiet hours and sends them when they end; critical breaks through', async () => {
    slack = await startSlackServer();
    const env = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url };
    const w = world(
      `rules:\n  - name: neg\n    match: { sentiment: negative }\n    quiet_hours: { from: "11:00", to: "13:00", timezone: UTC }\n    break_through: critical\n    notify: [{ slack: "#a" }]\n`,
      env,
    );
    await w.push(0, MILD(1));
    (await w.evaluate(0)); // 12:00 UTC: quiet
    expect(w.deliveries()).toEqual([
      { alert_id: 1, status: 'held', hold_reason: 'quiet hours (11:00-13:00 UTC)', next_attempt_at: '2026-11-23T13:00:00.000Z' },
    ]);
    const deliverer = new Deliverer(w.store, w.config, log, () => w.clock.now, { spacingMs: 0 });
    await deliverer.deliverDue();
    expect(slack.messages).toHaveLength(0);
    w.clock.now = at(60);
    await deliverer.deliverDue();
    expect(slack.messages).toHaveLength(1);
    expect(w.deliveries()[0]!.status).toBe('sent');

    // A critical mention during quiet hours goes at once.
    await w.push(-30, NEG('outage'));
    await w.evaluate(-30);
    const urgency = (w.db.prepare('SELECT urgency_level FROM mentions ORDER BY id DESC LIMIT 1').get() as { urgency_level: string }).urgency_level;
    expect(urgency).toBe('critical');
    expect(w.deliveries().at(-1)!.status).toBe('pending');
    await deliverer.close();
  });

  it('quiet hours with then: digest suppress the alert with a reason', async () => {
    const w = world(`rules:\n  - name: neg\n    match: { sentiment: negative }\n    active_hours: { from: "09:00", to: "11:00", timezone: UTC, then: digest }\n    notify: [{ slack: "#a" }]\n`);
    await w.push(0, NEG(1));
    await w.evaluate(0);
    expect(w.deliveries()[0]).toMatchObject({ status: 'suppressed', hold_reason: 'outside active hours (09:00-11:00 UTC); sent to the digest' });
  });

  it('a per-destination budget lets N alerts through per period; the rest are suppressed and counted', async () => {
    const w = world(
      `rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#a" }]\n  - name: all\n    notify: [{ slack: "#a" }]\nbudgets:\n  - slack: "#a"\n    max: 3\n    per: 1h\n`,
    );
    for (let m = 0; m < 4; m++) await w.push(m, NEG(m));
    await w.evaluate(4);
    const statuses = w.deliveries().map((d) => d.status);
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(3);
    expect(statuses.filter((s) => s === 'suppressed')).toHaveLength(5);
    expect(w.deliveries().find((d) => d.status === 'suppressed')!.hold_reason).toBe('over budget: 3 alerts per 1h to #a');
    // An hour later the budget is available again.
    await w.push(70, NEG('later'));
    await w.evaluate(70);
    expect(w.deliveries().slice(-2).map((d) => d.status)).toEqual(['pending', 'pending']);
  });

  it('an active silence records the alert but does not send it', async () => {
    const w = world(`rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#a" }]\n`);
    await w.store.silences.add({ rule: 'neg', brand: null, startsAt: at(-1).toISOString(), endsAt: at(120).toISOString(), reason: 'known outage, we are on it', createdAt: at(-1).toISOString() });
    await w.push(0, NEG(1));
    await w.evaluate(0);
    expect(w.deliveries()[0]!.status).toBe('suppressed');
    expect(w.deliveries()[0]!.hold_reason).toContain('known outage, we are on it');
    await w.push(121, NEG(2));
    await w.evaluate(121);
    expect(w.deliveries()[1]!.status).toBe('pending');
  });
});

describe('Slack threads', () => {
  it('later alerts about the same story reply in the first alert’s thread', async () => {
    slack = await startSlackServer();
    const env = { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url };
    const w = world(`rules:\n  - name: story\n    group_by: [story]\n    notify: [{ slack: "#a" }]\n`, env);
    const deliverer = new Deliverer(w.store, w.config, log, () => w.clock.now, { spacingMs: 0 });
    await w.push(0, CALM('hn'), { linkUrl: 'https://blog.example.com/acme-outage' });
    await w.evaluate(0);
    await deliverer.deliverDue();
    await w.push(5, CALM('reddit'), { source: 'reddit', linkUrl: 'https://blog.example.com/acme-outage?utm_source=reddit' });
    await w.push(6, CALM('other'), { linkUrl: 'https://news.example.com/other' });
    await w.evaluate(6);
    await deliverer.deliverDue();
    expect(slack.messages).toHaveLength(3);
    const [first, second, third] = slack.messages;
    expect(first!.thread_ts).toBeUndefined();
    expect(second!.thread_ts).toBe(first!.ts);
    expect(third!.thread_ts).toBeUndefined();
    await deliverer.close();
  });
});
