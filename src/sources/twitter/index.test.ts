import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { SourceError, type PollCursor, type PollResult, type SourceContext } from '../types.js';
import {
  hasTwitterFixtures,
  loadTwitterFixture,
  startTwitterServer,
  twitterFixturesDir,
  type TwitterDataset,
  type TwitterServer,
  type TwitterServerOptions,
} from '../../../test/helpers/twitter-server.js';
import { createTwitterSource, twitterConfigSchema, type TwitterConfig } from './index.js';

const TOKEN = 'AAAA-test-bearer-token-0123456789';

let server: TwitterServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Partial<TwitterServerOptions> & { dataset: TwitterDataset }): Promise<TwitterServer> {
  server = await startTwitterServer({ token: TOKEN, ...options });
  return server;
}

function context(
  srv: { url: string },
  cursor: string | null = null,
  overrides: Partial<SourceContext<TwitterConfig>> = {},
): SourceContext<TwitterConfig> {
  const pollCursor: PollCursor = { etag: null, lastModified: null, cursor };
  return {
    key: 'acme/twitter',
    brand: 'acme',
    config: { query: '"acme cloud" -is:retweet' },
    cursor: pollCursor,
    env: { TWITTER_BEARER_TOKEN: TOKEN, TWITTER_API_URL: srv.url },
    log: silentLogger(),
    signal: new AbortController().signal,
    now: () => new Date(),
    ...overrides,
  };
}

async function pollError(promise: Promise<PollResult>): Promise<SourceError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

/** Adds follower counts in the documented `user.fields=public_metrics` shape (the captured users lack them). */
function withFollowers(dataset: TwitterDataset, followers: Record<string, number>): TwitterDataset {
  return {
    tweets: dataset.tweets,
    users: dataset.users.map((u) => {
      const count = followers[u.username as string];
      return count === undefined
        ? u
        : { ...u, public_metrics: { followers_count: count, following_count: 10, tweet_count: 100, listed_count: 1 } };
    }),
  };
}

describe('twitter config schema', () => {
  it('accepts a query and rejects unknown keys or an empty query', () => {
    expect(twitterConfigSchema.parse({ query: ' acme ' })).toEqual({ query: 'acme' });
    expect(twitterConfigSchema.safeParse({ query: 'acme', search: 'x' }).success).toBe(false);
    const empty = twitterConfigSchema.safeParse({ query: '  ' });
    expect(empty.success).toBe(false);
    expect(empty.error?.issues[0]?.message).toMatch(/query must not be empty/);
    expect(twitterConfigSchema.safeParse({}).error?.issues[0]?.message).toMatch(/query is required/);
  });

  it('needs TWITTER_BEARER_TOKEN', () => {
    expect(createTwitterSource().requiredEnv({ query: 'x' })).toEqual(['TWITTER_BEARER_TOKEN']);
  });
});

