import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { SourceError, type PollResult, type SourceContext } from '../types.js';
import {
  capturedCommentHits,
  hasHnFixtures,
  HN_FIXTURES,
  startHnServer,
  type HnFailure,
  type HnHit,
  type HnServer,
  type HnServerOptions,
} from '../../../test/helpers/hn-server.js';
import { createHackernewsSource, formatHnCursor, hackernewsSource, parseHnCursor, type HackernewsConfig } from './index.js';
import { hackernewsSettingsSchema } from './schema.js';

const hackernewsConfigSchema = hackernewsSettingsSchema();

const T0 = new Date('2026-11-23T12:00:00.000Z');
let servers: HnServer[] = [];

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(options: HnServerOptions = {}): Promise<HnServer> {
  const server = await startHnServer(options);
  servers.push(server);
  return server;
}

function ctx(server: HnServer, config: Record<string, unknown>, cursor: string | null = null): SourceContext<HackernewsConfig> {
  return {
    key: 'acme/hackernews',
    brand: 'acme',
    config: hackernewsConfigSchema.parse(config),
    cursor: { etag: null, lastModified: null, cursor },
    env: { HN_API_URL: server.url },
    log: silentLogger(),
    signal: new AbortController().signal,
    now: () => T0,
  };
}

async function pollError(promise: Promise<PollResult>): Promise<SourceError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

/** A hit as HN Search returns a new story: what "arrives" between two polls. */
function newStory(objectID: string, createdAtI: number, title: string, url: string): HnHit {
  return {
    created_at: new Date(createdAtI * 1000).toISOString(),
    title,
    url,
    author: 'newposter',
    points: 1,
    story_text: null,
    comment_text: null,
    num_comments: 0,
    story_id: null,
    story_title: null,
    story_url: null,
    parent_id: null,
    created_at_i: createdAtI,
    _tags: ['story', 'author_newposter', `story_${objectID}`],
    objectID,
  };
}

describe('hackernews config schema', () => {
  it('defaults tags to stories and comments', () => {
    expect(hackernewsConfigSchema.parse({ query: 'acme cloud' })).toEqual({ query: 'acme cloud', tags: ['story', 'comment'] });
  });

  it.each([
    [{ query: 'acme', tag: ['story'] }, 'unrecognized'],
    [{ query: ' ' }, 'query must not be empty'],
    [{}, 'query'],
    [{ query: 'acme', tags: ['stories'] }, 'a tag is one of story, comment'],
    [{ query: 'acme', tags: [] }, 'at least one'],
  ])('rejects %j', (input, message) => {
    const result = hackernewsConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(new RegExp(message, 'i'));
  });

  it('cursor text round-trips and rejects garbage', () => {
    expect(parseHnCursor('1486212445:13566801,1')).toEqual({ at: 1486212445, ids: ['13566801', '1'] });
    expect(formatHnCursor({ at: 5, ids: ['2', '10'] })).toBe('5:10,2');
    expect(parseHnCursor('1486212445')).toEqual({ at: 1486212445, ids: [] });
    expect(parseHnCursor('{"posts":1}')).toBeNull();
  });
});

