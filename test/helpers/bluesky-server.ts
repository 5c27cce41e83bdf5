/**
 * A local Bluesky PDS/AppView stand-in (127.0.0.1, port 0) speaking the XRPC methods earshot uses,
 * over the real postViews captured in `../shared/fixtures/bluesky/`:
 *
 * - `com.atproto.server.createSession` (identifier + app password; the captured 401 body on a
 *   wrong password), `com.atproto.server.refreshSession` (rotates both tokens, the old refresh
 *   token is revoked);
 * - `app.bsky.feed.searchPosts` (`q` required, `limit` 1..100, `sort`, opaque `cursor` paging,
 *   newest `indexedAt` first), with access-token checks: no token 401 AuthMissing, unknown 401
 *   InvalidToken, expired 400 ExpiredToken (what the PDS answers);
 * - `RateLimit-Limit/Remaining/Reset/Policy` headers, 429 RateLimitExceeded when used up;
 * - scripted failures: any status, HTML error pages, invalid JSON, a request that never answers.
 */
import { FailureScript, serveFailure, type ScriptedFailure } from './scripted-failures.js';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const blueskyFixturesDir = path.resolve(repoRoot, '../shared/fixtures/bluesky');
export const hasBlueskyFixtures = existsSync(blueskyFixturesDir);

/** A postView as the AppView sends it (foreign JSON, kept loose). */
export type PostView = Record<string, unknown> & { uri: string; indexedAt: string };

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(blueskyFixturesDir, name), 'utf8')) as unknown;
}

/** The 25 postViews of the captured `searchPosts?q=redistricting`, newest indexedAt first. */
export function loadBlueskyPosts(): PostView[] {
  const body = readFixture('searchPosts__q_redistricting.json') as { posts: PostView[] };
  return [...body.posts].sort(byIndexedAtDesc);
}

