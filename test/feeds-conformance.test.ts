/**
 * Every feed fixture in ../shared/fixtures/feeds is served from a real local HTTP server (with the
 * Content-Type its extension implies, plus any `Header:` a feedparser fixture's comment asks for)
 * and polled through rssSource.poll, exactly as the daemon would.
 *
 * Top level: every file yields items that are sane (ids, dates, URLs, no markup, no U+FFFD).
 * malformed/: every file either parses leniently or fails with a SourceError naming the feed URL;
 * nothing else is thrown and nothing hangs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/core/log.js';
import type { FetchedItem } from '../src/core/types.js';
import { parseFeed } from '../src/sources/rss/parse.js';
import { rssSource, type RssConfig } from '../src/sources/rss/index.js';
import { SourceError, type PollResult, type SourceContext } from '../src/sources/types.js';
import { startFeedServer, type FeedServer } from './helpers/feed-server.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FEEDS = path.resolve(repoRoot, '../shared/fixtures/feeds');
const MALFORMED = path.join(FEEDS, 'malformed');
const present = existsSync(FEEDS);
if (!present) console.warn(`feeds conformance skipped: ${FEEDS} not found (the shared fixtures live beside the repo)`);

const CONTENT_TYPES: Record<string, string> = {
  '.rss': 'application/rss+xml',
  '.atom': 'application/atom+xml',
  '.rdf': 'application/rdf+xml',
  '.xml': 'application/xml',
  '.json': 'application/feed+json',
  '.html': 'text/html',
};

/** Markup that must never survive into a title or text. */
const MARKUP = /<\/?(?:p|div|br|a|img|span|b|i|em|strong|ul|ol|li|h[1-6]|table|tr|td|script|style|iframe|pre|code|blockquote|figure|font)\b[^>]*>|<!\[CDATA\[/i;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function feedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => statSync(path.join(dir, name)).isFile() && (path.extname(name) in CONTENT_TYPES))
    .sort();
}

/** `Header: Name: value` lines from a feedparser fixture's leading comment. */
function fixtureHeaders(body: Buffer): Record<string, string> {
  const head = body.subarray(0, 1024).toString('latin1');
  const comment = /<!--([\s\S]*?)-->/.exec(head)?.[1] ?? '';
  const headers: Record<string, string> = {};
  for (const m of comment.matchAll(/^\s*Header:\s*([A-Za-z-]+):\s*(.+?)\s*$/gm)) headers[m[1]!.toLowerCase()] = m[2]!;
  return headers;
}

function context(url: string): SourceContext<RssConfig> {
  return {
    key: 'conformance/rss',
    brand: 'conformance',
    config: { url },
    cursor: { etag: null, lastModified: null, cursor: null },
    env: {},
    log: silentLogger(),
    signal: AbortSignal.timeout(5_000),
    now: () => new Date(),
  };
}

function expectSaneItem(item: FetchedItem, opts: { validSource: boolean }): void {
  expect(typeof item.sourceId).toBe('string');
  expect(item.sourceId.trim()).not.toBe('');
  if (item.published !== null) {
    expect(item.published).toMatch(ISO_UTC);
    expect(new Date(item.published).toISOString()).toBe(item.published);
  }
  if (item.url !== null) expect(item.url).toMatch(/^https?:\/\/[^\s]+$/);
  expect(item.title).not.toMatch(MARKUP);
  expect(item.text).not.toMatch(MARKUP);
  expect(item.title).not.toMatch(/\n/);
  expect(item.kind).toBe('article');
  if (opts.validSource) {
    expect(item.title).not.toContain('\uFFFD');
    expect(item.text).not.toContain('\uFFFD');
    expect(item.author ?? '').not.toContain('\uFFFD');
  }
}

let server: FeedServer;
const topLevel = feedFiles(FEEDS);
const malformed = feedFiles(MALFORMED);

function serve(dir: string, prefix: string, files: string[]): void {
  for (const name of files) {
    const body = readFileSync(path.join(dir, name));
    const headers = { 'content-type': CONTENT_TYPES[path.extname(name)]!, ...fixtureHeaders(body) };
    server.route(`${prefix}${name}`, { body, headers });
  }
}

