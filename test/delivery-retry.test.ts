/**
 * Retrying alert deliveries, with a controlled clock and a real Slack server: a rate limit with
 * Retry-After is not a server failure, so back-off counts consecutive failures of one kind.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, type Config } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { runRules } from '../src/pipeline/cycle.js';
import { Deliverer } from '../src/pipeline/deliver.js';
import { ingestItems } from '../src/pipeline/ingest.js';
import type { Db } from '../src/store/sqlite/db.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/store.js';
import { insertAlert, nextDeliveryAt } from '../src/store/sqlite/outbox.js';
import { makeDeployment, runCli } from './helpers/cli.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const analyzer = createAnalyzer();
const log = silentLogger();
const T0 = Date.parse('2026-11-23T12:00:00.000Z');

let store: SqliteStore | null = null;
let slack: SlackServer | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  await slack?.close();
  slack = null;
});

interface DeliveryState {
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
}

async function oneAlert(): Promise<{ db: Db; store: SqliteStore; config: Config; clock: { now: Date }; delivery: () => DeliveryState }> {
  slack = await startSlackServer();
  const dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
    'rules/alerts.yaml': `rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#a" }]\n`,
  });
  const { config } = loadConfig(dir, { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url });
  const opened = openSqliteStore(join(dir, 'data/earshot.db'));
  store = opened;
  const database = opened.db;
  const clock = { now: new Date(T0) };
  await ingestItems(
    { store: opened, analyzer, brand: config.brands.get('acme')!, source: 'twitter', sourceKey: 'acme/twitter', now: clock.now, alertFrom: null },
    [{ sourceId: 'm1', url: 'https://x.com/u/status/1', author: 'dana', reach: 10, title: '', text: 'acme cloud is down again, terrible support, we want a refund', published: clock.now.toISOString() }],
  );
  const deliverer = new Deliverer(opened, config, log, () => clock.now, { spacingMs: 0 });
  expect(await runRules({ store: opened, config, log, now: () => clock.now, deliverer })).toHaveLength(1);
  await deliverer.close();
  return {
    db: database,
    store: opened,
    config,
    clock,
    delivery: () => database.prepare('SELECT status, attempts, next_attempt_at, last_error FROM deliveries').get() as DeliveryState,
  };
}

describe('delivery back-off', () => {
  it('counts consecutive failures of the same kind: a 500 after three 429s waits 5 s, not 40 s', async () => {
    const w = await oneAlert();
    const deliverer = new Deliverer(w.store, w.config, log, () => w.clock.now, { spacingMs: 0 });
    const waits: number[] = [];
    const attempt = async () => {
      const d = w.delivery();
      w.clock.now = new Date(Date.parse(d.next_attempt_at));
      await deliverer.deliverDue();
      const after = w.delivery();
      waits.push((Date.parse(after.next_attempt_at) - w.clock.now.getTime()) / 1000);
    };
    slack!.failNext(3, 'ratelimited', { retryAfter: 1 });
    for (let i = 0; i < 3; i++) await attempt();
    slack!.failNext(2, 'server_error');
    await attempt();
    await attempt();
    slack!.failNext(1, 'ratelimited', { retryAfter: 2 });
    await attempt();
    slack!.failNext(1, 'server_error');
    await attempt();
    expect(waits).toEqual([1, 1, 1, 5, 10, 2, 5]);
    expect(w.delivery()).toMatchObject({ status: 'pending', attempts: 7 });
    w.clock.now = new Date(Date.parse(w.delivery().next_attempt_at));
    await deliverer.deliverDue();
    expect(w.delivery()).toMatchObject({ status: 'sent', attempts: 8 });
    expect(slack!.messages).toHaveLength(1);
    await deliverer.close();
  });
});

describe('the next delivery time', () => {
  it('is that of a queue head, not of a delivery waiting behind it (the daemon woke every 10 ms)', async () => {
    const w = await oneAlert();
    const deliverer = new Deliverer(w.store, w.config, log, () => w.clock.now, { spacingMs: 0 });
    slack!.failNext(1, 'server_error');
    await deliverer.deliverDue();
    await deliverer.close();
    const head = w.delivery().next_attempt_at;
    expect(Date.parse(head) - T0).toBeGreaterThanOrEqual(4_000);
    insertAlert(w.db, {
      rule: 'neg', ruleHash: 'h', ruleType: 'mention', groupKey: 'g2', brand: 'acme', summary: 'second', details: [],
      mentionIds: [], totalMentions: 1, createdAt: new Date(T0).toISOString(), deliveries: [{ notifier: 'slack', target: '#a' }],
    });
    expect(nextDeliveryAt(w.db)).toBe(head);
  });
});

describe('one-shot commands leave nothing behind silently', () => {
  function importDeployment(server: SlackServer): string {
    const now = Date.now();
    const line = (id: string, minutesAgo: number) =>
      JSON.stringify({ brand: 'acme', source: 'twitter', id, url: `https://x.com/u/status/${id}`, author: 'dana', text: `acme cloud lost my files (${id}), worst support ever, I want a refund`, published: new Date(now - minutesAgo * 60_000).toISOString() });
    return makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
      'rules/alerts.yaml': `rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#alerts" }]\n`,
      '.env': `SLACK_BOT_TOKEN=${server.token}\nSLACK_API_URL=${server.url}\n`,
      'in.jsonl': [line('1', 3), line('2', 2)].join('\n') + '\n',
    });
  }

  it('import waits out Retry-After and a first back-off, then says what is pending, why and when, and status shows it', async () => {
    slack = await startSlackServer();
    const dir = importDeployment(slack);
    slack.failNext(3, 'ratelimited', { retryAfter: 1 });
    slack.failNext(20, 'server_error');
    const started = Date.now();
    const r = await runCli(dir, ['import', join(dir, 'in.jsonl')]);
    const tookMs = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^2 lines: 2 stored .*; 2 alerts$/m);
    const pending = /^2 alert deliveries pending: Slack: HTTP 500 from the API for #alerts \(1\); queued behind an earlier alert to the same destination \(1\); next try at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \(in \d+ s\), by `earshot run` or the next one-shot command$/m.exec(r.stdout);
    expect(pending, r.stdout).not.toBeNull();
    // The second back-off doubles the first: the next try is 10 s after the last 500 (to the
    // second printed), however long the machine then took to print it.
    const last500 = slack.requests.filter((q) => q.status === 500).at(-1)!.receivedAt.getTime();
    expect(Date.parse(`${pending![1]!.replace(' ', 'T')}Z`) - last500).toBeGreaterThan(9_000);
    expect(Date.parse(`${pending![1]!.replace(' ', 'T')}Z`) - last500).toBeLessThanOrEqual(11_000);
    // It said each wait before waiting, and waited no longer than it said.
    const waits = [...r.stderr.matchAll(/waiting (\d+) s to retry/g)].map((m) => Number(m[1]));
    expect(waits).toEqual([1, 1, 1, 5]);
    expect(tookMs).toBeLessThan((1 + 1 + 1 + 5) * 1000 + 5000);
    const posts = slack.requests.filter((q) => q.method === 'chat.postMessage').map((q) => q.status);
    expect(posts).toEqual([429, 429, 429, 500, 500]);

    const status = await runCli(dir, ['status']);
    expect(status.stdout).toMatch(/2 pending[\s\S]*Slack: HTTP 500 from the API for #alerts \(1\); queued behind an earlier alert to the same destination \(1\); next try at \d\d:\d\d:\d\d UTC/);
    const json = JSON.parse((await runCli(dir, ['status', '--json'])).stdout) as { outbox: { pending: number; nextAttemptAt: string; pendingReasons: Array<{ error: string; count: number }> } };
    expect(json.outbox).toMatchObject({ pending: 2, pendingReasons: [{ error: 'Slack: HTTP 500 from the API for #alerts', count: 1 }, { error: 'queued behind an earlier alert to the same destination', count: 1 }] });
    expect(Date.parse(json.outbox.nextAttemptAt)).toBeGreaterThan(Date.now());
  }, 30_000);

  it('says "1 alert", and exits 0 when everything went out', async () => {
    slack = await startSlackServer();
    const dir = importDeployment(slack);
    writeFileSync(join(dir, 'one.jsonl'), readFileSync(join(dir, 'in.jsonl'), 'utf8').split('\n')[0] + '\n');
    const r = await runCli(dir, ['import', join(dir, 'one.jsonl')]);
    expect(r.stdout).toMatch(/^1 line: 1 stored .*; 1 alert$/m);
    expect(r.stdout).not.toMatch(/pending/);
    expect(r.code).toBe(0);
  });
});