/** The recorded response headers of a capture, minus the ones describing the wire encoding. */
export function loadBlueskyMetaHeaders(name: string): Record<string, string> {
  const meta = readFixture(`${name}.meta.json`) as { response: { headers: Record<string, string> } };
  const skip = new Set(['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'date', 'etag', 'vary']);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(meta.response.headers)) {
    if (!skip.has(key.toLowerCase())) out[key.toLowerCase()] = value;
  }
  return out;
}

function byIndexedAtDesc(a: PostView, b: PostView): number {
  return Date.parse(b.indexedAt) - Date.parse(a.indexedAt);
}

export type { ScriptedFailure } from './scripted-failures.js';

export interface RecordedRequest {
  method: string;
  /** The XRPC method, e.g. 'app.bsky.feed.searchPosts'. */
  nsid: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface BlueskyServerOptions {
  handle: string;
  appPassword: string;
  posts: PostView[];
  /** Serve at most this many posts per page whatever `limit` says (to exercise paging). */
  pageSize?: number;
  rateLimit?: { limit: number; remaining: number; resetAt?: Date };
}

export interface BlueskyServer {
  /** What BLUESKY_SERVICE_URL would be. */
  url: string;
  requests: RecordedRequest[];
  calls(nsid: string): RecordedRequest[];
  /** New posts arrive (merged, newest first). */
  addPosts(posts: PostView[]): void;
  /** Every access token issued so far now answers 400 ExpiredToken. */
  expireAccessTokens(): void;
  /** Every refresh token issued so far is refused (as after a password change). */
  revokeRefreshTokens(): void;
  failNext(failure: ScriptedFailure, times?: number, when?: (req: RecordedRequest) => boolean): void;
  setRateLimit(state: { limit?: number; remaining: number; resetAt: Date }): void;
  close(): Promise<void>;
}

const WINDOW_SECONDS = 300;
const DID = 'did:plc:earshottestaccount000000';

function token(kind: string): string {
  // JWT-shaped, opaque to the client.
  const header = Buffer.from(JSON.stringify({ typ: kind, alg: 'ES256K' })).toString('base64url');
  return `${header}.${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64url')}`;
}

export async function startBlueskyServer(options: BlueskyServerOptions): Promise<BlueskyServer> {
  const posts: PostView[] = [...options.posts].sort(byIndexedAtDesc);
  const requests: RecordedRequest[] = [];
  const failures = new FailureScript<RecordedRequest>();
  const access = new Map<string, 'valid' | 'expired'>();
  const refresh = new Map<string, 'valid' | 'revoked'>();
  const searchHeaders = hasBlueskyFixtures ? loadBlueskyMetaHeaders('searchPosts__q_redistricting') : {};
  const loginHeaders = hasBlueskyFixtures ? loadBlueskyMetaHeaders('createSession__401_AuthenticationRequired') : {};
  const nowSec = (): number => Math.floor(Date.now() / 1000);
  const rate = {
    limit: options.rateLimit?.limit ?? 3000,
    remaining: options.rateLimit?.remaining ?? 3000,
    reset: options.rateLimit?.resetAt ? Math.floor(options.rateLimit.resetAt.getTime() / 1000) : nowSec() + WINDOW_SECONDS,
  };

  function rateHeaders(): Record<string, string> {
    return {
      'ratelimit-limit': String(rate.limit),
      'ratelimit-remaining': String(Math.max(0, rate.remaining)),
      'ratelimit-reset': String(rate.reset),
      'ratelimit-policy': `${rate.limit};w=${WINDOW_SECONDS}`,
    };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, {
      ...searchHeaders,
      'content-type': 'application/json; charset=utf-8',
      ...rateHeaders(),
      ...headers,
    });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  function xrpcError(res: ServerResponse, status: number, error: string, message: string, headers: Record<string, string> = {}): void {
    send(res, status, { error, message }, headers);
  }

  function scripted(res: ServerResponse, failure: ScriptedFailure): void {
    serveFailure(res, failure, {
      send: (r, status, body, headers) => send(r, status, body, headers),
      htmlStatus: 502,
      htmlPage: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
      truncatedJson: '{"posts":[{"uri":"at://did:plc:x/app.bsky.feed.post/1",',
      errorBody: (status) => JSON.stringify({ error: 'InternalServerError', message: 'Internal Server Error' }),
    });
  }

  function issueSession(res: ServerResponse): void {
    const accessJwt = token('at+jwt');
    const refreshJwt = token('refresh+jwt');
    access.set(accessJwt, 'valid');
    refresh.set(refreshJwt, 'valid');
    send(res, 200, { did: DID, handle: options.handle, email: 'earshot@example.com', emailConfirmed: true, accessJwt, refreshJwt, active: true });
  }

  function createSession(res: ServerResponse, rawBody: string): void {
    let body: { identifier?: unknown; password?: unknown };
    try {
      body = JSON.parse(rawBody) as typeof body;
    } catch {
      xrpcError(res, 400, 'InvalidRequest', 'Request body must be JSON');
      return;
    }
    if (typeof body.identifier !== 'string' || typeof body.password !== 'string') {
      xrpcError(res, 400, 'InvalidRequest', 'Input must have the property "identifier"');
      return;
    }
    if (body.identifier !== options.handle || body.password !== options.appPassword) {
      // The captured answer to a wrong password, body and rate-limit policy included.
      const captured = hasBlueskyFixtures
        ? readFileSync(path.join(blueskyFixturesDir, 'createSession__401_AuthenticationRequired.json'), 'utf8')
        : JSON.stringify({ error: 'AuthenticationRequired', message: 'Invalid identifier or password' });
      send(res, 401, captured, loginHeaders);
      return;
    }
    issueSession(res);
  }

  function bearer(req: IncomingMessage): string | null {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') ? header.slice(7) : null;
  }

  function refreshSession(req: IncomingMessage, res: ServerResponse): void {
    const presented = bearer(req);
    const state = presented ? refresh.get(presented) : undefined;
    if (!presented || !state) {
      xrpcError(res, 401, 'InvalidToken', 'Token could not be verified');
      return;
    }
    if (state === 'revoked') {
      xrpcError(res, 400, 'ExpiredToken', 'Token has been revoked');
      return;
    }
    refresh.set(presented, 'revoked');
    issueSession(res);
  }

  function checkAccess(req: IncomingMessage, res: ServerResponse): boolean {
    const presented = bearer(req);
    if (!presented) {
      xrpcError(res, 401, 'AuthMissing', 'Authentication Required');
      return false;
    }
    const state = access.get(presented);
    if (!state) {
      xrpcError(res, 401, 'InvalidToken', 'Token could not be verified');
      return false;
    }
    if (state === 'expired') {
      xrpcError(res, 400, 'ExpiredToken', 'Token has expired');
      return false;
    }
    return true;
  }

  function searchPosts(res: ServerResponse, query: Record<string, string>): void {
    if (!query.q) {
      xrpcError(res, 400, 'InvalidRequest', 'Error: Params must have the property "q"');
      return;
    }
    const limit = query.limit === undefined ? 25 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      xrpcError(res, 400, 'InvalidRequest', 'Error: limit can not be greater than 100');
      return;
    }
    if (query.sort !== undefined && query.sort !== 'latest' && query.sort !== 'top') {
      xrpcError(res, 400, 'InvalidRequest', 'Error: Params sort must be one of (latest, top)');
      return;
    }
    const offset = query.cursor === undefined ? 0 : Number(query.cursor);
    if (!Number.isInteger(offset) || offset < 0) {
      xrpcError(res, 400, 'InvalidRequest', 'Error: malformed cursor');
      return;
    }
    const size = Math.min(limit, options.pageSize ?? limit);
    const page = posts.slice(offset, offset + size);
    const body: Record<string, unknown> = { posts: page };
    // Like the AppView, a cursor comes with every page that may have more after it.
    if (offset + page.length < posts.length) body.cursor = String(offset + page.length);
    send(res, 200, body);
  }

  function route(req: IncomingMessage, res: ServerResponse, recorded: RecordedRequest): void {
    if (req.method === 'POST' && recorded.nsid === 'com.atproto.server.createSession') return createSession(res, recorded.body);
    if (req.method === 'POST' && recorded.nsid === 'com.atproto.server.refreshSession') return refreshSession(req, res);
    if (req.method === 'GET' && recorded.nsid === 'app.bsky.feed.searchPosts') {
      if (!checkAccess(req, res)) return;
      if (nowSec() >= rate.reset) {
        rate.remaining = rate.limit;
        rate.reset = nowSec() + WINDOW_SECONDS;
      }
      if (rate.remaining <= 0) {
        xrpcError(res, 429, 'RateLimitExceeded', 'Rate Limit Exceeded');
        return;
      }
      rate.remaining -= 1;
      return searchPosts(res, recorded.query);
    }
    xrpcError(res, 404, 'MethodNotImplemented', 'Method Not Implemented');
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const nsid = url.pathname.startsWith('/xrpc/') ? url.pathname.slice('/xrpc/'.length) : url.pathname;
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        nsid,
        query: Object.fromEntries(url.searchParams.entries()),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const failure = failures.take(recorded);
      if (failure) {
        scripted(res, failure);
        return;
      }
      route(req, res, recorded);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    calls: (nsid) => requests.filter((r) => r.nsid === nsid),
    addPosts(more) {
      const known = new Set(posts.map((p) => p.uri));
      for (const post of more) if (!known.has(post.uri)) posts.push(post);
      posts.sort(byIndexedAtDesc);
    },
    expireAccessTokens() {
      for (const key of access.keys()) access.set(key, 'expired');
    },
    revokeRefreshTokens() {
      for (const key of refresh.keys()) refresh.set(key, 'revoked');
    },
    failNext(failure, times = 1, when) {
      failures.push(failure, times, when);
    },
    setRateLimit(state) {
      if (state.limit !== undefined) rate.limit = state.limit;
      rate.remaining = state.remaining;
      rate.reset = Math.floor(state.resetAt.getTime() / 1000);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
