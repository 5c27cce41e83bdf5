/**
 * A local Hacker News Algolia Search API on 127.0.0.1 for tests (`/api/v1/search` and
 * `/api/v1/search_by_date`), replaying the real captures in `../shared/fixtures/hackernews/`.
 *
 * The captured `/search` response holds four story hits. Comment hits are derived from the
 * captured `/items/{id}` comment tree of the first story, shaped as Algolia returns comments in
 * search results (`comment_text`, `story_id`, `story_title`, `story_url`, `parent_id`, `_tags`
 * `comment`, `author_x`, `story_N`), so that both kinds and real comment HTML are served.
 *
 * Like Algolia it understands `tags` (comma = AND, `(a,b)` = OR), `numericFilters`
 * (`created_at_i>N`, `>=`, `<`, `<=`, `=`; comma = AND), `hitsPerPage` (default 20, max 1000) and
 * `page`, and returns `nbHits`, `nbPages`, `page`, `hitsPerPage`, `query`, `params`.
 * `search_by_date` sorts by `created_at_i` descending; `search` keeps the captured order.
 * The `query` text is NOT evaluated: the corpus stands for its result set; tests assert the
 * query the server received (see `requests`).
 *
 * Failures are scripted with `failNext()`; new hits "arrive" with `publish()`.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const HN_FIXTURES = path.resolve(repoRoot, '../shared/fixtures/hackernews');
export const hasHnFixtures = existsSync(HN_FIXTURES);

export type HnHit = Record<string, unknown> & { objectID: string; created_at_i: number; _tags: string[] };

export type HnFailure =
  | 'forbidden' // 403, as Algolia answers a blocked client
  | 'not_found' // 404 (wrong HN_API_URL path)
  | 'rate_limit' // 429 with Retry-After (Algolia HN: 10,000 requests per hour per IP)
  | 'server' // 500
  | 'html' // 502 text/html from a proxy in front of the API
  | 'html_200' // 200 with an HTML page (a captive portal, a wrong HN_API_URL)
  | 'invalid_json' // 200 application/json, body cut in the middle
  | 'hang'; // accepts the request and never answers

export interface HnRequest {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  status: number;
}

export interface HnServerOptions {
  /** Hits served; default: the captured story hits plus comment hits derived from the captured item tree. */
  hits?: HnHit[];
  /** Seconds sent in Retry-After with a scripted 429. */
  retryAfterSec?: number;
  /** Caps hitsPerPage (Algolia: 1000), so that paging is testable with the captured hits. */
  maxHitsPerPage?: number;
}

export interface HnServer {
  /** Base URL for HN_API_URL, e.g. http://127.0.0.1:40123/api/v1 */
  url: string;
  requests: HnRequest[];
  failNext(failure: HnFailure, times?: number): void;
  /** The request with this 0-based index (counting every request the server received) fails. */
  failAt(requestIndex: number, failure: HnFailure): void;
  /** New hits arrive. */
  publish(hits: HnHit[]): void;
  /** All hits, newest first. */
  corpus(): HnHit[];
  close(): Promise<void>;
}

export function readHnFixture(name: string): string {
  return readFileSync(path.join(HN_FIXTURES, name), 'utf8');
}

/** The captured /search response's hits. */
export function capturedStoryHits(): HnHit[] {
  return (JSON.parse(readHnFixture('algolia_search__by_url__communal.json')) as { hits: HnHit[] }).hits;
}

interface ItemNode {
  id: number;
  created_at: string;
  created_at_i: number;
  type: string;
  author: string | null;
  title: string | null;
  url: string | null;
  text: string | null;
  points: number | null;
  parent_id: number | null;
  story_id: number | null;
  children: ItemNode[];
}

/** Comment hits as search returns them, built from the captured /items/{id} comment tree. */
export function capturedCommentHits(): HnHit[] {
  const root = JSON.parse(readHnFixture('algolia_items__story_with_comments__communal.json')) as ItemNode;
  const hits: HnHit[] = [];
  const walk = (node: ItemNode): void => {
    for (const child of node.children) {
      if (child.type === 'comment' && child.author) {
        hits.push({
          created_at: child.created_at,
          title: null,
          url: null,
          author: child.author,
          points: child.points,
          story_text: null,
          comment_text: child.text,
          num_comments: null,
          story_id: child.story_id,
          story_title: root.title,
          story_url: root.url,
          parent_id: child.parent_id,
          created_at_i: child.created_at_i,
          _tags: ['comment', `author_${child.author}`, `story_${child.story_id}`],
          objectID: String(child.id),
        });
      }
      walk(child);
    }
  };
  walk(root);
  return hits;
}

export function defaultHits(): HnHit[] {
  return [...capturedStoryHits(), ...capturedCommentHits()];
}

