/**
 * Benchmark 4: peak resident memory of `earshot run` with N brands × 4 sources (RSS, Reddit,
 * Hacker News, Twitter/X), all against local servers in this process, sampled from
 * /proc/<pid>/status (VmHWM: the kernel's high-water mark of the resident set).
 */
import { readFileSync } from 'node:fs';
import { startFeedServer } from '../../test/helpers/feed-server.js';
import { startHnServer } from '../../test/helpers/hn-server.js';
import { startRedditServer } from '../../test/helpers/reddit-server.js';
import { startSlackServer } from '../../test/helpers/slack-server.js';
import { loadTwitterFixture, startTwitterServer } from '../../test/helpers/twitter-server.js';
import type { BenchBrand } from './corpus.js';
import { BENCH_RULES, brandFiles } from './ingest.js';
import { serveFeeds } from './poll.js';
import { makeDir, removeDir, sleep, spawnEarshot, stopChild } from './proc.js';
import type { Rng } from './rng.js';

export interface MemoryFigures {
  sources: number;
  seconds: number;
  peakKb: number;
  lastRssKb: number;
  polls: number;
  exitedEarly: boolean;
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

const TWITTER_TOKEN = 'AAAA-bench-bearer-token-0123456789';

export async function benchMemory(brands: BenchBrand[], rng: Rng, now: Date, seconds: number): Promise<MemoryFigures> {
  const feed = await startFeedServer();
  const reddit = await startRedditServer({ rateLimit: 1_000_000 });
  const hn = await startHnServer();
  const twitter = await startTwitterServer({
    token: TWITTER_TOKEN,
    dataset: loadTwitterFixture('v2_search_recent__nyc__meta_next_token'),
    rateLimit: { limit: 1_000_000, remaining: 1_000_000 },
  });
  const slack = await startSlackServer();
  serveFeeds(feed, brands, 1, 20, rng, now);
  const dir = makeDir({
    ...brandFiles(
      brands,
      (b) =>
        `  - type: rss\n    url: ${feed.url(`/feeds/${b.id}/0.xml`)}\n    every: 10s\n` +
        `  - type: reddit\n    search: ${b.name.toLowerCase()}\n    every: 10s\n` +
        `  - type: hackernews\n    query: ${b.name.toLowerCase()}\n    every: 10s\n` +
        `  - type: twitter\n    query: '"${b.name.toLowerCase()}" -is:retweet'\n    every: 10s\n`,
    ),
    'rules/alerts.yaml': BENCH_RULES,
    '.env': [
      `SLACK_BOT_TOKEN=${slack.token}`,
      `SLACK_API_URL=${slack.url}`,
      `REDDIT_CLIENT_ID=${reddit.clientId}`,
      `REDDIT_CLIENT_SECRET=${reddit.clientSecret}`,
      'REDDIT_USER_AGENT=linux:earshot-bench:v1.0 (by /u/earshot_bench)',
      `REDDIT_API_URL=${reddit.url}`,
      `REDDIT_AUTH_URL=${reddit.url}`,
      `HN_API_URL=${hn.url}`,
      `TWITTER_BEARER_TOKEN=${TWITTER_TOKEN}`,
      `TWITTER_API_URL=${twitter.url}`,
      '',
    ].join('\n'),
  });
  const child = spawnEarshot(['--config-dir', dir, 'run', '--no-watch'], { EARSHOT_LOG_LEVEL: 'warn' });
  child.stderr?.resume();
  child.stdout?.resume();
  let peakKb = 0;
  let lastRssKb = 0;
  let exitedEarly = false;
  try {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      if (child.exitCode !== null) {
        exitedEarly = true;
        break;
      }
      peakKb = Math.max(peakKb, statusKb(child.pid!, 'VmHWM') ?? 0);
      lastRssKb = statusKb(child.pid!, 'VmRSS') ?? lastRssKb;
      await sleep(250);
    }
  } finally {
    await stopChild(child);
    removeDir(dir);
  }
  const polls = feed.requests.length + reddit.apiRequests().length + hn.requests.length + twitter.searches().length;
  await Promise.all([feed.close(), reddit.close(), hn.close(), twitter.close(), slack.close()]);
  return { sources: brands.length * 4, seconds, peakKb, lastRssKb, polls, exitedEarly };
}
