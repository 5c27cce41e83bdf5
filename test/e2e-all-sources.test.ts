/**
 * End to end across every source type: `earshot poll --once` (in process, through the CLI) with
 * RSS, Reddit, Twitter/X, Hacker News, Bluesky and Mastodon, each against its local API server
 * on 127.0.0.1, a local Slack Web API server and a real SQLite file.
 *
 * The servers do not evaluate search queries (their corpus stands for the result set), so each
 * is seeded with items in the captured payload shapes: a negative mention of the brand, a
 * positive one, one that does not mention the brand, and, on Reddit, HN and Twitter, the same
 * story (one link) posted three times. Checked: every source's line, the exact Slack alerts
 * (one per negative mention, naming its source and linking the item; one grouped alert for the
 * story), nothing new on a second poll, `status --json` per source, and a failing source that
 * does not stop the others.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBlueskyServer, type BlueskyServer, type PostView } from './helpers/bluesky-server.js';
import { makeDeployment, repoRoot, rssFeed, runCli, type FeedItem } from './helpers/cli.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';
import { capturedStoryHits, startHnServer, type HnHit, type HnServer } from './helpers/hn-server.js';
import { deriveStatuses, startMastodonServer, type MastodonServer, type Status } from './helpers/mastodon-server.js';
import { redditListing, startRedditServer, type RedditServer, type RedditThing } from './helpers/reddit-server.js';
import { startSlackServer, type ReceivedSlackMessage, type SlackServer } from './helpers/slack-server.js';
import { startTwitterServer, type ApiObject, type TwitterServer } from './helpers/twitter-server.js';

const FIXTURES = resolve(repoRoot, '../shared/fixtures');
const NEEDED = ['reddit', 'twitter', 'hackernews', 'bluesky', 'mastodon', 'slack'].map((d) => join(FIXTURES, d));
const haveFixtures = NEEDED.every((d) => existsSync(d));
if (!haveFixtures) console.warn(`e2e-all-sources: skipped, ${FIXTURES} is absent (the local API servers replay its captures)`);

const TWITTER_TOKEN = 'AAAA-e2e-bearer-token-0123456789';
const BLUESKY_HANDLE = 'earshot-e2e.bsky.social';
const BLUESKY_PASSWORD = 'abcd-efgh-ijkl-mnop';
const MASTODON_TOKEN = 'mastodon-e2e-token-0123456789';
const STORY_URL = 'https://blog.acme.example/2026/free-tier-for-students';

/** Texts that leave no doubt about their sentiment (the analyzer is real). */
const NEGATIVE: Record<string, string> = {
  rss: 'Acme Cloud has been down for three hours and support is ignoring us. Terrible service, we want a refund.',
  reddit: 'Acme Cloud deleted our production database and support is useless. Worst hosting experience ever, avoid.',
  twitter: 'Acme Cloud is down again, third outage this week. Awful service, I want my money back. Never again.',
  hackernews: 'Acme Cloud lost customer data and their support keeps ignoring tickets. Terrible, we are furious.',
  bluesky: 'Acme Cloud billed us twice and refuses the refund. Horrible support, completely unacceptable.',
  mastodon: 'Acme Cloud outage broke our whole site for a day. Terrible service and angry customers everywhere.',
};
const POSITIVE: Record<string, string> = {
  rss: 'Acme Cloud opens a new region in Frankfurt. Great news, love the low latency and happy with the service.',
  reddit: 'Acme Cloud support was amazing today, they fixed everything in minutes. Love it, thank you.',
  twitter: 'Really happy with Acme Cloud, the new dashboard is great and fast. Thanks team, love it.',
  hackernews: 'We moved to Acme Cloud last year and it has been excellent, great docs and wonderful support.',
  bluesky: 'Acme Cloud just made my week, the migration went perfectly. Great product, thanks so much.',
  mastodon: 'Loving Acme Cloud so far, excellent uptime and friendly support. Highly recommended, great work.',
};
const UNRELATED = 'The weather in Lisbon is lovely today and the tram was on time.';
const STORY_TEXT: Record<string, string> = {
  reddit: 'Acme Cloud launches a free tier for students',
  hackernews: 'Acme Cloud free tier for students',
  twitter: 'Acme Cloud now has a free tier for students, nice move',
};

const minutesAgo = (n: number): Date => new Date(Date.now() - n * 60_000);

// --- items in the captured shapes -------------------------------------------------------------

