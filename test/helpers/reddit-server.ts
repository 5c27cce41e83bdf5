/**
 * A local Reddit API on 127.0.0.1 for tests: the application-only OAuth token endpoint and the
 * listing endpoints earshot reads (`/r/{subs}/search`, `/r/{subs}/comments`, `/r/{subs}/new`),
 * replaying the real PRAW recordings in `../shared/fixtures/reddit/`.
 *
 * It behaves like reddit.com where earshot depends on it:
 * - `POST /api/v1/access_token` checks HTTP Basic client id:secret, `grant_type=client_credentials`
 *   and a User-Agent, and issues a random bearer token (body shaped like the recorded one).
 * - API calls need `Authorization: bearer <token>`; an unknown or expired token gets the recorded
 *   401 with `www-authenticate: Bearer realm="reddit", error="invalid_token"`.
 * - Listings are sorted newest first (created_utc, then id), cut to `limit` (max 100, or the
 *   server's `pageSize`), paged with `after` / `before` fullnames exactly like Reddit (an unknown
 *   fullname yields an empty listing), `restrict_sr=1` limits search to the named subreddits, and
 *   without `raw_json=1` strings come back HTML-escaped (`&amp;`), as Reddit does.
 * - A single unknown subreddit is redirected (302) to `/subreddits/search.json?q=<name>`, which
 *   serves the recorded subreddit search, as reddit.com does; `a+b` with an unknown name is a 404.
 * - Every API response carries `x-ratelimit-remaining/used/reset`; when the budget is spent the
 *   server answers 429.
 * - The search query is NOT evaluated: the corpus stands for the query's result set. Tests assert
 *   the `q` the server received instead (see `requests`).
 *
 * Failures are scripted with `failNext()`; new items "arrive" with `publish()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const REDDIT_FIXTURES = path.resolve(repoRoot, '../shared/fixtures/reddit');
export const hasRedditFixtures = existsSync(REDDIT_FIXTURES);

/** One child of a Reddit Listing: `{ kind: 't3' | 't1', data: {...} }`. */
export interface RedditThing {
  kind: string;
  data: Record<string, unknown> & { name: string; created_utc: number; subreddit?: string };
}

export type RedditFailure =
  | 'expired_token' // 401 invalid_token (recorded), as when Reddit revokes a token early
  | 'bad_credentials' // token endpoint: 401 for a wrong client id/secret
  | 'forbidden' // 403 (recorded: quarantined subreddit)
  | 'not_found' // 404 (recorded)
  | 'rate_limit' // 429 with x-ratelimit-remaining 0 and a reset
  | 'server' // 500 (recorded)
  | 'html' // 400 text/html error page (recorded)
  | 'html_200' // 200 with an HTML page (a captive portal or maintenance page)
  | 'invalid_json' // 200 application/json, body cut in the middle
  | 'hang'; // accepts the request and never answers

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  status: number;
}

export interface RedditServerOptions {
  clientId?: string;
  clientSecret?: string;
  /** Submissions (t3) served by search and /new; default: the recorded r/all/new page + the recorded search. */
  posts?: RedditThing[];
  /** Comments (t1); default: the recorded r/all/comments page + the recorded subreddit comment stream. */
  comments?: RedditThing[];
  /** Items per page at most (Reddit: 100); lower values make paging testable with the real listings. */
  pageSize?: number;
  /** `expires_in` of issued tokens, seconds (Reddit: 86400). */
  tokenTtlSec?: number;
  /** Requests per rate-limit window (Reddit: 100 per minute for OAuth clients, headers used to say 600/10 min). */
  rateLimit?: number;
  /** Seconds until the window resets, as sent in x-ratelimit-reset. */
  resetSec?: number;
}

export interface RedditServer {
  /** Base URL for both REDDIT_AUTH_URL and REDDIT_API_URL, e.g. http://127.0.0.1:40123 */
  url: string;
  clientId: string;
  clientSecret: string;
  requests: RecordedRequest[];
  /** Requests to one endpoint kind. */
  apiRequests(): RecordedRequest[];
  tokenRequests(): RecordedRequest[];
  /** The next `times` requests to `target` fail as given. */
  failNext(target: 'token' | 'api', failure: RedditFailure, times?: number): void;
  /** Revokes every issued token: the next API call with one gets a 401. */
  revokeTokens(): void;
  /** Sets the rate-limit window state the next responses report. */
  setBudget(budget: { used: number; limit?: number; resetSec?: number }): void;
  /** New items arrive (they are merged into the corpus and sorted). */
  publish(kind: 'post' | 'comment', things: RedditThing[]): void;
  close(): Promise<void>;
}