describe.skipIf(!hasHnFixtures)(`hackernews source against a local HN Search API (fixtures: ${HN_FIXTURES})`, () => {
  it('first poll: newest page of search_by_date, stories and comments mapped from the captures', async () => {
    const server = await start();
    const result = await hackernewsSource.poll(ctx(server, { query: 'acme cloud' }));

    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.path).toBe('/api/v1/search_by_date');
    expect(Object.fromEntries(server.requests[0]!.query)).toEqual({
      query: 'acme cloud',
      tags: '(story,comment)',
      hitsPerPage: '100',
      page: '0',
    });

    // 4 captured stories + 104 captured comments: the first poll takes the newest 100 only.
    expect(result.items).toHaveLength(100);
    expect(result.gaps).toBeUndefined();
    expect(result.items[0]).toEqual({
      sourceId: '13566801',
      url: 'https://news.ycombinator.com/item?id=13566801',
      author: 'turrini',
      reach: 58,
      title: 'Why aren’t we using SSH for everything? (2015)',
      text: '',
      published: '2017-02-04T12:47:25.000Z',
      kind: 'story',
      linkUrl: 'https://medium.com/@shazow/ssh-how-does-it-even-9e43586e4ffc#.neyhpij1r',
      metrics: { points: 58, comments: 9 },
    });
    const comment = result.items.find((i) => i.sourceId === '8852540');
    expect(comment).toEqual({
      sourceId: '8852540',
      url: 'https://news.ycombinator.com/item?id=8852540',
      author: 'jamiesonbecker',
      reach: null,
      title: 'Why aren’t we using SSH for everything?',
      text: "I have to agree that VPN's are usually a bit too much; generally speaking, VPN's are a chainsaw when a scalpel is more appropriate!",
      published: '2015-01-07T19:07:27.000Z',
      kind: 'comment',
      linkUrl: 'https://medium.com/@shazow/ssh-how-does-it-even-9e43586e4ffc',
      metrics: {},
    });
    // The story a comment belongs to and the story hit itself share linkUrl: one story across items.
    const story = (await hackernewsSource.poll(ctx(server, { query: 'x', tags: ['story'] }))).items.find((i) => i.sourceId === '8828543');
    expect(story?.linkUrl).toBe(comment?.linkUrl);
    expect(result.cursor.cursor).toBe('1486212445:13566801');
  });

  it('maps comment HTML (links, entities, paragraphs) to plain text', async () => {
    const server = await start();
    const result = await hackernewsSource.poll(ctx(server, { query: 'ssh', tags: ['comment'] }, '1'));
    expect(server.requests[0]?.query.get('tags')).toBe('comment');
    expect(result.items.every((i) => i.kind === 'comment')).toBe(true);
    expect(result.items).toHaveLength(capturedCommentHits().length);
    const mosh = result.items.find((i) => i.sourceId === '8829186');
    expect(mosh?.text).toBe(
      'Somewhat relevant: I think Mosh solves a few problems that SSH lacks. This article: https://news.ycombinator.com/item?id=8252093 made it on Hacker News a bit ago. The video is wort the watch imo.',
    );
    const quoted = result.items.find((i) => i.sourceId === '8830466');
    expect(quoted?.text).toBe(
      'If you rephrase this question like this, the answer is evident:\n\n"Why aren\'t we using a protocol designed to add encryption to pseudo-devices emulating a real text terminal device [1] for everything?"\n\n1: http://en.wikipedia.org/wiki/Pseudo_terminal',
    );
  });

  it('across a restart, the persisted cursor fetches nothing old and picks up new hits, same second included', async () => {
    const server = await start();
    const first = await hackernewsSource.poll(ctx(server, { query: 'acme' }));
    const persisted = first.cursor.cursor!;

    const restarted = createHackernewsSource();
    const quiet = await restarted.poll(ctx(server, { query: 'acme' }, persisted));
    expect(quiet.items).toEqual([]);
    expect(server.requests[1]?.query.get('numericFilters')).toBe('created_at_i>=1486212445');
    expect(quiet.cursor.cursor).toBe(persisted);

    server.publish([
      newStory('13566802', 1486212445, 'Acme Cloud launches SSH for everything', 'https://acme.example/blog/ssh'),
      newStory('13570000', 1486300000, 'Acme Cloud outage', 'https://acme.example/status'),
    ]);
    const second = await createHackernewsSource().poll(ctx(server, { query: 'acme' }, persisted));
    expect(second.items.map((i) => i.sourceId)).toEqual(['13570000', '13566802']);
    expect(second.items[0]?.linkUrl).toBe('https://acme.example/status');
    expect(second.cursor.cursor).toBe('1486300000:13570000');

    const third = await createHackernewsSource().poll(ctx(server, { query: 'acme' }, second.cursor.cursor!));
    expect(third.items).toEqual([]);
  });

  it('pages with `page` until the last page when the cursor is far behind', async () => {
    const server = await start();
    const result = await hackernewsSource.poll(ctx(server, { query: 'acme' }, '1420000000'));
    expect(server.requests.map((r) => r.query.get('page'))).toEqual(['0', '1']);
    expect(result.items).toHaveLength(108);
    expect(new Set(result.items.map((i) => i.sourceId)).size).toBe(108);
    expect(result.items.map((i) => i.sourceId)).toEqual(server.corpus().map((h) => h.objectID));
    expect(result.gaps).toBeUndefined();
  });

  it('first poll takes the newest page only, even when more pages exist', async () => {
    const server = await start({ maxHitsPerPage: 10 });
    const result = await hackernewsSource.poll(ctx(server, { query: 'acme' }));
    expect(result.items).toHaveLength(10);
    expect(server.requests).toHaveLength(1);
  });

  it('stops at the page cap and reports the gap', async () => {
    const server = await start({ maxHitsPerPage: 10 });
    const result = await hackernewsSource.poll(ctx(server, { query: 'acme' }, '1420000000'));
    expect(server.requests.map((r) => r.query.get('page'))).toEqual(['0', '1', '2', '3', '4']);
    expect(result.items.map((i) => i.sourceId)).toEqual(server.corpus().slice(0, 50).map((h) => h.objectID));
    expect(result.gaps).toEqual(['hackernews: page cap of 5 reached; older mentions since the last poll may be missing']);
    expect(result.cursor.cursor).toBe('1486212445:13566801');
  });

  it('an unreadable cursor starts over from the newest page', async () => {
    const server = await start();
    const result = await hackernewsSource.poll(ctx(server, { query: 'acme' }, 'garbage'));
    expect(server.requests[0]?.query.get('numericFilters')).toBeNull();
    expect(result.items).toHaveLength(100);
  });

  it.each<[HnFailure, string, RegExp]>([
    ['forbidden', 'auth', /^hackernews: HTTP 403 from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/search_by_date\?query=acme.*: the HN Search API refused the request .*; check HN_API_URL$/],
    ['not_found', 'not_found', /^hackernews: HTTP 404 from .*: no search endpoint there; check HN_API_URL/],
    ['server', 'server', /^hackernews: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/search_by_date\?.*: HTTP 500 Internal Server Error; the HN Search API is having trouble; retried with backoff$/],
    ['html', 'server', /^hackernews: .*: HTTP 502 Bad Gateway; the HN Search API is having trouble; retried with backoff \(an HTML error page, not the API\)$/],
    ['html_200', 'parse', /^hackernews: .* answered with an HTML page instead of JSON \(HTTP 200\); check HN_API_URL$/],
    ['invalid_json', 'parse', /^hackernews: invalid JSON from http:\/\/127\.0\.0\.1:\d+\/api\/v1\/search_by_date/],
  ])('failure %s -> %s', async (failure, kind, message) => {
    const server = await start();
    server.failNext(failure);
    const err = await pollError(hackernewsSource.poll(ctx(server, { query: 'acme' })));
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
  });

  it('429: rate_limit error that waits for Retry-After', async () => {
    const server = await start({ retryAfterSec: 90 });
    server.failNext('rate_limit');
    const err = await pollError(hackernewsSource.poll(ctx(server, { query: 'acme' })));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBe(90_000);
    expect(err.message).toMatch(/^hackernews: HTTP 429 from .*: rate limit reached .*; waiting 90 s$/);
  });

  it('a failure on a later page fails the whole poll, so the cursor never skips unseen hits', async () => {
    const server = await start({ maxHitsPerPage: 10 });
    server.failAt(2, 'server');
    const err = await pollError(hackernewsSource.poll(ctx(server, { query: 'acme' }, '1420000000')));
    expect(err.kind).toBe('server');
    expect(server.requests.map((r) => r.query.get('page'))).toEqual(['0', '1', '2']);
  });

  it('a hanging server is a timeout error', async () => {
    const server = await start();
    server.failNext('hang');
    const started = Date.now();
    const err = await pollError(createHackernewsSource({ timeoutMs: 300 }).poll(ctx(server, { query: 'acme' })));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/^hackernews: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/search_by_date\?.*no complete response within 0\.3 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a closed port is a network error naming the source', async () => {
    const server = await start();
    const url = server.url;
    await server.close();
    servers = [];
    const err = await pollError(hackernewsSource.poll({ ...ctx(server, { query: 'acme' }), env: { HN_API_URL: url } }));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/^hackernews: .*connection refused/);
  });
});