describe.skipIf(!hasTwitterFixtures)(`twitter source against a local X API (${twitterFixturesDir})`, () => {
  it('polls many times without piling listeners on a connection (no leak in a long-running daemon)', async () => {
    const srv = await start({ dataset: loadTwitterFixture('v2_search_all__conversation_id__with_includes_users') });
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      for (let i = 0; i < 15; i++) await createTwitterSource().poll(context(srv));
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });

  it('maps a first poll from the captured search payload, reach from includes.users', async () => {
    const dataset = withFollowers(loadTwitterFixture('v2_search_all__conversation_id__with_includes_users'), {
      happycamper: 1520,
      snowman: 7311,
    });
    const srv = await start({ dataset });
    const result = await createTwitterSource().poll(context(srv));

    expect(result.items.map((i) => i.sourceId)).toEqual([
      '1276035977375477760',
      '1275882613572583424',
      '1275763727908798470',
      '1275653067283759104',
    ]);
    expect(result.items[0]).toEqual({
      sourceId: '1276035977375477760',
      url: 'https://x.com/happycamper/status/1276035977375477760',
      author: 'happycamper',
      reach: 1520,
      title: '',
      text: '@snowman Ooo, thanks error message, public_metircs are not the metrics you’re looking for https://twitter.com/happycamper/status/1276035977375477760/photo/1',
      published: '2020-06-25T06:14:19.000Z',
      language: 'en',
      kind: 'reply',
      linkUrl: null,
      metrics: {},
    });
    const jelly = result.items[2]!;
    expect(jelly.author).toBe('jellybeanjones');
    expect(jelly.reach).toBeNull(); // no follower count given for this author
    expect(jelly.language).toBeNull(); // lang "und"
    expect(result.items[1]!.reach).toBe(7311);
    expect(result.cursor).toEqual({ cursor: '1276035977375477760' });
    expect(result.gaps).toBeUndefined();
    expect(result.rateLimit).toMatchObject({ limit: 450, remaining: 449 });

    const [request] = srv.searches();
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['user-agent']).toMatch(/^earshot\//);
    expect(request?.query).toMatchObject({
      query: '"acme cloud" -is:retweet',
      max_results: '100',
      expansions: 'author_id',
      'user.fields': 'public_metrics,username,name',
    });
    expect(request?.query['tweet.fields']?.split(',')).toEqual(
      expect.arrayContaining(['created_at', 'public_metrics', 'lang', 'entities', 'conversation_id']),
    );
    expect(request?.query.since_id).toBeUndefined();
  });

  it('decodes entities, marks reposts, takes metrics and falls back to the id for the time', async () => {
    const nyc = loadTwitterFixture('v2_search_recent__nyc__meta_next_token');
    const sync = loadTwitterFixture('v2_search_recent__query_Tweepy__sync');
    const metrics = loadTwitterFixture('v2_users_mentions__public_metrics');
    const srv = await start({ dataset: { tweets: [...nyc.tweets, ...sync.tweets, ...metrics.tweets], users: [] } });
    const source = createTwitterSource();
    const byId = new Map<string, PollResult['items'][number]>();
    // One first poll (newest page) and one follow-up from the oldest id, to see all 30.
    for (const item of (await source.poll(context(srv))).items) byId.set(item.sourceId, item);
    for (const item of (await source.poll(context(srv, '1'))).items) byId.set(item.sourceId, item);

    const camp = byId.get('1275840891014561796')!;
    expect(camp.text).toContain('(not a worry in this setting) & kids from MD');
    expect(camp.text).not.toContain('&amp;');
    expect(camp.kind).toBe('post');
    expect(camp.url).toBe('https://x.com/i/web/status/1275840891014561796'); // author not expanded
    expect(byId.get('1275840892285399041')!.kind).toBe('repost');
    // The captured text is the time the test tweet was posted; the id encodes the same instant.
    const timed = byId.get('1578516068309794817')!;
    expect(timed.text).toBe('2022-10-07 22:42:12.637103 tweepy');
    expect(timed.published).toMatch(/^2022-10-07T22:42:12\./);
    expect(byId.get('1364377404156772352')!.metrics).toEqual({ likes: 0, reposts: 0, replies: 1, quotes: 0 });
  });

  it('first poll takes the newest page only', async () => {
    const tweets = [
      ...loadTwitterFixture('v2_search_recent__query_Tweepy__sync').tweets,
      ...loadTwitterFixture('v2_search_recent__query_Tweepy__async').tweets,
      ...loadTwitterFixture('v2_search_recent__nyc__meta_next_token').tweets,
    ];
    const srv = await start({ dataset: { tweets, users: [] }, pageSize: 10 });
    const result = await createTwitterSource().poll(context(srv));
    expect(srv.searches()).toHaveLength(1);
    expect(result.items).toHaveLength(10);
    expect(result.cursor).toEqual({ cursor: '1578522194770296832' }); // newest of the async capture
    expect(result.gaps).toBeUndefined();
  });

  it('pages with next_token down to the cursor, and resumes after a restart without repeats', async () => {
    const older = loadTwitterFixture('v2_search_recent__nyc__meta_next_token');
    const srv = await start({ dataset: older, pageSize: 10 });
    const first = await createTwitterSource().poll(context(srv));
    expect(first.items).toHaveLength(10);
    const saved = first.cursor.cursor!;
    expect(saved).toBe('1275840892285399041');

    // 20 newer tweets arrive; a new process (fresh plugin) resumes from the persisted cursor only.
    srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__sync'));
    srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__async'));
    const second = await createTwitterSource().poll(context(srv, saved));
    const searches = srv.searches().slice(1);
    expect(searches).toHaveLength(2);
    expect(searches.every((r) => r.query.since_id === saved)).toBe(true);
    expect(searches[0]?.query.next_token).toBeUndefined();
    expect(searches[1]?.query.next_token).toEqual(expect.any(String));
    expect(second.items).toHaveLength(20);
    expect(second.items.some((i) => older.tweets.some((t) => t.id === i.sourceId))).toBe(false);
    expect(second.cursor).toEqual({ cursor: '1578522194770296832' });
    expect(second.gaps).toBeUndefined();

    const third = await createTwitterSource().poll(context(srv, second.cursor.cursor!));
    expect(third.items).toEqual([]);
    expect(third.cursor).toEqual({});
  });

  it('reports a gap when the page cap stops paging', async () => {
    const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__nyc__meta_next_token'), pageSize: 10 });
    srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__sync'));
    srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__async'));
    const result = await createTwitterSource({ maxPages: 1 }).poll(context(srv, '1275840892285399041'));
    expect(result.items).toHaveLength(10);
    expect(result.cursor).toEqual({ cursor: '1578522194770296832' });
    expect(result.gaps).toEqual([expect.stringMatching(/page cap of 1 page.*older tweets since the last poll were skipped/)]);
  });

  it('drops a cursor older than the recent-search window and says so', async () => {
    const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__query_Tweepy__sync'), oldestSinceId: '1500000000000000000', pageSize: 5 });
    const result = await createTwitterSource().poll(context(srv, '1275840892285399041'));
    expect(result.items).toHaveLength(5); // the newest page only, like a first poll
    expect(srv.searches().map((r) => r.query.since_id)).toEqual(['1275840892285399041', undefined]);
    expect(result.gaps).toEqual([expect.stringMatching(/older than X's 7-day recent-search window/)]);
    expect(result.cursor).toEqual({ cursor: '1578516068309794817' });
  });

  describe('rate limits', () => {
    it('reports the budget and asks to wait for the reset when it runs low', async () => {
      const resetAt = new Date(Date.now() + 600_000);
      const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__query_Tweepy__sync') });
      srv.setRateLimit({ limit: 450, remaining: 4, resetAt });
      const result = await createTwitterSource().poll(context(srv));
      expect(result.rateLimit).toEqual({ limit: 450, remaining: 3, resetAt: new Date(Math.floor(resetAt.getTime() / 1000) * 1000).toISOString() });
      expect(result.minDelayMs).toBeGreaterThan(590_000);
      expect(result.minDelayMs).toBeLessThanOrEqual(600_000);
    });

    it('does not slow down while the budget is ample', async () => {
      const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__query_Tweepy__sync') });
      const result = await createTwitterSource().poll(context(srv));
      expect(result.rateLimit?.remaining).toBe(449);
      expect(result.minDelayMs).toBeUndefined();
    });

    it('turns a 429 into rate_limit with retryAfterMs until x-rate-limit-reset', async () => {
      const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__query_Tweepy__sync') });
      srv.setRateLimit({ limit: 450, remaining: 0, resetAt: new Date(Date.now() + 120_000) });
      const err = await pollError(createTwitterSource().poll(context(srv)));
      expect(err.kind).toBe('rate_limit');
      expect(err.retryAfterMs).toBeGreaterThan(115_000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(120_000);
      expect(err.message).toMatch(/^Twitter\/X: HTTP 429 on search\/recent — rate limit used up; waiting until .*x-rate-limit-reset/);
    });

    it('keeps the pages it got when a later page hits the limit, and reports the gap', async () => {
      const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__nyc__meta_next_token'), pageSize: 10 });
      srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__sync'));
      srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__async'));
      const reset = Math.floor(Date.now() / 1000) + 300;
      srv.failNext(
        { kind: 'status', status: 429, body: '{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}', headers: { 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) } },
        1,
        (r) => 'next_token' in r.query,
      );
      const result = await createTwitterSource().poll(context(srv, '1275840892285399041'));
      expect(result.items).toHaveLength(10);
      expect(result.cursor).toEqual({ cursor: '1578522194770296832' });
      expect(result.gaps).toEqual([expect.stringMatching(/rate limit reached after 1 page/)]);
      expect(result.minDelayMs).toBeGreaterThan(290_000);
    });

    it('stops paging when the window has no requests left', async () => {
      const srv = await start({ dataset: loadTwitterFixture('v2_search_recent__nyc__meta_next_token'), pageSize: 10 });
      srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__sync'));
      srv.addTweets(loadTwitterFixture('v2_search_recent__query_Tweepy__async'));
      srv.setRateLimit({ limit: 450, remaining: 1, resetAt: new Date(Date.now() + 60_000) });
      const result = await createTwitterSource().poll(context(srv, '1275840892285399041'));
      expect(srv.searches()).toHaveLength(1);
      expect(result.gaps).toEqual([expect.stringMatching(/rate-limit budget used up after 1 page/)]);
      expect(result.minDelayMs).toBeGreaterThan(50_000);
    });
  });

  describe('errors', () => {
    const dataset = (): TwitterDataset => loadTwitterFixture('v2_search_recent__query_Tweepy__sync');

    it('401: a rejected token is an auth error that says the source is paused', async () => {
      const srv = await start({ dataset: dataset(), token: 'the-right-token-xyz' });
      const err = await pollError(createTwitterSource().poll(context(srv)));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/^Twitter\/X: HTTP 401 on search\/recent — TWITTER_BEARER_TOKEN was rejected/);
      expect(err.message).toContain('the source is paused until TWITTER_BEARER_TOKEN or the config changes');
      expect(err.message).not.toContain(TOKEN);
    });

    it('403: a plan without search access is an auth error in plain words', async () => {
      const srv = await start({ dataset: dataset(), searchAccess: false });
      const err = await pollError(createTwitterSource().poll(context(srv)));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/^Twitter\/X: HTTP 403 on search\/recent — your API plan has no search access or the token is invalid/);
      expect(err.message).toContain('client-not-enrolled');
      expect(err.message).toContain('the source is paused until TWITTER_BEARER_TOKEN or the config changes');
      expect(err.message).not.toContain(TOKEN);
    });

    it('404: a wrong TWITTER_API_URL is not_found and names the variable', async () => {
      const srv = await start({ dataset: dataset() });
      const err = await pollError(createTwitterSource().poll(context(srv, null, { env: { TWITTER_BEARER_TOKEN: TOKEN, TWITTER_API_URL: `${srv.url}/wrong-prefix` } })));
      expect(err.kind).toBe('not_found');
      expect(err.message).toContain('check TWITTER_API_URL');
      expect(srv.requests[0]?.path).toBe('/wrong-prefix/2/tweets/search/recent');
    });

    it('400: a query X rejects is a config error quoting X', async () => {
      const srv = await start({ dataset: dataset() });
      srv.failNext({ kind: 'status', status: 400, body: JSON.stringify({ errors: [{ message: 'There were errors processing your request: Ambiguous use of and as a keyword (at position 7)' }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' }) });
      const err = await pollError(createTwitterSource().poll(context(srv)));
      expect(err.kind).toBe('config');
      expect(err.message).toContain('Invalid Request');
      expect(err.message).toContain('check `query`');
    });

    it.each([
      [{ kind: 'status', status: 500 } as const, 'server', /HTTP 500 on search\/recent — X is having trouble/],
      [{ kind: 'status', status: 503 } as const, 'server', /HTTP 503/],
      [{ kind: 'html', status: 502 } as const, 'server', /HTTP 502 .*an HTML error page/],
      [{ kind: 'status', status: 200, body: '<!DOCTYPE html><html><body>Sign in to the Wi-Fi</body></html>', contentType: 'text/html' } as const, 'parse', /answered HTTP 200 with an HTML page instead of JSON/],
      [{ kind: 'invalid-json' } as const, 'parse', /not valid JSON/],
      [{ kind: 'status', status: 200, body: '{"data": 5}' } as const, 'parse', /unexpected shape/],
    ])('%o -> %s', async (failure, kind, message) => {
      const srv = await start({ dataset: dataset() });
      srv.failNext(failure);
      const err = await pollError(createTwitterSource().poll(context(srv)));
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(/^Twitter\/X: /);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(TOKEN);
    });

    it('a server that never answers is a timeout', async () => {
      const srv = await start({ dataset: dataset() });
      srv.failNext({ kind: 'hang' });
      const started = Date.now();
      const err = await pollError(createTwitterSource({ timeoutMs: 300 }).poll(context(srv)));
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/no complete response within 0.3 s/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('a response over the size cap is too_large', async () => {
      const srv = await start({ dataset: dataset() });
      const err = await pollError(createTwitterSource({ maxBytes: 200 }).poll(context(srv)));
      expect(err.kind).toBe('too_large');
    });

    it('a refused connection is a network error', async () => {
      const srv = await start({ dataset: dataset() });
      const url = srv.url;
      await srv.close();
      server = undefined;
      const err = await pollError(createTwitterSource().poll(context({ url })));
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/ECONNREFUSED/);
    });

    it('a missing token or a bad TWITTER_API_URL is a config error', async () => {
      const source = createTwitterSource();
      const missing = await pollError(source.poll(context({ url: 'http://127.0.0.1:9' }, null, { env: {} })));
      expect(missing.kind).toBe('config');
      expect(missing.message).toMatch(/TWITTER_BEARER_TOKEN is not set/);
      const bad = await pollError(source.poll(context({ url: 'not a url' })));
      expect(bad.kind).toBe('config');
      expect(bad.message).toMatch(/TWITTER_API_URL "not a url" is not a URL/);
    });

    it('the daemon stopping aborts the request', async () => {
      const srv = await start({ dataset: dataset() });
      srv.failNext({ kind: 'hang' });
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 100);
      const err = await pollError(createTwitterSource().poll(context(srv, null, { signal: stop.signal })));
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/aborted \(earshot is stopping\)/);
    });
  });
});
