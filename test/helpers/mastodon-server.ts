/**
 * A local Mastodon instance stand-in (127.0.0.1, port 0) for the two endpoints earshot uses,
 * built on the Status entities captured from a real Mastodon 4.6.4 in
 * `../shared/fixtures/mastodon/`:
 *
 * - `GET /api/v1/timelines/tag/:hashtag` (no token needed): statuses carrying the tag, newest
 *   first, `limit` (default 20, max 40), `max_id` / `since_id` / `min_id`, and a `Link` header
 *   with `rel="next"` (max_id) and `rel="prev"` (min_id) as Mastodon sends it;
 * - `GET /api/v2/search?type=statuses`: statuses whose text contains `q`, `min_id` / `max_id` /
 *   `offset` / `limit`; a bearer token is checked (an invalid one is 401 "The access token is
 *   invalid"; none gives empty statuses, as Mastodon does for anonymous status search);
 * - `x-ratelimit-limit/remaining/reset` (reset as an ISO time), 429 when used up;
 * - anything else: the captured 404 `{"error":"Not Found"}`;
 * - scripted failures: any status, HTML error pages, invalid JSON, a request that never answers.
 *
 * Only two real statuses were captured, so paging tests use `deriveStatuses`, which clones the
 * captured Status shape with new ids, times and text (labelled as derived in the content).
 */
import { FailureScript, serveFailure, type ScriptedFailure } from './scripted-failures.js';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const mastodonFixturesDir = path.resolve(repoRoot, '../shared/fixtures/mastodon');
export const hasMastodonFixtures = existsSync(mastodonFixturesDir);

/** A Status entity (foreign JSON, kept loose). */
export type Status = Record<string, unknown> & { id: string; created_at: string; content: string };

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(path.join(mastodonFixturesDir, name), 'utf8')) as unknown;
}

/** The captured hashtag timeline `/api/v1/timelines/tag/hoot` (one status). */
export function loadTagTimeline(): Status[] {
  return readJson('timelines_tag__hoot.json') as Status[];
}

/** The captured single Status `/api/v1/statuses/:id`. */
export function loadStatus(): Status {
  return readJson('status__get.json') as Status;
}

export function loadMastodonMetaHeaders(name: string): Record<string, string> {
  const meta = readJson(`${name}.meta.json`) as { response: { headers: Record<string, string[]> } };
  const skip = new Set(['content-length', 'etag', 'link', 'date', 'x-request-id', 'x-runtime', 'server-timing']);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta.response.headers)) {
    if (!skip.has(key.toLowerCase())) out[key.toLowerCase()] = value[0] ?? '';
  }
  return out;
}

/** Mastodon ids: milliseconds since the epoch in the high bits, a sequence in the low 16. */
export function mastodonId(at: Date, seq = 0): string {
  return ((BigInt(at.getTime()) << 16n) + BigInt(seq)).toString();
}

export interface DeriveOptions {
  /** Time of the oldest derived status; the others follow one minute apart. */
  start: Date;
  tag?: string;
  /** Text put in each status (its index appended). */
  text?: string;
  /** Followers of the author of status i. */
  followers?: (i: number) => number;
}

/**
 * `count` statuses shaped like the captured timeline status, oldest first in time, each with a
 * new id, time, url and content (`<p>#tag derived status i: text</p>`).
 */
