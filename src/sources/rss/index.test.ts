import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../../test/helpers/feed-server.js';
import { silentLogger } from '../../core/log.js';
import { SourceError, type PollCursor, type SourceContext } from '../types.js';
import { createRssSource, rssSource, type RssConfig } from './index.js';

const EMPTY_CURSOR: PollCursor = { etag: null, lastModified: null, cursor: null };

function context(url: string, overrides: Partial<SourceContext<RssConfig>> = {}): SourceContext<RssConfig> {
  return {
    key: 'acme/rss',
    brand: 'acme',
    config: { url },
    cursor: EMPTY_CURSOR,
    env: {},
    log: silentLogger(),
    signal: new AbortController().signal,
    now: () => new Date(),
    ...overrides,
  };
}

function rss(items: { title: string; link: string; guid?: string }[], extra = ''): string {
  const body = items
    .map((i) => `<item><title>${i.title}</title><link>${i.link}</link>${i.guid ? `<guid>${i.guid}</guid>` : ''}<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>`)
    .join('');
  return `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Acme news</title>${extra}${body}</channel></rss>`;
}

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    return err as SourceError;
  }
  throw new Error('expected the poll to fail');
}

let server: FeedServer;

beforeAll(async () => {
  server = await startFeedServer();
});

afterAll(async () => {
  await server.close();
});

