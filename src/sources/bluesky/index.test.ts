import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { SourceError, type PollResult, type SourceContext } from '../types.js';
import {
  blueskyFixturesDir,
  hasBlueskyFixtures,
  loadBlueskyPosts,
  startBlueskyServer,
  type BlueskyServer,
  type BlueskyServerOptions,
  type PostView,
} from '../../../test/helpers/bluesky-server.js';
import { blueskyConfigSchema, clearBlueskySessions, createBlueskySource, type BlueskyConfig } from './index.js';

const HANDLE = 'earshot-test.bsky.social';
const PASSWORD = 'abcd-efgh-ijkl-mnop';
const SEARCH = 'app.bsky.feed.searchPosts';
const LOGIN = 'com.atproto.server.createSession';
const REFRESH = 'com.atproto.server.refreshSession';

let server: BlueskyServer | undefined;
beforeEach(() => clearBlueskySessions());
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Partial<BlueskyServerOptions> & { posts: PostView[] }): Promise<BlueskyServer> {
  server = await startBlueskyServer({ handle: HANDLE, appPassword: PASSWORD, ...options });
  return server;
}

function context(srv: { url: string }, cursor: string | null = null, overrides: Partial<SourceContext<BlueskyConfig>> = {}): SourceContext<BlueskyConfig> {
  return {
    key: 'acme/bluesky',
    brand: 'acme',
    config: { query: 'redistricting' },
    cursor: { etag: null, lastModified: null, cursor },
    env: { BLUESKY_HANDLE: HANDLE, BLUESKY_APP_PASSWORD: PASSWORD, BLUESKY_SERVICE_URL: srv.url },
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

/** The saved position of a poll's cursor (JSON: since + recent URIs). */
function saved(result: PollResult): { since: string; recent: Record<string, string> } {
  return JSON.parse(result.cursor.cursor!) as { since: string; recent: Record<string, string> };
}

function noSecrets(err: SourceError, srv: BlueskyServer): void {
  expect(err.message).not.toContain(PASSWORD);
  for (const r of srv.requests) {
    const auth = r.headers.authorization;
    if (auth) expect(err.message).not.toContain(auth.slice(7));
  }
}

describe('bluesky config schema', () => {
  it('takes a query, strictly', () => {
    expect(blueskyConfigSchema.parse({ query: 'acme' })).toEqual({ query: 'acme' });
    expect(blueskyConfigSchema.safeParse({ query: 'acme', hashtag: 'x' }).success).toBe(false);
    expect(blueskyConfigSchema.safeParse({ query: '' }).error?.issues[0]?.message).toMatch(/query must not be empty/);
  });

  it('needs the handle and the app password', () => {
    expect(createBlueskySource().requiredEnv({ query: 'x' })).toEqual(['BLUESKY_HANDLE', 'BLUESKY_APP_PASSWORD']);
  });
});

describe.skipIf(!hasBlueskyFixtures)(`bluesky source against a local XRPC server (${blueskyFixturesDir})`, () => {
  it('logs in, searches and maps the captured postViews', async () => {
    const srv = await start({ posts: loadBlueskyPosts() });
    const result = await createBlueskySource().poll(context(srv));

    expect(result.items).toHaveLength(25);
    expect(result.items[0]).toEqual({
      sourceId: 'at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m',
      url: 'https://bsky.app/profile/socpaperbot.bsky.social/post/3lpk2u6qo222m',
      author: 'socpaperbot.bsky.social',
      reach: null, // searchPosts' author view has no followers count
      title: '',
      text: 'Ends Versus Means: Public Opinion on Congressional Redistricting https://osf.io/v87fn State-level redistricting processes shape congressional elections and representation, and recent reform efforts have propelled congressional redistricting procedures into mainstream political discussion #sociology',
      published: '2025-05-19T17:10:09.561Z',
      language: null,
      kind: 'post',
      linkUrl: 'https://osf.io/v87fn',
      metrics: { likes: 0, reposts: 0, replies: 0, quotes: 0 },
    });
    const card = result.items[1]!;
    expect(card.text).toBe('I dove into the RIDICULOUS op-ed sent into the Fort Worth Star Telegram by Tarrant County Commissioner Manny Ramirez supporting Redistricting.\n\nPlease give it a read, and if you are in Tarrant or know someone in Tarrant, share it!\n\nopen.substack.com/pub/christac...');
    expect(card.linkUrl).toBe('https://open.substack.com/pub/christackett/p/the-pawn-or-the-collaborator?r=92vnq&utm_medium=ios');
    expect(card.language).toBe('en');
    expect(card.metrics).toEqual({ likes: 4, reposts: 3, replies: 0, quotes: 0 });
    const byRkey = (rkey: string) => result.items.find((i) => i.sourceId.endsWith(rkey))!;
    expect(byRkey('3lpjraovchc2x').kind).toBe('reply');
    expect(byRkey('3lpjl6vjfes2b').kind).toBe('quote');
    expect(byRkey('3lpjl6vjfes2b').linkUrl).toBeNull();
    expect(byRkey('3lpii6nwbyt2m').published).toBe('2025-05-19T02:03:20.286Z'); // "+00:00" offset normalised
    expect(byRkey('3lpjneeyp6c2w').linkUrl).toBe('https://www.nber.org/system/files/working_papers/w33801/w33801.pdf');

    // The newest indexedAt, and the posts returned in the 10 minutes before it.
    expect(saved(result)).toEqual({
      since: '2025-05-19T17:10:09.813Z',
      recent: {
        'at://did:plc:kkergqgbhb56ptpwj2wenkje/app.bsky.feed.post/3lpk2u6qo222m': '2025-05-19T17:10:09.813Z',
        'at://did:plc:s7savtl25cqhm3ddqc7jeljx/app.bsky.feed.post/3lpk2r5h5ec2j': '2025-05-19T17:08:30.414Z',
      },
    });
    expect(result.rateLimit).toMatchObject({ limit: 3000, remaining: 2999 });
    expect(result.gaps).toBeUndefined();

    const [login] = srv.calls(LOGIN);
    expect(JSON.parse(login!.body)).toEqual({ identifier: HANDLE, password: PASSWORD });
    const [search] = srv.calls(SEARCH);
    expect(search?.query).toEqual({ q: 'redistricting', sort: 'latest', limit: '100' });
    expect(search?.headers.authorization).toMatch(/^Bearer .+/);
    expect(search?.headers['user-agent']).toMatch(/^earshot\//);
  });

  it('takes reach from followersCount when the author view carries it', async () => {
    const posts = loadBlueskyPosts();
    const first = posts[0]!;
    posts[0] = { ...first, author: { ...(first.author as object), followersCount: 812 } };
    const srv = await start({ posts });
    const result = await createBlueskySource().poll(context(srv));
    expect(result.items[0]?.reach).toBe(812);
    expect(result.items[1]?.reach).toBeNull();
  });

  describe('session', () => {
    it('logs in once and reuses the session across polls', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const source = createBlueskySource();
      await source.poll(context(srv));
      await source.poll(context(srv, '2025-05-19T17:10:09.813Z'));
      await createBlueskySource().poll(context(srv)); // another source on the same account
      expect(srv.calls(LOGIN)).toHaveLength(1);
      expect(srv.calls(SEARCH)).toHaveLength(3);
      expect(new Set(srv.calls(SEARCH).map((r) => r.headers.authorization)).size).toBe(1);
    });

    it('refreshes an expired access token and retries the search', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const source = createBlueskySource();
      await source.poll(context(srv));
      srv.expireAccessTokens();
      const result = await source.poll(context(srv));
      expect(result.items).toHaveLength(25);
      expect(srv.calls(LOGIN)).toHaveLength(1);
      expect(srv.calls(REFRESH)).toHaveLength(1);
      const searches = srv.calls(SEARCH);
      expect(searches).toHaveLength(3);
      expect(searches[2]?.headers.authorization).not.toBe(searches[1]?.headers.authorization);
      // The refreshed session is the cached one from now on.
      await source.poll(context(srv));
      expect(srv.calls(REFRESH)).toHaveLength(1);
      expect(srv.calls(SEARCH)[3]?.headers.authorization).toBe(searches[2]?.headers.authorization);
    });

    it('logs in again when the refresh token is refused too', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const source = createBlueskySource();
      await source.poll(context(srv));
      srv.expireAccessTokens();
      srv.revokeRefreshTokens();
      const result = await source.poll(context(srv));
      expect(result.items).toHaveLength(25);
      expect(srv.calls(REFRESH)).toHaveLength(1);
      expect(srv.calls(LOGIN)).toHaveLength(2);
    });

    it('treats a 401 ExpiredToken like the 400 one', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      srv.failNext({ kind: 'status', status: 401, body: '{"error":"ExpiredToken","message":"Token has expired"}' }, 1, (r) => r.nsid === SEARCH);
      const result = await createBlueskySource().poll(context(srv));
      expect(result.items).toHaveLength(25);
      expect(srv.calls(REFRESH)).toHaveLength(1);
    });

    it('a wrong app password is an auth error naming the variables, and is not cached', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const wrong = context(srv, null, { env: { BLUESKY_HANDLE: HANDLE, BLUESKY_APP_PASSWORD: 'wxyz-wxyz-wxyz-wxyz', BLUESKY_SERVICE_URL: srv.url } });
      const err = await pollError(createBlueskySource().poll(wrong));
      expect(err.kind).toBe('auth');
      expect(err.message).toBe(
        'Bluesky: login as "earshot-test.bsky.social" failed with HTTP 401 (AuthenticationRequired: Invalid identifier or password); check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password from Bluesky Settings → Privacy and security → App passwords, not the account password); the source is paused until they change',
      );
      expect(err.message).not.toContain('wxyz-wxyz');
      // Once the password is fixed, the next poll logs in afresh.
      const result = await createBlueskySource().poll(context(srv));
      expect(result.items).toHaveLength(25);
      expect(srv.calls(LOGIN)).toHaveLength(2);
    });

    it('a login rate limit is rate_limit with the reset', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const reset = Math.floor(Date.now() / 1000) + 3600;
      srv.failNext({ kind: 'status', status: 429, body: '{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}', headers: { 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset), 'ratelimit-policy': '30;w=300' } }, 1, (r) => r.nsid === LOGIN);
      const err = await pollError(createBlueskySource().poll(context(srv)));
      expect(err.kind).toBe('rate_limit');
      expect(err.retryAfterMs).toBeGreaterThan(3_590_000);
    });
  });

  it('first poll takes the newest page only', async () => {
    const srv = await start({ posts: loadBlueskyPosts(), pageSize: 5 });
    const result = await createBlueskySource().poll(context(srv));
    expect(srv.calls(SEARCH)).toHaveLength(1);
    expect(result.items).toHaveLength(5);
    expect(result.gaps).toBeUndefined();
    expect(saved(result).since).toBe('2025-05-19T17:10:09.813Z');
  });

  it('pages down to the saved time and resumes after a restart without repeats', async () => {
    const all = loadBlueskyPosts();
    const srv = await start({ posts: all.slice(10), pageSize: 5 });
    const first = await createBlueskySource().poll(context(srv));
    expect(saved(first).since).toBe('2025-05-19T13:08:41.010Z');

    srv.addPosts(all.slice(0, 10));
    clearBlueskySessions(); // a new process: no session, only the persisted cursor
    const second = await createBlueskySource().poll(context(srv, first.cursor.cursor!));
    expect(second.items.map((i) => i.sourceId)).toEqual(all.slice(0, 10).map((p) => p.uri));
    expect(srv.calls(SEARCH).slice(1).map((r) => r.query.cursor)).toEqual([undefined, '5', '10']);
    expect(saved(second).since).toBe('2025-05-19T17:10:09.813Z');
    expect(second.gaps).toBeUndefined();
    expect(srv.calls(LOGIN)).toHaveLength(2);

    const third = await createBlueskySource().poll(context(srv, second.cursor.cursor!));
    expect(third.items).toEqual([]);
    expect(third.cursor).toEqual({});
  });

  it('picks up a post that became searchable after a newer one, without repeating others', async () => {
    const all = loadBlueskyPosts();
    // The search index returns post 0 (17:10:09) before post 1 (17:08:30) is searchable.
    const srv = await start({ posts: [all[0]!, ...all.slice(2, 6)] });
    const first = await createBlueskySource().poll(context(srv));
    expect(first.items).toHaveLength(5);
    srv.addPosts([all[1]!]);
    const second = await createBlueskySource().poll(context(srv, first.cursor.cursor!));
    expect(second.items.map((i) => i.sourceId)).toEqual([all[1]!.uri]);
    expect(Object.keys(saved(second).recent)).toEqual([all[0]!.uri, all[1]!.uri]);
    const third = await createBlueskySource().poll(context(srv, second.cursor.cursor!));
    expect(third.items).toEqual([]);
    expect(third.cursor).toEqual({});
  });

  it('reads a bare time cursor (no overlap) and ignores an unreadable one', async () => {
    const all = loadBlueskyPosts();
    const srv = await start({ posts: all });
    const bare = await createBlueskySource().poll(context(srv, all[2]!.indexedAt));
    expect(bare.items.map((i) => i.sourceId)).toEqual([all[0]!.uri, all[1]!.uri]);
    const unreadable = await createBlueskySource({ pageSize: 10 }).poll(context(srv, '{"since":"yesterday"}'));
    expect(unreadable.items).toHaveLength(10); // a first poll again: the newest page
    expect(srv.calls(SEARCH)).toHaveLength(2);
  });

  it('reports a gap when the page cap stops paging', async () => {
    const all = loadBlueskyPosts();
    const srv = await start({ posts: all, pageSize: 5 });
    const result = await createBlueskySource({ maxPages: 1 }).poll(context(srv, all[10]!.indexedAt));
    expect(result.items).toHaveLength(5);
    expect(result.gaps).toEqual([expect.stringMatching(/^Bluesky: page cap of 1 page\(s\).*older posts since the last poll were skipped/)]);
  });

  describe('rate limits', () => {
    it('asks to wait for the reset when the budget runs low', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      srv.setRateLimit({ limit: 3000, remaining: 20, resetAt: new Date(Date.now() + 200_000) });
      const result = await createBlueskySource().poll(context(srv));
      expect(result.rateLimit?.remaining).toBe(19);
      expect(result.minDelayMs).toBeGreaterThan(190_000);
      expect(result.minDelayMs).toBeLessThanOrEqual(200_000);
    });

    it('does not slow down with an ample budget', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const result = await createBlueskySource().poll(context(srv));
      expect(result.minDelayMs).toBeUndefined();
    });

    it('a 429 is rate_limit until RateLimit-Reset', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      srv.setRateLimit({ remaining: 0, resetAt: new Date(Date.now() + 240_000) });
      const err = await pollError(createBlueskySource().poll(context(srv)));
      expect(err.kind).toBe('rate_limit');
      expect(err.retryAfterMs).toBeGreaterThan(235_000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(240_000);
      expect(err.message).toMatch(/^Bluesky: HTTP 429 on searchPosts \(RateLimitExceeded: Rate Limit Exceeded\) — rate limit used up/);
    });
  });

  describe('errors', () => {
    it.each([
      [{ kind: 'status', status: 500 } as const, 'server', /^Bluesky: HTTP 500 on searchPosts \(InternalServerError: Internal Server Error\) — Bluesky search is having trouble/],
      [{ kind: 'status', status: 502, body: '{"error":"UpstreamFailure","message":"Upstream Failure"}' } as const, 'server', /UpstreamFailure/],
      [{ kind: 'html', status: 502 } as const, 'server', /HTTP 502 on searchPosts \(an HTML error page\)/],
      [{ kind: 'status', status: 200, body: '<html><body>Log in to the Wi-Fi</body></html>', contentType: 'text/html' } as const, 'parse', /answered HTTP 200 with an HTML page instead of JSON/],
      [{ kind: 'invalid-json' } as const, 'parse', /with invalid JSON/],
      [{ kind: 'status', status: 200, body: '{"feed":[]}' } as const, 'parse', /unexpected shape/],
      [{ kind: 'status', status: 400, body: '{"error":"InvalidRequest","message":"Error: q must not be longer than 1000 characters"}' } as const, 'config', /check `query`/],
      [{ kind: 'status', status: 403, body: '{"error":"Forbidden","message":"Account is deactivated"}' } as const, 'auth', /Account is deactivated.*refuses search to this account.*paused until the credentials change/],
    ])('search %o -> %s', async (failure, kind, message) => {
      const srv = await start({ posts: loadBlueskyPosts() });
      srv.failNext(failure, 1, (r) => r.nsid === SEARCH);
      const err = await pollError(createBlueskySource().poll(context(srv)));
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(message);
      noSecrets(err, srv);
    });

    it('a service without the Bluesky API is not_found naming BLUESKY_SERVICE_URL', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      const err = await pollError(createBlueskySource().poll(context(srv, null, { env: { BLUESKY_HANDLE: HANDLE, BLUESKY_APP_PASSWORD: PASSWORD, BLUESKY_SERVICE_URL: `${srv.url}/not-a-pds` } })));
      expect(err.kind).toBe('not_found');
      expect(err.message).toContain('check BLUESKY_SERVICE_URL');
      expect(srv.requests[0]?.nsid).toBe('/not-a-pds/xrpc/com.atproto.server.createSession');
    });

    it('a search that never answers is a timeout', async () => {
      const srv = await start({ posts: loadBlueskyPosts() });
      srv.failNext({ kind: 'hang' }, 1, (r) => r.nsid === SEARCH);
      const err = await pollError(createBlueskySource({ timeoutMs: 300 }).poll(context(srv)));
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/^Bluesky: .*no complete response within 0.3 s/);
      noSecrets(err, srv);
    });

    it('missing credentials are a config error', async () => {
      const err = await pollError(createBlueskySource().poll(context({ url: 'http://127.0.0.1:9' }, null, { env: { BLUESKY_HANDLE: HANDLE } })));
      expect(err.kind).toBe('config');
      expect(err.message).toMatch(/^Bluesky: BLUESKY_APP_PASSWORD is not set/);
    });

    it('a refused connection is a network error', async () => {
      const srv = await start({ posts: [] });
      const url = srv.url;
      await srv.close();
      server = undefined;
      const err = await pollError(createBlueskySource().poll(context({ url })));
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/^Bluesky: .*connection refused/);
    });
  });
});
