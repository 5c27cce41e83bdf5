import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../core/log.js';
import { SourceError, type PollResult, type SourceContext } from '../types.js';
import {
  deriveStatuses,
  hasMastodonFixtures,
  loadStatus,
  loadTagTimeline,
  mastodonId,
  mastodonFixturesDir,
  startMastodonServer,
  type MastodonServer,
  type MastodonServerOptions,
  type Status,
} from '../../../test/helpers/mastodon-server.js';
import { createMastodonSource, mastodonConfigSchema, type MastodonConfig } from './index.js';

const TOKEN = 'mastodon-test-token-9f8e7d6c5b4a';

let server: MastodonServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: Partial<MastodonServerOptions> & { statuses: Status[] }): Promise<MastodonServer> {
  server = await startMastodonServer({ token: TOKEN, ...options });
  return server;
}

function context(
  srv: { url: string },
  config: Omit<MastodonConfig, 'instance'>,
  cursor: string | null = null,
  overrides: Partial<SourceContext<MastodonConfig>> = {},
): SourceContext<MastodonConfig> {
  return {
    key: 'acme/mastodon',
    brand: 'acme',
    config: { instance: srv.url, ...config },
    cursor: { etag: null, lastModified: null, cursor },
    env: { MASTODON_ACCESS_TOKEN: TOKEN },
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

/** The saved position of a poll's cursor (JSON: newest id + ids returned in the overlap window). */
function saved(result: PollResult): { since_id: string; recent: string[] } {
  return JSON.parse(result.cursor.cursor!) as { since_id: string; recent: string[] };
}

/** The id ten minutes before a status's time: where a later poll starts looking. */
function overlapFloor(status: Status): string {
  return mastodonId(new Date(Date.parse(status.created_at) - 10 * 60_000));
}

const HOOT = { hashtag: 'hoot' };
const SEARCH = { query: 'toot' };

describe('mastodon config schema', () => {
  it('wants exactly one of hashtag or query', () => {
    expect(mastodonConfigSchema.parse({ instance: 'mastodon.social', hashtag: '#AcmeCloud' })).toEqual({ instance: 'mastodon.social', hashtag: 'AcmeCloud' });
    expect(mastodonConfigSchema.parse({ instance: 'https://fosstodon.org/', query: 'acme cloud' })).toEqual({ instance: 'https://fosstodon.org/', query: 'acme cloud' });
    for (const bad of [{ instance: 'mastodon.social' }, { instance: 'mastodon.social', hashtag: 'a', query: 'b' }]) {
      const result = mastodonConfigSchema.safeParse(bad);
      expect(result.success).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('give exactly one of `hashtag` (a hashtag timeline, no token needed) or `query` (full-text search, needs MASTODON_ACCESS_TOKEN)');
    }
  });

  it('rejects bad instances, bad hashtags and unknown keys', () => {
    expect(mastodonConfigSchema.safeParse({ instance: 'not a host', hashtag: 'a' }).error?.issues[0]?.message).toMatch(/instance must be a host name/);
    expect(mastodonConfigSchema.safeParse({ instance: 'ftp://x.org', hashtag: 'a' }).success).toBe(false);
    expect(mastodonConfigSchema.safeParse({ instance: 'x.org', hashtag: 'two words' }).error?.issues[0]?.message).toMatch(/one hashtag without spaces/);
    expect(mastodonConfigSchema.safeParse({ instance: 'x.org', hashtag: 'a', tags: ['b'] }).success).toBe(false);
    expect(mastodonConfigSchema.parse({ instance: 'x.org', hashtag: 'café_2026' }).hashtag).toBe('café_2026');
  });

  it('needs a token for search only', () => {
    const source = createMastodonSource();
    expect(source.requiredEnv({ instance: 'x.org', hashtag: 'a' })).toEqual([]);
    expect(source.requiredEnv({ instance: 'x.org', query: 'a' })).toEqual(['MASTODON_ACCESS_TOKEN']);
  });
});

describe.skipIf(!hasMastodonFixtures)(`mastodon source against a local instance (${mastodonFixturesDir})`, () => {
  it('hashtag: maps the captured timeline, without sending the token', async () => {
    const srv = await start({ statuses: loadTagTimeline() });
    const result = await createMastodonSource().poll(context(srv, HOOT));
    expect(result.items).toEqual([
      {
        sourceId: 'http://localhost:3000/ap/users/117020566092212359/statuses/117020593741189701',
        url: 'http://localhost:3000/@mastodonpy_test_2/117020593741189701',
        author: 'mastodonpy_test_2',
        reach: 0,
        title: '',
        text: '#hoot (hashtag toot)',
        published: '2026-08-01T13:55:55.867Z',
        language: 'ja',
        kind: 'post',
        linkUrl: null,
        metrics: { likes: 0, reposts: 0, replies: 0, quotes: 0 },
      },
    ]);
    expect(saved(result)).toEqual({ since_id: '117020593741189701', recent: ['117020593741189701'] });
    expect(result.rateLimit).toEqual({ limit: 300, remaining: 299, resetAt: expect.stringMatching(/Z$/) });
    const [request] = srv.requests;
    expect(request?.path).toBe('/api/v1/timelines/tag/hoot');
    expect(request?.query).toEqual({ limit: '40' });
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers['user-agent']).toMatch(/^earshot\//);
  });

  it('query: searches statuses with the token and maps them', async () => {
    const srv = await start({ statuses: [...loadTagTimeline(), loadStatus()] });
    const result = await createMastodonSource().poll(context(srv, SEARCH));
    expect(result.items.map((i) => [i.author, i.text, i.language])).toEqual([
      ['mastodonpy_test_2', '#hoot (hashtag toot)', 'ja'],
      ['mastodonpy_test', 'Toot!', 'en'],
    ]);
    expect(saved(result).since_id).toBe('117020593741189701');
    const [request] = srv.requests;
    expect(request?.path).toBe('/api/v2/search');
    expect(request?.query).toEqual({ q: 'toot', type: 'statuses', resolve: 'false', limit: '40' });
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('maps a boost as the boosted status', async () => {
    const original = loadStatus();
    const booster = loadTagTimeline()[0]!;
    // A boost as the API documents it: the booster's wrapper, empty content, the original in `reblog`.
    const boost: Status = { ...booster, id: '117020600000000000', content: '', uri: `${booster.uri as string}/activity`, url: null, reblog: original };
    const srv = await start({ statuses: [boost] });
    const items = (await createMastodonSource().poll(context(srv, HOOT))).items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      sourceId: original.uri,
      url: original.url,
      author: 'mastodonpy_test',
      text: 'Toot!',
      language: 'en',
    });
  });

  it('takes the content warning, the first real link and the preview card', async () => {
    const [withLink, withCard] = deriveStatuses(2, {
      start: new Date('2026-08-02T10:00:00Z'),
      text: 'read <span class="h-card"><a href="https://mastodon.social/@acme" class="u-url mention">@<span>acme</span></a></span> news at <a href="https://acme.example/launch?utm=x" target="_blank" rel="nofollow noopener noreferrer"><span class="invisible">https://</span><span class="">acme.example/launch?utm=x</span></a> &amp; more',
    });
    const statuses = [
      { ...withLink!, spoiler_text: 'Acme outage talk' },
      { ...withCard!, card: { url: 'https://news.example/acme-story', title: 'Acme story', type: 'link' } },
    ];
    const srv = await start({ statuses });
    const items = (await createMastodonSource().poll(context(srv, HOOT))).items;
    const [card, link] = items;
    expect(link?.text).toBe('Acme outage talk\n\n#hoot derived status 0: read @acme news at https://acme.example/launch?utm=x & more');
    expect(link?.linkUrl).toBe('https://acme.example/launch?utm=x');
    expect(card?.linkUrl).toBe('https://news.example/acme-story');
  });

  it('first poll takes the newest page only', async () => {
    const statuses = deriveStatuses(12, { start: new Date('2026-08-02T10:00:00Z') });
    const srv = await start({ statuses });
    const result = await createMastodonSource({ pageSize: 5 }).poll(context(srv, HOOT));
    expect(srv.requests).toHaveLength(1);
    expect(result.items.map((i) => i.text.slice(-17))).toEqual([11, 10, 9, 8, 7].map((n) => `status ${n}: hashtag toot`.slice(-17)));
    expect(saved(result).since_id).toBe(statuses[11]!.id);
  });

  it('hashtag: pages with since_id and the Link max_id, and resumes after a restart', async () => {
    const older = deriveStatuses(5, { start: new Date('2026-08-02T09:00:00Z') });
    const newer = deriveStatuses(12, { start: new Date('2026-08-02T10:00:00Z'), followers: (i) => 100 + i });
    const srv = await start({ statuses: older });
    const first = await createMastodonSource({ pageSize: 5 }).poll(context(srv, HOOT));
    expect(first.items).toHaveLength(5);
    expect(saved(first).since_id).toBe(older[4]!.id);

    srv.addStatuses(newer);
    const second = await createMastodonSource({ pageSize: 5 }).poll(context(srv, HOOT, first.cursor.cursor!));
    expect(second.items.map((i) => i.reach)).toEqual([111, 110, 109, 108, 107, 106, 105, 104, 103, 102, 101, 100]);
    const later = srv.requests.slice(1);
    // Newer than ten minutes before the saved status, so late arrivals are seen; the statuses
    // already returned in that window are skipped, not repeated.
    expect(later.every((r) => r.query.since_id === overlapFloor(older[4]!))).toBe(true);
    // Each next page starts below the previous one, as the Link header said.
    expect(later.map((r) => r.query.max_id)).toEqual([undefined, newer[7]!.id, newer[2]!.id, older[2]!.id, older[0]!.id]);
    expect(saved(second).since_id).toBe(newer[11]!.id);
    expect(second.gaps).toBeUndefined();

    const third = await createMastodonSource({ pageSize: 5 }).poll(context(srv, HOOT, second.cursor.cursor!));
    expect(third.items).toEqual([]);
    expect(third.cursor).toEqual({});
  });

  it('picks up a status that sorts before one already returned, once', async () => {
    const statuses = deriveStatuses(5, { start: new Date('2026-08-02T10:00:00Z') });
    const srv = await start({ statuses });
    const first = await createMastodonSource().poll(context(srv, HOOT));
    expect(first.items).toHaveLength(5);
    const [late] = deriveStatuses(1, { start: new Date('2026-08-02T10:02:30Z'), text: 'arrived late' });
    srv.addStatuses([late!]);
    const second = await createMastodonSource().poll(context(srv, HOOT, first.cursor.cursor!));
    expect(second.items.map((i) => i.text)).toEqual(['#hoot derived status 0: arrived late']);
    const third = await createMastodonSource().poll(context(srv, HOOT, second.cursor.cursor!));
    expect(third.items).toEqual([]);
  });

  it('query: pages with min_id and offset (from a bare-id cursor: no overlap)', async () => {
    const older = deriveStatuses(3, { start: new Date('2026-08-02T09:00:00Z'), text: 'acme cloud is down' });
    const newer = deriveStatuses(7, { start: new Date('2026-08-02T10:00:00Z'), text: 'acme cloud is back' });
    const srv = await start({ statuses: [...older, ...newer] });
    const result = await createMastodonSource({ pageSize: 3 }).poll(context(srv, { query: 'acme cloud' }, older[2]!.id));
    expect(result.items).toHaveLength(7);
    expect(result.items.every((i) => i.text.endsWith('acme cloud is back'))).toBe(true);
    expect(srv.requests.map((r) => [r.query.min_id, r.query.offset])).toEqual([
      [older[2]!.id, undefined],
      [older[2]!.id, '3'],
      [older[2]!.id, '6'],
      [older[2]!.id, '9'],
    ]);
    expect(saved(result).since_id).toBe(newer[6]!.id);
  });

  it('reports a gap when the page cap stops paging', async () => {
    const older = deriveStatuses(2, { start: new Date('2026-08-02T09:00:00Z') });
    const newer = deriveStatuses(12, { start: new Date('2026-08-02T10:00:00Z') });
    const srv = await start({ statuses: [...older, ...newer] });
    const result = await createMastodonSource({ pageSize: 5, maxPages: 2 }).poll(context(srv, HOOT, older[1]!.id));
    expect(result.items).toHaveLength(10);
    expect(saved(result).since_id).toBe(newer[11]!.id);
    expect(result.gaps).toEqual(['Mastodon: page cap of 2 page(s) (10 statuses) reached on the #hoot timeline; older statuses since the last poll were skipped']);
  });

  describe('rate limits', () => {
    it('asks to wait for the reset when the budget runs low', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      const resetAt = new Date(Date.now() + 180_000);
      srv.setRateLimit({ limit: 300, remaining: 10, resetAt });
      const result = await createMastodonSource().poll(context(srv, HOOT));
      expect(result.rateLimit).toEqual({ limit: 300, remaining: 9, resetAt: resetAt.toISOString() });
      expect(result.minDelayMs).toBeGreaterThan(170_000);
      expect(result.minDelayMs).toBeLessThanOrEqual(180_000);
    });

    it('does not slow down with an ample budget', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      expect((await createMastodonSource().poll(context(srv, HOOT))).minDelayMs).toBeUndefined();
    });

    it('a 429 is rate_limit until x-ratelimit-reset', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      srv.setRateLimit({ remaining: 0, resetAt: new Date(Date.now() + 90_000) });
      const err = await pollError(createMastodonSource().poll(context(srv, HOOT)));
      expect(err.kind).toBe('rate_limit');
      expect(err.retryAfterMs).toBeGreaterThan(85_000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(90_000);
      expect(err.message).toMatch(/^Mastodon: HTTP 429 on the #hoot timeline at http:\/\/127\.0\.0\.1:\d+ \(Too many requests\) — rate limit used up/);
    });
  });

  describe('errors', () => {
    it('401 on search: the token was refused', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      const err = await pollError(createMastodonSource().poll(context(srv, SEARCH, null, { env: { MASTODON_ACCESS_TOKEN: 'wrong-token-123456' } })));
      expect(err.kind).toBe('auth');
      expect(err.message).toMatch(/^Mastodon: HTTP 401 on search at .* \(The access token is invalid\) — MASTODON_ACCESS_TOKEN was refused/);
      expect(err.message).toContain('the source is paused');
      expect(err.message).not.toContain('wrong-token-123456');
    });

    it('401 on a hashtag timeline: the instance wants a login', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      srv.failNext({ kind: 'status', status: 401, body: '{"error":"This method requires an authenticated user"}' });
      const err = await pollError(createMastodonSource().poll(context(srv, HOOT)));
      expect(err.kind).toBe('auth');
      expect(err.message).toContain('does not show hashtag timelines without login');
    });

    it('404 (the captured body) is not_found naming `instance`', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      srv.failNext({ kind: 'status', status: 404, body: readFileSync(path.join(mastodonFixturesDir, 'status__404_not_found.json'), 'utf8') });
      const err = await pollError(createMastodonSource().poll(context(srv, HOOT)));
      expect(err.kind).toBe('not_found');
      expect(err.message).toMatch(/HTTP 404 on the #hoot timeline at .* \(Not Found\) — .* check `instance`/);
    });

    it.each([
      [{ kind: 'status', status: 500 } as const, 'server', /HTTP 500 .*the instance is having trouble/],
      [{ kind: 'html', status: 503 } as const, 'server', /HTTP 503 .*\(an HTML error page\)/],
      [{ kind: 'status', status: 200, body: '<html><body>Please log in</body></html>', contentType: 'text/html' } as const, 'parse', /answered HTTP 200 with an HTML page instead of JSON/],
      [{ kind: 'invalid-json' } as const, 'parse', /with invalid JSON/],
      [{ kind: 'status', status: 200, body: '{"statuses":[]}' } as const, 'parse', /unexpected shape/],
      [{ kind: 'status', status: 422, body: '{"error":"Validation failed"}' } as const, 'config', /check `hashtag`/],
    ])('%o -> %s', async (failure, kind, message) => {
      const srv = await start({ statuses: loadTagTimeline() });
      srv.failNext(failure);
      const err = await pollError(createMastodonSource().poll(context(srv, HOOT)));
      expect(err.kind).toBe(kind);
      expect(err.message).toMatch(/^Mastodon: /);
      expect(err.message).toMatch(message);
    });

    it('a search that never answers is a timeout', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      srv.failNext({ kind: 'hang' });
      const err = await pollError(createMastodonSource({ timeoutMs: 300 }).poll(context(srv, SEARCH)));
      expect(err.kind).toBe('timeout');
      expect(err.message).toMatch(/^Mastodon: .*no complete response within 0.3 s/);
      expect(err.message).not.toContain(TOKEN);
    });

    it('search without MASTODON_ACCESS_TOKEN is a config error; a hashtag needs none', async () => {
      const srv = await start({ statuses: loadTagTimeline() });
      const err = await pollError(createMastodonSource().poll(context(srv, SEARCH, null, { env: {} })));
      expect(err.kind).toBe('config');
      expect(err.message).toMatch(/^Mastodon: MASTODON_ACCESS_TOKEN is not set, and `query` \(status search\) needs one/);
      expect(srv.requests).toHaveLength(0);
      const ok = await createMastodonSource().poll(context(srv, HOOT, null, { env: {} }));
      expect(ok.items).toHaveLength(1);
    });

    it('a refused connection is a network error', async () => {
      const srv = await start({ statuses: [] });
      const url = srv.url;
      await srv.close();
      server = undefined;
      const err = await pollError(createMastodonSource().poll(context({ url }, HOOT)));
      expect(err.kind).toBe('network');
      expect(err.message).toMatch(/^Mastodon: .*connection refused/);
    });
  });
});
