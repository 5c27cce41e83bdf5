import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError } from './types.js';
import { errorForStatus, httpRequest, retryAfterMs, safeUrl, USER_AGENT, type HttpResponse } from './http.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
const handlers = new Map<string, Handler>();
const seen: { path: string; headers: IncomingMessage['headers']; method: string | undefined; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, method: req.method, body: Buffer.concat(chunks).toString() });
      const handler = handlers.get(new URL(req.url ?? '/', 'http://x').pathname);
      if (handler) handler(req, res);
      else res.writeHead(404).end('no route');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  handlers.set('/ok', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'));
  for (let i = 1; i <= 3; i++) {
    handlers.set(`/hop${i}`, (_req, res) => res.writeHead(i === 2 ? 307 : 302, { location: i === 3 ? '/ok' : `/hop${i + 1}` }).end());
  }
  handlers.set('/absolute-hop', (_req, res) => res.writeHead(301, { location: `${base}/ok` }).end());
  handlers.set('/loop-a', (_req, res) => res.writeHead(302, { location: '/loop-b' }).end());
  handlers.set('/loop-b', (_req, res) => res.writeHead(302, { location: '/loop-a' }).end());
  for (let i = 0; i < 10; i++) handlers.set(`/chain${i}`, (_req, res) => res.writeHead(302, { location: `/chain${i + 1}` }).end());
  handlers.set('/see-other', (_req, res) => res.writeHead(303, { location: '/ok' }).end());
  handlers.set('/to-ftp', (_req, res) => res.writeHead(302, { location: 'ftp://127.0.0.1/file' }).end());
  handlers.set('/trickle', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('.'), 50);
    res.on('close', () => clearInterval(timer));
  });
  handlers.set('/big', (_req, res) => res.writeHead(200).end(Buffer.alloc(200_000, 0x61)));
  handlers.set('/big-chunked', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    for (let i = 0; i < 50; i++) res.write(Buffer.alloc(4096, 0x62));
    res.end();
  });
  const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024));
  handlers.set('/bomb', (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': bomb.length }).end(bomb));
  const small = gzipSync(Buffer.from('compressed hello'));
  handlers.set('/gzip', (_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(small));
  handlers.set('/status', (req, res) => {
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('s'));
    res.writeHead(status, { 'retry-after': '7' }).end('status body');
  });
  handlers.set('/echo', (req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers)));
  handlers.set('/cross-origin', (_req, res) => res.writeHead(302, { location: `${base.replace('127.0.0.1', 'localhost')}/echo` }).end());
});

afterAll(async () => {
  // Keep-alive sockets from fetch would otherwise hold close() for seconds.
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    return err as SourceError;
  }
  throw new Error('expected the request to fail');
}

