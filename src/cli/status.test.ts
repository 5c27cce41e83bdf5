import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeDeployment, runCli } from '../../test/helpers/cli.js';
import { openDatabase, setMeta, type Db } from '../store/sqlite/db.js';
import { insertMention } from '../store/sqlite/mentions.js';
import type { NewMention } from '../store/types.js';
import { insertAlert, markFailed } from '../store/sqlite/outbox.js';
import { ensureSourceState, logPoll, recordFailure, recordSuccess } from '../store/sqlite/source-state.js';

const SOURCES = `brand: acme
name: Acme Cloud
query: '"acme cloud"'
sources:
  - type: rss
    url: https://feeds.example.com/acme.xml
    every: 15m
  - type: twitter
    query: acme cloud
  - type: reddit
    search: acme cloud
`;

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const MIN = 60_000;

function mention(n: number, fetchedAt: string): NewMention {
  return {
    brand: 'acme',
    source: 'rss',
    sourceKey: 'acme/rss',
    sourceId: `id-${n}`,
    url: null,
    canonicalUrl: null,
    author: null,
    reach: null,
    title: '',
    text: `Acme Cloud ${n}`,
    kind: null,
    linkUrl: null,
    language: 'en',
    publishedAt: fetchedAt,
    fetchedAt,
    matchedTerms: [],
    sentiment: { label: 'neutral', score: 0, reasons: [] },
    urgency: { level: 'low', score: 0, reasons: [] },
    duplicateOf: null,
    storyKey: null,
    metrics: {},
    fingerprint: `f-${n}`,
    alertState: 'evaluated',
  };
}

function alert(db: Db, createdAt: string, target: string): number {
  return db.transaction(() =>
    insertAlert(db, {
      rule: 'neg',
      ruleHash: 'h',
      ruleType: 'mention',
      groupKey: 'acme',
      brand: 'acme',
      summary: 's',
      details: [],
      mentionIds: [],
      totalMentions: 0,
      createdAt,
      deliveries: [{ notifier: 'slack', target }],
    }),
  )()!;
}

/** A day in the life: rss healthy, twitter rate-limited after an earlier success, reddit without credentials. */
function deployment(): string {
  const dir = makeDeployment({
    'sources/acme.yaml': SOURCES,
    'rules/alerts.yaml': 'rules: []\n',
    '.env': 'TWITTER_BEARER_TOKEN=bearer-value-for-tests\n',
  });
  const db = openDatabase(join(dir, 'data/earshot.db'));
  ensureSourceState(db, 'acme/rss', 'acme', 'rss', 'h1');
  recordSuccess(db, 'acme/rss', { at: ago(5 * MIN), cursor: {}, nextPollAt: ago(-10 * MIN) });
  for (let i = 0; i < 3; i++) logPoll(db, { sourceKey: 'acme/rss', startedAt: ago((5 + i * 15) * MIN), durationMs: 120, outcome: 'ok', fetched: 5, stored: 1 });
  logPoll(db, { sourceKey: 'acme/rss', startedAt: ago(30 * 3_600_000), durationMs: 120, outcome: 'error', fetched: 0, stored: 0, error: 'old' });
  for (let i = 0; i < 3; i++) insertMention(db, mention(i, ago((5 + i) * MIN)));
  insertMention(db, mention(99, ago(2 * 86_400_000)));

  ensureSourceState(db, 'acme/twitter', 'acme', 'twitter', 'h2');
  recordSuccess(db, 'acme/twitter', {
    at: ago(2 * 3_600_000),
    cursor: {},
    nextPollAt: ago(0),
    rateLimit: { remaining: 0, limit: 450, resetAt: ago(-12 * MIN) },
  });
  recordFailure(db, 'acme/twitter', { at: ago(3 * MIN), error: 'twitter: rate limited (429); retrying after the reset', kind: 'rate_limit', nextPollAt: ago(-12 * MIN) });
  logPoll(db, { sourceKey: 'acme/twitter', startedAt: ago(3 * MIN), durationMs: 80, outcome: 'error', fetched: 0, stored: 0, error: 'rate limited', errorKind: 'rate_limit' });

  alert(db, ago(7 * MIN), '#brand-alerts');
  const failed = alert(db, ago(60 * MIN), '#gone');
  const row = db.prepare('SELECT id FROM deliveries WHERE alert_id = ?').get(failed) as { id: number };
  markFailed(db, row.id, ago(59 * MIN), 'channel_not_found');
  setMeta(db, 'config.last_reload_at', ago(3_600_000));
  setMeta(db, 'daemon.heartbeat_at', ago(10_000));
  db.close();
  return dir;
}

