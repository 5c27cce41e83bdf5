import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { SourceError, type PollResult, type SourceContext } from '../types.js';
import {
  hasRedditFixtures,
  REDDIT_FIXTURES,
  pageListing,
  readRedditFixture,
  redditListing,
  startRedditServer,
  type RedditFailure,
  type RedditServer,
  type RedditServerOptions,
} from '../../../test/helpers/reddit-server.js';
import { createRedditSource, redditSource, resetRedditTokenCache, type RedditConfig } from './index.js';
import { redditSettingsSchema } from './schema.js';
import { matchesSearch, parseSearch } from './search-words.js';
import { advance, isNewer, parseCursor } from './cursor.js';

const redditConfigSchema = redditSettingsSchema();

const T0 = new Date('2026-11-23T12:00:00.000Z');

interface Harness {
  server: RedditServer;
  clock: { now: Date };
  ctx(config: Record<string, unknown>, cursor?: string | null, env?: Record<string, string>): SourceContext<RedditConfig>;
}

let servers: RedditServer[] = [];

async function harness(options: RedditServerOptions = {}): Promise<Harness> {
  const server = await startRedditServer(options);
  servers.push(server);
  const clock = { now: T0 };
  return {
    server,
    clock,
    ctx(config, cursor = null, env = {}) {
      return {
        key: 'acme/reddit',
        brand: 'acme',
        config: redditConfigSchema.parse(config),
        cursor: { etag: null, lastModified: null, cursor },
        env: {
          REDDIT_CLIENT_ID: server.clientId,
          REDDIT_CLIENT_SECRET: server.clientSecret,
          REDDIT_USER_AGENT: 'linux:earshot-test:v0.1 (by /u/earshot)',
          REDDIT_API_URL: server.url,
          REDDIT_AUTH_URL: server.url,
          ...env,
        },
        log: silentLogger(),
        signal: new AbortController().signal,
        now: () => clock.now,
      };
    },
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

beforeEach(() => resetRedditTokenCache());
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

describe('reddit config schema', () => {
  it('defaults include_comments to false and strips r/ from subreddit names', () => {
    expect(redditConfigSchema.parse({ search: 'acme cloud', subreddits: ['r/devops', 'sysadmin'] })).toEqual({
      search: 'acme cloud',
      subreddits: ['devops', 'sysadmin'],
      include_comments: false,
    });
  });

  it.each([
    [{ search: 'acme', subredits: ['devops'] }, 'unrecognized'],
    [{ search: '' }, 'search must not be empty'],
    [{}, 'search'],
    [{ search: 'acme', subreddits: [] }, 'at least one name'],
    [{ search: 'acme', subreddits: ['dev ops'] }, 'without r/'],
    [{ search: 'acme', include_comments: 'yes' }, 'boolean'],
  ])('rejects %j', (input, message) => {
    const result = redditConfigSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(new RegExp(message, 'i'));
  });
});

describe('reddit search words (comment filter)', () => {
  it.each([
    ['acme', 'I love Acme!', true],
    ['acme', 'acmecloud is down', false],
    ['"acme cloud"', 'the Acme  Cloud console', true],
    ['"acme cloud"', 'acme the cloud', false],
    ['acme cloud', 'cloud by acme', true],
    ['acme -jobs', 'acme jobs page', false],
    ['acme NOT jobs', 'acme jobs page', false],
    ['acme NOT jobs', 'acme outage', true],
    ['acme OR contoso', 'contoso is great', true],
    ['(acme OR contoso) AND outage', 'contoso', false],
    ['title:acme outage', 'big outage', true],
    ['subreddit:devops', 'anything at all', true],
  ])('%s on %j -> %s', (search, text, expected) => {
    expect(matchesSearch(text, parseSearch(search))).toBe(expected);
  });
});

describe('reddit cursor', () => {
  it('treats the cursor second by name, not by id order', () => {
    const cursor = { name: 't3_5jo13y', created: 1482373050, same: ['t3_5jo13x'] };
    expect(isNewer({ name: 't3_5jo13x', created: 1482373050 }, cursor)).toBe(false);
    expect(isNewer({ name: 't3_5jo13y', created: 1482373050 }, cursor)).toBe(false);
    expect(isNewer({ name: 't3_5jo13a', created: 1482373050 }, cursor)).toBe(true);
    expect(isNewer({ name: 't3_zzzzzz', created: 1482373049 }, cursor)).toBe(false);
    expect(isNewer({ name: 't3_000000', created: 1482373051 }, cursor)).toBe(true);
    expect(advance(cursor, { name: 't3_5jo13a', created: 1482373050 })).toEqual({ ...cursor, same: ['t3_5jo13x', 't3_5jo13a'] });
    expect(advance(cursor, { name: 't3_5jo140', created: 1482373051 })).toEqual({ name: 't3_5jo140', created: 1482373051 });
    expect(advance(cursor, { name: 't3_5jo100', created: 1482373000 })).toBe(cursor);
    expect(parseCursor('not json')).toBeNull();
    expect(parseCursor('{"posts":{"name":"x","created":1}}')).toBeNull();
  });
});

describe.skipIf(!hasRedditFixtures)('local Reddit API paging matches the recordings', () => {
  const byNewest = (things: ReturnType<typeof redditListing>) =>
    [...things].sort((a, b) => b.data.created_utc - a.data.created_utc);

  it('`before` the newest recorded post yields exactly the recorded incremental page', () => {
    const corpus = byNewest([...redditListing('r_all_new__before_incremental.json'), ...redditListing('r_all_new__limit100.json')]);
    const page = pageListing(corpus, { limit: 100, before: 't3_5jo13y' });
    expect(page.children.map((c) => c.data.name)).toEqual(
      redditListing('r_all_new__before_incremental.json').map((c) => c.data.name),
    );
    expect(page.before).toBeNull();
  });

  it('`after` continues where the recorded page ended, and a first page matches the recording', () => {
    const recorded = redditListing('r_all_new__limit100.json');
    const corpus = byNewest([...recorded, ...redditListing('r_all_search__praw_oauth_search.json')]);
    const first = pageListing(corpus, { limit: 100 });
    expect(first.children.map((c) => c.data.name)).toEqual(recorded.map((c) => c.data.name));
    expect(first.after).toBe('t3_5jo10c'); // the recorded listing's `after`
    const second = pageListing(corpus, { limit: 100, after: first.after });
    expect(second.children).toHaveLength(6);
    expect(second.after).toBeNull();
  });

  it('`before` the newest comment is the recorded empty listing', () => {
    const recorded = JSON.parse(readRedditFixture('r_all_comments__before_empty.json')) as { data: { children: unknown[]; after: null; before: null } };
    const page = pageListing(byNewest(redditListing('r_all_comments__limit100.json')), { limit: 100, before: 't1_dbhn11d' });
    expect(page).toEqual({ children: recorded.data.children, after: recorded.data.after, before: recorded.data.before });
  });
});

describe.skipIf(!hasRedditFixtures)(`reddit source against a local Reddit API (fixtures: ${REDDIT_FIXTURES})`, () => {
  it('first poll: app-only token, one search page sorted by new, items mapped from the recorded listing', async () => {
    const h = await harness();
    const result = await redditSource.poll(h.ctx({ search: 'acme cloud' }));

    const [token] = h.server.tokenRequests();
    expect(token?.method).toBe('POST');
    expect(token?.headers.authorization).toBe('Basic ' + Buffer.from(`${h.server.clientId}:${h.server.clientSecret}`).toString('base64'));
    expect(token?.headers['user-agent']).toBe('linux:earshot-test:v0.1 (by /u/earshot)');
    expect(new URLSearchParams(token?.body).get('grant_type')).toBe('client_credentials');

    const api = h.server.apiRequests();
    expect(api).toHaveLength(1);
    expect(api[0]?.path).toBe('/r/all/search');
    expect(Object.fromEntries(api[0]!.query)).toEqual({ q: 'acme cloud', sort: 'new', type: 'link', raw_json: '1', limit: '100' });
    expect(api[0]?.headers['user-agent']).toBe('linux:earshot-test:v0.1 (by /u/earshot)');

    // The corpus holds 106 posts; the first poll takes the newest page only.
    expect(result.items).toHaveLength(100);
    expect(result.gaps).toBeUndefined();
    expect(result.items[0]).toEqual({
      sourceId: 't3_5jo13y',
      url: 'https://www.reddit.com/r/LeagueOfVideos/comments/5jo13y/farewell_rush_we_will_never_forget_your_stream/',
      author: 'AnotherProGamer',
      reach: 1,
      title: 'Farewell Rush - We will never forget your stream',
      text: '',
      published: '2016-12-22T02:17:30.000Z',
      kind: 'post',
      linkUrl: 'https://www.youtube.com/watch?v=w5aNSHEUfJE',
      metrics: { score: 1, comments: 0 },
    });
    const selfPost = result.items.find((i) => i.sourceId === 't3_5jo13x');
    expect(selfPost?.text).toBe(
      "Don't lowball me or you will be ignored, please state your adds don't just say adds, will respond with more than a Nty, thanks",
    );
    expect(selfPost?.linkUrl).toBeNull();
    expect(JSON.parse(result.cursor.cursor!)).toEqual({
      posts: { name: 't3_5jo13y', created: 1482373050, same: ['t3_5jo13x', 't3_5jo13w', 't3_5jo13v', 't3_5jo13u', 't3_5jo13t'] },
    });
    expect(result.rateLimit).toEqual({ remaining: 599, limit: 600, resetAt: '2026-11-23T12:08:45.000Z' });
    expect(result.minDelayMs).toBeUndefined();
  });

  it('restricts search to the subreddits and maps a recorded search result exactly', async () => {
    const h = await harness();
    const result = await redditSource.poll(h.ctx({ search: 'praw', subreddits: ['redditdev'] }));
    const api = h.server.apiRequests();
    expect(api[0]?.path).toBe('/r/redditdev/search');
    expect(api[0]?.query.get('restrict_sr')).toBe('1');
    expect(result.items.map((i) => i.sourceId)).toEqual(['t3_3x4kt2', 't3_3gpbiu', 't3_1qvzkd']);
    expect(result.items[0]).toEqual({
      sourceId: 't3_3x4kt2',
      url: 'https://www.reddit.com/r/redditdev/comments/3x4kt2/praw_is_there_an_easy_way_of_getting_a_list_of/',
      author: 'GrinningMouth38',
      reach: 2,
      title: '[PRAW] Is there an easy way of getting a list of the subreddits I am subscribed to, without using OAuth?',
      text: "As the title says. I have done a bit of looking around and I can't seem to find an easy way of doing this. I am simply looking to return a list of my own subscribed subs and then do a quick search through each of them.\n\nThanks",
      published: '2015-12-16T21:03:06.000Z',
      kind: 'post',
      linkUrl: null,
      metrics: { score: 2, comments: 5 },
    });
  });

  it('reads comments from the subreddits stream, keeps those matching the search words', async () => {
    const h = await harness();
    const result = await redditSource.poll(
      h.ctx({ search: 'Yen OR mechanic', subreddits: ['coins', 'AskReddit'], include_comments: true }),
    );
    const paths = h.server.apiRequests().map((r) => r.path);
    expect(paths).toEqual(['/r/coins+AskReddit/search', '/r/coins+AskReddit/comments']);
    const comments = result.items.filter((i) => i.kind === 'comment');
    expect(comments.map((c) => c.sourceId)).toEqual(['t1_dbhn11d', 't1_dbhn10z']);
    expect(comments[0]).toEqual({
      sourceId: 't1_dbhn11d',
      url: 'https://www.reddit.com/r/coins/comments/5jffj1/_/dbhn11d/',
      author: 'Mametaro',
      reach: 1,
      title: "What's this?",
      text:
        '1979 (Showa 54) 10 Yen (bronze) plain edge. 120,700,000 were minted that year. The back of the coin features the Phoenix Hall of Byodo-in Temple in Kyoto.\n\nIn case you want to know more: http://www.mint.go.jp/eng/kids-eng/eng_kids_circulating_c.html',
      published: '2016-12-22T02:17:20.000Z',
      kind: 'comment',
      linkUrl: 'http://i.imgur.com/hMfSaGu.jpg',
      metrics: { score: 1 },
    });
    // A comment on a self post links to its own thread, which ties nothing across sources.
    expect(comments[1]?.linkUrl).toBeNull();
    expect(comments[1]?.title).toBe('What would happen to the world if your profession suddenly disappeared one day?');
    // The comments cursor is the newest comment seen in the stream, matched or not.
    expect(JSON.parse(result.cursor.cursor!).comments).toEqual({ name: 't1_dbhn11d', created: 1482373040, same: ['t1_dbhn117'] });
  });

  it('across a restart, the persisted cursor fetches nothing old and picks up the new posts', async () => {
    const h = await harness();
    const first = await redditSource.poll(h.ctx({ search: 'acme' }));
    const persisted = first.cursor.cursor!;

    // New submissions arrive: the recorded `/r/all/new?before=t3_5jo13y` page.
    const incremental = redditListing('r_all_new__before_incremental.json');
    h.server.publish('post', incremental);
    resetRedditTokenCache();
    const restarted = createRedditSource();
    const second = await restarted.poll(h.ctx({ search: 'acme' }, persisted));
    expect(second.items.map((i) => i.sourceId)).toEqual(['t3_5jo144', 't3_5jo143', 't3_5jo141', 't3_5jo140']);
    expect(second.items[0]?.linkUrl).toBe(
      'http://www.independent.co.uk/news/science/dementia-alzheimers-parkinsons-disease-genetic-condition-ageing-a7489111.html',
    );
    expect(JSON.parse(second.cursor.cursor!).posts).toEqual({ name: 't3_5jo144', created: 1482373052, same: ['t3_5jo143'] });

    const third = await restarted.poll(h.ctx({ search: 'acme' }, second.cursor.cursor!));
    expect(third.items).toEqual([]);
    expect(third.cursor.cursor).toBe(second.cursor.cursor);

    // A post from the cursor's own second that reached the listing after the last poll.
    const late = { kind: 't3', data: { ...incremental[1]!.data, name: 't3_5jo142', id: '5jo142', title: 'Acme Cloud is down again' } };
    h.server.publish('post', [late]);
    const fourth = await restarted.poll(h.ctx({ search: 'acme' }, third.cursor.cursor!));
    expect(fourth.items.map((i) => [i.sourceId, i.title])).toEqual([['t3_5jo142', 'Acme Cloud is down again']]);
    const fifth = await restarted.poll(h.ctx({ search: 'acme' }, fourth.cursor.cursor!));
    expect(fifth.items).toEqual([]);
  });

  it('pages back with `after` until it reaches the cursor', async () => {
    const h = await harness({ pageSize: 10 });
    // The 36th newest post was the newest one seen last time.
    const sorted = await newestNames(h);
    const cursorName = sorted[35]!;
    const created = createdOf(cursorName);
    // As the earlier poll left it: the other names it saw in that second are listed after it.
    const same = sorted.slice(36).filter((name) => createdOf(name) === created);
    const result = await redditSource.poll(h.ctx({ search: 'acme' }, JSON.stringify({ posts: { name: cursorName, created, same } })));
    expect(result.items.map((i) => i.sourceId)).toEqual(sorted.slice(0, 35));
    const afters = h.server.apiRequests().map((r) => r.query.get('after'));
    expect(afters).toEqual([null, sorted[9], sorted[19], sorted[29]]);
    expect(result.gaps).toBeUndefined();
  });

  it('first poll takes the newest page only, even when more pages exist', async () => {
    const h = await harness({ pageSize: 10 });
    const result = await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(result.items).toHaveLength(10);
    expect(h.server.apiRequests()).toHaveLength(1);
  });

  it('stops at the page cap and reports the gap', async () => {
    const h = await harness({ pageSize: 10 });
    const sorted = await newestNames(h);
    const old = sorted[80]!;
    const result = await redditSource.poll(h.ctx({ search: 'acme' }, JSON.stringify({ posts: { name: old, created: createdOf(old) } })));
    expect(result.items.map((i) => i.sourceId)).toEqual(sorted.slice(0, 50));
    expect(result.gaps).toEqual(['reddit posts: page cap of 5 reached; older mentions since the last poll may be missing']);
    expect(JSON.parse(result.cursor.cursor!).posts.name).toBe(sorted[0]);
  });

  it('caches the token across polls and renews it shortly before expiry', async () => {
    const h = await harness({ tokenTtlSec: 600 });
    await redditSource.poll(h.ctx({ search: 'acme' }));
    await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(h.server.tokenRequests()).toHaveLength(1);
    h.clock.now = new Date(T0.getTime() + 530_000); // within the last minute of 10
    await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(h.server.tokenRequests()).toHaveLength(1);
    h.clock.now = new Date(T0.getTime() + 541_000);
    await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(h.server.tokenRequests()).toHaveLength(2);
  });

  it('asks concurrent polls of one app for one token', async () => {
    const h = await harness();
    await Promise.all([redditSource.poll(h.ctx({ search: 'a' })), redditSource.poll(h.ctx({ search: 'b' }))]);
    expect(h.server.tokenRequests()).toHaveLength(1);
  });

  it('on a 401 from the API, renews the token once and retries', async () => {
    const h = await harness();
    await redditSource.poll(h.ctx({ search: 'acme' }));
    h.server.revokeTokens();
    const result = await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(result.items).toHaveLength(100);
    expect(h.server.tokenRequests()).toHaveLength(2);
    expect(h.server.apiRequests().map((r) => r.status)).toEqual([200, 401, 200]);
  });

  it('a 401 that persists after renewal is an auth error naming the credentials', async () => {
    const h = await harness();
    h.server.failNext('api', 'expired_token', 2);
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' })));
    expect(err.kind).toBe('auth');
    expect(err.message).toBe(
      `reddit: HTTP 401 from ${h.server.url}/r/all/search?q=acme&sort=new&type=link&raw_json=1&limit=100 even with a fresh token: check REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET (a "script" or "web" app at https://www.reddit.com/prefs/apps)`,
    );
    expect(h.server.tokenRequests()).toHaveLength(2);
  });

  it('wrong client credentials: auth error from the token endpoint, the secret never shown', async () => {
    const h = await harness();
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' }, null, { REDDIT_CLIENT_SECRET: 'wrong-secret-value' })));
    expect(err.kind).toBe('auth');
    expect(err.message).toBe(
      `reddit: HTTP 401 from ${h.server.url}/api/v1/access_token: check REDDIT_CLIENT_ID / REDDIT_CLIENT_SECRET (a "script" or "web" app at https://www.reddit.com/prefs/apps)`,
    );
    expect(err.message).not.toContain('wrong-secret-value');
    expect(h.server.apiRequests()).toHaveLength(0);
  });

  it('missing credentials: a config error listing the variables, no request sent', async () => {
    const h = await harness();
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' }, null, { REDDIT_CLIENT_SECRET: '', REDDIT_USER_AGENT: '' })));
    expect(err.kind).toBe('config');
    expect(err.message).toMatch(/^reddit: REDDIT_CLIENT_SECRET, REDDIT_USER_AGENT not set/);
    expect(h.server.requests).toHaveLength(0);
    expect(redditSource.requiredEnv(redditConfigSchema.parse({ search: 'x' }))).toEqual([
      'REDDIT_CLIENT_ID',
      'REDDIT_CLIENT_SECRET',
      'REDDIT_USER_AGENT',
    ]);
  });

  it.each<[RedditFailure, string, RegExp]>([
    ['forbidden', 'auth', /^reddit: HTTP 403 from .*\/r\/all\/search.* \(Reddit says: Forbidden\): access denied .*check subreddits/],
    ['not_found', 'not_found', /^reddit: HTTP 404 from .*: no such subreddit or endpoint; check subreddits/],
    ['server', 'server', /^reddit: http:\/\/127\.0\.0\.1:\d+\/r\/all\/search\?.*: HTTP 500 Internal Server Error; Reddit is having trouble/],
    ['html', 'config', /^reddit: .*\/r\/all\/search\?.*: HTTP 400 Bad Request; check the source settings and REDDIT_API_URL \(an HTML error page, not Reddit JSON\)$/],
    ['html_200', 'parse', /^reddit: .* answered with an HTML page instead of JSON \(HTTP 200\)/],
    ['invalid_json', 'parse', /^reddit: invalid JSON from .*\/r\/all\/search/],
  ])('API failure %s -> %s', async (failure, kind, message) => {
    const h = await harness();
    h.server.failNext('api', failure);
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' })));
    expect(err.kind).toBe(kind);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(h.server.clientSecret);
  });

  it('token endpoint failures are classified too', async () => {
    const h = await harness();
    h.server.failNext('token', 'server');
    expect((await pollError(redditSource.poll(h.ctx({ search: 'acme' })))).kind).toBe('server');
    h.server.failNext('token', 'html_200');
    const html = await pollError(redditSource.poll(h.ctx({ search: 'acme' })));
    expect(html.kind).toBe('parse');
    expect(html.message).toContain('/api/v1/access_token answered with an HTML page instead of JSON (HTTP 200)');
    h.server.failNext('token', 'invalid_json');
    expect((await pollError(redditSource.poll(h.ctx({ search: 'acme' })))).kind).toBe('parse');
    h.server.failNext('token', 'rate_limit');
    expect((await pollError(redditSource.poll(h.ctx({ search: 'acme' })))).kind).toBe('rate_limit');
  });

  it('an unknown subreddit (Reddit redirects to subreddit search) is not_found', async () => {
    const h = await harness();
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme', subreddits: ['nosuchsubreddit42'] })));
    expect(err.kind).toBe('not_found');
    expect(err.message).toMatch(/^reddit: http:\/\/127\.0\.0\.1:\d+\/r\/nosuchsubreddit42\/search\?.* was redirected to the subreddit search: that subreddit does not exist; check subreddits/);
    expect(h.server.apiRequests().map((r) => [r.path, r.status])).toEqual([
      ['/r/nosuchsubreddit42/search', 302],
      ['/subreddits/search.json', 200],
    ]);
    const multi = await pollError(redditSource.poll(h.ctx({ search: 'acme', subreddits: ['redditdev', 'nosuchsubreddit42'] })));
    expect(multi.kind).toBe('not_found');
    expect(multi.message).toContain('HTTP 404 from');
    expect(multi.message).toContain('(Reddit says: Not Found)');
  });

  it('a hanging server is a timeout error', async () => {
    const h = await harness();
    h.server.failNext('api', 'hang');
    const started = Date.now();
    const err = await pollError(createRedditSource({ timeoutMs: 300 }).poll(h.ctx({ search: 'acme' })));
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/^reddit: http:\/\/127\.0\.0\.1:\d+\/r\/all\/search\?.*no complete response within 0\.3 s/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a closed port is a network error, an aborted poll says earshot is stopping', async () => {
    const h = await harness();
    const closed = await startRedditServer();
    await closed.close();
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' }, null, { REDDIT_AUTH_URL: closed.url, REDDIT_API_URL: closed.url })));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/^reddit: http:\/\/127\.0\.0\.1:\d+\/api\/v1\/access_token: connection refused/);

    h.server.failNext('api', 'hang');
    const stop = new AbortController();
    const poll = redditSource.poll({ ...h.ctx({ search: 'acme' }), signal: stop.signal });
    setTimeout(() => stop.abort(), 100);
    const aborted = await pollError(poll);
    expect(aborted.kind).toBe('network');
    expect(aborted.message).toMatch(/^reddit: .*\/r\/all\/search.*: the request was aborted \(earshot is stopping\)$/);
  });

  it('429: rate_limit error that waits for x-ratelimit-reset', async () => {
    const h = await harness({ resetSec: 42 });
    h.server.failNext('api', 'rate_limit');
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' })));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBe(42_000);
    expect(err.message).toMatch(/^reddit: HTTP 429 from .*: rate limit reached .* waiting 42 s/);
  });

  it('a spent budget makes the server answer 429 by itself', async () => {
    const h = await harness({ rateLimit: 100, resetSec: 30 });
    h.server.setBudget({ used: 100 });
    const err = await pollError(redditSource.poll(h.ctx({ search: 'acme' })));
    expect(err.kind).toBe('rate_limit');
    expect(err.retryAfterMs).toBe(30_000);
  });

  it('when the budget runs low, asks the scheduler to wait for the reset instead of failing', async () => {
    const h = await harness({ rateLimit: 100, resetSec: 50 });
    h.server.setBudget({ used: 91 });
    const result = await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(result.items).toHaveLength(100);
    expect(result.rateLimit).toEqual({ remaining: 8, limit: 100, resetAt: '2026-11-23T12:00:50.000Z' });
    expect(result.minDelayMs).toBe(50_000);

    h.server.setBudget({ used: 10 });
    const relaxed = await redditSource.poll(h.ctx({ search: 'acme' }));
    expect(relaxed.rateLimit?.remaining).toBe(89);
    expect(relaxed.minDelayMs).toBeUndefined();
  });

  it('stops paging when the budget is all but spent, and says so', async () => {
    const h = await harness({ pageSize: 10, rateLimit: 100, resetSec: 20 });
    const sorted = await newestNames(h);
    h.server.setBudget({ used: 96 });
    const old = sorted[80]!;
    const result = await redditSource.poll(h.ctx({ search: 'acme' }, JSON.stringify({ posts: { name: old, created: createdOf(old) } })));
    expect(result.items.map((i) => i.sourceId)).toEqual(sorted.slice(0, 20));
    expect(result.gaps).toEqual(['reddit posts: rate-limit budget spent after 2 pages; older mentions since the last poll may be missing']);
    expect(result.minDelayMs).toBe(20_000);
  });
});

/** The server's post order, read through the API itself (one token, pages of the server's size). */
async function newestNames(h: Harness): Promise<string[]> {
  const names: string[] = [];
  let after: string | null = null;
  const tokenRes = await fetch(`${h.server.url}/api/v1/access_token`, {
    method: 'POST',
    headers: {
      authorization: 'Basic ' + Buffer.from(`${h.server.clientId}:${h.server.clientSecret}`).toString('base64'),
      'user-agent': 'test',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  for (;;) {
    const url = `${h.server.url}/r/all/new?limit=100&raw_json=1${after ? `&after=${after}` : ''}`;
    const res = await fetch(url, { headers: { authorization: `bearer ${access_token}` } });
    const body = (await res.json()) as { data: { children: { data: { name: string; created_utc: number } }[]; after: string | null } };
    for (const child of body.data.children) {
      names.push(child.data.name);
      createdByName.set(child.data.name, child.data.created_utc);
    }
    if (!body.data.after) break;
    after = body.data.after;
  }
  // Helper traffic must not count in the assertions of the test.
  h.server.requests.length = 0;
  h.server.setBudget({ used: 0 });
  return names;
}

const createdByName = new Map<string, number>();
function createdOf(name: string): number {
  const created = createdByName.get(name);
  if (created === undefined) throw new Error(`unknown post ${name}`);
  return created;
}
