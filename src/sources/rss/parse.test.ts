import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../types.js';
import { decodeFeedBytes, guessLegacyEncoding } from './encoding.js';
import { discoverFeedLinks, parseFeed } from './parse.js';

const URL_ = 'https://example.com/blog/feed.xml';

function parse(xml: string | Buffer, opts: { contentType?: string; contentLocation?: string } = {}) {
  return parseFeed(typeof xml === 'string' ? Buffer.from(xml) : xml, { url: URL_, ...opts });
}

function parseError(xml: string): SourceError {
  try {
    parse(xml);
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    return err as SourceError;
  }
  throw new Error('expected a parse error');
}

describe('parseFeed: RSS', () => {
  it('maps an RSS 2.0 item completely', () => {
    const feed = parse(`<?xml version="1.0"?>
      <rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/">
        <channel><title>Acme &amp; Co</title><language>en-us</language>
          <item>
            <title>Acme Cloud &lt;b&gt;outage&lt;/b&gt;</title>
            <link>/posts/outage</link>
            <guid isPermaLink="false">acme-123</guid>
            <description>short</description>
            <content:encoded><![CDATA[<p>Our <b>status page</b> was down.</p><p>Sorry&nbsp;&amp; thanks.</p><script>track()</script>]]></content:encoded>
            <dc:creator>Jane Doe</dc:creator>
            <pubDate>Mon, 23 Nov 2026 08:00:00 +0100</pubDate>
          </item>
        </channel>
      </rss>`);
    expect(feed.format).toBe('rss');
    expect(feed.title).toBe('Acme & Co');
    expect(feed.items).toEqual([
      {
        sourceId: 'acme-123',
        url: 'https://example.com/posts/outage',
        author: 'Jane Doe',
        reach: null,
        title: 'Acme Cloud outage',
        text: 'Our status page was down.\n\nSorry & thanks.',
        published: '2026-11-23T07:00:00.000Z',
        language: 'en-us',
        kind: 'article',
        linkUrl: 'https://example.com/posts/outage',
      },
    ]);
  });

  it('takes the name from an RSS "email (Name)" author', () => {
    const feed = parse('<rss><channel><item><guid>1</guid><author>jane@example.com (Jane Doe)</author></item></channel></rss>');
    expect(feed.items[0]?.author).toBe('Jane Doe');
  });

  it('unwraps HTML that was escaped twice', () => {
    const feed = parse('<rss><channel><item><guid>1</guid><description>&amp;lt;p&amp;gt;Hello &amp;amp;lt;world&amp;amp;gt;&amp;lt;/p&amp;gt;</description></item></channel></rss>');
    expect(feed.items[0]?.text).toBe('Hello <world>');
  });

  it('unwraps twice-escaped HTML mixed with inline markup (Reddit RSS)', () => {
    const feed = parse('<rss><channel><item><guid>1</guid><description>&amp;lt;!-- SC_OFF --&amp;gt;&amp;lt;div class=&amp;quot;md&amp;quot;&amp;gt;&amp;lt;p&amp;gt;Hey &amp;amp;amp; hi&amp;lt;/p&amp;gt;&amp;lt;/div&amp;gt; submitted by <a href="/u/x">x</a><br/><a href="/c">[link]</a></description></item></channel></rss>');
    expect(feed.items[0]?.text).toBe('Hey & hi\n\nsubmitted by x\n[link]');
  });

  it('keeps inline (unescaped) HTML in a description as text', () => {
    const feed = parse('<rss><channel><item><guid>1</guid><description><p>One</p><p>Two<br/>Three</p></description></item></channel></rss>');
    expect(feed.items[0]?.text).toBe('One\n\nTwo\nThree');
  });

  it('gives items without guid or link a stable hashed id', () => {
    const xml = '<rss><channel><item><title>Same</title><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item><item><title>Other</title></item></channel></rss>';
    const a = parse(xml).items;
    const b = parse(xml).items;
    expect(a[0]?.sourceId).toMatch(/^sha1:[0-9a-f]{40}$/);
    expect(a.map((i) => i.sourceId)).toEqual(b.map((i) => i.sourceId));
    expect(a[0]?.sourceId).not.toBe(a[1]?.sourceId);
  });

  it('refuses javascript: links', () => {
    const feed = parse('<rss><channel><item><guid>1</guid><link>javascript:alert(1)</link></item></channel></rss>');
    expect(feed.items[0]?.url).toBeNull();
  });

  it('yields what a truncated document contains', () => {
    const feed = parse('<rss><channel><title>cut</title><item><title>first</title><guid>1</guid></item><item><title>sec');
    expect(feed.items.map((i) => i.title)).toEqual(['first', 'sec']);
  });

  it('does not expand entities recursively (no billion laughs)', () => {
    const feed = parse('<!DOCTYPE rss [<!ENTITY a "&b;&b;"><!ENTITY b "xx">]><rss><channel><item><guid>&a;</guid></item></channel></rss>');
    expect(feed.items[0]?.sourceId).toBe('&b;&b;');
  });
});