function redditPost(id: string, title: string, body: string, at: Date, link?: string): RedditThing {
  const template = redditListing('r_all_search__praw_oauth_search.json')[0]!;
  const permalink = `/r/devops/comments/${id}/${title.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40)}/`;
  return {
    kind: 't3',
    data: {
      ...template.data,
      id,
      name: `t3_${id}`,
      title,
      selftext: link ? '' : body,
      selftext_html: null,
      is_self: !link,
      url: link ?? `https://www.reddit.com${permalink}`,
      ...(link ? { url_overridden_by_dest: link, domain: new URL(link).hostname } : {}),
      permalink,
      subreddit: 'devops',
      author: `redditor_${id}`,
      score: 42,
      num_comments: 3,
      created: at.getTime() / 1000,
      created_utc: at.getTime() / 1000,
    },
  };
}

/** Twitter snowflake ids carry their time: (ms - epoch) << 22. */
function tweetId(at: Date, seq: number): string {
  return ((BigInt(at.getTime() - 1288834974657) << 22n) + BigInt(seq)).toString();
}

function tweet(seq: number, text: string, at: Date, link?: string): { tweet: ApiObject; user: ApiObject } {
  const id = tweetId(at, seq);
  const authorId = String(900000 + seq);
  const short = `https://t.co/e2e${seq}`;
  const tweetObj: ApiObject = {
    id,
    text: link ? `${text} ${short}` : text,
    edit_history_tweet_ids: [id],
    author_id: authorId,
    created_at: at.toISOString(),
    lang: 'en',
    conversation_id: id,
    public_metrics: { retweet_count: 1, reply_count: 2, like_count: 3, quote_count: 0 },
    ...(link
      ? { entities: { urls: [{ start: text.length + 1, end: text.length + 1 + short.length, url: short, expanded_url: link, display_url: new URL(link).host }] } }
      : {}),
  };
  const user: ApiObject = {
    id: authorId,
    name: `Tweeter ${seq}`,
    username: `tweeter${seq}`,
    public_metrics: { followers_count: 1000 + seq, following_count: 10, tweet_count: 100, listed_count: 1 },
  };
  return { tweet: tweetObj, user };
}

function hnStory(id: number, title: string, text: string, at: Date, url: string | null): HnHit {
  const template = capturedStoryHits()[0]!;
  return {
    ...template,
    created_at: at.toISOString(),
    created_at_i: Math.floor(at.getTime() / 1000),
    title,
    url,
    story_text: text,
    author: `hn_user_${id}`,
    points: 120,
    num_comments: 10,
    _tags: ['story', `author_hn_user_${id}`, `story_${id}`],
    objectID: String(id),
    _highlightResult: {},
  };
}

function blueskyPost(rkey: string, text: string, at: Date): PostView {
  const did = 'did:plc:e2eauthor0000000000000000';
  return {
    uri: `at://${did}/app.bsky.feed.post/${rkey}`,
    cid: `bafyreie2e${rkey}`,
    author: { did, handle: 'acme-watcher.bsky.social', displayName: 'Acme watcher', labels: [], createdAt: '2024-09-04T11:55:00.863Z' },
    record: { $type: 'app.bsky.feed.post', createdAt: at.toISOString(), langs: ['en'], text },
    replyCount: 0,
    repostCount: 1,
    likeCount: 2,
    quoteCount: 0,
    indexedAt: at.toISOString(),
    labels: [],
  };
}

function mastodonStatus(text: string, at: Date): Status {
  return deriveStatuses(1, { start: at, tag: 'acmecloud', text, followers: () => 250 })[0]!;
}

// --- the deployment ---------------------------------------------------------------------------

interface Servers {
  feed: FeedServer;
  slack: SlackServer;
  reddit: RedditServer;
  twitter: TwitterServer;
  hn: HnServer;
  bluesky: BlueskyServer;
  mastodon: MastodonServer;
}

let s: Servers;

/** Expected item URLs, by source, for the negative mentions. */
const expectedNegative: Record<string, string> = {};
let newestTweetId = '';