interface Listing {
  kind: 'Listing';
  data: { children: RedditThing[]; after: string | null; before: string | null };
}

export function readRedditFixture(name: string): string {
  return readFileSync(path.join(REDDIT_FIXTURES, name), 'utf8');
}

/** The children of a recorded listing. */
export function redditListing(name: string): RedditThing[] {
  const parsed = JSON.parse(readRedditFixture(name)) as Listing;
  return parsed.data.children;
}

/** Response headers recorded in a fixture's .meta.json, flattened (betamax stores lists). */
export function recordedHeaders(name: string): Record<string, string> {
  const meta = JSON.parse(readRedditFixture(name.replace(/\.(json|html|txt)$/, '.meta.json'))) as {
    response: { headers: Record<string, string[]> };
  };
  const out: Record<string, string> = {};
  for (const [key, values] of Object.entries(meta.response.headers)) {
    const lower = key.toLowerCase();
    // Hop-by-hop and length headers belong to the recorded connection, not to our reply.
    if (['content-length', 'connection', 'set-cookie', 'transfer-encoding', 'date'].includes(lower)) continue;
    out[lower] = values.join(', ');
  }
  return out;
}

export function defaultPosts(): RedditThing[] {
  return [...redditListing('r_all_new__limit100.json'), ...redditListing('r_all_search__praw_oauth_search.json')];
}

export function defaultComments(): RedditThing[] {
  return [
    ...redditListing('r_all_comments__limit100.json'),
    ...redditListing('r_sub_comments__limit100_ratelimit_hdrs.json'),
  ];
}

/**
 * Reddit's "new" order: newest created_utc first. Within one second Reddit's order is not the id
 * order (the recorded r/all/new lists t3_5jo11z before t3_5jo120), so ties keep the order of the
 * recordings: the sort is stable and published items go first.
 */
function compareNewest(a: RedditThing, b: RedditThing): number {
  return b.data.created_utc - a.data.created_utc;
}

function sortNewest(things: RedditThing[]): RedditThing[] {
  const byName = new Map<string, RedditThing>();
  for (const thing of things) if (!byName.has(thing.data.name)) byName.set(thing.data.name, thing);
  return [...byName.values()].sort(compareNewest);
}

/** What Reddit does to strings without raw_json=1: the legacy HTML escaping of &, < and >. */
function legacyEscape(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (Array.isArray(value)) return value.map(legacyEscape);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, legacyEscape(v)]));
  }
  return value;
}

/** Pages a sorted listing the way Reddit does: `after` = older than X, `before` = newer than X. */
export function pageListing(
  sorted: RedditThing[],
  params: { limit: number; after?: string | null; before?: string | null },
): Listing['data'] {
  const { limit, after, before } = params;
  let slice: RedditThing[];
  if (after) {
    const index = sorted.findIndex((t) => t.data.name === after);
    slice = index < 0 ? [] : sorted.slice(index + 1, index + 1 + limit);
    const more = index >= 0 && index + 1 + limit < sorted.length;
    return {
      children: slice,
      after: more && slice.length ? slice[slice.length - 1]!.data.name : null,
      before: slice.length ? slice[0]!.data.name : null,
    };
  }
  if (before) {
    const index = sorted.findIndex((t) => t.data.name === before);
    slice = index < 0 ? [] : sorted.slice(Math.max(0, index - limit), index);
    const newer = index >= 0 && index - limit > 0;
    return {
      children: slice,
      after: slice.length ? slice[slice.length - 1]!.data.name : null,
      before: newer && slice.length ? slice[0]!.data.name : null,
    };
  }
  slice = sorted.slice(0, limit);
  return { children: slice, after: sorted.length > limit && slice.length ? slice[slice.length - 1]!.data.name : null, before: null };
}

