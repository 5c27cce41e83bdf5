/**
 * Timeline tests for the daemon (Alertmanager acceptance-test style), in-process with real
 * servers: push mentions at t, expect an alert within a window, expect none while a throttle
 * holds, and the held mentions together when it ends. Hot reload: a valid edit applies without
 * a restart; an invalid edit is rejected and the last good rules stay in force.
 */
import { until } from './helpers/wait.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, loadEnv } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { Daemon } from '../src/pipeline/daemon.js';
import { getMeta, type Db } from '../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { makeDeployment, rssFeed, type FeedItem } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

let feed: FeedServer;
let slack: SlackServer;
let daemon: Daemon | null = null;
let db: Db | null = null;
let store: SqliteStore | null = null;

beforeEach(async () => {
  [feed, slack] = await Promise.all([startFeedServer(), startSlackServer()]);
});
afterEach(async () => {
  await daemon?.stop();
  await store?.close();
  daemon = null;
  db = null;
  store = null;
  await Promise.all([feed.close(), slack.close()]);
});

const analyzer = createAnalyzer();
const items: FeedItem[] = [];
function push(guid: string, text: string): void {
  items.unshift({ guid, title: `Acme Cloud ${guid}`, description: text });
  feed.route('/feed.xml', { body: rssFeed(items) });
}

const BAD = (n: number) => `Acme Cloud is down again (${n}), support ignores us, terrible service and we want a refund.`;

/** The daemon's clock in the timeline test: it moves only when the test says so. */
interface TestClock {
  now: () => Date;
  advance(ms: number): void;
}

function clockAt(ms: number): TestClock {
  let at = ms;
  return {
    now: () => new Date(at),
    advance: (by) => {
      at += by;
    },
  };
}

/** Passes the daemon completed so far (each pass runs the rules on what is stored). */
let passes = 0;

async function start(rules: string, clock?: TestClock): Promise<string> {
  const dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 200ms\n    alert_backfill: 1h\n`,
    'rules/alerts.yaml': rules,
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
  });
  const { config, problems } = loadConfig(dir, loadEnv(dir, {}));
  expect(problems).toEqual([]);
  store = openSqliteStore(join(dir, 'data/earshot.db'));
  db = store.db;
  passes = 0;
  daemon = new Daemon({
    store,
    config,
    analyzer,
    log: silentLogger(),
    spacingMs: 0,
    ...(clock ? { now: clock.now } : {}),
    onTick: () => {
      passes++;
    },
  });
  await daemon.start();
  return dir;
}

function count(table: 'mentions' | 'alerts'): number {
  return (db!.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** Resolves after the daemon completed a pass that started after this call. */
async function nextPass(): Promise<void> {
  const seen = passes;
  await until(() => passes > seen, 5_000, 'a daemon pass');
}

describe('daemon timeline', () => {
  beforeEach(() => {
    items.length = 0;
  });

  it('alerts within a poll, holds a throttled group, then sends the held mentions as one message', async () => {
    // The daemon's clock moves only when the test advances it (and wakes the loop): every time
    // below is exact, and a slow machine cannot fake a pass or a failure.
    const clock = clockAt(Date.now());
    const t0 = clock.now().getTime();
    push('m1', BAD(1));
    await start(`rules:\n  - name: neg\n    match: { sentiment: negative }\n    throttle: 2s\n    group_by: [brand]\n    notify: [{ slack: "#alerts" }]\n`, clock);
    // t=0: the first poll alerts at once.
    await slack.waitForMessages(1, 5_000);

    // t=0.2 s: two more mentions, polled during the throttle: stored, held, nothing sent.
    push('m2', BAD(2));
    push('m3', BAD(3));
    clock.advance(200);
    daemon!.wake();
    await until(() => count('mentions') === 3, 5_000, 'm2 and m3 stored');
    await nextPass();
    expect(count('alerts')).toBe(1);
    expect(slack.messages).toHaveLength(1);

    // t=1.9 s: still within the throttle.
    clock.advance(1_700);
    daemon!.wake();
    await nextPass();
    expect(count('alerts')).toBe(1);

    // t=2 s: the throttle ends; the held mentions go out as ONE message.
    clock.advance(100);
    daemon!.wake();
    const [, second] = await slack.waitForMessages(2, 5_000);
    const created = db!
      .prepare('SELECT created_at FROM alerts ORDER BY id')
      .all()
      .map((r) => Date.parse((r as { created_at: string }).created_at) - t0);
    expect(created).toEqual([0, 2_000]);
    const body = JSON.stringify(second!.blocks);
    expect(body).toContain('m2');
    expect(body).toContain('m3');
    expect(second!.text).toMatch(/2 mentions/);

    // t=2.7 s: nothing new, nothing more.
    clock.advance(700);
    daemon!.wake();
    await nextPass();
    await until(() => (db!.prepare("SELECT count(*) AS n FROM deliveries WHERE status != 'sent'").get() as { n: number }).n === 0, 5_000, 'deliveries recorded');
    expect(count('alerts')).toBe(2);
    expect(slack.messages).toHaveLength(2);
  }, 20_000);

  it('applies a valid rule edit without a restart, and keeps the last good rules on an invalid edit', async () => {
    const dir = await start(`rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n`);
    push('r1', BAD(1));
    await slack.waitForMessages(1, 5_000);
    expect(slack.messages[0]!.channel).toBe('#alerts');

    // An invalid edit: reported, recorded, ignored.
    writeFileSync(join(dir, 'rules/alerts.yaml'), `rules:\n  - name: neg\n    match: { sentiment: furious }\n    notify: [{ slack: "#other" }]\n`);
    await until(() => getMeta(db!, 'config.last_reload_error') !== null, 5_000, 'the rejected reload');
    expect(getMeta(db!, 'config.last_reload_error')).toMatch(/rules\/alerts\.yaml:3:25: rules\[0\]\.match\.sentiment/);
    push('r2', BAD(2));
    await slack.waitForMessages(2, 5_000);
    expect(slack.messages[1]!.channel).toBe('#alerts');

    // A valid edit: the next mention goes where the new rule says.
    writeFileSync(join(dir, 'rules/alerts.yaml'), `rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#other" }]\n`);
    await until(() => getMeta(db!, 'config.last_reload_error') === null, 5_000, 'the accepted reload');
    push('r3', BAD(3));
    await slack.waitForMessages(3, 5_000);
    expect(slack.messages[2]!.channel).toBe('#other');
    expect(slack.messages).toHaveLength(3);
  }, 20_000);

  it('picks up a new source added to sources/ while running', async () => {
    const dir = await start(`rules:\n  - name: all\n    notify: [{ slack: "#alerts" }]\n`);
    feed.route('/other.xml', { body: rssFeed([{ guid: 'o1', title: 'Acme Cloud review', description: 'A calm review of Acme Cloud pricing.' }]) });
    writeFileSync(
      join(dir, 'sources/second.yaml'),
      `brand: second\nname: Second\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/other.xml')}\n    every: 200ms\n    alert_backfill: 1h\n`,
    );
    await slack.waitForMessages(1, 5_000);
    expect(JSON.stringify(slack.messages[0]!.blocks)).toContain('o1');
  }, 20_000);
});

