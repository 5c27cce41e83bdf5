/**
 * Secrets never leak: distinctive fake values in every credential variable (Slack token, SMTP
 * password, Reddit secret, Twitter bearer, Bluesky app password, Mastodon token) and a full
 * `earshot run` plus `poll --once` (compiled, real processes, log level trace), once with valid
 * credentials and once with invalid ones (401s, invalid_auth, SMTP 535). ALL output is searched
 * for each secret and its encoded forms: stdout and stderr of every command, `status` (table and
 * JSON), `mentions`, `check`, the Slack messages and emails received, and the database files'
 * bytes (the secrets must not be stored at all).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCli, spawnCompiled } from '../scripts/soak.js';
import { collect, makeDeployment, rssFeed, runCli } from './helpers/cli.js';
import { hasBlueskyFixtures, startBlueskyServer, type BlueskyServer } from './helpers/bluesky-server.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { hasMastodonFixtures, startMastodonServer, type MastodonServer } from './helpers/mastodon-server.js';
import { hasRedditFixtures, startRedditServer, type RedditServer } from './helpers/reddit-server.js';
import { startSlackServer, type SlackServer } from './helpers/slack-server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';
import { hasTwitterFixtures, startTwitterServer, type TwitterServer } from './helpers/twitter-server.js';

const haveFixtures = hasRedditFixtures && hasTwitterFixtures && hasBlueskyFixtures && hasMastodonFixtures;

const GOOD = {
  slack: 'xoxb-SLACKSECRET-7f3a9c1e5b',
  smtp: 'SmtpSecret+9d2e/7b4a@1c',
  reddit: 'RedditSecret-4c8e1a7f2d',
  twitter: 'TwitterBearer-AAAA6b1d9e3f7a',
  bluesky: 'bsky-apppw-k2j4-h6g8-q1w3',
  mastodon: 'MastodonToken-5e9a2c7b1f',
};
const BAD = {
  slack: 'xoxb-WRONGSLACK-0a1b2c3d4e',
  smtp: 'WrongSmtp+pass/55@aa',
  reddit: 'WrongReddit-9f8e7d6c5b',
  twitter: 'WrongBearer-BBBB1a2b3c4d',
  bluesky: 'bsky-wrong-z9y8-x7w6-v5u4',
  mastodon: 'WrongMastodon-3c4d5e6f7a',
};
const REDDIT_ID = 'reddit-client-id-x1';
const BLUESKY_HANDLE = 'acme-watcher.bsky.social';
const NEGATIVE = 'Acme Cloud lost our data again. Furious, this is the worst service ever, we want a refund now.';

/** A secret as it could show up: raw, URL-encoded, in HTTP Basic auth, base64. */
function forms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(`${REDDIT_ID}:${secret}`).toString('base64').replace(/=+$/, ''),
    Buffer.from(`earshot:${secret}`).toString('base64').replace(/=+$/, ''),
  ];
}

function leaks(haystack: string | Buffer, secrets: Record<string, string>): string[] {
  const text = typeof haystack === 'string' ? haystack : haystack.toString('latin1');
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    for (const form of forms(secret)) if (text.includes(form)) found.push(`${name} (${form})`);
  }
  return found;
}

interface Servers {
  feed: FeedServer;
  slack: SlackServer;
  smtp: TestSmtpServer;
  reddit: RedditServer;
  twitter: TwitterServer;
  bluesky: BlueskyServer;
  mastodon: MastodonServer;
}
let s: Servers;

beforeAll(async () => {
  if (!haveFixtures) return;
  const feed = await startFeedServer();
  feed.route('/acme.xml', { body: rssFeed([{ guid: 'sec1', title: 'Acme Cloud outage', description: NEGATIVE }]) });
  s = {
    feed,
    slack: await startSlackServer({ token: GOOD.slack }),
    smtp: await startSmtpServer({ user: 'earshot', pass: GOOD.smtp, requireAuth: true }),
    reddit: await startRedditServer({ clientId: REDDIT_ID, clientSecret: GOOD.reddit, posts: [], comments: [] }),
    twitter: await startTwitterServer({ token: GOOD.twitter, dataset: { tweets: [], users: [] } }),
    bluesky: await startBlueskyServer({ handle: BLUESKY_HANDLE, appPassword: GOOD.bluesky, posts: [] }),
    mastodon: await startMastodonServer({ token: GOOD.mastodon, statuses: [] }),
  };
});
afterAll(async () => {
  if (!haveFixtures) return;
  await Promise.all(Object.values(s).map((server: { close(): Promise<void> }) => server.close()));
});

function deployment(secrets: typeof GOOD): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme
name: Acme Cloud
query: '"acme cloud"'
sources:
  - type: rss
    url: ${s.feed.url('/acme.xml')}
    alert_backfill: 1d
  - type: reddit
    search: acme cloud
  - type: twitter
    query: '"acme cloud"'
  - type: bluesky
    query: '"acme cloud"'
  - type: mastodon
    instance: ${s.mastodon.url}
    query: acme cloud
`,
    'rules/alerts.yaml': 'rules:\n  - name: negative-mention\n    match: { sentiment: negative }\n    notify:\n      - slack: "#alerts"\n      - email: pr@example.com\n',
    '.env': `SLACK_BOT_TOKEN=${secrets.slack}
