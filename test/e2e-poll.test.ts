/**
 * End to end through the CLI, with real parts only: a local feed server, a local Slack Web API
 * server, a real SMTP server, a real SQLite file. A negative mention in a watched feed reaches
 * Slack and email exactly once; a second poll sends nothing.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { makeDeployment, rssFeed, runCli, type FeedItem } from './helpers/cli.js';
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

const NEGATIVE =
  'Acme Cloud has been down for three hours and support is ignoring us. Terrible service, we want a refund. Never using Acme Cloud again.';

function deployment(extra: { backfill?: string; rules?: string } = {}): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme
name: Acme Cloud
query: '"acme cloud" OR acmecloud'
handles: [acmecloud]
sources:
  - type: rss
    url: ${feed.url('/feed.xml')}
    every: 5m
${extra.backfill ? `    alert_backfill: ${extra.backfill}\n` : ''}`,
    'rules/alerts.yaml':
      extra.rules ??
      `rules:
  - name: negative-mention
    match:
      brand: acme
      sentiment: negative
    notify:
      - slack: "#brand-alerts"
      - email: pr-team@example.com
`,
    '.env': `SLACK_BOT_TOKEN=${slack.token}
SLACK_API_URL=${slack.url}
SMTP_URL=${smtp.url}
EMAIL_FROM=earshot <alerts@example.com>
`,
  });
}

function serve(items: FeedItem[]): void {
  feed.route('/feed.xml', { body: rssFeed(items), headers: { 'content-type': 'application/rss+xml' } });
}

const old = new Date(Date.now() - 3 * 86_400_000);

describe('earshot poll --once, end to end', () => {
  it('stores the first poll without alerting, then alerts once on a new negative mention, then stays quiet', async () => {
    serve([
      { guid: 'a1', title: 'Acme Cloud launches a new region', description: 'Acme Cloud opens a region in Frankfurt.', pubDate: old },
      { guid: 'a2', title: 'Unrelated news', description: 'Nothing about the brand here.', pubDate: old },
    ]);
    const dir = deployment();

    const first = await runCli(dir, ['poll', '--once']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('acme/rss: 2 fetched, 1 matched, 1 new');
    expect(slack.messages).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);

    serve([
      { guid: 'a3', title: 'Acme Cloud outage', description: NEGATIVE, author: 'angry@example.com (Dana)' },
      { guid: 'a1', title: 'Acme Cloud launches a new region', description: 'Acme Cloud opens a region in Frankfurt.', pubDate: old },
      { guid: 'a2', title: 'Unrelated news', description: 'Nothing about the brand here.', pubDate: old },
    ]);
    const second = await runCli(dir, ['poll', '--once']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('1 new');
    expect(second.stdout).toContain('alerts: 1 new; deliveries: 2 sent, 0 failed, 0 pending');

    expect(slack.messages).toHaveLength(1);
    const message = slack.messages[0]!;
    expect(message.channel).toBe('#brand-alerts');
    const payload = JSON.stringify(message.blocks);
    expect(payload).toContain('Acme Cloud');
    expect(payload).toContain('negative-mention');
    expect(payload).toContain('https://news.example.com/a3');
    expect(payload).toContain('three hours');
    expect(message.text).toMatch(/negative/i);

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.to).toEqual(['pr-team@example.com']);
    expect(mail.subject).toMatch(/Acme Cloud/);
    expect(mail.subject).toMatch(/negative-mention/);
    expect(mail.text).toContain('three hours');
    expect(mail.html).toContain('https://news.example.com/a3');

    // Unchanged feed: the server answers 304 and nothing is sent again.
    const third = await runCli(dir, ['poll', '--once']);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('not modified');
    expect(feed.requestsFor('/feed.xml').at(-1)!.headers['if-none-match']).toBeTruthy();
    expect(slack.messages).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);

    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const rows = db.prepare('SELECT source_id, sentiment_label, alert_state FROM mentions ORDER BY id').all();
    db.close();
    expect(rows).toEqual([
      { source_id: 'a1', sentiment_label: expect.any(String), alert_state: 'backfill' },
      { source_id: 'a3', sentiment_label: 'negative', alert_state: 'evaluated' },
    ]);
  });

  it('alerts on the first poll for mentions inside alert_backfill only', async () => {
    serve([
      { guid: 'new', title: 'Acme Cloud outage', description: NEGATIVE },
      { guid: 'old', title: 'Acme Cloud outage last week', description: NEGATIVE.replace('three', 'five'), pubDate: old },
    ]);
    const dir = deployment({ backfill: '1h' });
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code).toBe(0);
    expect(slack.messages).toHaveLength(1);
    expect(JSON.stringify(slack.messages[0]!.blocks)).toContain('https://news.example.com/new');
  });

  it('recognises a repost of the same text under another id as a duplicate and does not alert twice', async () => {
    serve([{ guid: 'x1', title: 'Acme Cloud outage', description: NEGATIVE, link: 'https://blog.example.com/post?utm_source=x' }]);
    const dir = deployment({ backfill: '1h' });
    await runCli(dir, ['poll', '--once']);
    serve([
      { guid: 'x2', title: 'Acme Cloud outage', description: NEGATIVE, link: 'https://mirror.example.org/copy' },
      { guid: 'x1', title: 'Acme Cloud outage', description: NEGATIVE, link: 'https://blog.example.com/post?utm_source=x' },
    ]);
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.stdout).toContain('1 duplicate');
    expect(slack.messages).toHaveLength(1);
    const listed = await runCli(dir, ['mentions', '--json', '--duplicates']);
    const mentions = listed.stdout.split('\n').map((l) => JSON.parse(l) as { sourceId: string; duplicateOf: number | null });
    expect(mentions.find((m) => m.sourceId === 'x2')!.duplicateOf).not.toBeNull();
  });

  it('waits out a Slack 429 (Retry-After) and delivers exactly once', async () => {
    serve([{ guid: 'r1', title: 'Acme Cloud outage', description: NEGATIVE }]);
    slack.failNext(1, 'ratelimited', { retryAfter: 1 });
    const dir = deployment({ backfill: '1h' });
    const started = Date.now();
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(slack.requests.filter((q) => q.method === 'chat.postMessage').map((q) => q.status)).toEqual([429, 200]);
    expect(slack.messages).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('does not retry channel_not_found, exits 1 and shows the failure in status', async () => {
    serve([{ guid: 'c1', title: 'Acme Cloud outage', description: NEGATIVE }]);
    slack.failNext(1, { error: 'channel_not_found' });
    const dir = deployment({ backfill: '1h' });
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/channel_not_found/);
    expect(slack.requests.filter((q) => q.method === 'chat.postMessage')).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
    const status = await runCli(dir, ['status', '--json']);
    const json = JSON.parse(status.stdout) as { outbox: { failed: number; recentFailures: Array<{ error: string }> } };
    expect(json.outbox.failed).toBe(1);
    expect(json.outbox.recentFailures[0]!.error).toMatch(/channel_not_found/);
    expect(status.stdout).not.toContain(slack.token);
  });

  it('keeps polling other sources when one feed is broken, and names the broken one', async () => {
    serve([{ guid: 'ok1', title: 'Acme Cloud outage', description: NEGATIVE }]);
    feed.route('/broken.xml', { status: 500, body: 'oops' });
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme
name: Acme Cloud
query: '"acme cloud"'
sources:
  - type: rss
    url: ${feed.url('/broken.xml')}
  - type: rss
    url: ${feed.url('/feed.xml')}
    alert_backfill: 1h
`,
      'rules/alerts.yaml': 'rules:\n  - name: all\n    notify: [{ slack: "#brand-alerts" }]\n',
      '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
    });
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/acme\/rss: FAILED: .*broken\.xml.*500/);
    expect(r.stdout).toContain('acme/rss#2: 1 fetched, 1 matched, 1 new');
    expect(slack.messages).toHaveLength(1);
  });
});