async function startServers(): Promise<Servers> {
  const feed = await startFeedServer();
  const rssItems: FeedItem[] = [
    { guid: 'rss-neg', title: 'Acme Cloud outage', description: NEGATIVE.rss!, link: 'https://news.example.com/acme-outage', pubDate: minutesAgo(20) },
    { guid: 'rss-pos', title: 'Acme Cloud expands', description: POSITIVE.rss!, link: 'https://news.example.com/acme-region', pubDate: minutesAgo(25) },
    { guid: 'rss-other', title: 'Lisbon weather', description: UNRELATED, link: 'https://news.example.com/weather', pubDate: minutesAgo(30) },
  ];
  feed.route('/acme.xml', { body: rssFeed(rssItems), headers: { 'content-type': 'application/rss+xml' } });
  expectedNegative.rss = 'https://news.example.com/acme-outage';

  const redditPosts = [
    redditPost('e2eneg', 'Acme Cloud nightmare', NEGATIVE.reddit!, minutesAgo(10)),
    redditPost('e2epos', 'Acme Cloud support', POSITIVE.reddit!, minutesAgo(12)),
    redditPost('e2eoth', 'Weekend plans', UNRELATED, minutesAgo(14)),
    redditPost('e2estory', STORY_TEXT.reddit!, '', minutesAgo(16), STORY_URL),
  ];
  const reddit = await startRedditServer({ posts: redditPosts, comments: [] });
  expectedNegative.reddit = 'https://www.reddit.com/r/devops/comments/e2eneg/acme_cloud_nightmare/';

  const tweets = [
    tweet(1, NEGATIVE.twitter!, minutesAgo(5)),
    tweet(2, POSITIVE.twitter!, minutesAgo(6)),
    tweet(3, UNRELATED, minutesAgo(7)),
    tweet(4, STORY_TEXT.twitter!, minutesAgo(8), STORY_URL),
  ];
  const twitter = await startTwitterServer({
    token: TWITTER_TOKEN,
    dataset: { tweets: tweets.map((t) => t.tweet), users: tweets.map((t) => t.user) },
    rateLimit: { limit: 450, remaining: 449 },
  });
  expectedNegative.twitter = `https://x.com/tweeter1/status/${tweets[0]!.tweet.id}`;
  newestTweetId = tweets[0]!.tweet.id;

  const hn = await startHnServer({
    hits: [
      hnStory(91000001, 'Ask HN: Acme Cloud lost our data?', NEGATIVE.hackernews!, minutesAgo(9), null),
      hnStory(91000002, 'Acme Cloud, one year later', POSITIVE.hackernews!, minutesAgo(11), null),
      hnStory(91000003, 'Show HN: A tram timetable', UNRELATED, minutesAgo(13), 'https://tram.example.org/'),
      hnStory(91000004, STORY_TEXT.hackernews!, '', minutesAgo(15), STORY_URL),
    ],
  });
  expectedNegative.hackernews = 'https://news.ycombinator.com/item?id=91000001';

  const bluesky = await startBlueskyServer({
    handle: BLUESKY_HANDLE,
    appPassword: BLUESKY_PASSWORD,
    posts: [
      blueskyPost('3e2eneg0000a', NEGATIVE.bluesky!, minutesAgo(3)),
      blueskyPost('3e2epos0000b', POSITIVE.bluesky!, minutesAgo(4)),
      blueskyPost('3e2eoth0000c', UNRELATED, minutesAgo(5)),
    ],
    rateLimit: { limit: 3000, remaining: 2990 },
  });
  expectedNegative.bluesky = 'https://bsky.app/profile/acme-watcher.bsky.social/post/3e2eneg0000a';

  const negStatus = mastodonStatus(NEGATIVE.mastodon!, minutesAgo(2));
  const mastodon = await startMastodonServer({
    token: MASTODON_TOKEN,
    statuses: [negStatus, mastodonStatus(POSITIVE.mastodon!, minutesAgo(3)), mastodonStatus(UNRELATED, minutesAgo(4))],
    rateLimit: { limit: 300, remaining: 299 },
  });
  expectedNegative.mastodon = negStatus.url as string;

  const slack = await startSlackServer();
  return { feed, slack, reddit, twitter, hn, bluesky, mastodon };
}

function deployment(): string {
  return makeDeployment({
    'sources/acme.yaml': `brand: acme
name: Acme Cloud
query: '"acme cloud" OR acmecloud'
sources:
  - type: rss
    url: ${s.feed.url('/acme.xml')}
    alert_backfill: 1d
  - type: reddit
    search: acme cloud
    alert_backfill: 1d
  - type: twitter
    query: '"acme cloud" -is:retweet'
    alert_backfill: 1d
  - type: hackernews
    query: acme cloud
    alert_backfill: 1d
  - type: bluesky
    query: '"acme cloud"'
    alert_backfill: 1d
  - type: mastodon
    instance: ${s.mastodon.url}
    hashtag: acmecloud
    alert_backfill: 1d
`,
    'rules/alerts.yaml': `rules:
  - name: negative-mention
    match:
      brand: acme
      sentiment: negative
    notify:
      - slack: "#brand-alerts"
  - name: story
    match:
      brand: acme
      text: '"free tier"'
    group_by: [story]
    throttle: 1h
    notify:
      - slack: "#stories"
`,
    '.env': `SLACK_BOT_TOKEN=${s.slack.token}
SLACK_API_URL=${s.slack.url}
REDDIT_CLIENT_ID=${s.reddit.clientId}
REDDIT_CLIENT_SECRET=${s.reddit.clientSecret}
REDDIT_USER_AGENT=linux:earshot-e2e:v1.0 (by /u/earshot_test)
REDDIT_API_URL=${s.reddit.url}
REDDIT_AUTH_URL=${s.reddit.url}
TWITTER_BEARER_TOKEN=${TWITTER_TOKEN}
TWITTER_API_URL=${s.twitter.url}
HN_API_URL=${s.hn.url}
BLUESKY_HANDLE=${BLUESKY_HANDLE}
BLUESKY_APP_PASSWORD=${BLUESKY_PASSWORD}
BLUESKY_SERVICE_URL=${s.bluesky.url}
`,
  });
}

