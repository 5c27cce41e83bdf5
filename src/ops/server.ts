/**
 * The operations HTTP server of `earshot run --http [ADDR]`: GET /healthz and GET /metrics, and
 * beside them the web UI and JSON API (src/web), which get every other request.
 *
 * Opt-in and loopback by default: `--http` alone, `--http 9464` and `--http :9464` all listen
 * on 127.0.0.1. Another interface only when written out (`--http 0.0.0.0:9464`, as in a
 * container), and then a warning is logged: neither endpoint has authentication, and /metrics
 * names your brands and sources.
 *
 * With Slack buttons over HTTP (SLACK_SIGNING_SECRET), `POST /slack/actions` is served too: each
 * request is authenticated by its Slack signature (src/web/slack-actions.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/types.js';
import { checkHealth, type HealthSource } from './health.js';
import { createMetricsRegistry } from './metrics.js';

export const DEFAULT_HTTP_PORT = 9464;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

export interface HttpAddress {
  host: string;
  port: number;
  /** Listening beyond loopback (an explicit non-loopback host). */
  exposed: boolean;
}

export class HttpAddressError extends Error {
  constructor(text: string, why: string) {
    super(`--http ${text}: ${why}; write it like 127.0.0.1:9464, :9464 or 9464 (loopback), or 0.0.0.0:9464 to listen on every interface`);
    this.name = 'HttpAddressError';
  }
}

function parsePort(text: string, raw: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new HttpAddressError(raw, `"${text}" is not a port`);
  const port = Number(text);
  if (port > 65_535) throw new HttpAddressError(raw, `port ${port} is out of range`);
  return port;
}

function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Parses the --http value; `true` (the flag without a value) means 127.0.0.1:9464. */
export function parseHttpAddress(value: string | true): HttpAddress {
  if (value === true || value.trim() === '') return { host: '127.0.0.1', port: DEFAULT_HTTP_PORT, exposed: false };
  const raw = value.trim();
  let host: string;
  let portText: string;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(raw);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2] ?? String(DEFAULT_HTTP_PORT);
  } else if (/^:?\d+$/.test(raw)) {
    host = '127.0.0.1';
    portText = raw.replace(/^:/, '');
  } else if (isIP(raw) === 6) {
    host = raw;
    portText = String(DEFAULT_HTTP_PORT);
  } else {
    const colon = raw.lastIndexOf(':');
    host = colon === -1 ? raw : raw.slice(0, colon);
    portText = colon === -1 ? String(DEFAULT_HTTP_PORT) : raw.slice(colon + 1);
  }
  if (host === '') host = '127.0.0.1';
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) throw new HttpAddressError(raw, `"${host}" is not a host`);
  return { host, port: parsePort(portText, raw), exposed: !isLoopback(host) };
}

/** A Fetch API handler for `POST /slack/actions` (see src/web/slack-actions.ts). */
export interface SlackActionsEndpoint {
  handleRequest(request: Request): Promise<Response>;
}

export interface OpsServerOptions {
  address: HttpAddress;
  /** Serves POST /slack/actions when given (Slack interactivity over HTTP). */
  slackActions?: SlackActionsEndpoint | null;
  store: Store;
  scheduler: HealthSource;
  log: Logger;
  now?: () => Date;
  /** The web UI and API (src/web): every request but /healthz and /metrics. */
  web?: { listener: (req: IncomingMessage, res: ServerResponse) => void };
  /** PostgreSQL: the lease within which a node counts as alive, for the cluster metrics. */
  clusterLeaseMs?: number;
}

export interface OpsServer {
  /** e.g. http://127.0.0.1:9464 (the bound port when 0 was asked for). */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, body: string, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(head ? undefined : body);
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const now = options.now ?? (() => new Date());
  const registry = createMetricsRegistry({ store: options.store, now, ...(options.clusterLeaseMs !== undefined ? { clusterLeaseMs: options.clusterLeaseMs } : {}) });
  const log = options.log.child({ component: 'http' });

  type Listener = (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  let slackListener: Listener | null = null;
  const slackActions = options.slackActions ?? null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const head = req.method === 'HEAD';
    if (path === '/slack/actions' && slackActions) {
      // The raw body reaches the handler untouched: its signature is computed over those bytes.
      if (!slackListener) {
        const { getRequestListener } = await import('@hono/node-server');
        slackListener = getRequestListener((request) => slackActions.handleRequest(request));
      }
      await slackListener(req, res);
      return;
    }
    if (options.web && path !== '/healthz' && path !== '/metrics') {
      options.web.listener(req, res);
      return;
    }
    if (req.method !== 'GET' && !head) {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', head);
      return;
    }
    if (path === '/healthz') {
      const report = await checkHealth({ store: options.store, scheduler: options.scheduler, now });
      if (!report.ok) log.warn({ problems: report.problems }, 'health check failing');
      send(res, report.ok ? 200 : 503, 'application/json', JSON.stringify({ status: report.ok ? 'ok' : 'unhealthy', ...report }) + '\n', head);
      return;
    }
    if (path === '/metrics') {
      const body = await registry.metrics();
      send(res, 200, registry.contentType, body, head);
      return;
    }
    if (path === '/') {
      send(res, 200, 'text/plain; charset=utf-8', 'earshot\n/healthz  health (200 ok, 503 with the reason)\n/metrics  Prometheus metrics\n', head);
      return;
    }
    send(res, 404, 'text/plain; charset=utf-8', 'not found: try /healthz or /metrics\n', head);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err, path: req.url }, 'http request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `internal error: ${(err as Error).message}\n`, false);
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;

  const { host, port } = options.address;
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the address is in use (another earshot, or another exporter?)' : err.code === 'EACCES' ? 'permission denied' : err.message;
      reject(new HttpAddressError(`${host}:${port}`, why));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const url = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  log.info({ url, healthz: `${url}/healthz`, metrics: `${url}/metrics` }, 'http server listening');
  if (options.address.exposed) {
    log.warn(
      { url },
      options.web
        ? 'http server listens beyond loopback: /healthz and /metrics have no authentication (the web UI and API do); put HTTPS in front of it (a reverse proxy) and restrict access with a firewall'
        : 'http server listens beyond loopback: /healthz and /metrics have no authentication; restrict access with a firewall or a proxy',
    );
  }
  return {
    url,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