describe('parseFeed: Atom', () => {
  it('maps an Atom 1.0 entry with xml:base, xhtml content and feed-level author', () => {
    const feed = parse(`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de" xml:base="https://example.org/base/">
      <title type="html">Acme &lt;i&gt;Blog&lt;/i&gt;</title>
      <author><name>Feed Author</name></author>
      <entry xml:base="posts/">
        <id>urn:uuid:1</id>
        <title type="text">5 &lt; 6 rocks</title>
        <link rel="self" href="https://example.org/self"/>
        <link rel="alternate" type="text/html" href="hello.html"/>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <b>there</b></p><p>Bye</p></div></content>
        <updated>2026-11-23T09:00:00+01:00</updated>
      </entry>
    </feed>`);
    expect(feed.format).toBe('atom');
    expect(feed.title).toBe('Acme Blog');
    expect(feed.items[0]).toMatchObject({
      sourceId: 'urn:uuid:1',
      url: 'https://example.org/base/posts/hello.html',
      title: '5 < 6 rocks',
      text: 'Hi there\n\nBye',
      author: 'Feed Author',
      published: '2026-11-23T08:00:00.000Z',
      language: 'de',
    });
  });

  it('prefers published over updated, and the summary when there is no content', () => {
    const feed = parse(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id><summary type="html">&lt;p&gt;Sum&lt;/p&gt;</summary>
      <updated>2026-11-23T09:00:00Z</updated><published>2026-11-20T09:00:00Z</published><author><name>A</name></author></entry></feed>`);
    expect(feed.items[0]).toMatchObject({ text: 'Sum', published: '2026-11-20T09:00:00.000Z', author: 'A' });
  });

  it('resolves relative xml:base against Content-Location', () => {
    const feed = parse('<feed xmlns="http://www.w3.org/2005/Atom" xml:base="feed/"><entry xml:base="entry/"><id>1</id><link href="x.html"/></entry></feed>', {
      contentLocation: 'http://example.com/',
    });
    expect(feed.items[0]?.url).toBe('http://example.com/feed/entry/x.html');
  });

  it('decodes Atom 0.3 base64 content', () => {
    const encoded = Buffer.from('<p>Base <b>64</b></p>').toString('base64');
    const feed = parse(`<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><id>1</id><content type="text/html" mode="base64">${encoded}</content></entry></feed>`);
    expect(feed.items[0]?.text).toBe('Base 64');
  });
});

describe('parseFeed: JSON Feed', () => {
  it('maps JSON Feed 1.1 with authors, language and summary', () => {
    const feed = parse(
      JSON.stringify({
        version: 'https://jsonfeed.org/version/1.1',
        title: 'J',
        language: 'en',
        items: [
          { id: 7, url: '/p/7', summary: 'Short', authors: [{ name: 'Ann' }], date_modified: '2026-11-23T08:00:00Z' },
          'not an item',
          { id: '8', content_text: 'Text  body', date_published: 'garbage' },
        ],
      }),
    );
    expect(feed.format).toBe('json');
    expect(feed.items).toHaveLength(2);
    expect(feed.items[0]).toMatchObject({ sourceId: '7', url: 'https://example.com/p/7', text: 'Short', author: 'Ann', published: '2026-11-23T08:00:00.000Z', language: 'en' });
    expect(feed.items[1]).toMatchObject({ sourceId: '8', text: 'Text body', published: null });
  });
});

describe('parseFeed: not a feed', () => {
  it.each([
    ['', /empty/],
    ['<!-- nothing -->', /no root element/],
    ['<html><head><title>x</title></head><body>hi</body></html>', /HTML page/],
    ['<!DOCTYPE html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>', /use the feed it announces instead: https:\/\/example\.com\/rss/],
    ['<opml><body/></opml>', /root element is <opml>/],
    ['[1, 2, 3]', /not a JSON Feed/],
    ['{"version": "https://example.com/other", "items": []}', /not a JSON Feed/],
  ])('%j -> SourceError(parse) %s', (input, pattern) => {
    const err = parseError(input);
    expect(err.kind).toBe('parse');
    expect(err.message.startsWith(`${URL_}: `)).toBe(true);
    expect(err.message).toMatch(pattern);
  });

  it('names the url without secrets', () => {
    try {
      parseFeed(Buffer.from('<opml/>'), { url: 'https://u:p@example.com/feed?key=abc&x=1' });
      throw new Error('expected an error');
    } catch (err) {
      expect((err as Error).message).toMatch(/^https:\/\/example\.com\/feed\?x=1: /);
    }
  });
});

describe('discoverFeedLinks', () => {
  it('finds RSS/Atom alternates first, resolved against <base>', () => {
    const html = `<html><head><base href="https://cdn.example.com/site/">
      <link rel="alternate" type="application/feed+json" href="feed.json">
      <link rel="alternate stylesheet" type="text/css" href="x.css">
      <link rel="Alternate" type="application/rss+xml" href="rss.xml">
      <link rel="alternate" type="text/html" hreflang="de" href="/de/"></head></html>`;
    expect(discoverFeedLinks(html, 'https://example.com/page')).toEqual(['https://cdn.example.com/site/rss.xml', 'https://cdn.example.com/site/feed.json']);
  });
});

describe('encodings', () => {
  const title = 'Привет, мир: ёжик в тумане';

  it.each([
    ['utf-16le', Buffer.from([0xff, 0xfe])],
    ['utf-16be', Buffer.from([0xfe, 0xff])],
    ['utf-8', Buffer.from([0xef, 0xbb, 0xbf])],
  ])('reads %s with a BOM', (encoding, bom) => {
    const body = Buffer.concat([bom, iconv.encode(`<?xml version="1.0" encoding="utf-16"?><rss><channel><item><guid>1</guid><title>${title}</title></item></channel></rss>`, encoding)]);
    expect(parse(body).items[0]?.title).toBe(title);
  });

  it('reads UTF-16LE without a BOM', () => {
    const body = iconv.encode(`<?xml version="1.0" encoding="utf-16"?><rss><channel><item><guid>1</guid><title>${title}</title></item></channel></rss>`, 'utf-16le');
    expect(parse(body).items[0]?.title).toBe(title);
  });

  it('prefers the BOM over the HTTP charset', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`<rss><channel><item><guid>1</guid><title>${title}</title></item></channel></rss>`)]);
    expect(parse(body, { contentType: 'text/xml; charset=windows-1251' }).items[0]?.title).toBe(title);
  });

  it('reads a quoted, spaced HTTP charset', () => {
    const body = iconv.encode(`<rss><channel><item><guid>1</guid><title>${title}</title></item></channel></rss>`, 'windows-1251');
    expect(decodeFeedBytes(body, 'text/xml; Charset = "Windows-1251"')).toMatchObject({ encoding: 'windows-1251', source: 'http' });
  });

  it('ignores an unknown charset and falls through', () => {
    const body = Buffer.from('<?xml version="1.0" encoding="utf-8"?><rss/>');
    expect(decodeFeedBytes(body, 'text/xml; charset=x-bogus')).toMatchObject({ encoding: 'utf-8', source: 'declaration' });
  });

  it.each([
    ['windows-1251', 'Москва — столица России, крупнейший город страны'],
    ['koi8-r', 'Москва - столица России, крупнейший город страны'],
    ['windows-1255', 'ירושלים היא בירת ישראל והעיר הגדולה במדינה'],
    ['shift_jis', '東京は日本の首都であり、最大の都市です'],
    ['windows-1252', 'Café crème brûlée à la française, naïve façade'],
  ])('guesses undeclared %s', (encoding, text) => {
    expect(guessLegacyEncoding(iconv.encode(`<rss><channel><title>${text}</title></channel></rss>`, encoding))).toBe(encoding);
  });
});

describe('robustness', () => {
  const sample = `<?xml version="1.0" encoding="utf-8"?><!DOCTYPE rss [<!ENTITY e "x">]>
    <rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>T &amp; t</title>
    <item><title><![CDATA[A <b>b</b>]]></title><link>/a?x=1&amp;y=2</link><guid>g&e;</guid>
    <content:encoded>&lt;p&gt;Hi&lt;/p&gt;</content:encoded><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>
    <item><title>Two</title></item></channel></rss>`;

  function outcome(body: Buffer): 'ok' | 'parse-error' {
    try {
      const feed = parseFeed(body, { url: URL_ });
      for (const it of feed.items) expect(it.sourceId).not.toBe('');
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(SourceError);
      expect((err as SourceError).kind).toBe('parse');
      return 'parse-error';
    }
  }

  it('survives truncation at every position', () => {
    const bytes = Buffer.from(sample);
    for (let cut = 0; cut <= bytes.length; cut++) outcome(bytes.subarray(0, cut));
  });

  it('survives arbitrary bytes and arbitrary edits (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        outcome(Buffer.from(bytes));
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.nat(sample.length), fc.nat(40), fc.string({ maxLength: 12 }), (at, remove, insert) => {
        outcome(Buffer.from(sample.slice(0, at) + insert + sample.slice(at + remove)));
      }),
      { numRuns: 300 },
    );
  });

  it('parses a large feed quickly', () => {
    const items = Array.from({ length: 2000 }, (_, i) => `<item><title>Item ${i} &amp; more</title><link>https://example.com/${i}</link><description>&lt;p&gt;Body ${i} ${'word '.repeat(50)}&lt;/p&gt;</description><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>`);
    const body = Buffer.from(`<rss><channel>${items.join('')}</channel></rss>`);
    const started = performance.now();
    const feed = parseFeed(body, { url: URL_ });
    const elapsed = performance.now() - started;
    expect(feed.items).toHaveLength(2000);
    expect(body.length).toBeGreaterThan(500_000);
    expect(elapsed).toBeLessThan(3000);
  });

  it('does not hang on deeply nested or unterminated constructs', () => {
    const nested = Buffer.from(`<rss><channel><item><guid>1</guid><description>${'<div>'.repeat(20_000)}deep</description></item></channel></rss>`);
    expect(parseFeed(nested, { url: URL_ }).items[0]?.text).toBe('deep');
    for (const tail of ['<![CDATA[', '<!--', '<?xml', '<!DOCTYPE x [', '<item attr="', '&#x', '&amp']) {
      outcome(Buffer.from(`<rss><channel><item><guid>1</guid><title>t${tail}`));
    }
  });
});
