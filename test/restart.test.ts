/**
 * Crash safety with real processes: earshot is SIGKILLed after the alert is written to the
 * outbox but before Slack answered; the next run delivers it exactly once. And `earshot run`
 * stops cleanly on SIGTERM.
 */
import { until } from './helpers/wait.js';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect, makeDeployment, rssFeed, runCli, spawnCli } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

let feed: FeedServer;
let slack: SlackServer;
let smtp: TestSmtpServer;

beforeEach(async () => {
  [feed, slack, smtp] = await Promise.all([startFeedServer(), startSlackServer(), startSmtpServer()]);
});
afterEach(async () => {
  await Promise.all([feed.close(), slack.close(), smtp.close()]);
});

const NEGATIVE = 'Acme Cloud lost our data again. Furious, this is the worst service ever, we want a refund now.';

function deployment(every = '5m'): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: ${feed.url('/feed.xml')}\n    every: ${every}\n    alert_backfill: 1h\n`,
    'rules/alerts.yaml': `rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - slack: "#brand-alerts"\n      - email: pr@example.com\n`,
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\nSMTP_URL=${smtp.url}\nEMAIL_FROM=alerts@example.com\n`,
  });
}

describe('crash and restart', () => {
  it('delivers exactly once after a SIGKILL between "alert written" and "alert sent"', async () => {
    feed.route('/feed.xml', { body: rssFeed([{ guid: 'k1', title: 'Acme Cloud data loss', description: NEGATIVE }]) });
    slack.failNext(1, 'hang');
    const dir = deployment();
    const child = spawnCli(dir, ['poll', '--once']);
    const out = collect(child);
    // The alert is in the outbox and Slack has the request but has not answered: kill now.
    await until(() => slack.requests.some((r) => r.status === 'hang'), 45_000, 'the hanging Slack request').catch((err: Error) => {
      child.kill('SIGKILL');
      throw new Error(`${err.message}\nstdout: ${out.stdout()}\nstderr: ${out.stderr()}`);
    });
    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const pending = db.prepare("SELECT notifier, status FROM deliveries ORDER BY id").all();
    db.close();
    expect(pending).toEqual([
      { notifier: 'slack', status: 'pending' },
      { notifier: 'email', status: 'pending' },
    ]);
    child.kill('SIGKILL');
    await out.exited;
    expect(slack.messages).toHaveLength(0);

    const rerun = await runCli(dir, ['poll', '--once']);
    expect(rerun.code).toBe(0);
    expect(slack.messages).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);

    const again = await runCli(dir, ['poll', '--once']);
    expect(again.code).toBe(0);
    expect(slack.messages).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    const check = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(check.prepare("SELECT COUNT(*) AS n FROM alerts").get()).toEqual({ n: 1 });
    check.close();
  }, 90_000);

  it('earshot run polls, alerts, and stops cleanly on SIGTERM', async () => {
    feed.route('/feed.xml', { body: rssFeed([{ guid: 's1', title: 'Acme Cloud data loss', description: NEGATIVE }]) });
    const dir = deployment('1h');
    const child = spawnCli(dir, ['run']);
    const out = collect(child);
    await slack.waitForMessages(1, 30_000);
    await smtp.waitForMessages(1, 30_000);
    child.kill('SIGTERM');
    const code = await out.exited;
    expect(code).toBe(0);
    expect(out.stderr()).toContain('earshot stopped');
    expect(out.stderr()).not.toContain(slack.token);
    expect(slack.messages).toHaveLength(1);
  }, 60_000);
});