/** Algolia tag filters: top-level comma = AND; a parenthesised group = OR. */
export function matchesTags(hit: HnHit, tags: string | null): boolean {
  if (!tags) return true;
  const groups = tags.match(/\([^)]*\)|[^,]+/g) ?? [];
  return groups.every((group) => {
    const options = group.replace(/^\(|\)$/g, '').split(',').map((t) => t.trim()).filter(Boolean);
    return options.some((tag) => hit._tags.includes(tag));
  });
}

/** Algolia numeric filters on numeric attributes, comma = AND. Throws on an unparseable filter (Algolia: 400). */
export function matchesNumeric(hit: HnHit, filters: string | null): boolean {
  if (!filters) return true;
  for (const filter of filters.split(',')) {
    const m = /^\s*([a-z_]+)\s*(>=|<=|>|<|=|!=)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(filter);
    if (!m) throw new Error(`invalid numericFilters: ${filter}`);
    const value = hit[m[1]!];
    if (typeof value !== 'number') return false;
    const n = Number(m[3]);
    const ok =
      m[2] === '>' ? value > n
      : m[2] === '>=' ? value >= n
      : m[2] === '<' ? value < n
      : m[2] === '<=' ? value <= n
      : m[2] === '=' ? value === n
      : value !== n;
    if (!ok) return false;
  }
  return true;
}

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export async function startHnServer(options: HnServerOptions = {}): Promise<HnServer> {
  let hits = [...(options.hits ?? defaultHits())];
  const failures: HnFailure[] = [];
  const failuresAt = new Map<number, HnFailure>();
  const requests: HnRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const retryAfterSec = options.retryAfterSec ?? 120;
  const byDate = (): HnHit[] => [...hits].sort((a, b) => b.created_at_i - a.created_at_i || Number(b.objectID) - Number(a.objectID));

  function send(res: ServerResponse, record: HnRequest, status: number, body: string, headers: Record<string, string> = {}): void {
    record.status = status;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body);
  }

  function fail(res: ServerResponse, record: HnRequest): boolean {
    const index = requests.indexOf(record);
    const failure = failuresAt.get(index) ?? failures.shift();
    if (!failure) return false;
    switch (failure) {
      case 'forbidden':
        send(res, record, 403, '{"message":"Method not allowed with this API key","status":403}');
        return true;
      case 'not_found':
        send(res, record, 404, '{"message":"Not Found","status":404}');
        return true;
      case 'rate_limit':
        send(res, record, 429, '{"message":"Too many requests","status":429}', { 'retry-after': String(retryAfterSec) });
        return true;
      case 'server':
        send(res, record, 500, '{"message":"Internal Server Error","status":500}');
        return true;
      case 'html':
        send(res, record, 502, HTML_502, { 'content-type': 'text/html' });
        return true;
      case 'html_200':
        send(res, record, 200, '<!doctype html><html><body><h1>Hacker News Search</h1></body></html>', { 'content-type': 'text/html; charset=utf-8' });
        return true;
      case 'invalid_json': {
        const body = readHnFixture('algolia_search__by_url__communal.json');
        send(res, record, 200, body.slice(0, Math.floor(body.length / 2)));
        return true;
      }
      case 'hang':
        record.status = 0;
        hanging.add(res);
        return true;
    }
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: HnRequest = { path: url.pathname, query: url.searchParams, headers: req.headers, status: 0 };
    requests.push(record);
    if (fail(res, record)) return;
    const endpoint = /^\/api\/v1\/(search|search_by_date)$/.exec(url.pathname)?.[1];
    if (!endpoint || req.method !== 'GET') {
      send(res, record, 404, '{"message":"Not Found","status":404}');
      return;
    }
    const q = url.searchParams;
    const hitsPerPage = Math.min(Math.max(Number(q.get('hitsPerPage') ?? 20) || 20, 1), options.maxHitsPerPage ?? 1000);
    const page = Math.max(Number(q.get('page') ?? 0) || 0, 0);
    let selected: HnHit[];
    try {
      const ordered = endpoint === 'search_by_date' ? byDate() : hits;
      selected = ordered.filter((h) => matchesTags(h, q.get('tags')) && matchesNumeric(h, q.get('numericFilters')));
    } catch (err) {
      send(res, record, 400, JSON.stringify({ message: (err as Error).message, status: 400 }));
      return;
    }
    const nbPages = Math.ceil(selected.length / hitsPerPage);
    const body = {
      hits: selected.slice(page * hitsPerPage, (page + 1) * hitsPerPage),
      nbHits: selected.length,
      page,
      nbPages,
      hitsPerPage,
      exhaustiveNbHits: true,
      query: q.get('query') ?? '',
      params: url.search.slice(1),
      processingTimeMS: 1,
    };
    send(res, record, 200, JSON.stringify(body));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    requests,
    failNext(failure, times = 1) {
      for (let i = 0; i < times; i += 1) failures.push(failure);
    },
    failAt(requestIndex, failure) {
      failuresAt.set(requestIndex, failure);
    },
    publish(newHits) {
      hits = [...newHits, ...hits];
    },
    corpus: byDate,
    close() {
      for (const res of hanging) res.destroy();
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
