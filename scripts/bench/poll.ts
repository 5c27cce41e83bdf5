/**
 * Benchmark 2: one `earshot poll --once` over 1,000 RSS sources (20 per brand) served by a local
 * feed server, then the same again when every feed answers 304 Not Modified.
 */
import { startFeedServer, type FeedServer } from '../../test/helpers/feed-server.js';
import type { BenchBrand } from './corpus.js';
import { makeMentions } from './corpus.js';
import { rssDocument } from './feeds.js';
import { BENCH_RULES, brandFiles } from './ingest.js';
import { makeDir, removeDir, runEarshot } from './proc.js';
import type { Rng } from './rng.js';

export interface PollFigures {
  feeds: number;
  items: number;
  firstMs: number;
  firstCpuMs: number | null;
  firstCode: number | null;
  stored: number;
  secondMs: number;
  secondCpuMs: number | null;
  secondCode: number | null;
  notModified: number;
  requests: number;
}

/** Serves `perBrand` feeds of `itemsPerFeed` generated items for each brand at /feeds/<brand>/<n>.xml. */
export function serveFeeds(server: FeedServer, brands: BenchBrand[], perBrand: number, itemsPerFeed: number, rng: Rng, now: Date): number {
  let items = 0;
  for (const brand of brands) {
    for (let n = 0; n < perBrand; n++) {
      const mentions = makeMentions({ count: itemsPerFeed, brands: [brand], rng, now }).map((m) => ({ ...m, id: `${brand.id}-${n}-${m.id}` }));
      items += mentions.length;
      server.route(`/feeds/${brand.id}/${n}.xml`, { body: rssDocument(`${brand.name} feed ${n}`, mentions), headers: { 'content-type': 'application/rss+xml; charset=utf-8' } });
    }
  }
  return items;
}

function sumMatches(output: string, pattern: RegExp): number {
  let total = 0;
  for (const m of output.matchAll(pattern)) total += Number(m[1]);
  return total;
}

export async function benchPoll(brands: BenchBrand[], perBrand: number, rng: Rng, now: Date): Promise<PollFigures> {
  const server = await startFeedServer();
  try {
    const items = serveFeeds(server, brands, perBrand, 20, rng, now);
    const dir = makeDir({
      ...brandFiles(brands, (b) =>
        Array.from({ length: perBrand }, (_, n) => `  - type: rss\n    url: ${server.url(`/feeds/${b.id}/${n}.xml`)}\n    every: 15m\n`).join(''),
      ),
      'rules/alerts.yaml': BENCH_RULES,
    });
    const first = await runEarshot(['--config-dir', dir, 'poll', '--once']);
    const second = await runEarshot(['--config-dir', dir, 'poll', '--once']);
    removeDir(dir);
    return {
      feeds: brands.length * perBrand,
      items,
      firstMs: first.ms,
      firstCpuMs: first.cpuMs,
      firstCode: first.code,
      stored: sumMatches(first.stdout, /matched, (\d+) new/g),
      secondMs: second.ms,
      secondCpuMs: second.cpuMs,
      secondCode: second.code,
      notModified: (second.stdout.match(/not modified/g) ?? []).length,
      requests: server.requests.length,
    };
  } finally {
    await server.close();
  }
}
