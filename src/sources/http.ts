/**
 * The one HTTP client every source uses (Node's fetch underneath).
 *
 * - Redirects are followed here, not by fetch, so that they can be counted, loops detected and
 *   credentials dropped when a redirect leaves the origin.
 * - `timeoutMs` covers the whole exchange, redirects and body included: a server that sends
 *   headers and then trickles bytes forever is cut off.
 * - The body is streamed with a byte cap that applies after decompression (fetch decodes gzip,
 *   deflate and br), so a compression bomb is cut off at `maxBytes`.
 * - HTTP statuses never throw; transport failures throw `SourceError` ('timeout' | 'network' |
 *   'too_large') with a message that names the URL without its secrets (`safeUrl`).
 */
import { STATUS_CODES } from 'node:http';
import { SourceError } from './types.js';

export const USER_AGENT = 'earshot/0.1 (+self-hosted brand monitoring)';

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | URLSearchParams;
  /** Whole request including redirects and body; default 30 s. */
  timeoutMs?: number;
  /** Cap on the decompressed body; default 10 MiB. Larger -> SourceError('too_large'). */
  maxBytes?: number;
  /** Default 5. A loop or more redirects -> SourceError('network'). */
  maxRedirects?: number;
  /** The caller's abort (daemon stopping, poll deadline). */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Final URL after redirects. */
  url: string;
  headers: Headers;
  body: Buffer;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Words that make a query parameter a secret, matched per word of its name (api_key, apiKey, oauth_token, X-Amz-Signature). */
const SECRET_WORDS = new Set([
  'token', 'key', 'apikey', 'accesstoken', 'secret', 'password', 'passwd', 'pwd', 'pass', 'auth', 'sig', 'signature', 'credential', 'credentials', 'session', 'sessionid', 'sid',
]);
/** Headers that must not follow a redirect to another origin. */
const ORIGIN_BOUND_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];

/** The URL as it may appear in messages and logs: no userinfo, no secret-looking query parameters. */
export function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: still drop anything that looks like userinfo or a query string.
    return url.replace(/\/\/[^/@\s]*@/, '//').replace(/\?.*$/s, '');
  }
  parsed.username = '';
  parsed.password = '';
  const search = parsed.search.slice(1);
  if (search !== '') {
    const kept = search.split('&').filter((pair) => !isSecretParam(pair));
    parsed.search = kept.length > 0 ? `?${kept.join('&')}` : '';
  }
  return parsed.toString();
}

function isSecretParam(pair: string): boolean {
  const rawName = pair.split('=', 1)[0] ?? '';
  let name = rawName;
  try {
    name = decodeURIComponent(rawName.replace(/\+/g, ' '));
  } catch {
    // keep the raw name
  }
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  return words.some((word) => SECRET_WORDS.has(word)) || SECRET_WORDS.has(name.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP-date; undefined when absent or invalid. */
export function retryAfterMs(headers: Headers, now: Date = new Date()): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/**
 * Maps a non-2xx response to a SourceError: 401/403 auth, 404/410 not_found, 429 rate_limit,
 * 5xx server, other 4xx config (the request the settings produce is wrong), anything else server.
 * Retry-After is carried along whenever the server sent it.
 */
export function errorForStatus(res: HttpResponse, what: string, hint: string): SourceError {
  const status = res.status;
  const statusText = STATUS_CODES[status] ?? 'Unknown Status';
  const message = `${what}: HTTP ${status} ${statusText}; ${hint}`;
  const retryAfter = retryAfterMs(res.headers);
  const options = retryAfter === undefined ? {} : { retryAfterMs: retryAfter };
  return new SourceError(kindForStatus(status), message, options);
}

function kindForStatus(status: number): SourceError['kind'] {
  if (status === 401 || status === 403) return 'auth';
  if (status === 404 || status === 410) return 'not_found';
  if (status === 429) return 'rate_limit';
  if (status >= 500) return 'server';
  if (status >= 400) return 'config';
  return 'server';
}

/** Sends one request, following redirects; resolves with any HTTP status. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxRedirects = req.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(new TimeoutMarker()), timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timer.signal]) : timer.signal;
  try {
    return await follow(req, { maxBytes, maxRedirects, signal, timeoutMs });
  } catch (err) {
    throw toSourceError(err, req, signal, timeoutMs);
  } finally {
    clearTimeout(timeout);
  }
}

interface Limits {
  maxBytes: number;
  maxRedirects: number;
  signal: AbortSignal;
  timeoutMs: number;
}

/** Marks our own deadline, so it can be told apart from the caller's abort. */
class TimeoutMarker extends Error {
  constructor() {
    super('request timed out');
    this.name = 'TimeoutMarker';
  }
}

async function follow(req: HttpRequest, limits: Limits): Promise<HttpResponse> {
  let url = checkedUrl(req.url, req.url);
  let method = req.method ?? 'GET';
  let body: string | URLSearchParams | undefined = req.body;
  let headers = withDefaultHeaders(req.headers);
  // fetch refuses URLs with credentials; like curl, send them as Basic auth instead.
  if (url.username !== '' || url.password !== '') {
    headers = withBasicAuth(headers, url);
    url.username = '';
    url.password = '';
  }
  const visited = new Set<string>([url.href]);
  for (let redirects = 0; ; redirects++) {
    const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: limits.signal });
    const location = res.headers.get('location');
    if (!REDIRECT_STATUSES.has(res.status) || location === null) {
      const bytes = await readCapped(res, limits.maxBytes, url.href);
      return { status: res.status, url: url.href, headers: res.headers, body: bytes };
    }
    await res.body?.cancel().catch(() => undefined);
    const next = checkedUrl(location, req.url, url);
    if (visited.has(next.href)) {
      throw new SourceError('network', `${safeUrl(req.url)}: redirect loop (${safeUrl(url.href)} -> ${safeUrl(next.href)} was already visited)`);
    }
    if (redirects + 1 > limits.maxRedirects) {
      throw new SourceError('network', `${safeUrl(req.url)}: too many redirects (more than ${limits.maxRedirects}); the last one pointed to ${safeUrl(next.href)}`);
    }
    visited.add(next.href);
    if (next.origin !== url.origin) headers = withoutOriginBound(headers);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      headers = withoutBodyHeaders(headers);
    }
    url = next;
  }
}

