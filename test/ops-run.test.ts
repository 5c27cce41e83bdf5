/**
 * End to end against a real `earshot run --http 127.0.0.1:0` process: it logs the address it
 * bound; /healthz is 200 while it runs; /metrics counters move after a poll, a retried and
 * delivered alert and a rejected reload; `earshot status` and `earshot backup` work against the
 * running daemon's database; SIGTERM stops it cleanly.
 */
import { until } from './helpers/wait.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyBackup } from '../src/store/sqlite/backup.js';
import { collect, listeningUrl, makeDeployment, rssFeed, runCli, spawnCli, type FeedItem } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';

let feed: FeedServer;
let slack: SlackServer;

beforeEach(async () => {
  [feed, slack] = await Promise.all([startFeedServer(), startSlackServer()]);
});
afterEach(async () => {
  await Promise.all([feed.close(), slack.close()]);
});

const NEGATIVE = 'Acme Cloud lost our data again. Furious, this is the worst service ever, we want a refund now.';

/** Value of one sample line in Prometheus text, or 0 when absent (a counter not yet incremented). */
function sample(text: string, name: string, labels = ''): number {
  const escaped = `${name}${labels ? `{${labels}}` : ''}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe('earshot run --http', () => {
  it('serves health and moving metrics while running; status and backup work alongside; SIGTERM stops it', async () => {
    const items: FeedItem[] = [{ guid: 'calm-1', title: 'Acme Cloud pricing', description: 'A calm look at Acme Cloud pricing tiers.' }];
    feed.route('/feed.xml', { body: rssFeed(items) });
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: 300ms\n`,
      'rules/alerts.yaml': `rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - slack: "#brand-alerts"\n`,
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
    });
    const child = spawnCli(dir, ['run', '--http', '127.0.0.1:0']);
    const out = collect(child);
    try {
      // The bound address is in the log (JSON lines on stderr when not a terminal).
      const url = await listeningUrl(out.stderr);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const metrics = async () => (await fetch(`${url}/metrics`)).text();

      await until(async () => (await fetch(`${url}/healthz`)).status === 200, 30_000, 'healthy');
      // First poll: the calm mention is stored (first poll, no backfill: no alert).
      const m1 = await until(async () => {
        const t = await metrics();
        return sample(t, 'earshot_mentions_ingested_total', 'brand="acme",source="acme/rss"') === 1 && t;
      }, 10_000, 'the first poll in the metrics');
      const polls1 = sample(m1, 'earshot_polls_total', 'source="acme/rss",type="rss",outcome="ok"');
      expect(polls1).toBeGreaterThanOrEqual(1);
      expect(sample(m1, 'earshot_poll_duration_seconds_count', 'source="acme/rss",type="rss"')).toBeGreaterThanOrEqual(1);
      expect(sample(m1, 'earshot_alerts_sent_total', 'notifier="slack"')).toBe(0);

      // A negative mention: Slack rate-limits once, then accepts.
      slack.failNext(1, 'ratelimited', { retryAfter: 1 });
      items.unshift({ guid: 'bad-1', title: 'Acme Cloud data loss', description: NEGATIVE });
      feed.route('/feed.xml', { body: rssFeed(items) });
      await slack.waitForMessages(1, 30_000);
      const m2 = await until(async () => {
        const t = await metrics();
        return sample(t, 'earshot_alerts_sent_total', 'notifier="slack"') === 1 && t;
      }, 5_000, 'the alert in the metrics');
      expect(sample(m2, 'earshot_alert_retries_total', 'notifier="slack"')).toBe(1);
      expect(sample(m2, 'earshot_alerts_failed_total', 'notifier="slack"')).toBe(0);
      expect(sample(m2, 'earshot_alerts_pending', 'notifier="slack"')).toBe(0);
      expect(sample(m2, 'earshot_mentions_ingested_total', 'brand="acme",source="acme/rss"')).toBe(2);
      expect(sample(m2, 'earshot_polls_total', 'source="acme/rss",type="rss",outcome="ok"')).toBeGreaterThan(polls1);
      expect(sample(m2, 'earshot_mentions_stored', 'brand="acme"')).toBe(2);
      expect(sample(m2, 'earshot_config_last_reload_success')).toBe(1);

      // A broken rules edit: rejected, counted, and visible in status.
      writeFileSync(join(dir, 'rules/alerts.yaml'), 'rules:\n  - name: negative-mention\n    match: { sentiment: furious }\n    notify: [{ slack: "#x" }]\n');
      const m3 = await until(async () => {
        const t = await metrics();
        return sample(t, 'earshot_config_reloads_total', 'result="error"') >= 1 && t;
      }, 10_000, 'the rejected reload in the metrics');
      expect(sample(m3, 'earshot_config_last_reload_success')).toBe(0);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);

      const status = await runCli(dir, ['status', '--json']);
      expect(status.code).toBe(0);
      const json = JSON.parse(status.stdout) as {
        sources: Array<{ source: string; state: string; mentions24h: number; nextPoll: string | null }>;
        outbox: { pending: number; sent: number };
        config: { lastReloadError: string | null; configValidNow: boolean };
        database: { schemaVersion: number; mentions: number };
      };
      expect(json.sources).toEqual([expect.objectContaining({ source: 'acme/rss', state: 'ok', mentions24h: 2 })]);
      expect(json.outbox).toMatchObject({ pending: 0, sent: 1 });
      expect(json.config.lastReloadError).toMatch(/rules\/alerts\.yaml:3:.*sentiment/);
      expect(json.config.configValidNow).toBe(false);
      expect(json.database.mentions).toBe(2);

      const table = await runCli(dir, ['status']);
      expect(table.stdout).toMatch(/^SOURCE\s+STATE\s+LAST SUCCESS\s+MENTIONS 24H\s+POLLS 24H\s+BUDGET\s+NEXT POLL$/m);
      expect(table.stdout).toMatch(/^acme\/rss\s+ok\s+(now|\d+(ms|s) ago)\s+2\s+\d+\s+-\s+/m);
      expect(table.stdout).toContain('last reload REJECTED');

      const copy = join(dir, 'backup.db');
      const backup = await runCli(dir, ['backup', copy]);
      expect(backup.code).toBe(0);
      expect(verifyBackup(copy)).toMatchObject({ integrity: 'ok', mentions: 2 });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await out.exited).toBe(0);
    expect(out.stderr()).toContain('"msg":"earshot stopped"');
    expect(out.stderr()).not.toContain(slack.token);
  }, 60_000);

  it('refuses a bad --http address or EARSHOT_RETENTION before starting, with exit 1 and what to write', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n`,
      'rules/alerts.yaml': 'rules: []\n',
    });
    const badHttp = await runCli(dir, ['run', '--http', 'localhost:http']);
    expect(badHttp.code).toBe(1);
    expect(badHttp.stderr).toBe(
      'earshot: --http localhost:http: "http" is not a port; write it like 127.0.0.1:9464, :9464 or 9464 (loopback), or 0.0.0.0:9464 to listen on every interface',
    );
    writeFileSync(join(dir, '.env'), 'EARSHOT_RETENTION=12h\n');
    const badRetention = await runCli(dir, ['run']);
    expect(badRetention.code).toBe(1);
    expect(badRetention.stderr).toBe(
      'earshot: EARSHOT_RETENTION=12h: expected a duration of at least 1d like 90d, 26w or 365d, or "off" to keep everything',
    );
  });
});