export function deriveStatuses(count: number, options: DeriveOptions): Status[] {
  const template = loadTagTimeline()[0]!;
  const tag = options.tag ?? 'hoot';
  const out: Status[] = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(options.start.getTime() + i * 60_000);
    const id = mastodonId(at, i);
    const account = { ...(template.account as Record<string, unknown>) };
    if (options.followers) account.followers_count = options.followers(i);
    out.push({
      ...template,
      id,
      created_at: at.toISOString(),
      uri: `http://localhost:3000/ap/users/117020566092212359/statuses/${id}`,
      url: `http://localhost:3000/@mastodonpy_test_2/${id}`,
      content: `<p><a href="http://localhost:3000/tags/${tag}" class="mention hashtag" rel="tag">#<span>${tag}</span></a> derived status ${i}: ${options.text ?? 'hashtag toot'}</p>`,
      tags: [{ name: tag, url: `http://localhost:3000/tags/${tag}` }],
      account,
    });
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

export interface MastodonServerOptions {
  statuses: Status[];
  /** The access token search accepts. */
  token: string;
  /** Serve at most this many statuses per page whatever `limit` says. */
  pageSize?: number;
  rateLimit?: { limit: number; remaining: number; resetAt?: Date };
}

export interface MastodonServer {
  /** What `instance:` would be, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: RecordedRequest[];
  addStatuses(statuses: Status[]): void;
  failNext(failure: ScriptedFailure, times?: number, when?: (req: RecordedRequest) => boolean): void;
  setRateLimit(state: { limit?: number; remaining: number; resetAt: Date }): void;
  close(): Promise<void>;
}

const WINDOW_MS = 5 * 60_000;

function compareIdsDesc(a: Status, b: Status): number {
  const x = BigInt(a.id);
  const y = BigInt(b.id);
  return x === y ? 0 : x > y ? -1 : 1;
}

function plain(html: string): string {
  return html.replace(/<[^>]*>/g, ' ').replace(/&amp;/g, '&').replace(/\s+/g, ' ').toLowerCase();
}

function hasTag(status: Status, tag: string): boolean {
  const tags = (status.tags as { name?: string }[] | undefined) ?? [];
  return tags.some((t) => t.name?.toLowerCase() === tag.toLowerCase());
}

function idParam(value: string | undefined): bigint | null {
  return value && /^\d+$/.test(value) ? BigInt(value) : null;
}

export async function startMastodonServer(options: MastodonServerOptions): Promise<MastodonServer> {
  const statuses: Status[] = [...options.statuses].sort(compareIdsDesc);
  const requests: RecordedRequest[] = [];
  const failures = new FailureScript<RecordedRequest>();
  const baseHeaders = hasMastodonFixtures ? loadMastodonMetaHeaders('timelines_tag__hoot') : { 'content-type': 'application/json; charset=utf-8' };
  const rate = {
    limit: options.rateLimit?.limit ?? 300,
    remaining: options.rateLimit?.remaining ?? 300,
    reset: options.rateLimit?.resetAt ?? new Date(Date.now() + WINDOW_MS),
  };
  let base = '';

  function rateHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(rate.limit),
      'x-ratelimit-remaining': String(Math.max(0, rate.remaining)),
      'x-ratelimit-reset': rate.reset.toISOString(),
    };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { ...baseHeaders, 'content-type': 'application/json; charset=utf-8', ...rateHeaders(), ...headers });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  function scripted(res: ServerResponse, failure: ScriptedFailure): void {
    serveFailure(res, failure, {
      send: (r, status, body, headers) => send(r, status, body, headers),
      htmlStatus: 503,
      htmlPage: '<!DOCTYPE html><html><head><title>We are down for maintenance</title></head><body><h1>This instance is undergoing maintenance</h1></body></html>',
      truncatedJson: '[{"id":"1","created_at":"2026-08-01T13:55:55.867Z","content":"<p>cut',
      errorBody: (status) => JSON.stringify({ error: 'Internal Server Error' }),
    });
  }

  /** Applies Mastodon's id window: max_id, since_id (newest page) or min_id (page right after it). */
  function window(list: Status[], query: Record<string, string>, limit: number): Status[] {
    const max = idParam(query.max_id);
    const since = idParam(query.since_id);
    const min = idParam(query.min_id);
    let inRange = list.filter((s) => {
      const id = BigInt(s.id);
      return (max === null || id < max) && (since === null || id > since) && (min === null || id > min);
    });
    if (min !== null && since === null) inRange = inRange.slice(-limit); // oldest ones right after min_id
    return inRange.slice(0, limit);
  }

  function pageLimit(query: Record<string, string>, fallback: number): number {
    const asked = query.limit && /^\d+$/.test(query.limit) ? Math.min(40, Math.max(1, Number(query.limit))) : fallback;
    return Math.min(asked, options.pageSize ?? asked);
  }

  function tagTimeline(res: ServerResponse, tag: string, query: Record<string, string>): void {
    const page = window(statuses.filter((s) => hasTag(s, tag)), query, pageLimit(query, 20));
    const headers: Record<string, string> = {};
    if (page.length) {
      const self = `${base}/api/v1/timelines/tag/${encodeURIComponent(tag)}`;
      const extra = query.limit ? `&limit=${query.limit}` : '';
      headers.link = `<${self}?max_id=${page[page.length - 1]!.id}${extra}>; rel="next", <${self}?min_id=${page[0]!.id}${extra}>; rel="prev"`;
    }
    send(res, 200, page, headers);
  }

  function search(req: IncomingMessage, res: ServerResponse, query: Record<string, string>): void {
    const auth = req.headers.authorization;
    if (auth !== undefined && auth !== `Bearer ${options.token}`) {
      send(res, 401, { error: 'The access token is invalid' });
      return;
    }
    if (!auth && query.offset) {
      send(res, 401, { error: 'Search queries pagination is not supported without authentication' });
      return;
    }
    if (!query.q) {
      send(res, 400, { error: 'Validation failed: q is missing' });
      return;
    }
    const wantsStatuses = query.type === undefined || query.type === 'statuses';
    const needle = query.q.toLowerCase();
    const matching = !auth || !wantsStatuses ? [] : statuses.filter((s) => plain(s.content).includes(needle));
    const offset = query.offset && /^\d+$/.test(query.offset) ? Number(query.offset) : 0;
    const limit = pageLimit(query, 20);
    const page = window(matching, { ...query, ...(query.min_id ? { since_id: query.min_id, min_id: '' } : {}) }, offset + limit).slice(offset);
    send(res, 200, { accounts: [], statuses: page, hashtags: [], collections: [] });
  }

  function notFound(res: ServerResponse): void {
    const body = hasMastodonFixtures ? readFileSync(path.join(mastodonFixturesDir, 'status__404_not_found.json'), 'utf8') : '{"error":"Not Found"}';
    send(res, 404, body);
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
    if (Date.now() >= rate.reset.getTime()) {
      rate.remaining = rate.limit;
      rate.reset = new Date(Date.now() + WINDOW_MS);
    }
    if (rate.remaining <= 0) {
      send(res, 429, { error: 'Too many requests' });
      return;
    }
    rate.remaining -= 1;
    const tagMatch = /^\/api\/v1\/timelines\/tag\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && tagMatch) return tagTimeline(res, decodeURIComponent(tagMatch[1]!), query);
    if (req.method === 'GET' && url.pathname === '/api/v2/search') return search(req, res, query);
    notFound(res);
  }

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    requests,
    addStatuses(more) {
      const known = new Set(statuses.map((s) => s.id));
      for (const status of more) if (!known.has(status.id)) statuses.push(status);
      statuses.sort(compareIdsDesc);
    },
    failNext(failure, times = 1, when) {
      failures.push(failure, times, when);
    },
    setRateLimit(state) {
      if (state.limit !== undefined) rate.limit = state.limit;
      rate.remaining = state.remaining;
      rate.reset = state.resetAt;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
