/**
 * A webhook receiver on 127.0.0.1 for tests: a real HTTP server, no mocks. It records every
 * request exactly as received (raw body bytes, headers, path and query) and answers with the
 * responses queued for it, then with the default one. Used for the webhook, Discord and Teams
 * notifiers, replaying the captured responses in ../shared/fixtures/discord and teams.
 *
 *   const hook = await startWebhookServer({ status: 204 });
 *   hook.queue(fixtureResponse('discord', 'rate_limited__429_user_scope__docs_example'));
 *   ... send to hook.url('/api/webhooks/1/abc') ...
 *   const [req] = await hook.waitForRequests(1);
 *   await hook.close();
 *
 * A response may also be 'drop' (the socket is destroyed without an answer) or 'hang' (no
 * answer until close(), for client timeouts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForCount } from './wait.js';

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export type WebhookReply = ScriptedResponse | 'drop' | 'hang';

export interface ReceivedWebhook {
  method: string;
  /** Path and query as requested, e.g. '/api/webhooks/1/abc?wait=true'. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received (a signature covers these bytes). */
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** What this server answered. */
  reply: WebhookReply;
  receivedAt: Date;
}

export interface WebhookServer {
  /** 'http://127.0.0.1:PORT' + path. */
  url(pathname?: string): string;
  requests: ReceivedWebhook[];
  /** Answers the next requests with these, in order; afterwards the default. */
  queue(...replies: WebhookReply[]): void;
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURES_DIR = path.resolve(repoRoot, '../shared/fixtures');

/**
 * A captured response from ../shared/fixtures/<folder>/<name>.{json,txt} with the status and
 * headers of its .meta.json (when the capture recorded them; else `status`).
 */
export function fixtureResponse(folder: string, name: string, status = 200): ScriptedResponse {
  const dir = path.join(FIXTURES_DIR, folder);
  const bodyFile = ['.json', '.txt'].map((ext) => path.join(dir, `${name}${ext}`)).find((file) => existsSync(file));
  if (!bodyFile) throw new Error(`fixture ${folder}/${name} not found in ${FIXTURES_DIR}`);
  const metaFile = path.join(dir, `${name}.meta.json`);
  const meta = existsSync(metaFile)
    ? (JSON.parse(readFileSync(metaFile, 'utf8')) as { response?: { status?: number; headers?: Record<string, string> } })
    : {};
  return {
    status: meta.response?.status ?? status,
    headers: { 'content-type': bodyFile.endsWith('.json') ? 'application/json' : 'text/plain', ...(meta.response?.headers ?? {}) },
    body: readFileSync(bodyFile, 'utf8'),
  };
}

export async function startWebhookServer(defaultReply: WebhookReply = { status: 200, body: '' }): Promise<WebhookServer> {
  const requests: ReceivedWebhook[] = [];
  const queued: WebhookReply[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  const hanging = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const reply = queued.shift() ?? defaultReply;
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      requests.push({ method: req.method ?? '', path: req.url ?? '/', query: url.searchParams, headers: req.headers, body, json, reply, receivedAt: new Date() });
      for (const wake of [...waiters]) wake();
      if (reply === 'drop') {
        req.socket.destroy();
        return;
      }
      if (reply === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body ?? '');
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url: (pathname = '/') => `http://127.0.0.1:${port}${pathname}`,
    requests,
    queue: (...replies) => queued.push(...replies),
    waitForRequests: (n, timeoutMs = 5000) => waitForCount(requests, n, waiters, timeoutMs, 'webhook server', 'request(s)'),
    close: async () => {
      for (const end of hanging) end();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
