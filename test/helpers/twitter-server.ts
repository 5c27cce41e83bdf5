/**
 * A local X API v2 server (127.0.0.1, port 0) that speaks `GET /2/tweets/search/recent` the way
 * the real API does, over tweets sliced from the captured payloads in
 * `../shared/fixtures/twitter/`:
 *
 * - bearer token check (401 with X's problem body), or 403 "client-forbidden" for an app whose
 *   plan has no search access (`searchAccess: false`);
 * - `since_id`, `max_results` (10..100, validated), `next_token` paging (opaque tokens), newest first;
 * - `tweet.fields` / `user.fields` / `expansions=author_id` honoured: a field not asked for is not sent,
 *   so a client that forgets `public_metrics` gets no follower counts, as with the real API;
 * - `x-rate-limit-limit/remaining/reset` on every response, a 429 when the window is used up;
 * - scripted failures: any status, an HTML error page, invalid JSON, a request that never answers.
 */
import { FailureScript, serveFailure, type ScriptedFailure } from './scripted-failures.js';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const twitterFixturesDir = path.resolve(repoRoot, '../shared/fixtures/twitter');
export const hasTwitterFixtures = existsSync(twitterFixturesDir);

/** A tweet or user object as the API sends it (foreign JSON, kept loose). */
export type ApiObject = Record<string, unknown> & { id: string };

export interface TwitterDataset {
  tweets: ApiObject[];
  users: ApiObject[];
}

/** Reads a captured v2 body (`data` + optional `includes.users`) from the fixtures folder. */
export function loadTwitterFixture(name: string): TwitterDataset {
  const body = JSON.parse(readFileSync(path.join(twitterFixturesDir, `${name}.json`), 'utf8')) as {
    data?: ApiObject[];
    includes?: { users?: ApiObject[] };
  };
  return { tweets: body.data ?? [], users: body.includes?.users ?? [] };
}

/** The recorded response headers of a capture (`NAME.meta.json`), flattened to one value each. */
export function loadTwitterMetaHeaders(name: string): Record<string, string> {
  const meta = JSON.parse(readFileSync(path.join(twitterFixturesDir, `${name}.meta.json`), 'utf8')) as {
    response: { headers: Record<string, string[] | string> };
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta.response.headers)) {
    out[key.toLowerCase()] = Array.isArray(value) ? (value[0] ?? '') : value;
  }
  return out;
}

export type { ScriptedFailure } from './scripted-failures.js';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface TwitterServerOptions {
  /** The bearer token the server accepts. */
  token: string;
  dataset: TwitterDataset;
  /** Serve at most this many tweets per page whatever max_results says (to exercise paging). */
  pageSize?: number;
  /** false: every search answers 403 client-forbidden (an API plan without search access). */
  searchAccess?: boolean;
  rateLimit?: { limit: number; remaining: number; resetAt?: Date };
  /** A since_id below this is refused with 400, as X refuses ids older than its 7-day window. */
  oldestSinceId?: string;
}

export interface TwitterServer {
  /** Base URL, e.g. http://127.0.0.1:41234 (what TWITTER_API_URL would be). */
  url: string;
  requests: RecordedRequest[];
  /** Search requests only. */
  searches(): RecordedRequest[];
  /** New tweets (and their authors) arrive, as between two polls. */
  addTweets(dataset: TwitterDataset): void;
  /**
   * The next `times` requests fail this way (queued in order); with `when`, only requests it
   * accepts consume the failure (e.g. the second page: `(r) => 'next_token' in r.query`).
   */
  failNext(failure: ScriptedFailure, times?: number, when?: (req: RecordedRequest) => boolean): void;
  setRateLimit(state: { limit?: number; remaining: number; resetAt: Date }): void;
  setSearchAccess(allowed: boolean): void;
  close(): Promise<void>;
}

