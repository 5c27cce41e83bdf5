/**
 * `earshot check --online` and `earshot notify test` against local Slack and SMTP servers: a
 * wrong token or a channel the bot is not in is found before the first alert needs it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startBlueskyServer } from './helpers/bluesky-server.js';
import { makeDeployment, runCli } from './helpers/cli.js';
import { startMastodonServer } from './helpers/mastodon-server.js';
import { startRedditServer } from './helpers/reddit-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { startTwitterServer } from './helpers/twitter-server.js';

let slack: SlackServer | null = null;
let smtp: TestSmtpServer | null = null;
afterEach(async () => {
  await Promise.all([slack?.close(), smtp?.close()]);
  slack = null;
  smtp = null;
});

const RULES = `rules:
  - name: negative
    match: { brand: acme, sentiment: negative }
    notify:
      - slack: "#brand-alerts"
      - email: pr@example.com
  - name: ops
    notify:
      - slack: "#ops"
      - slack: "#nosuch"
`;

async function servers(): Promise<{ slack: SlackServer; smtp: TestSmtpServer }> {
  slack = await startSlackServer({
    channels: [
      { id: 'C0000000001', name: 'brand-alerts', isMember: true },
      { id: 'C0000000002', name: 'ops', isMember: false },
    ],
  });
  smtp = await startSmtpServer();
  return { slack, smtp };
}

function deployment(env: string): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/f.xml\n`,
    'rules/alerts.yaml': RULES,
    '.env': env,
  });
}

describe('earshot check --online', () => {
  it('finds a wrong Slack token that the static check cannot see', async () => {
    const s = await servers();
    const dir = deployment(`SLACK_BOT_TOKEN=xoxb-wrong\nSLACK_API_URL=${s.slack.url}\nSMTP_URL=${s.smtp.url}\nEMAIL_FROM=alerts@example.com\n`);
    const offline = await runCli(dir, ['check', '--strict']);
    expect(offline.code).toBe(0);
    const r = await runCli(dir, ['check', '--online']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^online: FAILED: slack token: Slack: invalid_auth .*SLACK_BOT_TOKEN/m);
    expect(r.stdout).toMatch(/^online: ok: email SMTP: 127\.0\.0\.1:\d+: connected, logged in$/m);
    expect(r.stdout).not.toContain('xoxb-wrong');
    expect(s.slack.messages).toHaveLength(0);
  });

  it('checks channel membership and the SMTP login, and sends nothing', async () => {
    const s = await servers();
    const smtpUrl = new URL(s.smtp.url);
    smtpUrl.password = 'not-the-password';
    const dir = deployment(`SLACK_BOT_TOKEN=${s.slack.token}\nSLACK_API_URL=${s.slack.url}\nSMTP_URL=${smtpUrl.href}\nEMAIL_FROM=alerts@example.com\n`);
    const r = await runCli(dir, ['check', '--online']);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('online:'));
    expect(lines).toEqual([
      expect.stringMatching(/^online: ok: slack token: accepted \(auth\.test\): @\S+ in workspace \S+$/),
      expect.stringMatching(/^online: ok: slack #brand-alerts: @\S+ is a member$/),
      expect.stringMatching(/^online: FAILED: slack #ops: @\S+ is not in the channel: invite it with \/invite @\S+ in #ops$/),
      expect.stringMatching(/^online: FAILED: slack #nosuch: no such channel, or @\S+ cannot see it/),
      expect.stringMatching(/^online: FAILED: email SMTP: 127\.0\.0\.1:\d+: rejected after AUTH \w+: 535 .*: check the user and password in SMTP_URL$/),
      'online: not checked: email addresses: 1 well-formed; mailboxes are not checked online (servers accept first and bounce later): `earshot notify test` sends a sample',
      'online: not checked: source acme/rss: needs no credentials',
      'online: 2 ok, 3 failed, 2 not checked',
    ]);
    expect(r.stdout).not.toContain('not-the-password');
    expect(s.slack.messages).toHaveLength(0);
    expect(s.smtp.messages).toHaveLength(0);
  });
});

describe('earshot notify test', () => {
  it('sends a sample alert, marked as a test, to every destination of a rule, or to one target', async () => {
    const s = await servers();
    const dir = deployment(`SLACK_BOT_TOKEN=${s.slack.token}\nSLACK_API_URL=${s.slack.url}\nSMTP_URL=${s.smtp.url}\nEMAIL_FROM=alerts@example.com\n`);
    const r = await runCli(dir, ['notify', 'test', 'negative']);
    expect(r.stdout.split('\n')).toEqual([expect.stringMatching(/^slack #brand-alerts: sent \(.*\d+\.\d+\)$/), expect.stringMatching(/^email pr@example\.com: sent \(.+\)$/)]);
    expect(r.code).toBe(0);
    expect(s.slack.messages).toHaveLength(1);
    expect(s.slack.messages[0]!.channel).toBe('#brand-alerts');
    expect(JSON.stringify(s.slack.messages[0])).toContain('Test alert from earshot (rule negative)');
    const [mail] = await s.smtp.waitForMessages(1, 5000);
    expect(mail!.subject).toContain('Test alert from earshot');

    const one = await runCli(dir, ['notify', 'test', 'slack:#elsewhere']);
    expect(one.code).toBe(0);
    expect(s.slack.messages.map((m) => m.channel)).toEqual(['#brand-alerts', '#elsewhere']);

    s.slack.failNext(1, { error: 'not_in_channel' });
    const failed = await runCli(dir, ['notify', 'test', 'slack:#ops']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^slack #ops: FAILED: Slack: not_in_channel .*invite/m);

    const bad = await runCli(dir, ['notify', 'test', 'nosuch']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('notify test nosuch: not a rule name (rules are negative, ops) nor TYPE:TARGET like slack:#brand-alerts');
  });
});

const SHARED = join(dirname(fileURLToPath(import.meta.url)), '../../shared/fixtures');
const haveFixtures = existsSync(SHARED);

describe.skipIf(!haveFixtures)(`earshot check --online: sources${haveFixtures ? '' : ` (skipped: ${SHARED} not found)`}`, () => {
  it('asks each source that has credentials with one cheap call, and names what is wrong', async () => {
    const reddit = await startRedditServer({ posts: [] });
    const twitter = await startTwitterServer({ token: 'AAAA-right-bearer-0123456789', dataset: { tweets: [], users: [] } });
    const bluesky = await startBlueskyServer({ handle: 'acme.bsky.social', appPassword: 'abcd-efgh-ijkl-mnop', posts: [] });
    const mastodon = await startMastodonServer({ token: 'mastodon-right-token-0123456789', statuses: [] });
    try {
      const dir = makeDeployment({
        'sources/acme.yaml': `brand: acme\nname: Acme Cloud\nquery: '"acme cloud"'\nsources:
  - type: reddit
    search: acme cloud
  - type: twitter
    query: '"acme cloud"'
  - type: bluesky
    query: '"acme cloud"'
  - type: mastodon
    instance: ${mastodon.url}
    query: acme cloud
`,
        'rules/alerts.yaml': 'rules: []\n',
        '.env': [
          `REDDIT_CLIENT_ID=${reddit.clientId}`,
          'REDDIT_CLIENT_SECRET=not-the-secret',
          'REDDIT_USER_AGENT=linux:earshot-test:v1.0 (by /u/earshot_test)',
          `REDDIT_API_URL=${reddit.url}`,
          `REDDIT_AUTH_URL=${reddit.url}`,
          'TWITTER_BEARER_TOKEN=AAAA-right-bearer-0123456789',
          `TWITTER_API_URL=${twitter.url}`,
          'BLUESKY_HANDLE=acme.bsky.social',
          'BLUESKY_APP_PASSWORD=wxyz-wxyz-wxyz-wxyz',
          `BLUESKY_SERVICE_URL=${bluesky.url}`,
          'MASTODON_ACCESS_TOKEN=mastodon-wrong-token',
        ].join('\n') + '\n',
      });
      const r = await runCli(dir, ['check', '--online']);
      expect(r.code).toBe(1);
      const lines = r.stdout.split('\n').filter((l) => l.startsWith('online:'));
      expect(lines[0]).toMatch(/^online: FAILED: source acme\/reddit: reddit: HTTP 401 .*REDDIT_CLIENT_SECRET/);
      expect(lines[1]).toBe('online: ok: source acme/twitter: X accepted TWITTER_BEARER_TOKEN and the query (one recent-search request)');
      expect(lines[2]).toMatch(/^online: FAILED: source acme\/bluesky: Bluesky: .*BLUESKY_APP_PASSWORD/);
      expect(lines[3]).toMatch(/^online: FAILED: source acme\/mastodon: Mastodon: .*401.*MASTODON_ACCESS_TOKEN/);
      expect(lines[4]).toBe('online: 1 ok, 3 failed, 0 not checked');
      for (const secret of ['not-the-secret', 'wxyz-wxyz-wxyz-wxyz', 'mastodon-wrong-token', 'AAAA-right-bearer-0123456789']) expect(r.stdout).not.toContain(secret);
      expect(twitter.requests.filter((q) => q.path.includes('search'))).toHaveLength(1);
    } finally {
      await Promise.all([reddit.close(), twitter.close(), bluesky.close(), mastodon.close()]);
    }
  });
});