describe('httpRequest', () => {
  it('returns status, final url, headers and body, and sends the earshot User-Agent', async () => {
    const res = await httpRequest({ url: `${base}/ok` });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/ok`);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.body.toString()).toBe('hello');
    expect(seen.at(-1)?.headers['user-agent']).toBe(USER_AGENT);
  });

  it('lets the caller set its own User-Agent', async () => {
    await httpRequest({ url: `${base}/ok`, headers: { 'User-Agent': 'custom/1.0' } });
    expect(seen.at(-1)?.headers['user-agent']).toBe('custom/1.0');
  });

  it('follows a redirect chain and reports the final URL', async () => {
    const res = await httpRequest({ url: `${base}/hop1` });
    expect(res.status).toBe(200);
    expect(res.url).toBe(`${base}/ok`);
    expect(res.body.toString()).toBe('hello');
  });

  it('follows an absolute Location', async () => {
    const res = await httpRequest({ url: `${base}/absolute-hop` });
    expect(res.url).toBe(`${base}/ok`);
  });

  it('turns a POST into a GET on 303', async () => {
    const res = await httpRequest({ url: `${base}/see-other`, method: 'POST', body: 'a=1' });
    expect(res.status).toBe(200);
    expect(seen.at(-1)?.method).toBe('GET');
    expect(seen.at(-2)?.method).toBe('POST');
    expect(seen.at(-2)?.body).toBe('a=1');
  });

  it('sends form bodies', async () => {
    await httpRequest({ url: `${base}/echo`, method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials' }) });
    expect(seen.at(-1)?.body).toBe('grant_type=client_credentials');
    expect(seen.at(-1)?.headers['content-type']).toContain('application/x-www-form-urlencoded');
  });

  it('detects a redirect loop and names the url', async () => {
    const err = await failure(httpRequest({ url: `${base}/loop-a?token=hunter22` }));
    expect(err.kind).toBe('network');
    expect(err.message).toContain(`${base}/loop-a`);
    expect(err.message).toContain('redirect loop');
    expect(err.message).not.toContain('hunter22');
  });

  it('stops after maxRedirects', async () => {
    const err = await failure(httpRequest({ url: `${base}/chain0` }));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/too many redirects \(more than 5\)/);
    expect(err.message).toContain(`${base}/chain0`);
    const res = await httpRequest({ url: `${base}/chain7`, maxRedirects: 3 });
    expect(res.url).toBe(`${base}/chain10`);
    expect(res.status).toBe(404);
  });

  it('refuses a redirect to a non-http scheme', async () => {
    const err = await failure(httpRequest({ url: `${base}/to-ftp` }));
    expect(err.kind).toBe('network');
    expect(err.message).toContain('ftp:');
  });

  it('sends URL credentials as Basic auth, never in the URL', async () => {
    const url = new URL(`${base}/echo`);
    url.username = 'feed user';
    url.password = 'p@ss';
    const res = await httpRequest({ url: url.href });
    const echoed = JSON.parse(res.body.toString()) as Record<string, string>;
    expect(echoed.authorization).toBe(`Basic ${Buffer.from('feed user:p@ss').toString('base64')}`);
    expect(res.url).toBe(`${base}/echo`);
  });

  it('drops Authorization when a redirect leaves the origin', async () => {
    const res = await httpRequest({ url: `${base}/cross-origin`, headers: { Authorization: 'Bearer abcdef' } });
    const echoed = JSON.parse(res.body.toString()) as Record<string, string>;
    expect(echoed.authorization).toBeUndefined();
    const direct = await httpRequest({ url: `${base}/echo`, headers: { Authorization: 'Bearer abcdef' } });
    expect((JSON.parse(direct.body.toString()) as Record<string, string>).authorization).toBe('Bearer abcdef');
  });

  it('cuts off a server that sends headers and then trickles forever', async () => {
    const started = Date.now();
    const err = await failure(httpRequest({ url: `${base}/trickle`, timeoutMs: 300 }));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain(`${base}/trickle`);
    // Cut off near 300 ms (the trickle never ends); the bound is generous for a loaded CI machine.
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("reports the caller's abort as network (stopping) and a deadline signal as timeout", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const stopped = await failure(httpRequest({ url: `${base}/trickle`, signal: controller.signal }));
    expect(stopped.kind).toBe('network');
    expect(stopped.message).toContain('aborted');
    const deadline = await failure(httpRequest({ url: `${base}/trickle`, signal: AbortSignal.timeout(100) }));
    expect(deadline.kind).toBe('timeout');
  });

  it('enforces the size cap on a declared and on a chunked body', async () => {
    const declared = await failure(httpRequest({ url: `${base}/big`, maxBytes: 100_000 }));
    expect(declared.kind).toBe('too_large');
    expect(declared.message).toContain(`${base}/big`);
    const chunked = await failure(httpRequest({ url: `${base}/big-chunked`, maxBytes: 100_000 }));
    expect(chunked.kind).toBe('too_large');
    const fits = await httpRequest({ url: `${base}/big-chunked`, maxBytes: 300_000 });
    expect(fits.body.length).toBe(50 * 4096);
  });

  it('decompresses gzip and applies the cap after decompression (gzip bomb)', async () => {
    const res = await httpRequest({ url: `${base}/gzip` });
    expect(res.body.toString()).toBe('compressed hello');
    const started = Date.now();
    const err = await failure(httpRequest({ url: `${base}/bomb`, maxBytes: 64 * 1024 }));
    expect(err.kind).toBe('too_large');
    expect(err.message).toContain('64 KiB');
    expect(Date.now() - started).toBeLessThan(5000); // stops at the cap, does not inflate the bomb
  });

  it('reports a refused connection as network error naming the url', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await failure(httpRequest({ url: `http://user:pw@127.0.0.1:${port}/feed?api_key=s3cr3t&q=acme` }));
    expect(err.message).not.toContain('user');
    expect(err.kind).toBe('network');
    expect(err.message).toContain(`http://127.0.0.1:${port}/feed?q=acme`);
    expect(err.message).toContain('connection refused');
    expect(err.message).not.toContain('s3cr3t');
    expect(err.message).not.toContain('pw@');
  });

  it('never throws on an HTTP status', async () => {
    for (const status of [400, 401, 404, 429, 500, 503]) {
      const res = await httpRequest({ url: `${base}/status?s=${status}` });
      expect(res.status).toBe(status);
      expect(res.body.toString()).toBe('status body');
    }
  });
});