SLACK_API_URL=${s.slack.url}
SMTP_URL=smtp://earshot:${encodeURIComponent(secrets.smtp)}@127.0.0.1:${s.smtp.port}
EMAIL_FROM=alerts@example.com
REDDIT_CLIENT_ID=${REDDIT_ID}
REDDIT_CLIENT_SECRET=${secrets.reddit}
REDDIT_USER_AGENT=linux:earshot-test:v1 (by /u/earshot_test)
REDDIT_API_URL=${s.reddit.url}
REDDIT_AUTH_URL=${s.reddit.url}
TWITTER_BEARER_TOKEN=${secrets.twitter}
TWITTER_API_URL=${s.twitter.url}
BLUESKY_HANDLE=${BLUESKY_HANDLE}
BLUESKY_APP_PASSWORD=${secrets.bluesky}
BLUESKY_SERVICE_URL=${s.bluesky.url}
MASTODON_ACCESS_TOKEN=${secrets.mastodon}
`,
  });
}

async function runProcess(launcher: string, dir: string, args: string[], stopWhen?: (stderr: string) => boolean): Promise<{ code: number | null; out: string }> {
  const child = spawnCompiled(launcher, dir, args, { EARSHOT_LOG_LEVEL: 'trace' });
  const io = collect(child);
  if (stopWhen) {
    const deadline = Date.now() + 20_000;
    while (!stopWhen(io.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
  }
  const code = await io.exited;
  return { code, out: `${io.stdout()}\n${io.stderr()}` };
}

describe.skipIf(!haveFixtures)('secrets never appear in output, alerts or the database', () => {
  it('with valid and with invalid credentials, through run, poll --once, status, mentions and check', async () => {
    const launcher = compiledCli();
    const everything = { ...Object.fromEntries(Object.entries(GOOD).map(([k, v]) => [`good ${k}`, v])), ...Object.fromEntries(Object.entries(BAD).map(([k, v]) => [`bad ${k}`, v])) };
    const outputs: Array<[string, string | Buffer]> = [];

    for (const [label, secrets] of [['valid', GOOD], ['invalid', BAD]] as const) {
      const dir = deployment(secrets);
      // The daemon first (every source polled once, alerts delivered or refused), then a new
      // mention for `poll --once` to alert on.
      // Stopped once every source was polled and both deliveries (Slack, email) have an outcome
      // logged: sent, or refused with bad credentials.
      const ran = await runProcess(
        launcher,
        dir,
        ['run', '--no-watch'],
        (stderr) => (stderr.match(/"msg":"poll (ok|failed)/g) ?? []).length >= 5 && (stderr.match(/"msg":"alert deliver(ed|y failed)/g) ?? []).length >= 2,
      );
      outputs.push([`${label}: run`, ran.out]);
      s.feed.route('/acme.xml', { body: rssFeed([{ guid: `sec-${label}`, title: 'Acme Cloud outage again', description: `${NEGATIVE} (${label})` }, { guid: 'sec1', title: 'Acme Cloud outage', description: NEGATIVE }]) });
      const polled = await runProcess(launcher, dir, ['poll', '--once']);
      outputs.push([`${label}: poll --once`, polled.out]);
      for (const args of [['status'], ['status', '--json'], ['mentions', '--json'], ['mentions'], ['check'], ['check', '--strict']]) {
        const r = await runCli(dir, args);
        outputs.push([`${label}: ${args.join(' ')}`, `${r.stdout}\n${r.stderr}`]);
      }
      for (const suffix of ['', '-wal', '-shm']) {
        const path = join(dir, 'data', `earshot.db${suffix}`);
        if (existsSync(path)) outputs.push([`${label}: database file earshot.db${suffix}`, readFileSync(path)]);
      }
      if (label === 'valid') {
        expect(polled.code, polled.out.slice(-3000)).toBe(0);
        expect(polled.out).toMatch(/acme\/reddit: 0 fetched/);
        expect(polled.out).toMatch(/acme\/twitter: 0 fetched/);
        expect(polled.out).toMatch(/acme\/bluesky: 0 fetched/);
        expect(polled.out).toMatch(/acme\/mastodon: 0 fetched/);
        expect(ran.out).toMatch(/"msg":"alert delivered"/);
        expect(s.slack.messages).toHaveLength(2);
        expect(s.smtp.messages).toHaveLength(2);
      } else {
        // The failing paths were really taken: every credentialed service refused.
        expect(polled.code).toBe(1);
        for (const source of ['reddit', 'twitter', 'bluesky']) expect(polled.out).toMatch(new RegExp(`acme/${source}: FAILED`));
        expect(polled.out).toMatch(/invalid_auth|not_authed/);
        expect(polled.out).toMatch(/535|auth/i);
      }
    }
    outputs.push(['Slack messages received', JSON.stringify(s.slack.messages.map((m) => ({ channel: m.channel, text: m.text, blocks: m.blocks })))]);
    outputs.push(['emails received', s.smtp.messages.map((m) => m.raw).join('\n')]);

    const found = outputs.flatMap(([where, text]) => leaks(text, everything).map((l) => `${where}: ${l}`));
    console.log(`secrets: searched ${outputs.length} outputs (${outputs.reduce((n, [, t]) => n + t.length, 0)} bytes) for ${Object.keys(everything).length} secrets in 5 forms each; found ${found.length}`);
    expect(found).toEqual([]);
  }, 120_000);
});