/** Header values the captured X responses carry, minus the ones that describe the wire encoding. */
function recordedHeaders(): Record<string, string> {
  const skip = new Set(['content-encoding', 'content-length', 'set-cookie', 'date', 'x-rate-limit-limit', 'x-rate-limit-remaining', 'x-rate-limit-reset', 'content-disposition']);
  if (!existsSync(path.join(twitterFixturesDir, 'v2_search_recent__query_Tweepy__sync.meta.json'))) {
    return { 'content-type': 'application/json; charset=utf-8' };
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(loadTwitterMetaHeaders('v2_search_recent__query_Tweepy__sync'))) {
    if (!skip.has(key)) out[key] = value;
  }
  return out;
}

const DEFAULT_TWEET_FIELDS = ['id', 'text', 'edit_history_tweet_ids'];
const DEFAULT_USER_FIELDS = ['id', 'name', 'username'];
const WINDOW_SECONDS = 15 * 60;

function compareIdsDesc(a: ApiObject, b: ApiObject): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x === y ? 0 : x > y ? -1 : 1;
}

function pick(obj: ApiObject, fields: string[]): ApiObject {
  const out: ApiObject = { id: obj.id };
  for (const field of fields) {
    if (field in obj) out[field] = obj[field];
  }
  return out;
}

function listParam(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function problem(status: number, title: string, detail: string, type = 'about:blank'): string {
  return JSON.stringify({ title, detail, type, status });
}

function encodeToken(lastId: string): string {
  return Buffer.from(JSON.stringify({ before: lastId })).toString('base64url');
}

function decodeToken(token: string): string | null {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { before?: unknown };
    return typeof parsed.before === 'string' && /^\d+$/.test(parsed.before) ? parsed.before : null;
  } catch {
    return null;
  }
}