describe('retryAfterMs', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it.each([
    ['120', 120_000],
    ['0', 0],
    ['Mon, 23 Nov 2026 12:01:30 GMT', 90_000],
    ['Mon, 23 Nov 2026 11:00:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined],
    ['1.5', undefined],
  ])('Retry-After %j -> %j', (value, expected) => {
    expect(retryAfterMs(new Headers({ 'retry-after': value }), now)).toBe(expected);
  });

  it('is undefined without the header', () => {
    expect(retryAfterMs(new Headers(), now)).toBeUndefined();
  });

  it('reads a real server response (both forms)', async () => {
    const res = await httpRequest({ url: `${base}/status?s=429` });
    expect(retryAfterMs(res.headers)).toBe(7000);
  });
});

describe('safeUrl', () => {
  it.each([
    ['https://user:pass@example.com/feed', 'https://example.com/feed'],
    ['https://example.com/feed?access_token=abc&q=acme', 'https://example.com/feed?q=acme'],
    ['https://example.com/x?api_key=1&apiKey=2&secret=3&password=4&token=5', 'https://example.com/x'],
    ['https://news.google.com/rss/search?q=%22acme+cloud%22', 'https://news.google.com/rss/search?q=%22acme+cloud%22'],
    ['not a url?token=abc', 'not a url'],
    ['https://x.test/f?oauth_token=1&authToken=2&X-Amz-Signature=3&client_secret=4&apikey=5&keywords=acme&author=jane', 'https://x.test/f?keywords=acme&author=jane'],
  ])('%s -> %s', (input, expected) => {
    expect(safeUrl(input)).toBe(expected);
  });
});

describe('errorForStatus', () => {
  function response(status: number, headers: Record<string, string> = {}): HttpResponse {
    return { status, url: 'https://example.com/feed', headers: new Headers(headers), body: Buffer.alloc(0) };
  }
  it.each([
    [401, 'auth', 'Unauthorized'],
    [403, 'auth', 'Forbidden'],
    [404, 'not_found', 'Not Found'],
    [410, 'not_found', 'Gone'],
    [429, 'rate_limit', 'Too Many Requests'],
    [500, 'server', 'Internal Server Error'],
    [503, 'server', 'Service Unavailable'],
    [400, 'config', 'Bad Request'],
  ])('%i -> %s', (status, kind, text) => {
    const err = errorForStatus(response(status), 'https://example.com/feed', 'check the url');
    expect(err.kind).toBe(kind);
    expect(err.message).toBe(`https://example.com/feed: HTTP ${status} ${text}; check the url`);
  });

  it('carries Retry-After', () => {
    const err = errorForStatus(response(429, { 'retry-after': '30' }), 'x', 'wait');
    expect(err.retryAfterMs).toBe(30_000);
    expect(errorForStatus(response(500), 'x', 'y').retryAfterMs).toBeUndefined();
  });
});