describe('earshot status', () => {
  it('--json: one object with sources, outbox, config, database and retention', async () => {
    const dir = deployment();
    const r = await runCli(dir, ['status', '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Record<string, unknown> & {
      sources: Array<Record<string, unknown>>;
      outbox: Record<string, unknown>;
      config: Record<string, unknown>;
      database: Record<string, unknown>;
      retention: Record<string, unknown>;
    };
    expect(json.sources.map((s) => [s.source, s.state])).toEqual([
      ['acme/reddit', 'skipped'],
      ['acme/rss', 'ok'],
      ['acme/twitter', 'failing'],
    ]);
    expect(json.sources[1]).toMatchObject({ mentions24h: 3, polls24h: 3, errors24h: 0, rateLimit: null, consecutiveFailures: 0 });
    expect(json.sources[2]).toMatchObject({
      mentions24h: 0,
      polls24h: 1,
      errors24h: 1,
      consecutiveFailures: 1,
      lastError: 'twitter: rate limited (429); retrying after the reset',
      rateLimit: { remaining: 0, limit: 450 },
    });
    expect(json.sources[0]).toMatchObject({ skipped: 'missing REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, REDDIT_USER_AGENT', lastSuccess: null });
    expect(json.outbox).toMatchObject({ pending: 1, failed: 1, sent: 0 });
    expect(json.outbox.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(7 * 60);
    expect(json.outbox.oldestPendingAgeSeconds).toBeLessThan(7 * 60 + 30);
    expect(json.config).toMatchObject({ lastReloadError: null, configValidNow: true });
    expect(json.database).toMatchObject({ path: join(dir, 'data/earshot.db'), mentions: 4 });
    expect(json.database.bytes).toBeGreaterThan(0);
    expect(json.retention).toMatchObject({ setting: '90d', lastRunAt: null, horizon: null });
    expect(r.stdout).not.toContain('bearer-value-for-tests');
  });

  it('prints a readable table with the reasons under it', async () => {
    const dir = deployment();
    const r = await runCli(dir, ['status']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const cells = (line: string) => line.trim().split(/\s{2,}/);
    expect(cells(lines[0]!)).toEqual(['SOURCE', 'STATE', 'LAST SUCCESS', 'MENTIONS 24H', 'POLLS 24H', 'BUDGET', 'NEXT POLL']);
    expect(cells(lines[1]!)).toEqual(['acme/reddit', 'SKIPPED', 'never', '0', '0', '-', '-']);
    expect(cells(lines[2]!)).toEqual(['acme/rss', 'ok', expect.stringMatching(/^5m\d*s? ago$/), '3', '3', '-', expect.stringMatching(/^in (9m\d+s|10m)$/)]);
    expect(cells(lines[3]!)).toEqual(['acme/twitter', 'FAILING 1x', expect.stringMatching(/^2h\d*s? ago$/), '0', '1 (1 failed)', '0/450', expect.stringMatching(/^in 1[12]m\d*s?$/)]);
    // Columns line up: each left-aligned column starts where its header does.
    for (const header of ['STATE', 'LAST SUCCESS', 'POLLS 24H', 'BUDGET', 'NEXT POLL']) {
      const at = lines[0]!.indexOf(header);
      for (const line of lines.slice(1, 4)) expect(line[at - 1]).toBe(' ');
      for (const line of lines.slice(1, 4)) expect(line[at]).not.toBe(' ');
    }
    expect(r.stdout).toContain('  acme/reddit: skipped: missing REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, REDDIT_USER_AGENT (set in .env, see `earshot check`)');
    expect(r.stdout).toMatch(/ {2}acme\/twitter: last error 3m\d*s? ago: twitter: rate limited \(429\); retrying after the reset/);
    expect(r.stdout).toMatch(/^OUTBOX {5}1 pending \(oldest 7m\d*s? ago\); in 24h: 0 sent, 1 failed, 0 skipped$/m);
    expect(r.stdout).toMatch(/^ {11}slack #gone: channel_not_found$/m);
    expect(r.stdout).toMatch(/^CONFIG {5}loaded 1h\d*s? ago; on disk valid$/m);
    expect(r.stdout).toMatch(/^DAEMON {5}not running; last seen 1\ds ago$/m);
    expect(r.stdout).toMatch(/^DATABASE {3}.*earshot\.db: \d+\.\d MB.*, 4 mentions, schema v\d+$/m);
    expect(r.stdout).toMatch(/^RETENTION {2}90d; not run yet \(the daemon prunes daily\)$/m);
  });

  it('says when the daemon is not running and a reload was rejected', async () => {
    const dir = deployment();
    const db = openDatabase(join(dir, 'data/earshot.db'));
    setMeta(db, 'daemon.heartbeat_at', ago(10 * MIN));
    setMeta(db, 'config.last_reload_error', `${ago(MIN)}: rules/alerts.yaml:3:25: rules[0].match.sentiment: bad`);
    db.close();
    const r = await runCli(dir, ['status']);
    expect(r.stdout).toMatch(/^DAEMON {5}not running; last seen 10m\d*s? ago$/m);
    expect(r.stdout).toMatch(/last reload REJECTED \(last good config in force\): .*rules\/alerts\.yaml:3:25/);
  });
});

describe('earshot status: digests', () => {
  it('shows each digest’s last period and its next run', async () => {
    const dir = makeDeployment({
      'sources/acme.yaml': `brand: acme\nname: Acme\nquery: acme\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
      'rules/alerts.yaml': `digests:\n  - name: daily\n    schedule: "0 8 * * *"\n    timezone: Europe/Berlin\n    to: [team@example.com]\n`,
    });
    const db = openDatabase(join(dir, 'data/earshot.db'));
    db.prepare(
      `INSERT INTO digest_runs (digest, period_end, period_start, status, attempts, next_attempt_at, last_error, created_at)
       VALUES ('daily', '2026-11-22T07:00:00.000Z', '2026-11-21T07:00:00.000Z', 'failed', 3, '2026-11-22T07:00:00.000Z', 'SMTP 550 mailbox unavailable', '2026-11-22T07:00:00.000Z')`,
    ).run();
    db.close();
    const json = await runCli(dir, ['status', '--json']);
    const digests = (JSON.parse(json.stdout) as { digests: Array<{ name: string; lastStatus: string; lastError: string; next: string }> }).digests;
    expect(digests).toHaveLength(1);
    expect(digests[0]).toMatchObject({ name: 'daily', lastStatus: 'failed', lastError: 'SMTP 550 mailbox unavailable' });
    const next = new Date(digests[0]!.next);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect([6, 7]).toContain(next.getUTCHours()); // 08:00 in Berlin is 07:00 UTC in winter, 06:00 in summer
    const text = await runCli(dir, ['status']);
    expect(text.stdout).toMatch(/DIGEST {5}daily \(0 8 \* \* \* Europe\/Berlin\): last period FAILED: SMTP 550 mailbox unavailable; next in /);
  });
});