export async function startTwitterServer(options: TwitterServerOptions): Promise<TwitterServer> {
  const tweets: ApiObject[] = [];
  const users = new Map<string, ApiObject>();
  const requests: RecordedRequest[] = [];
  const failures = new FailureScript<RecordedRequest>();
  const baseHeaders = recordedHeaders();
  let searchAccess = options.searchAccess ?? true;
  const nowSec = (): number => Math.floor(Date.now() / 1000);
  const rate = {
    limit: options.rateLimit?.limit ?? 450,
    remaining: options.rateLimit?.remaining ?? 450,
    reset: options.rateLimit?.resetAt ? Math.floor(options.rateLimit.resetAt.getTime() / 1000) : nowSec() + WINDOW_SECONDS,
  };

  function addTweets(dataset: TwitterDataset): void {
    const known = new Set(tweets.map((t) => t.id));
    for (const tweet of dataset.tweets) if (!known.has(tweet.id)) tweets.push(tweet);
    tweets.sort(compareIdsDesc);
    for (const user of dataset.users) users.set(user.id, user);
  }
  addTweets(options.dataset);

  function rateHeaders(): Record<string, string> {
    return {
      'x-rate-limit-limit': String(rate.limit),
      'x-rate-limit-remaining': String(Math.max(0, rate.remaining)),
      'x-rate-limit-reset': String(rate.reset),
    };
  }

  function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...baseHeaders, 'content-type': 'application/json; charset=utf-8', ...rateHeaders(), ...headers });
    res.end(body);
  }

  function scripted(res: ServerResponse, failure: ScriptedFailure): void {
    serveFailure(res, failure, {
      send: (r, status, body, headers) => send(r, status, body, headers),
      htmlStatus: 503,
      htmlPage: '<!DOCTYPE html><html><head><title>Over capacity</title></head><body><h1>Something is technically wrong.</h1><p>Thanks for noticing. We are going to fix it up.</p></body></html>',
      truncatedJson: '{"data":[{"id":"1","text":"cut off',
      errorBody: (status) => problem(status, 'Error', `HTTP ${status}`),
    });
  }

  function search(res: ServerResponse, query: Record<string, string>): void {
    if (!query.query) {
      send(res, 400, JSON.stringify({ errors: [{ parameters: { query: [] }, message: 'The `query` query parameter can not be empty' }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' }));
      return;
    }
    const maxResults = query.max_results === undefined ? 10 : Number(query.max_results);
    if (!Number.isInteger(maxResults) || maxResults < 10 || maxResults > 100) {
      send(res, 400, JSON.stringify({ errors: [{ parameters: { max_results: [query.max_results] }, message: 'The `max_results` query parameter value [' + query.max_results + '] is not between 10 and 100' }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' }));
      return;
    }
    let before: bigint | null = null;
    if (query.next_token !== undefined) {
      const decoded = decodeToken(query.next_token);
      if (!decoded) {
        send(res, 400, JSON.stringify({ errors: [{ parameters: { next_token: [query.next_token] }, message: 'The `next_token` query parameter value is not valid' }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' }));
        return;
      }
      before = BigInt(decoded);
    }
    const since = query.since_id ? BigInt(query.since_id) : null;
    if (since !== null && options.oldestSinceId && since < BigInt(options.oldestSinceId)) {
      send(res, 400, JSON.stringify({ errors: [{ parameters: { since_id: [query.since_id] }, message: `Invalid 'since_id':'${query.since_id}'. 'since_id' must be a tweet id created after the start of the recent search window.` }], title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' }));
      return;
    }
    const matching = tweets.filter((t) => {
      const id = BigInt(t.id);
      return (since === null || id > since) && (before === null || id < before);
    });
    const size = Math.min(maxResults, options.pageSize ?? maxResults);
    const page = matching.slice(0, size);
    if (page.length === 0) {
      send(res, 200, JSON.stringify({ meta: { result_count: 0 } }));
      return;
    }
    const expansions = listParam(query.expansions);
    const tweetFields = [...DEFAULT_TWEET_FIELDS, ...listParam(query['tweet.fields'])];
    if (expansions.includes('author_id')) tweetFields.push('author_id');
    const body: Record<string, unknown> = { data: page.map((t) => pick(t, tweetFields)) };
    if (expansions.includes('author_id')) {
      const userFields = [...DEFAULT_USER_FIELDS, ...listParam(query['user.fields'])];
      const authors: ApiObject[] = [];
      for (const id of new Set(page.map((t) => t.author_id).filter((v): v is string => typeof v === 'string'))) {
        const user = users.get(id);
        if (user) authors.push(pick(user, userFields));
      }
      if (authors.length) body.includes = { users: authors };
    }
    const last = page[page.length - 1]!;
    const meta: Record<string, unknown> = { newest_id: page[0]!.id, oldest_id: last.id, result_count: page.length };
    if (matching.length > page.length) meta.next_token = encodeToken(last.id);
    body.meta = meta;
    send(res, 200, JSON.stringify(body));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams.entries());
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query, headers: req.headers };
    requests.push(recorded);
    const failure = failures.take(recorded);
    if (failure) {
      scripted(res, failure);
      return;
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      send(res, 401, problem(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    if (url.pathname !== '/2/tweets/search/recent' || req.method !== 'GET') {
      send(res, 404, JSON.stringify({ errors: [{ message: 'Sorry, that page does not exist', code: 34 }] }));
      return;
    }
    if (!searchAccess) {
      send(res, 403, JSON.stringify({
        client_id: '1234567',
        detail: 'When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project. You can create a project via the developer portal.',
        registration_url: 'https://developer.twitter.com/en/docs/projects/overview',
        title: 'Client Forbidden',
        required_enrollment: 'Appropriate Level of API Access',
        reason: 'client-not-enrolled',
        type: 'https://api.twitter.com/2/problems/client-forbidden',
      }));
      return;
    }
    if (nowSec() >= rate.reset) {
      rate.remaining = rate.limit;
      rate.reset = nowSec() + WINDOW_SECONDS;
    }
    if (rate.remaining <= 0) {
      send(res, 429, problem(429, 'Too Many Requests', 'Too Many Requests'));
      return;
    }
    rate.remaining -= 1;
    search(res, query);
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    searches: () => requests.filter((r) => r.path === '/2/tweets/search/recent'),
    addTweets,
    failNext(failure, times = 1, when) {
      failures.push(failure, times, when);
    },
    setRateLimit(state) {
      if (state.limit !== undefined) rate.limit = state.limit;
      rate.remaining = state.remaining;
      rate.reset = Math.floor(state.resetAt.getTime() / 1000);
    },
    setSearchAccess(allowed) {
      searchAccess = allowed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
