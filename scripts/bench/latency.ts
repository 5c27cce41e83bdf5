/**
 * Benchmark 3: in a running daemon (`earshot run`, a subprocess), the time from the end of a poll
 * that brings a new negative mention to the local Slack server receiving its alert.
 *
 * "End of the poll" is taken as the moment the feed server finished sending the response that
 * first carried the item; the figure therefore also includes parsing, analysis and storage, so
 * it is an upper bound of poll-end-to-Slack. Each brand has its own channel and a new item at
 * most every 2 s, so Slack's one-message-per-second pacing per channel does not add waiting.
 */
import { startFeedServer } from '../../test/helpers/feed-server.js';
import { startSlackServer } from '../../test/helpers/slack-server.js';
import type { BenchBrand, BenchMention } from './corpus.js';
import { rssDocument } from './feeds.js';
import { brandFiles } from './ingest.js';
import { makeDir, median, removeDir, sleep, spawnEarshot, stopChild } from './proc.js';

export interface LatencyFigures {
  alerts: number;
  expected: number;
  medianMs: number;
  maxMs: number;
  samples: number[];
}

const ANGRY = [
  '{b} has been down for three hours and support is ignoring us. Terrible service, we want a refund.',
  'Furious with {b}: charged twice, no answer from support, worst experience ever.',
  '{b} lost our data again. Awful, unacceptable, we are leaving.',
];

export async function benchLatency(brands: BenchBrand[], perBrand: number): Promise<LatencyFigures> {
  const feed = await startFeedServer();
  const slack = await startSlackServer();
  const sentAt = new Map<string, number>();
  const old = new Date(Date.now() - 3 * 86_400_000).toISOString();
  for (const brand of brands) {
    const base: BenchMention[] = [
      { brand: brand.id, source: 'rss', id: `${brand.id}-old`, url: `https://news.example.com/${brand.id}/old`, author: 'reporter', title: `${brand.name} opens an office`, text: `${brand.name} opens an office in Porto.`, published: old, reach: null },
    ];
    let request = 0;
    feed.route(`/latency/${brand.id}.xml`, (_req, res) => {
      // Request 0 is the source's first poll (stored, not alerted); each later one adds one new item, up to perBrand.
      const count = Math.min(request++, perBrand);
      const fresh: BenchMention[] = Array.from({ length: count }, (_, i) => ({
        brand: brand.id,
        source: 'rss',
        id: `${brand.id}-new-${i}`,
        url: `https://news.example.com/${brand.id}/angry-${i}`,
        author: `customer${i}`,
        title: `${brand.name} problem ${i}`,
        text: ANGRY[i % ANGRY.length]!.replaceAll('{b}', brand.name) + ` (ticket ${i})`,
        published: new Date().toISOString(),
        reach: null,
      }));
      const newest = fresh.at(-1);
      if (newest && !sentAt.has(newest.url!)) res.on('finish', () => sentAt.set(newest.url!, performance.timeOrigin + performance.now()));
      return { body: rssDocument(`${brand.name} latency feed`, [...fresh].reverse().concat(base)), headers: { 'content-type': 'application/rss+xml' } };
    });
  }
  const dir = makeDir({
    ...brandFiles(brands, (b) => `  - type: rss\n    url: ${feed.url(`/latency/${b.id}.xml`)}\n    every: 2s\n`),
    'rules/alerts.yaml':
      'rules:\n' +
      brands.map((b) => `  - name: negative-${b.id}\n    match: { brand: ${b.id}, sentiment: negative }\n    notify: [{ slack: "#latency-${b.id}" }]\n`).join(''),
    '.env': `SLACK_BOT_TOKEN=${slack.token}\nSLACK_API_URL=${slack.url}\n`,
  });
  const expected = brands.length * perBrand;
  const child = spawnEarshot(['--config-dir', dir, 'run', '--no-watch'], { EARSHOT_LOG_LEVEL: process.env.BENCH_DEBUG ? 'debug' : 'warn' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    // The clock starts once every source had its first poll: startup on a busy machine is measured elsewhere.
    const polled = () => brands.every((b) => feed.requestsFor(`/latency/${b.id}.xml`).length > 0);
    const startBy = Date.now() + 30_000;
    while (!polled() && Date.now() < startBy && child.exitCode === null) await sleep(100);
    const deadline = Date.now() + 10_000 + perBrand * 3_000;
    while (slack.messages.length < expected && Date.now() < deadline && child.exitCode === null) await sleep(100);
  } finally {
    await stopChild(child);
    await feed.close();
    await slack.close();
    removeDir(dir);
  }
  if (process.env.BENCH_DEBUG || (slack.messages.length === 0 && stderr)) process.stderr.write(`latency bench: earshot run said:\n${stderr.slice(0, 2000)}\n`);
  const samples: number[] = [];
  for (const message of slack.messages) {
    const url = /https:\/\/news\.example\.com\/[a-z0-9-]+\/angry-\d+/.exec(JSON.stringify(message.blocks))?.[0];
    const sent = url ? sentAt.get(url) : undefined;
    if (sent !== undefined) samples.push(message.receivedAt.getTime() - sent);
  }
  return { alerts: slack.messages.length, expected, medianMs: median(samples), maxMs: samples.length ? Math.max(...samples) : NaN, samples };
}