const SOURCES = ['rss', 'reddit', 'twitter', 'hackernews', 'bluesky', 'mastodon'] as const;

/** The "Open on <source>" links of a Slack message, as [source, url] pairs. */
function links(message: ReceivedSlackMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of JSON.stringify(message.blocks).matchAll(/<([^|>]+)\|Open on ([a-z]+)>/g)) {
    out.push([m[2]!, m[1]!.replace(/&amp;/g, '&')]);
  }
  return out;
}

function sourceFields(message: ReceivedSlackMessage): string[] {
  return [...JSON.stringify(message.blocks).matchAll(/"Source: ([a-z]+)/g)].map((m) => m[1]!);
}

beforeEach(async () => {
  if (haveFixtures) s = await startServers();
});
afterEach(async () => {
  if (!haveFixtures) return;
  await Promise.all([s.feed.close(), s.slack.close(), s.reddit.close(), s.twitter.close(), s.hn.close(), s.bluesky.close(), s.mastodon.close()]);
});

describe.skipIf(!haveFixtures)('earshot poll --once with every source type', () => {
  it('alerts once per negative mention from each source, once for a story posted on three sources, and nothing on a second poll', async () => {
    const dir = deployment();
    const first = await runCli(dir, ['poll', '--once']);
    expect(first.stderr).toBe('');
    expect(first.code, first.stdout).toBe(0);

    // One line per source: 3 fetched on each (+1 story item on Reddit/HN/Twitter), the unrelated one not matched.
    const expectedLines: Record<string, string> = {
      rss: 'acme/rss: 3 fetched, 2 matched, 2 new',
      reddit: 'acme/reddit: 4 fetched, 3 matched, 3 new',
      twitter: 'acme/twitter: 4 fetched, 3 matched, 3 new',
      hackernews: 'acme/hackernews: 4 fetched, 3 matched, 3 new',
      bluesky: 'acme/bluesky: 3 fetched, 2 matched, 2 new',
      // A hashtag timeline only holds #acmecloud posts: the tag itself matches the brand query.
      mastodon: 'acme/mastodon: 3 fetched, 3 matched, 3 new',
    };
    for (const type of SOURCES) expect(first.stdout).toContain(expectedLines[type]);
    expect(first.stdout).toContain('alerts: 7 new; deliveries: 7 sent, 0 failed, 0 pending');

    // Negative mentions: exactly one alert each, in #brand-alerts, naming the source and linking the item.
    const negative = s.slack.messages.filter((m) => m.channel === '#brand-alerts');
    expect(negative).toHaveLength(SOURCES.length);
    const got = negative.map((m) => {
      expect(links(m)).toHaveLength(1);
      expect(sourceFields(m)).toHaveLength(1);
      const [source, url] = links(m)[0]!;
      expect(sourceFields(m)[0]).toBe(source);
      expect(JSON.stringify(m.blocks)).toContain('negative-mention');
      return `${source} ${url}`;
    });
    expect(got.sort()).toEqual(SOURCES.map((t) => `${t} ${expectedNegative[t]}`).sort());
    for (const m of negative) {
      const source = links(m)[0]![0];
      expect(JSON.stringify(m.blocks)).toContain(NEGATIVE[source]!.slice(0, 40));
    }

    // The story: one alert listing the Reddit link post, the HN story and the tweet.
    const stories = s.slack.messages.filter((m) => m.channel === '#stories');
    expect(stories).toHaveLength(1);
    expect(links(stories[0]!).map(([source]) => source).sort()).toEqual(['hackernews', 'reddit', 'twitter']);
    expect(s.slack.messages).toHaveLength(SOURCES.length + 1);

    const db = new Database(join(dir, 'data/earshot.db'), { readonly: true });
    const keys = db.prepare("SELECT source, story_key FROM mentions WHERE text LIKE '%free tier%' OR title LIKE '%free tier%' ORDER BY source").all();
    db.close();
    expect(keys).toEqual(['hackernews', 'reddit', 'twitter'].map((source) => ({ source, story_key: 'blog.acme.example/2026/free-tier-for-students' })));

    // Second poll: the APIs resume from their cursors, the feed answers 304; nothing new is sent.
    const second = await runCli(dir, ['poll', '--once']);
    expect(second.code, second.stdout).toBe(0);
    for (const type of SOURCES) expect(second.stdout).toMatch(new RegExp(`acme/${type}: \\d+ fetched, \\d+ matched, 0 new`));
    expect(second.stdout).toContain('alerts: 0 new; deliveries: 0 sent, 0 failed, 0 pending');
    expect(s.slack.messages).toHaveLength(SOURCES.length + 1);
    expect(s.twitter.searches().at(-1)!.query.since_id).toBe(newestTweetId);
    expect(s.feed.requestsFor('/acme.xml').at(-1)!.headers['if-none-match']).toBeTruthy();

    // status --json: every source ok with a last success; a budget where the API sends one.
    const status = await runCli(dir, ['status', '--json']);
    expect(status.code).toBe(0);
    const json = JSON.parse(status.stdout) as {
      sources: Array<{ source: string; type: string; state: string; lastSuccess: string | null; lastError: string | null; mentions24h: number; rateLimit: { remaining: number; limit: number | null } | null }>;
    };
    expect(json.sources.map((x) => x.type).sort()).toEqual([...SOURCES].sort());
    for (const row of json.sources) {
      expect(row.state, row.source).toBe('ok');
      expect(Date.parse(row.lastSuccess ?? '')).toBeGreaterThan(Date.now() - 60_000);
      expect(row.lastError).toBeNull();
      expect(row.mentions24h).toBe(row.type === 'rss' || row.type === 'bluesky' ? 2 : 3);
    }
    const budget = Object.fromEntries(json.sources.map((x) => [x.type, x.rateLimit]));
    for (const type of ['reddit', 'twitter', 'bluesky', 'mastodon']) {
      expect(budget[type], type).not.toBeNull();
      expect(budget[type]!.remaining).toBeGreaterThan(0);
      expect(budget[type]!.limit).toBeGreaterThan(budget[type]!.remaining - 1);
    }
    // Algolia and feeds send no budget headers: none is shown rather than one made up.
    expect(budget.hackernews).toBeNull();
    expect(budget.rss).toBeNull();
    for (const secret of [TWITTER_TOKEN, BLUESKY_PASSWORD, s.reddit.clientSecret, s.slack.token]) expect(status.stdout).not.toContain(secret);
  }, 60_000); // ~6 s on an idle machine: seven fake services, two polls and a delivery pass

  it('keeps polling the other sources when Reddit answers 500, names it, and exits 1', async () => {
    s.reddit.failNext('api', 'server', 10);
    const dir = deployment();
    const r = await runCli(dir, ['poll', '--once']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/acme\/reddit: FAILED: .*500/);
    for (const type of SOURCES.filter((t) => t !== 'reddit')) expect(r.stdout).toMatch(new RegExp(`acme/${type}: \\d+ fetched, \\d+ matched, [1-9]\\d* new`));
    // Five negative mentions from the healthy sources; the story now spans HN and Twitter only.
    const negative = s.slack.messages.filter((m) => m.channel === '#brand-alerts');
    expect(negative.map((m) => links(m)[0]![0]).sort()).toEqual(SOURCES.filter((t) => t !== 'reddit').sort());
    const stories = s.slack.messages.filter((m) => m.channel === '#stories');
    expect(stories).toHaveLength(1);
    expect(links(stories[0]!).map(([source]) => source).sort()).toEqual(['hackernews', 'twitter']);
    for (const secret of [s.reddit.clientSecret, TWITTER_TOKEN]) expect(r.stdout).not.toContain(secret);

    const status = await runCli(dir, ['status', '--json']);
    const json = JSON.parse(status.stdout) as { sources: Array<{ type: string; state: string; lastError: string | null; lastSuccess: string | null }> };
    const reddit = json.sources.find((x) => x.type === 'reddit')!;
    expect(reddit.state).toBe('failing');
    expect(reddit.lastSuccess).toBeNull();
    expect(reddit.lastError).toMatch(/500/);
    for (const row of json.sources.filter((x) => x.type !== 'reddit')) expect(row.state).toBe('ok');
  }, 60_000);
});