describe.skipIf(!present)(`feed fixtures conformance${present ? '' : ` (skipped: ${FEEDS} not found)`}`, () => {
  const results = new Map<string, PollResult>();

  beforeAll(async () => {
    server = await startFeedServer();
    serve(FEEDS, '/feeds/', topLevel);
    serve(MALFORMED, '/feeds/malformed/', malformed);
  });

  afterAll(async () => {
    await server?.close();
  });

  async function poll(name: string): Promise<PollResult> {
    const cached = results.get(name);
    if (cached) return cached;
    const result = await rssSource.poll(context(server.url(`/feeds/${name}`)));
    results.set(name, result);
    return result;
  }

  it('serves every fixture file (none skipped for an unknown extension)', () => {
    const payloads = (dir: string): string[] => readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isFile() && !n.endsWith('.md'));
    expect(topLevel).toEqual(payloads(FEEDS).sort());
    expect(malformed).toEqual(payloads(MALFORMED).sort());
    expect(topLevel.length).toBeGreaterThanOrEqual(68);
    expect(malformed.length).toBeGreaterThanOrEqual(19);
  });

  it.each(topLevel)('%s: polls into sane items', { timeout: 5_000 }, async (name) => {
    const result = await poll(name);
    expect(result.notModified).toBeUndefined();
    for (const item of result.items) expectSaneItem(item, { validSource: true });
    const ids = result.items.map((i) => i.sourceId);
    expect(new Set(ids).size, 'sourceIds are unique within a feed').toBe(ids.length);
  });

  /** Feeds whose documents hold entries: they must not come back empty. */
  it.each(topLevel.filter((name) => !/big5|euc-kr|utf16|utf8-bom|minimal|browserfriendly|charset-overrides|doctype-entity|escaped-apos/.test(name)))(
    '%s: yields at least one item',
    async (name) => {
      expect((await poll(name)).items.length).toBeGreaterThan(0);
    },
  );

  function item(result: PollResult, index = 0): FetchedItem {
    const found = result.items[index];
    if (!found) throw new Error(`no item ${index}`);
    return found;
  }

  it('reads the ISO-8859-1 jn.pt feed with its accents', async () => {
    const result = await poll('rssparser__jn-pt-iso8859-1.rss');
    expect(result.items).toHaveLength(40);
    expect(item(result).title).toBe('Mãe de utente é a nova presidente da Raríssimas');
    // FeedBurner's tracking redirect is replaced by the article's own URL (feedburner:origLink).
    expect(item(result).url).toBe('https://www.jn.pt/nacional/interior/sonia-laig-e-a-nova-presidente-da-rarissimas-9021600.html');
    expect(item(result).text).toMatch(/^Sónia Laygue, profissional na área da Recursos Humanos e mãe/);
    expect(item(result).language).toBe('pt-pt');
    expect(item(result).published).toBe('2018-01-03T13:47:00.000Z');
    const feed = parseFeed(readFileSync(path.join(FEEDS, 'rssparser__jn-pt-iso8859-1.rss')), { url: 'http://feeds.jn.pt/JN-ULTIMAS' });
    expect(feed.title).toBe('Jornal de Notícias - Últimas Notícias');
  });

  it.each([
    ['feedparser__utf16le-bom.xml', 'rss', ''],
    ['feedparser__utf8-bom.xml', 'rss', ''],
    ['feedparser__big5.xml', 'rss', ''],
    ['feedparser__euc-kr.xml', 'rss', '\ub144'],
    ['feedparser__rss-escaped-apos.rss', 'rss', "it's correct"],
    ['feedparser__touchnokia-ru-large.atom', 'atom', 'Все для Nokia 5800 XM Nokia N97 Samsung i8910 Omnia HD : Программы, игры, темы, свежие новости и советы'],
    ['feedparser__rss1.0-minimal.rdf', 'rdf', ''],
    ['feedparser__rss0.90-item.rdf', 'rdf', 'Example title'],
    ['feedparser__jsonfeed-v1-example.json', 'json', 'My Example Feed'],
    ['rssparser__many-links.rss', 'atom', 'Google Testing Blog'],
  ])('%s decodes as %s with feed title %j', (name, format, title) => {
    const body = readFileSync(path.join(FEEDS, name));
    const feed = parseFeed(body, { url: server.url(`/feeds/${name}`), contentType: fixtureHeaders(body)['content-type'] ?? null });
    expect(feed.format).toBe(format);
    expect(feed.title).toBe(title);
  });

  it('reads the UTF-16 feed through the server', async () => {
    const result = await poll('feedparser__utf16le-bom.xml');
    expect(result.items).toEqual([]);
  });

  it('reads Cyrillic Atom (touchnokia.ru)', async () => {
    const result = await poll('feedparser__touchnokia-ru-large.atom');
    expect(result.items).toHaveLength(15);
    expect(item(result)).toMatchObject({
      sourceId: 'tag:touchnokia.ru,2009://1.666',
      url: 'http://touchnokia.ru/2009/09/nevidimaja-bronja-dlja-vashego-nokia-5800.html',
      title: 'Невидимая броня для Вашего Nokia 5800',
      author: 'iPod',
    });
    expect(item(result).text).toMatch(/^Невидимая броня для Вашего девайса\./);
    expect(item(result).text).not.toMatch(/{|}|font-size/);
  });

  it('maps Atom 0.3 (tagesschau)', async () => {
    const result = await poll('feeddeck__tagesschau-atom03.atom');
    expect(item(result)).toMatchObject({
      sourceId: '2371e076-f0bd-4e39-8fcf-3e6cf3308eff',
      url: 'https://www.tagesschau.de/wirtschaft/haushalt-volumen-100.html',
      title: 'Haushaltskrise: Um wie viele Milliarden es wirklich geht',
      author: 'tagesschau.de',
      published: '2023-12-12T14:20:21.000Z',
      language: 'de',
    });
  });

  it('maps RSS 1.0 / RDF (tagesschau, feedparser modules, craigslist)', async () => {
    const tagesschau = await poll('feeddeck__tagesschau.rdf');
    expect(item(tagesschau)).toMatchObject({
      url: 'https://www.tagesschau.de/wirtschaft/haushalt-volumen-100.html',
      title: 'Haushaltskrise: Um wie viele Milliarden es wirklich geht',
      language: 'de',
    });
    const modules = await poll('feedparser__rss1.0-with-modules.rdf');
    expect(item(modules)).toMatchObject({ title: 'Test Item - RSS 1.0', published: '2002-09-28T20:01:19.000Z', language: 'en-gb' });
    const craigslist = await poll('rssparser__craigslist-rdf.rss');
    expect(craigslist.items).toHaveLength(25);
    expect(item(craigslist).sourceId).toBe('http://sfbay.craigslist.org/eby/apa/6186664607.html');
    const rss090 = await poll('feedparser__rss0.90-item.rdf');
    expect(item(rss090).title).toBe('Item title');
  });

  it('maps JSON Feed items (script dropped, feed author inherited)', async () => {
    const result = await poll('feedparser__jsonfeed-v1-example.json');
    expect(result.items.map((i) => [i.sourceId, i.url, i.title, i.text, i.author])).toEqual([
      ['2', 'https://example.org/second-item', 'post 2', 'This is a second item.', 'me'],
      ['1', 'https://example.org/initial-post', '', 'Hello, world!', 'you'],
    ]);
  });

  it.each(topLevel)('%s: survives truncation anywhere', (name) => {
    const body = readFileSync(path.join(FEEDS, name));
    for (const fraction of [0.05, 0.33, 0.5, 0.77, 0.99]) {
      const cut = body.subarray(0, Math.floor(body.length * fraction));
      try {
        const feed = parseFeed(cut, { url: server.url(`/feeds/${name}`) });
        for (const it of feed.items) expect(it.sourceId).not.toBe('');
      } catch (err) {
        expect(err).toBeInstanceOf(SourceError);
        expect((err as SourceError).message).toContain(server.url(`/feeds/${name}`));
      }
    }
  });

  it('resolves relative links against the feed URL', async () => {
    const relative = await poll('feedparser__rss-relative-item-link.rss');
    expect(item(relative).url).toBe(server.url('/relative/uri'));
    const gulp = await poll('rssparser__github-releases-gulp.atom');
    expect(item(gulp).url).toBe(server.url('/gulpjs/gulp/releases/tag/v3.9.0'));
  });

  it('parses dc:date and pubDate', async () => {
    expect(item(await poll('feedparser__rss-item-dc-date.rss')).published).toBe('2003-12-31T10:14:55.000Z');
    expect(item(await poll('feedparser__rss-item-pubdate.rss')).published).toBe('2004-01-01T19:48:21.000Z');
    expect(item(await poll('rssparser__instant-article.rss')).published).toBe('2016-05-04T06:53:45.000Z');
  });

  it('treats guids by isPermaLink, and expands DOCTYPE entities', async () => {
    expect(item(await poll('feedparser__rss-guid-permalink-as-link.rss'))).toMatchObject({ sourceId: 'http://guid.example.com/', url: 'http://guid.example.com/' });
    expect(item(await poll('feedparser__rss-guid-not-permalink.rss'))).toMatchObject({ sourceId: 'http://guid.example.com/', url: null });
    expect(item(await poll('feedparser__rss-entity-in-doctype.rss')).sourceId).toBe('tag:example.com,2006-05-04:/blog/');
  });

  it('unescapes escaped and double-escaped HTML', async () => {
    expect(item(await poll('feedparser__rss-content-encoded.rss')).text).toBe('Example content');
    expect(item(await poll('feedparser__rss-charref-uppercase-x.rss')).text).toBe('a');
    expect(item(await poll('feedparser__atom03-cdata-charref.atom')).title).toBe('&');
    expect(item(await poll('feedparser__atom03-double-escaped-attr.atom')).title).toBe('&');
    expect(item(await poll('feedparser__rss-relative-uri-unicode.rss')).text).toBe('uri');
  });

  it('maps brand-monitoring feeds: Google News, Reddit, Mastodon, Nitter, Stack Overflow', async () => {
    const google = await poll('feeddeck__googlenews-search-chemnitz.rss');
    expect(item(google).title).toBe('Chemnitz: Preisschock bei "eins energie"! Fernwärme wird 75 Prozent teurer - TAG24');
    expect(item(google).published).toBe('2023-12-06T04:30:00.000Z');
    expect(item(google).url).toMatch(/^https:\/\/news\.google\.com\/rss\/articles\//);
    const reddit = await poll('feeddeck__reddit-r-kubernetes.atom');
    expect(item(reddit)).toMatchObject({ sourceId: 't3_18895rv', author: '/u/gctaylor', title: 'Monthly: Who is hiring?' });
    const mastodon = await poll('feeddeck__mastodon-tag-kubernetes.rss');
    expect(item(mastodon).text).toMatch(/^Shameless blog series plug\n\nIf you're in to #kubernetes/);
    const nitter = await poll('feeddeck__nitter-search-tag.rss');
    expect(item(nitter).author).toBe('@CloudIslamabad');
    const stackoverflow = await poll('feeddeck__stackoverflow-tag-kubernetes.atom');
    expect(item(stackoverflow)).toMatchObject({ sourceId: 'https://stackoverflow.com/q/77635559', author: 'Dominik.W' });
  });

  /** What each malformed fixture does: parse leniently ('items') or fail with a SourceError ('error'). */
  const MALFORMED_OUTCOME: Record<string, 'items' | 'error'> = {
    'feeddeck__tagesschau-html-page.html': 'error',
    'feedparser__empty-document.xml': 'error',
  };

  it.each(malformed)('malformed/%s: parses leniently or fails with a SourceError naming the url', { timeout: 5_000 }, async (name) => {
    const url = server.url(`/feeds/malformed/${name}`);
    let outcome: 'items' | 'error';
    try {
      const result = await rssSource.poll(context(url));
      for (const it of result.items) expectSaneItem(it, { validSource: false });
      results.set(`malformed/${name}`, result);
      outcome = 'items';
    } catch (err) {
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).kind).toBe('parse');
      expect((err as SourceError).message).toContain(url);
      outcome = 'error';
    }
    expect(outcome).toBe(MALFORMED_OUTCOME[name] ?? 'items');
  });

  it('malformed: spot checks of lenient results', async () => {
    const first = async (name: string): Promise<FetchedItem> => item(await poll(`malformed/${name}`));
    expect((await first('feedparser__koi8r-no-declaration.xml')).title).toBe('Как пережить новогоднюю ночь');
    expect((await first('feedparser__shiftjis-no-declaration.xml')).title).toBe('DrecomRSSに記事投稿が反映されない…');
    expect((await first('feedparser__windows1255-no-declaration.xml')).text).toMatch(/^האם תדפיס נייר של אתר אינטרנט/);
    expect((await first('feedparser__link-ampersands-truncated.xml')).url).toBe('http://link/get?a=1&b=2');
    expect((await first('feedparser__rdf-empty-textinput.xml')).title).toBe('crashes here');
    expect((await first('feedparser__incomplete-cdata.xml')).title).toBe('');
    expect((await first('feedparser__encoding-mismatch.xml')).text).toBe('¤');
  });

  it('malformed: the HTML page names the feeds it announces', async () => {
    const url = server.url('/feeds/malformed/feeddeck__tagesschau-html-page.html');
    await expect(rssSource.poll(context(url))).rejects.toThrow(
      `${url}: this is an HTML page, not a feed; use the feed it announces instead: https://www.tagesschau.de/index~atom.xml (it also lists https://www.tagesschau.de/index~rss2.xml, https://www.tagesschau.de/index~rdf.xml)`,
    );
  });
});
