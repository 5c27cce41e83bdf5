/**
 * A known deployment and day for digest tests: brand "Acme Cloud", digest "daily" at 08:00
 * Europe/Berlin, and a seeded store for the period 2026-11-22 08:00 – 2026-11-23 08:00 Berlin
 * time (07:00Z – 07:00Z), with the previous day for comparison. The numbers every test asserts
 * are derived from the rows written here; the comments say which row makes which number.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Store } from '../../src/store/types.js';
import { seedAlert, seedMention, seedPoll, seedPolls, seedWaiting } from './digest-seed.js';

export const PERIOD_START = '2026-11-22T07:00:00.000Z';
export const PERIOD_END = '2026-11-23T07:00:00.000Z';

export interface DeploymentOptions {
  smtpUrl?: string;
  digestExtra?: string;
  schedule?: string;
  timezone?: string;
  /** The digest's brands; null leaves `brands:` out (every brand). Default [acme]. */
  brands?: string[] | null;
  /** More files, e.g. another brand's sources file. */
  extraFiles?: Record<string, string>;
}

export function writeDeployment(options: DeploymentOptions = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-digest-'));
  const files: Record<string, string> = {
    'sources/acme.yaml': [
      'brand: acme',
      'name: Acme Cloud',
      `query: 'acme OR "acme cloud" OR acmecloud'`,
      'handles: [acmecloud]',
      'sources:',
      '  - type: rss',
      '    url: https://news.example.org/feed.xml',
      '    every: 15m',
      '  - type: reddit',
      '    search: acme cloud',
      '    every: 5m',
      '  - type: twitter',
      `    query: '"acme cloud"'`,
      '    every: 2m',
      '  - type: hackernews',
      '    query: acme cloud',
      '    every: 10m',
      '',
    ].join('\n'),
    'rules/alerts.yaml': [
      'rules:',
      '  - name: negative-mention',
      '    match: { brand: acme, sentiment: negative }',
      '    throttle: 10m',
      '    notify: [{ slack: "#brand-alerts" }, { email: pr@example.com }]',
      '  - name: praise',
      '    match: { brand: acme, sentiment: positive }',
      '    notify: [{ slack: "#brand-alerts" }]',
      'digests:',
      '  - name: daily',
      ...(options.brands === null ? [] : [`    brands: [${(options.brands ?? ['acme']).join(', ')}]`]),
      `    schedule: "${options.schedule ?? '0 8 * * *'}"`,
      `    timezone: ${options.timezone ?? 'Europe/Berlin'}`,
      '    to: [team@example.com, lead@example.com]',
      ...(options.digestExtra ? [options.digestExtra] : []),
      '',
    ].join('\n'),
    '.env': [
      'REDDIT_CLIENT_ID=id',
      'REDDIT_CLIENT_SECRET=secret-value',
      'REDDIT_USER_AGENT=earshot-test',
      'TWITTER_BEARER_TOKEN=bearer-value',
      `SMTP_URL=${options.smtpUrl ?? 'smtp://127.0.0.1:1'}`,
      'EMAIL_FROM=earshot <digest@example.com>',
      '',
    ].join('\n'),
    ...options.extraFiles,
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

export interface ScenarioIds {
  m1: number;
  m2: number;
  m3: number;
  m4: number;
  m5: number;
  m6: number;
  m7: number;
  m8: number;
  m9: number;
  m10: number;
}

/** Seeds the known day. Extra mentions can be added by tests (e.g. hostile content). */
export function seedScenario(store: Store): Promise<ScenarioIds> {
  return store.transaction(async (db) => {
    // Before the previous period: u/regular is a known voice.
    await seedMention(db, { id: 'old1', source: 'reddit', at: '2026-11-20T12:00:00.000Z', author: 'u/regular', text: 'Acme Cloud for CI' });
    // The previous period (2026-11-21 07:00Z – 2026-11-22 07:00Z): 4 mentions.
    await seedMention(db, { id: 'p1', source: 'reddit', at: '2026-11-21T12:00:00.000Z', author: 'u/regular', text: 'acme again' });
    await seedMention(db, { id: 'p2', at: '2026-11-21T13:00:00.000Z', text: 'acme is fine' });
    await seedMention(db, { id: 'p3', at: '2026-11-21T18:00:00.000Z', text: 'acme update' });
    await seedMention(db, { id: 'p4', at: '2026-11-22T06:59:59.000Z', text: 'acme late night' });

    // The period: 9 counted mentions (m9 is a duplicate), 3 negative, 4 neutral, 2 positive.
    const m1 = await seedMention(db, {
      id: 'm1', at: '2026-11-22T09:15:00.000Z', author: 'dana_ops', reach: 12_000,
      text: '@acmecloud is the status page wrong? our deploys fail since 9am',
      sentiment: 'negative', urgency: 'high', urgencyScore: 0.72, urgencyReasons: ['question to @acmecloud'],
    });
    const m2 = await seedMention(db, {
      id: 'm2', source: 'reddit', at: '2026-11-22T10:40:00.000Z', fetchedAt: '2026-11-22T10:41:00.000Z',
      author: 'u/sysadmin_sam', reach: 340, title: 'Acme Cloud billing doubled overnight',
      text: 'billing doubled overnight after the plan change, anyone else?',
      sentiment: 'negative', urgency: 'medium', urgencyScore: 0.45,
    });
    const m3 = await seedMention(db, {
      id: 'm3', at: '2026-11-22T11:05:00.000Z', author: 'techcrunchy', reach: 250_000,
      text: 'Acme Cloud ships new edge regions in Frankfurt', sentiment: 'positive',
    });
    const m4 = await seedMention(db, {
      id: 'm4', source: 'hackernews', at: '2026-11-22T13:20:00.000Z', author: 'pg_fan', reach: 180,
      title: 'Acme Cloud edge regions', text: 'Show HN discussion about edge regions pricing',
    });
    const m5 = await seedMention(db, {
      id: 'm5', source: 'rss', at: '2026-11-22T15:00:00.000Z', author: null, url: 'https://news.example.org/acme-edge',
      title: 'Acme Cloud expands edge regions', text: 'The company announced edge regions in Frankfurt and Paris',
    });
    const m6 = await seedMention(db, {
      id: 'm6', at: '2026-11-22T16:30:00.000Z', fetchedAt: '2026-11-22T16:31:00.000Z', author: 'angry_dev', reach: 800,
      text: '@acmecloud billing doubled overnight, support not answering',
      sentiment: 'negative', urgency: 'critical', urgencyScore: 0.91, urgencyReasons: ['complaint to @acmecloud', 'complaint (0.88)'],
    });
    const m7 = await seedMention(db, {
      id: 'm7', at: '2026-11-22T20:00:00.000Z', author: 'dana_ops', reach: 90, text: 'Loving the new Acme Cloud dashboard', sentiment: 'positive',
    });
    const m8 = await seedMention(db, {
      id: 'm8', source: 'reddit', at: '2026-11-23T06:30:00.000Z', author: 'u/regular', reach: 55, text: 'Has somebody tried Acme Cloud for a homelab',
    });
    const m9 = await seedMention(db, { id: 'm9', at: '2026-11-22T12:00:00.000Z', author: 'copycat', text: 'Acme Cloud ships new edge regions in Frankfurt', duplicateOf: m3 });
    const m10 = await seedMention(db, {
      id: 'm10', source: 'rss', at: '2026-11-22T08:00:00.000Z', author: null, url: 'https://news.example.org/acme-archive',
      title: 'Archive: Acme Cloud history', text: '', alertState: 'backfill',
    });
    // After the period: not counted.
    await seedMention(db, { id: 'next1', at: '2026-11-23T07:00:00.000Z', text: 'acme tomorrow' });

    // Alerts: A1 went out everywhere; A2 bundled m2 and m6 (throttle) and its email failed;
    // A3 was never sent (Slack not configured) so it is not an "alert sent".
    await seedAlert(db, {
      rule: 'negative-mention', at: '2026-11-22T09:16:00.000Z', summary: 'Negative mention of Acme Cloud on twitter', mentionIds: [m1],
      deliveries: [{ notifier: 'slack', target: '#brand-alerts', status: 'sent' }, { notifier: 'email', target: 'pr@example.com', status: 'sent' }],
    });
    await seedAlert(db, {
      rule: 'negative-mention', at: '2026-11-22T16:45:00.000Z', summary: '2 negative mentions of Acme Cloud', mentionIds: [m2, m6],
      deliveries: [
        { notifier: 'slack', target: '#brand-alerts', status: 'sent' },
        { notifier: 'email', target: 'pr@example.com', status: 'failed', error: 'SMTP: rejected after RCPT TO: 550 mailbox unavailable' },
      ],
    });
    await seedAlert(db, {
      rule: 'praise', at: '2026-11-22T20:01:00.000Z', summary: 'Positive mention of Acme Cloud on twitter', mentionIds: [m7],
      deliveries: [{ notifier: 'slack', target: '#brand-alerts', status: 'skipped', error: 'slack is not configured: set SLACK_BOT_TOKEN' }],
    });
    await seedWaiting(db, 'negative-mention', m8, '2026-11-23T06:31:00.000Z');

    // Polls: rss every 15m with 3 server errors; reddit every 5m with 2 rate limits; twitter
    // every 2m with one coverage gap; hackernews never polled.
    await seedPolls(db, 'acme/rss', PERIOD_START, PERIOD_END, 15 * 60_000);
    for (const at of ['2026-11-22T10:00:30.000Z', '2026-11-22T10:15:30.000Z', '2026-11-22T10:30:30.000Z']) {
      await seedPoll(db, { sourceKey: 'acme/rss', at, error: 'https://news.example.org/feed.xml: HTTP 503 Service Unavailable', errorKind: 'server' });
    }
    await seedPolls(db, 'acme/reddit', PERIOD_START, PERIOD_END, 5 * 60_000);
    for (const at of ['2026-11-22T14:00:30.000Z', '2026-11-22T14:05:30.000Z']) {
      await seedPoll(db, { sourceKey: 'acme/reddit', at, error: 'reddit: HTTP 429 Too Many Requests', errorKind: 'rate_limit' });
    }
    await seedPolls(db, 'acme/twitter', PERIOD_START, PERIOD_END, 2 * 60_000);
    await seedPoll(db, { sourceKey: 'acme/twitter', at: '2026-11-22T18:00:30.000Z', gap: 'page cap reached: tweets before 17:40 may be missing' });
    return { m1, m2, m3, m4, m5, m6, m7, m8, m9, m10 };
  });
}
