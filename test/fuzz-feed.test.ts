/**
 * Fuzz of the feed-to-Mention mapping (fast-check, seeded per run, bounded in time):
 *  - `parseFeed` on generated RSS / Atom / RDF / JSON feeds whose fields hold arbitrary text,
 *    markup, entities, CDATA and control characters, and on byte-level mutations of them
 *    (truncation, inserted and flipped bytes): it returns well-formed items or throws a
 *    SourceError('parse'); nothing else, and no call takes long;
 *  - the rss source's poll against a local server, then ingest into a real SQLite store with the
 *    real analyzer: never crashes, never hangs, and what it stores is what the rules can read.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyzer } from '../src/analyze/index.js';
import { compileQuery } from '../src/analyze/query/index.js';
import type { BrandConfig } from '../src/config/load.js';
import { silentLogger } from '../src/core/log.js';
import { ingestItems } from '../src/pipeline/ingest.js';
import { createRssSource } from '../src/sources/rss/index.js';
import { parseFeed } from '../src/sources/rss/parse.js';
import { SourceError } from '../src/sources/types.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';

const SEED = Number(process.env.EARSHOT_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PIECES = [
  'Acme Cloud', 'acme', ' ', ' ', '\n', '\t', '<', '>', '&', '&amp;', '&lt;p&gt;', '&#x1F600;', '&#0;', '&bogus;', '<![CDATA[', ']]>', '<b>', '</b>',
  '<p>', '<br/>', '<script>x()</script>', '<a href="javascript:alert(1)">', '"', "'", '\u0000', '\u001b[31m', '\uFFFD', '\uD800', '💥', 'é', '東京', 'ﬁ', '\u202E',
  'https://example.com/a?b=1&c=2', '//x', '2026-11-23T10:00:00Z', 'Mon, 23 Nov 2026 10:00:00 GMT', 'not a date', '9999999999999', '-1',
];
const messy = fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }).map((p) => p.join(''));
const anyText = fc.oneof(messy, messy, fc.string({ unit: 'binary', maxLength: 80 }));

interface GenItem {
  id: string;
  title: string;
  text: string;
  link: string;
  author: string;
  date: string;
}
const genItem: fc.Arbitrary<GenItem> = fc.record({ id: anyText, title: anyText, text: anyText, link: anyText, author: anyText, date: anyText });

const xmlEsc = (s: string) => s.replace(/&(?!(amp|lt|gt|quot|#\d+|#x[0-9a-f]+);)/gi, '&amp;').replace(/</g, '&lt;');
const maybe = (raw: boolean, s: string) => (raw ? s : xmlEsc(s));

function render(format: 'rss' | 'atom' | 'rdf' | 'json', items: GenItem[], raw: boolean): string {
  if (format === 'json') {
    return JSON.stringify({
      version: 'https://jsonfeed.org/version/1.1',
      title: 'fuzz',
      items: items.map((i) => ({ id: i.id, url: i.link, title: i.title, content_html: i.text, date_published: i.date, authors: [{ name: i.author }] })),
    });
  }
  const f = (s: string) => maybe(raw, s);
  if (format === 'atom') {
    return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>fuzz</title>${items
      .map((i) => `<entry><id>${f(i.id)}</id><title type="html">${f(i.title)}</title><link href="${f(i.link).replace(/"/g, '&quot;')}"/><updated>${f(i.date)}</updated><author><name>${f(i.author)}</name></author><content type="html">${f(i.text)}</content></entry>`)
      .join('')}</feed>`;
  }
  if (format === 'rdf') {
    return `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>fuzz</title></channel>${items
      .map((i) => `<item rdf:about="${f(i.link).replace(/"/g, '&quot;')}"><title>${f(i.title)}</title><link>${f(i.link)}</link><description>${f(i.text)}</description><dc:date>${f(i.date)}</dc:date><dc:creator>${f(i.author)}</dc:creator></item>`)
      .join('')}</rdf:RDF>`;
  }
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>fuzz</title>${items
    .map((i) => `<item><guid>${f(i.id)}</guid><title>${f(i.title)}</title><link>${f(i.link)}</link><description>${f(i.text)}</description><pubDate>${f(i.date)}</pubDate><author>${f(i.author)}</author></item>`)
    .join('')}</channel></rss>`;
}

type Mutation = { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'flip'; at: number; value: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(body: Buffer, mutations: Mutation[]): Buffer {
  let out = body;
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'truncate') out = out.subarray(0, at);
    else if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
    else if (at < out.length) {
      out = Buffer.from(out);
      out[at] = m.value;
    }
  }
  return out;
}

const feedDoc = fc.record({
  format: fc.constantFrom('rss' as const, 'atom' as const, 'rdf' as const, 'json' as const),
  items: fc.array(genItem, { maxLength: 5 }),
  raw: fc.boolean(),
  mutations: fc.array(mutation, { maxLength: 3 }),
  contentType: fc.constantFrom(null, 'application/rss+xml', 'text/html; charset=iso-8859-1', 'application/json', 'text/plain; charset=bogus', 'application/xml; charset=utf-16'),
});

function checkParsed(body: Buffer, contentType: string | null): 'ok' | 'parse-error' {
  const started = performance.now();
  try {
    const feed = parseFeed(body, { url: 'https://feeds.example.com/fuzz.xml', contentType });
    expect(Array.isArray(feed.items)).toBe(true);
    for (const item of feed.items) {
      expect(typeof item.sourceId).toBe('string');
      expect(item.sourceId.length).toBeGreaterThan(0);
      expect(typeof item.title).toBe('string');
      expect(typeof item.text).toBe('string');
      if (item.url !== null) expect(['http:', 'https:']).toContain(new URL(item.url).protocol);
      if (item.published !== null) expect(new Date(item.published).toISOString()).toBe(item.published);
    }
    return 'ok';
  } catch (err) {
    if (!(err instanceof SourceError)) throw err;
    expect(err.kind).toBe('parse');
    expect(err.message).toContain('feeds.example.com/fuzz.xml');
    return 'parse-error';
  } finally {
    expect(performance.now() - started).toBeLessThan(2000);
  }
}

describe('fuzz: feed to mentions', () => {
  it('parseFeed returns well-formed items or a parse error, for generated and mutated feeds', () => {
    const outcomes = { ok: 0, 'parse-error': 0 };
    fc.assert(
      fc.property(feedDoc, (doc) => {
        const body = mutate(Buffer.from(render(doc.format, doc.items, doc.raw), 'utf8'), doc.mutations);
        outcomes[checkParsed(body, doc.contentType)]++;
      }),
      { seed: SEED, numRuns: 3000, interruptAfterTimeLimit: 40_000 },
    );
    console.log(`fuzz parseFeed (seed ${SEED}): ${outcomes.ok} parsed, ${outcomes['parse-error']} parse errors`);
    expect(outcomes.ok).toBeGreaterThan(100);
    expect(outcomes['parse-error']).toBeGreaterThan(10);
  }, 60_000);

  it('parseFeed survives arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.constantFrom(null, 'application/xml', 'application/json'), (bytes, type) => {
        checkParsed(Buffer.from(bytes), type);
      }),
      { seed: SEED, numRuns: 2000, interruptAfterTimeLimit: 20_000 },
    );
  }, 40_000);

  describe('rss poll through ingest', () => {
    let server: FeedServer;
    beforeAll(async () => {
      server = await startFeedServer();
    });
    afterAll(async () => {
      await server.close();
    });

    it('never crashes or hangs, and stores only matching, well-formed mentions', async () => {
      const store = openSqliteStore(':memory:');
      const db = store.db;
      const analyzer = createAnalyzer();
      const brand: BrandConfig = {
        id: 'acme',
        name: 'Acme Cloud',
        query: 'acme',
        matcher: compileQuery('acme'),
        languages: null,
        context: { name: 'Acme Cloud', handles: [], vocabulary: {} },
        file: 'sources/acme.yaml',
      };
      const source = createRssSource({ timeoutMs: 2000, maxBytes: 256 * 1024 });
      let stored = 0;
      let failed = 0;
      let n = 0;
      await fc.assert(
        fc.asyncProperty(feedDoc, async (doc) => {
          n++;
          const path = `/f${n}`;
          server.route(path, { body: mutate(Buffer.from(render(doc.format, doc.items, doc.raw), 'utf8'), doc.mutations), headers: doc.contentType ? { 'content-type': doc.contentType } : {} });
          const started = performance.now();
          try {
            const result = await source.poll({
              key: 'acme/rss',
              brand: 'acme',
              config: { url: server.url(path) },
              cursor: { etag: null, lastModified: null, cursor: null },
              env: {},
              log: silentLogger(),
              signal: AbortSignal.timeout(5000),
              now: () => new Date(),
            });
            const r = await ingestItems({ store, analyzer, brand, source: 'rss', sourceKey: 'acme/rss', now: new Date(), alertFrom: null }, result.items);
            stored += r.stored;
            expect(r.stored).toBeLessThanOrEqual(r.matched);
          } catch (err) {
            if (!(err instanceof SourceError)) throw err;
            failed++;
          }
          expect(performance.now() - started).toBeLessThan(5000);
        }),
        { seed: SEED, numRuns: 400, interruptAfterTimeLimit: 30_000 },
      );
      const rows = db.prepare('SELECT title, text, matched_terms FROM mentions').all() as Array<{ title: string; text: string; matched_terms: string }>;
      await store.close();
      console.log(`fuzz rss poll + ingest (seed ${SEED}): ${n} feeds, ${stored} mentions stored, ${failed} polls failed cleanly`);
      expect(rows).toHaveLength(stored);
      // the query is case- and accent-insensitive (and folds compatibility forms)
      const fold = (t: string) => t.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
      for (const row of rows) expect(fold(`${row.title}\n${row.text}`)).toContain('acme');
      expect(stored).toBeGreaterThan(0);
    }, 60_000);
  });
});