function checkedUrl(target: string, original: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(target, base);
  } catch {
    throw new SourceError('network', `${safeUrl(original)}: invalid URL ${JSON.stringify(safeUrl(target))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError('network', `${safeUrl(original)}: only http and https URLs can be fetched, not ${url.protocol}`);
  }
  return url;
}

function withDefaultHeaders(headers: Record<string, string> = {}): Record<string, string> {
  const out: Record<string, string> = { ...headers };
  const names = Object.keys(out).map((name) => name.toLowerCase());
  if (!names.includes('user-agent')) out['user-agent'] = USER_AGENT;
  return out;
}

function withBasicAuth(headers: Record<string, string>, url: URL): Record<string, string> {
  if (Object.keys(headers).some((name) => name.toLowerCase() === 'authorization')) return headers;
  const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
  return { ...headers, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function withoutOriginBound(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !ORIGIN_BOUND_HEADERS.includes(name.toLowerCase())));
}

function withoutBodyHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !/^content-/i.test(name)));
}

async function readCapped(res: Response, maxBytes: number, url: string): Promise<Buffer> {
  if (!res.body) return Buffer.alloc(0);
  const declared = Number(res.headers.get('content-length'));
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  if (!encoded && Number.isFinite(declared) && declared > maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw tooLarge(url, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(url: string, maxBytes: number): SourceError {
  return new SourceError('too_large', `${safeUrl(url)}: response is larger than ${formatBytes(maxBytes)}; the server sent more than the size cap allows`);
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

function toSourceError(err: unknown, req: HttpRequest, signal: AbortSignal, timeoutMs: number): SourceError {
  if (err instanceof SourceError) return err;
  const where = safeUrl(req.url);
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof TimeoutMarker) {
      return new SourceError('timeout', `${where}: no complete response within ${timeoutMs / 1000} s`, { cause: err });
    }
    if (reason instanceof Error && reason.name === 'TimeoutError') {
      return new SourceError('timeout', `${where}: the request was cut off by the poll deadline`, { cause: err });
    }
    return new SourceError('network', `${where}: the request was aborted (earshot is stopping)`, { cause: err });
  }
  return new SourceError('network', `${where}: ${describeNetworkError(err)}`, { cause: err });
}

function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: unknown } | null)?.cause ?? err;
  const code = (cause as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused; is the server running and the port right?';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found (DNS); check the host name';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was reset by the server';
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return 'connecting timed out';
    case 'CERT_HAS_EXPIRED':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `TLS certificate problem (${code})`;
    default: {
      const message = cause instanceof Error ? cause.message : String(cause);
      return `network error: ${safeMessage(message)}${typeof code === 'string' ? ` (${code})` : ''}`;
    }
  }
}

/** Error texts from the network stack may quote the URL; redact any URL they contain. */
function safeMessage(message: string): string {
  return message.replace(/https?:\/\/[^\s'"<>]+/g, (url) => safeUrl(url));
}
