/**
 * Retrying alert deliveries, with a controlled clock and a real Slack server: a rate limit with
 * Retry-After is not a server failure, so back-off counts consecutive failures of one kind.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { loadConfig, type Config } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { runRules } from '../src/pipeline/cycle.js';
import { Deliverer } from '../src/pipeline/deliver.js';
import { ingestItems } from '../src/pipeline/ingest.js';
import { openDatabase, type Db } from '../src/store/db.js';
import { makeDeployment } from './helpers/cli.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

const analyzer = createAnalyzer();
const log = silentLogger();
const T0 = Date.parse('2026-11-23T12:00:00.000Z');

let db: Db | null = null;
let slack: SlackServer | null = null;
afterEach(async () => {
  db?.close();
  db = null;
  await slack?.close();
  slack = null;
});

interface DeliveryState {
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_error: string | null;
}

async function oneAlert(): Promise<{ db: Db; config: Config; clock: { now: Date }; delivery: () => DeliveryState }> {
  slack = await startSlackServer();
  const dir = makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
    'rules/alerts.yaml': `rules:\n  - name: neg\n    match: { sentiment: negative }\n    notify: [{ slack: "#a" }]\n`,
  });
  const { config } = loadConfig(dir, { SLACK_BOT_TOKEN: slack.token, SLACK_API_URL: slack.url });
  const database = openDatabase(join(dir, 'data/earshot.db'));
  db = database;
  const clock = { now: new Date(T0) };
  ingestItems(
    { db: database, analyzer, brand: config.brands.get('acme')!, source: 'twitter', sourceKey: 'acme/twitter', now: clock.now, alertFrom: null },
    [{ sourceId: 'm1', url: 'https://x.com/u/status/1', author: 'dana', reach: 10, title: '', text: 'acme cloud is down again, terrible support, we want a refund', published: clock.now.toISOString() }],
  );
  const deliverer = new Deliverer(database, config, log, () => clock.now, { spacingMs: 0 });
  expect(runRules({ db: database, config, log, now: () => clock.now, deliverer })).toHaveLength(1);
  await deliverer.close();
  return {
    db: database,
    config,
    clock,
    delivery: () => database.prepare('SELECT status, attempts, next_attempt_at, last_error FROM deliveries').get() as DeliveryState,
  };
}

describe('delivery back-off', () => {
  it('counts consecutive failures of the same kind: a 500 after three 429s waits 5 s, not 40 s', async () => {
    const w = await oneAlert();
    const deliverer = new Deliverer(w.db, w.config, log, () => w.clock.now, { spacingMs: 0 });
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
