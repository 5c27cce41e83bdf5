/**
 * A real HTTP server on 127.0.0.1 for feed and end-to-end tests.
 *
 *   const server = await startFeedServer();
 *   server.route('/feed.xml', { body: rss, headers: { 'content-type': 'application/rss+xml' } });
 *   server.route('/slow', async (req, res) => { ... });           // full control
 *   server.route('/dynamic', (req) => ({ status: 503, headers: { 'retry-after': '60' } }));
 *   await poll(server.url('/feed.xml'));
 *   expect(server.requests.at(-1)?.headers['if-none-match']).toBe(...);
 *   await server.close();
 *
 * Static routes answer conditional GETs: every 200 carries an ETag (a hash of the body, unless
 * `etag` is given or `false`) and, when `lastModified` is given, a Last-Modified; a matching
 * If-None-Match (or, without one, an If-Modified-Since not older than lastModified) gets 304.
 * Routes match on the path without the query string; exact path-with-query routes win.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

export interface RouteSpec {
  status?: number;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** ETag to send (quoted or not); default a hash of the body; false sends none. */
  etag?: string | false;
  /** Sends Last-Modified and answers If-Modified-Since. */
  lastModified?: Date | string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Gzip the body when the client accepts it. */
  gzip?: boolean;
}

/**
 * A handler either writes the response itself (full control: trickling, hanging, raw bytes) or
 * returns a RouteSpec that is served like a static route.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => RouteSpec | void | Promise<RouteSpec | void>;

export interface LoggedRequest {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FeedServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  url(path: string): string;
  route(path: string, handler: RouteHandler | RouteSpec): void;
  /** Every request received, in order. */
  readonly requests: LoggedRequest[];
  /** Requests for one path (query string ignored). */
  requestsFor(path: string): LoggedRequest[];
  close(): Promise<void>;
}

export async function startFeedServer(): Promise<FeedServer> {
  const routes = new Map<string, RouteHandler | RouteSpec>();
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body: body.toString() });
      const route = routes.get(path) ?? routes.get(pathOnly(path));
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`no route for ${path}`);
        return;
      }
      void handle(route, req, res, body).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`route failed: ${String(err)}`);
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    url: (path) => `${origin}${path.startsWith('/') ? path : `/${path}`}`,
    route: (path, handler) => void routes.set(path, handler),
    requests,
    requestsFor: (path) => requests.filter((r) => pathOnly(r.path) === pathOnly(path)),
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging and trickling routes keep sockets open; close must not wait for them.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

async function handle(route: RouteHandler | RouteSpec, req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
  const spec = typeof route === 'function' ? await route(req, res, body) : route;
  if (spec === undefined || res.headersSent || res.writableEnded) return;
  if (spec.delayMs) await new Promise((resolve) => setTimeout(resolve, spec.delayMs));
  serveSpec(spec, req, res);
}

function serveSpec(spec: RouteSpec, req: IncomingMessage, res: ServerResponse): void {
  const status = spec.status ?? 200;
  let body = typeof spec.body === 'string' ? Buffer.from(spec.body) : (spec.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = { ...spec.headers };
  if (status === 200) {
    const etag = spec.etag === undefined ? `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"` : spec.etag;
    if (etag !== false) headers.etag = /^(W\/)?"/.test(etag) ? etag : `"${etag}"`;
    const lastModified = spec.lastModified === undefined ? undefined : new Date(spec.lastModified);
    if (lastModified) headers['last-modified'] = lastModified.toUTCString();
    if (isNotModified(req, headers.etag, lastModified)) {
      const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => ['etag', 'last-modified', 'cache-control'].includes(name.toLowerCase())));
      res.writeHead(304, kept).end();
      return;
    }
  }
  if (spec.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  }
  headers['content-length'] = String(body.length);
  res.writeHead(status, headers).end(req.method === 'HEAD' ? undefined : body);
}

function isNotModified(req: IncomingMessage, etag: string | undefined, lastModified: Date | undefined): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    if (etag === undefined) return false;
    const weak = (tag: string): string => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => weak(tag) === weak(etag));
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince === undefined || lastModified === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  // HTTP dates have 1-second resolution.
  return !Number.isNaN(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
}
