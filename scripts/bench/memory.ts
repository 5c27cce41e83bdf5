/**
 * Benchmark 4: peak resident memory of `earshot run` with N brands × 4 sources (RSS, Reddit,
 * Hacker News, Twitter/X), all against local servers in this process, sampled from
 * /proc/<pid>/status (VmHWM: the kernel's high-water mark of the resident set).
 */
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { signIn } from '../../test/helpers/web.js';
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
  /** Pages the UI client loaded during the run (0 without the UI). */
  uiPages: number;
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

/** A free TCP port on 127.0.0.1 (the daemon is told it; it logs at warn level, so no address to read back). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

/**
 * A person with the web UI open for the whole run: signed in, the inbox's event stream open, and
 * every half second the inbox, a filtered inbox, a search, a dashboard and a mention page.
 */
async function browseUi(url: string, brand: string, until: () => boolean): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (!until()) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('bench memory: the daemon never answered /healthz');
    await sleep(200);
  }
  const { cookie } = await signIn(url, UI_PASSWORD, 'bench');
  const events = new AbortController();
  const stream = fetch(`${url}/events`, { headers: { cookie }, signal: events.signal })
    .then(async (res) => {
      const reader = res.body!.getReader();
      for (;;) if ((await reader.read()).done) return;
    })
    .catch(() => undefined);
  let pages = 0;
  const paths = ['/', `/?brand=${brand}&sentiment=negative`, '/?q=refund', `/brands/${brand}?range=7d`, '/mentions/1'];
  while (!until()) {
    for (const path of paths) {
      const res = await fetch(`${url}${path}`, { headers: { cookie } }).catch(() => null);
      await res?.text();
      pages += 1;
    }
    await sleep(500);
  }
  events.abort();
  await stream;
  return pages;
}

const UI_PASSWORD = 'bench ui password';

export async function benchMemory(brands: BenchBrand[], rng: Rng, now: Date, seconds: number, options: { ui?: boolean } = {}): Promise<MemoryFigures> {
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
  const port = options.ui ? await freePort() : 0;
  const child = spawnEarshot(['--config-dir', dir, 'run', '--no-watch', ...(options.ui ? ['--http', `127.0.0.1:${port}`] : [])], {
    EARSHOT_LOG_LEVEL: 'warn',
    ...(options.ui ? { EARSHOT_UI_PASSWORD: UI_PASSWORD } : {}),
  });
  child.stderr?.resume();
  child.stdout?.resume();
  let peakKb = 0;
  let lastRssKb = 0;
  let exitedEarly = false;
  let uiPages = 0;
  try {
    const end = Date.now() + seconds * 1000;
    const browsing = options.ui ? browseUi(`http://127.0.0.1:${port}`, brands[0]!.id, () => Date.now() >= end || child.exitCode !== null).then((n) => (uiPages = n)) : null;
    while (Date.now() < end) {
      if (child.exitCode !== null) {
        exitedEarly = true;
        break;
      }
      peakKb = Math.max(peakKb, statusKb(child.pid!, 'VmHWM') ?? 0);
      lastRssKb = statusKb(child.pid!, 'VmRSS') ?? lastRssKb;
      await sleep(250);
    }
    await browsing;
  } finally {
    await stopChild(child);
    removeDir(dir);
  }
  const polls = feed.requests.length + reddit.apiRequests().length + hn.requests.length + twitter.searches().length;
  await Promise.all([feed.close(), reddit.close(), hn.close(), twitter.close(), slack.close()]);
  return { sources: brands.length * 4, seconds, peakKb, lastRssKb, polls, exitedEarly, uiPages };
}