describe('rssSource plugin', () => {
  it('declares its type, default interval and no credentials', () => {
    expect(rssSource.type).toBe('rss');
    expect(rssSource.defaultEveryMs).toBe(15 * 60_000);
    expect(rssSource.requiredEnv({ url: 'https://example.com/feed' })).toEqual([]);
  });

  it.each([
    [{ url: 'https://example.com/feed.xml' }, true],
    [{ url: 'http://example.com/feed.xml' }, true],
    [{ url: 'ftp://example.com/feed.xml' }, false],
    [{ url: 'example.com/feed' }, false],
    [{}, false],
    [{ url: 'https://example.com/feed.xml', every: '5m' }, false],
  ])('schema %j -> valid %s', (input, valid) => {
    expect(rssSource.schema.safeParse(input).success).toBe(valid);
  });

  it('says what is wrong with a bad url', () => {
    const result = rssSource.schema.safeParse({ url: 'ftp://example.com/feed' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/http or https URL/);
    expect(rssSource.schema.safeParse({}).error?.issues[0]?.message).toMatch(/url is required/);
  });
});

describe('rssSource.poll', () => {
  it('fetches and maps a feed, and returns its validators', async () => {
    server.route('/basic.xml', { body: rss([{ title: 'Acme &amp; friends', link: '/posts/1', guid: 'post-1' }]), headers: { 'content-type': 'application/rss+xml' } });
    const result = await rssSource.poll(context(server.url('/basic.xml')));
    expect(result.notModified).toBeUndefined();
    expect(result.items).toEqual([
      {
        sourceId: 'post-1',
        url: server.url('/posts/1'),
        author: null,
        reach: null,
        title: 'Acme & friends',
        text: '',
        published: '2026-11-23T08:00:00.000Z',
        language: null,
        kind: 'article',
        linkUrl: server.url('/posts/1'),
      },
    ]);
    expect(result.cursor.etag).toMatch(/^"[0-9a-f]{16}"$/);
    expect(result.cursor.lastModified).toBeNull();
    const sent = server.requestsFor('/basic.xml').at(-1);
    expect(sent?.headers['user-agent']).toMatch(/^earshot\//);
    expect(sent?.headers.accept).toContain('application/rss+xml');
    expect(sent?.headers['if-none-match']).toBeUndefined();
  });

  it('round-trips the ETag: the second poll sends If-None-Match and gets 304', async () => {
    server.route('/etag.xml', { body: rss([{ title: 'one', link: 'https://example.com/1' }]), etag: '"v1"' });
    const first = await rssSource.poll(context(server.url('/etag.xml')));
    expect(first.cursor.etag).toBe('"v1"');
    const second = await rssSource.poll(context(server.url('/etag.xml'), { cursor: { ...EMPTY_CURSOR, etag: first.cursor.etag ?? null } }));
    expect(server.requestsFor('/etag.xml').at(-1)?.headers['if-none-match']).toBe('"v1"');
    expect(second).toEqual({ items: [], cursor: {}, notModified: true });
  });

  it('round-trips Last-Modified: the second poll sends If-Modified-Since and gets 304', async () => {
    const lastModified = 'Mon, 23 Nov 2026 07:00:00 GMT';
    server.route('/lm.xml', { body: rss([{ title: 'one', link: 'https://example.com/1' }]), etag: false, lastModified });
    const first = await rssSource.poll(context(server.url('/lm.xml')));
    expect(first.cursor).toEqual({ etag: null, lastModified });
    const second = await rssSource.poll(context(server.url('/lm.xml'), { cursor: { ...EMPTY_CURSOR, lastModified } }));
    expect(server.requestsFor('/lm.xml').at(-1)?.headers['if-modified-since']).toBe(lastModified);
    expect(second.notModified).toBe(true);
  });

  it('gets the new feed when the validators no longer match', async () => {
    server.route('/changing.xml', { body: rss([{ title: 'two', link: 'https://example.com/2' }]), etag: '"v2"' });
    const result = await rssSource.poll(context(server.url('/changing.xml'), { cursor: { ...EMPTY_CURSOR, etag: '"v1"' } }));
    expect(result.notModified).toBeUndefined();
    expect(result.items.map((i) => i.title)).toEqual(['two']);
    expect(result.cursor.etag).toBe('"v2"');
  });

  it.each([
    ['120', 120_000],
    ['Mon, 23 Nov 2026 12:02:00 GMT', 120_000],
  ])('429 with Retry-After %j -> rate_limit, retryAfterMs %i', async (retryAfter, ms) => {
    server.route('/limited.xml', { status: 429, headers: { 'retry-after': retryAfter } });
    const now = () => new Date('2026-11-23T12:00:00Z');
    const err = await failure(rssSource.poll(context(server.url('/limited.xml'), { now })));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBe(ms);
    expect(err.message).toContain(server.url('/limited.xml'));
    expect(err.message).toContain('429');
  });

  it('503 -> server error with Retry-After', async () => {
    server.route('/down.xml', { status: 503, headers: { 'retry-after': '30' }, body: 'maintenance' });
    const err = await failure(rssSource.poll(context(server.url('/down.xml'))));
    expect(err.kind).toBe('server');
    expect(err.retryAfterMs).toBe(30_000);
    expect(err.message).toContain('503');
  });

  it('404 -> not_found with a hint naming the source and url', async () => {
    const err = await failure(rssSource.poll(context(server.url('/missing.xml?token=abc123'))));
    expect(err.kind).toBe('not_found');
    expect(err.message).toBe(
      `acme/rss ${server.url('/missing.xml')}: HTTP 404 Not Found; check the url of acme/rss in sources/ (brand acme); the feed answered 404: it does not exist (any more)`,
    );
  });

  it('401 -> auth', async () => {
    server.route('/private.xml', { status: 401 });
    const err = await failure(rssSource.poll(context(server.url('/private.xml'))));
    expect(err.kind).toBe('auth');
    expect(err.message).toContain('answered 401');
  });

  it('follows a redirect to the feed and resolves links against the final URL', async () => {
    server.route('/old-feed', { status: 301, headers: { location: '/blog/feed.xml' } });
    server.route('/blog/feed.xml', { body: rss([{ title: 'moved', link: 'post-9' }]) });
    const result = await rssSource.poll(context(server.url('/old-feed')));
    expect(result.items[0]?.url).toBe(server.url('/blog/post-9'));
    expect(result.items[0]?.sourceId).toBe(server.url('/blog/post-9'));
  });

  it('times out on a server that never finishes sending', async () => {
    server.route('/trickle.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.write('<rss><channel>');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await failure(createRssSource({ timeoutMs: 300 }).poll(context(server.url('/trickle.xml'))));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain(server.url('/trickle.xml'));
    expect(Date.now() - started).toBeLessThan(5_000); // cut off near 300 ms; generous for a loaded CI machine
    const deadline = await failure(rssSource.poll(context(server.url('/trickle.xml'), { signal: AbortSignal.timeout(200) })));
    expect(deadline.kind).toBe('timeout');
  });

  it('refuses a feed larger than the size cap', async () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ title: `item ${i}`, link: `https://example.com/${i}` }));
    server.route('/huge.xml', { body: rss(many), gzip: true });
    const err = await failure(createRssSource({ maxBytes: 16 * 1024 }).poll(context(server.url('/huge.xml'))));
    expect(err.kind).toBe('too_large');
    expect(err.message).toContain(server.url('/huge.xml'));
    const ok = await rssSource.poll(context(server.url('/huge.xml')));
    expect(ok.items).toHaveLength(400);
  });

  it('names the feed an HTML page announces', async () => {
    server.route('/blog', {
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: `<!DOCTYPE html><html><head><title>Acme blog</title>
        <link rel="stylesheet" href="/style.css">
        <link rel="alternate" type="application/atom+xml" title="Atom" href="/blog/atom.xml">
        </head><body><p>Welcome</p></body></html>`,
    });
    const err = await failure(rssSource.poll(context(server.url('/blog'))));
    expect(err.kind).toBe('parse');
    expect(err.message).toBe(`${server.url('/blog')}: this is an HTML page, not a feed; use the feed it announces instead: ${server.url('/blog/atom.xml')}`);
  });

  it('says so when an HTML page announces no feed', async () => {
    server.route('/plain-page', { headers: { 'content-type': 'text/html' }, body: '<html><body><h1>Hello</h1></body></html>' });
    const err = await failure(rssSource.poll(context(server.url('/plain-page'))));
    expect(err.kind).toBe('parse');
    expect(err.message).toContain(server.url('/plain-page'));
    expect(err.message).toContain('announces no feed');
  });

  it.each([
    ['empty body', '', /the response is empty/],
    ['other XML', '<?xml version="1.0"?><sitemap><url>x</url></sitemap>', /root element is <sitemap>/],
    ['plain text', 'Service temporarily unavailable', /not XML or JSON/],
    ['JSON that is not a feed', '{"error": "nope"}', /not a JSON Feed/],
    ['broken JSON', '{"items": [', /invalid JSON/],
  ])('%s -> parse error naming the url', async (_label, body, pattern) => {
    server.route('/not-a-feed', { body, headers: { 'content-type': 'application/xml' } });
    const err = await failure(rssSource.poll(context(server.url('/not-a-feed'))));
    expect(err.kind).toBe('parse');
    expect(err.message).toContain(server.url('/not-a-feed'));
    expect(err.message).toMatch(pattern);
  });
});