const HTML_200 = '<!doctype html><html><head><title>reddit.com: over capacity</title></head><body><h1>all of our servers are busy right now</h1></body></html>';

export async function startRedditServer(options: RedditServerOptions = {}): Promise<RedditServer> {
  const clientId = options.clientId ?? 'test-client-id';
  const clientSecret = options.clientSecret ?? 'test-client-secret-' + randomBytes(6).toString('hex');
  const tokenTtlSec = options.tokenTtlSec ?? 86_400;
  let posts = sortNewest(options.posts ?? defaultPosts());
  let comments = sortNewest(options.comments ?? defaultComments());
  const pageSize = Math.min(options.pageSize ?? 100, 100);
  const tokens = new Set<string>();
  const failures: Record<'token' | 'api', RedditFailure[]> = { token: [], api: [] };
  const budget = { used: 0, limit: options.rateLimit ?? 600, resetSec: options.resetSec ?? 525 };
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();

  function send(res: ServerResponse, record: RecordedRequest, status: number, body: string, headers: Record<string, string>): void {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(body);
  }

  function rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-remaining': `${Math.max(0, budget.limit - budget.used).toFixed(1)}`,
      'x-ratelimit-used': String(budget.used),
      'x-ratelimit-reset': String(budget.resetSec),
    };
  }

  /** Answers with a scripted failure; returns false when none is pending. */
  function fail(target: 'token' | 'api', res: ServerResponse, record: RecordedRequest): boolean {
    const failure = failures[target].shift();
    if (!failure) return false;
    const rate = target === 'api' ? rateHeaders() : {};
    switch (failure) {
      case 'expired_token':
        send(res, record, 401, readRedditFixture('api_v1_me__401_invalid_token.json'), {
          ...recordedHeaders('api_v1_me__401_invalid_token.json'),
          ...rate,
        });
        return true;
      case 'bad_credentials':
        send(res, record, 401, '{"message": "Unauthorized", "error": 401}', rate);
        return true;
      case 'forbidden':
        send(res, record, 403, readRedditFixture('r_quarantined_hot__403.json'), rate);
        return true;
      case 'not_found':
        send(res, record, 404, readRedditFixture('about_sticky__404.json'), rate);
        return true;
      case 'rate_limit':
        send(res, record, 429, '{"message": "Too Many Requests", "error": 429}', {
          'x-ratelimit-remaining': '0.0',
          'x-ratelimit-used': String(budget.limit),
          'x-ratelimit-reset': String(budget.resetSec),
        });
        return true;
      case 'server':
        send(res, record, 500, readRedditFixture('mod_notes__500.json'), {
          ...recordedHeaders('mod_notes__500.json'),
          ...rate,
        });
        return true;
      case 'html':
        send(res, record, 400, readRedditFixture('morechildren__400_html_body.html'), { 'content-type': 'text/html' });
        return true;
      case 'html_200':
        send(res, record, 200, HTML_200, { 'content-type': 'text/html; charset=utf-8' });
        return true;
      case 'invalid_json': {
        const body = target === 'token' ? readRedditFixture('oauth_access_token__200_password_grant.json') : readRedditFixture('r_all_new__limit100.json');
        send(res, record, 200, body.slice(0, Math.floor(body.length / 3)), rate);
        return true;
      }
      case 'hang':
        record.status = 0;
        hanging.add(res);
        return true;
    }
  }

  function handleToken(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    if (fail('token', res, record)) return;
    const expected = 'Basic ' + Buffer.from(`${clientId}:${clientSecret}`).toString('base64');
    if (req.headers.authorization !== expected) {
      send(res, record, 401, '{"message": "Unauthorized", "error": 401}', {});
      return;
    }
    if (!req.headers['user-agent']) {
      send(res, record, 429, '{"message": "Too Many Requests", "error": 429}', {});
      return;
    }
    const form = new URLSearchParams(record.body);
    // Reddit answers 200 with an error field for an unsupported grant.
    if (form.get('grant_type') !== 'client_credentials') {
      send(res, record, 200, '{"error": "unsupported_grant_type"}', {});
      return;
    }
    const token = randomBytes(16).toString('hex');
    tokens.add(token);
    send(
      res,
      record,
      200,
      JSON.stringify({ access_token: token, token_type: 'bearer', expires_in: tokenTtlSec, scope: '*' }),
      {},
    );
  }

  function knownSubreddit(name: string): boolean {
    const lower = name.toLowerCase();
    if (lower === 'all') return true;
    return [...posts, ...comments].some((t) => String(t.data.subreddit ?? '').toLowerCase() === lower);
  }

  function handleApi(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): void {
    const auth = /^bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || !tokens.has(auth[1]!)) {
      send(res, record, 401, readRedditFixture('api_v1_me__401_invalid_token.json'), {
        ...recordedHeaders('api_v1_me__401_invalid_token.json'),
      });
      return;
    }
    if (fail('api', res, record)) return;
    budget.used += 1;
    if (budget.used > budget.limit) {
      failures.api.unshift('rate_limit');
      fail('api', res, record);
      return;
    }
    if (/^\/subreddits\/search\/?(?:\.json)?$/.test(record.path)) {
      send(res, record, 200, readRedditFixture('subreddits_search__praw.json'), rateHeaders());
      return;
    }
    const match = /^\/r\/([^/]+)\/(search|comments|new)\/?(?:\.json)?$/.exec(record.path);
    if (!match) {
      send(res, record, 404, readRedditFixture('about_sticky__404.json'), rateHeaders());
      return;
    }
    const subs = decodeURIComponent(match[1]!).split('+');
    if (subs.length === 1 && !knownSubreddit(subs[0]!)) {
      // reddit.com sends a single unknown subreddit to the subreddit search.
      record.status = 302;
      res.writeHead(302, { location: `/subreddits/search.json?q=${encodeURIComponent(subs[0]!)}`, ...rateHeaders() });
      res.end();
      return;
    }
    if (!subs.every(knownSubreddit)) {
      send(res, record, 404, readRedditFixture('about_sticky__404.json'), rateHeaders());
      return;
    }
    const endpoint = match[2]!;
    const q = record.query;
    let corpus = endpoint === 'comments' ? comments : posts;
    const restrict = endpoint !== 'search' || ['1', 'true', 'on'].includes((q.get('restrict_sr') ?? '').toLowerCase());
    if (restrict && !subs.includes('all')) {
      const wanted = new Set(subs.map((s) => s.toLowerCase()));
      corpus = corpus.filter((t) => wanted.has(String(t.data.subreddit ?? '').toLowerCase()));
    }
    if (endpoint === 'search' && !q.get('q')) corpus = [];
    const limit = Math.max(1, Math.min(Number(q.get('limit') ?? 25) || 25, pageSize));
    const page = pageListing(corpus, { limit, after: q.get('after'), before: q.get('before') });
    const listing = { kind: 'Listing', data: { after: page.after, dist: page.children.length, modhash: '', geo_filter: '', children: page.children, before: page.before } };
    const body = q.get('raw_json') === '1' ? listing : legacyEscape(listing);
    send(res, record, 200, JSON.stringify(body), rateHeaders());
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status: 0,
      };
      requests.push(record);
      if (url.pathname === '/api/v1/access_token' && req.method === 'POST') {
        handleToken(req, res, record);
        return;
      }
      if (req.method !== 'GET') {
        send(res, record, 405, '{"message": "Method Not Allowed", "error": 405}', {});
        return;
      }
      handleApi(req, res, record);
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    clientId,
    clientSecret,
    requests,
    apiRequests: () => requests.filter((r) => r.path !== '/api/v1/access_token'),
    tokenRequests: () => requests.filter((r) => r.path === '/api/v1/access_token'),
    failNext(target, failure, times = 1) {
      for (let i = 0; i < times; i += 1) failures[target].push(failure);
    },
    revokeTokens() {
      tokens.clear();
    },
    setBudget(next) {
      budget.used = next.used;
      if (next.limit !== undefined) budget.limit = next.limit;
      if (next.resetSec !== undefined) budget.resetSec = next.resetSec;
    },
    publish(kind, things) {
      if (kind === 'post') posts = sortNewest([...things, ...posts]);
      else comments = sortNewest([...things, ...comments]);
    },
    close() {
      for (const res of hanging) res.destroy();
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