describe('rssSource.poll encodings', () => {
  const russian = 'Новости: Москва и Санкт-Петербург — всё о погоде';

  function feedBytes(title: string, encoding: string, declare: boolean): Buffer {
    const decl = declare ? `<?xml version="1.0" encoding="${encoding}"?>` : '';
    return iconv.encode(`${decl}<rss version="2.0"><channel><title>x</title><item><title>${title}</title><description>${title}</description><guid>1</guid></item></channel></rss>`, encoding);
  }

  it.each([
    ['ISO-8859-1 declared in the XML', 'ISO-8859-1', true, undefined, 'Jornal de Notícias - Últimas: São João, coração, ação!'],
    ['windows-1251 declared in the XML', 'windows-1251', true, undefined, russian],
    ['windows-1251 given only by HTTP charset', 'windows-1251', false, 'application/rss+xml; charset=windows-1251', russian],
    ['windows-1251 undeclared (detected)', 'windows-1251', false, undefined, russian],
    ['KOI8-R undeclared (detected)', 'koi8-r', false, undefined, russian.replace('—', '-')],
    ['windows-1252 undeclared (fallback)', 'windows-1252', false, undefined, 'Jornal de Notícias – Últimas: São João, coração, ação!'],
    ['windows-1252 undeclared, many ção (not mistaken for Hebrew)', 'windows-1252', false, undefined, 'Informação, ação, coração, nação, canção, opção'],
  ])('%s', async (_label, encoding, declare, contentType, expected) => {
    server.route('/encoded.xml', { body: feedBytes(expected, encoding, declare), headers: contentType ? { 'content-type': contentType } : {} });
    const result = await rssSource.poll(context(server.url('/encoded.xml')));
    expect(result.items[0]?.title).toBe(expected);
    expect(result.items[0]?.text).toBe(expected);
  });

  it('lets the HTTP charset override the XML declaration', async () => {
    const body = Buffer.concat([Buffer.from('<?xml version="1.0" encoding="iso-8859-1"?>'), iconv.encode(`<rss><channel><item><guid>1</guid><title>${russian}</title></item></channel></rss>`, 'windows-1251')]);
    server.route('/override.xml', { body, headers: { 'content-type': 'text/xml; charset=windows-1251' } });
    const result = await rssSource.poll(context(server.url('/override.xml')));
    expect(result.items[0]?.title).toBe(russian);
  });

  it('falls back instead of crashing on an unknown encoding name', async () => {
    server.route('/bogus.xml', { body: Buffer.from('<?xml version="1.0" encoding="x-no-such-charset"?><rss><channel><item><guid>1</guid><title>Caf\u00e9</title></item></channel></rss>') });
    const result = await rssSource.poll(context(server.url('/bogus.xml')));
    expect(result.items[0]?.title).toBe('Café');
  });
});
