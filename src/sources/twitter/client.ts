/**
 * The X API v2 client: `twitter-api-v2`, pointed at `TWITTER_API_URL`.
 *
 * The package hardcodes `https://api.x.com/2/` and sends with `https.request`, so a proxy, a
 * regional endpoint or a local test server is reached through a plugin that rewrites each
 * request's URL to the configured base (keeping any path prefix) and, for a plain `http:` base,
 * hands the request an `http.Agent` (Node's https.request accepts an http URL only with one).
 * The same plugin adds what the package lacks for a daemon: our User-Agent, the poll's abort
 * signal, a whole-request deadline and a response size cap. The package does not retry 429s
 * itself; the scheduler waits instead (see index.ts).
 *
 * Every request gets a fresh connection: the package adds `timeout`, `error`, `connect` and
 * `lookup` listeners to a request's socket and never removes them, so on a reused keep-alive
 * socket (Node's default agents keep sockets alive) they pile up poll after poll, a leak in a
 * daemon that runs for months. A poll every few minutes does not need keep-alive.
 */
import http from 'node:http';
import https from 'node:https';
import type { ApiRequestError, ITwitterApiClientPlugin } from 'twitter-api-v2';
import { lazy } from '../../core/lazy.js';

/** twitter-api-v2 is loaded on the first poll, not when the config is checked. */
const twitterApi = lazy<typeof import('twitter-api-v2')>('twitter-api-v2');
import { USER_AGENT } from '../http.js';
import { SourceError } from '../types.js';

export const DEFAULT_TWITTER_API_URL = 'https://api.twitter.com';

export interface TwitterResponse {
  status: number;
  data: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface TwitterClientOptions {
  token: string;
  /** TWITTER_API_URL, already validated. */
  baseUrl: URL;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

/** Marks our own deadline, so it can be told apart from the daemon's abort. */
class DeadlineMarker extends Error {
  constructor() {
    super('deadline');
    this.name = 'DeadlineMarker';
  }
}

/** Marks a response cut off at the size cap. */
class TooLargeMarker extends Error {
  constructor() {
    super('too large');
    this.name = 'TooLargeMarker';
  }
}

const plainHttpAgent = new http.Agent({ keepAlive: false });
const tlsAgent = new https.Agent({ keepAlive: false });

/** Parses TWITTER_API_URL; a bad value is a config error, not a crash. */
export function parseApiUrl(value: string | undefined): URL {
  const raw = value?.trim() || DEFAULT_TWITTER_API_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SourceError('config', `Twitter/X: TWITTER_API_URL ${JSON.stringify(raw)} is not a URL; set it to e.g. ${DEFAULT_TWITTER_API_URL} or remove it`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError('config', `Twitter/X: TWITTER_API_URL must be an http or https URL, not ${url.protocol}`);
  }
  return url;
}

/** Moves a request aimed at api.x.com onto `base` (scheme, host, port, path prefix). */
export function rewriteUrl(target: URL, base: URL): void {
  const prefix = base.pathname.replace(/\/+$/, '');
  target.protocol = base.protocol;
  target.hostname = base.hostname;
  target.port = base.port;
  target.pathname = prefix + target.pathname;
}

interface RequestState {
  tooLarge: boolean;
}

function endpointPlugin(options: TwitterClientOptions, signal: AbortSignal, state: RequestState, cut: AbortController): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      // Counts the body as it arrives (on the wire, before decompression) and cuts it off at the cap.
      params.requestEventDebugHandler = (event, data) => {
        if (event !== 'response' || !data?.res) return;
        const res = data.res;
        let total = 0;
        res.on('data', (chunk: Buffer) => {
          total += chunk.length;
          if (total > options.maxBytes && !state.tooLarge) {
            state.tooLarge = true;
            // Aborting the request tears down the response (and any decompressor piped from it).
            cut.abort(new TooLargeMarker());
          }
        });
      };
    },
    onBeforeRequest({ computedParams, requestOptions }) {
      rewriteUrl(computedParams.url, options.baseUrl);
      requestOptions.agent = options.baseUrl.protocol === 'http:' ? plainHttpAgent : tlsAgent;
      requestOptions.signal = signal;
      requestOptions.headers = { ...requestOptions.headers, 'user-agent': USER_AGENT };
    },
  };
}

/**
 * One GET against the v2 API (path relative to /2/, e.g. 'tweets/search/recent'). Resolves with
 * the status, parsed body and headers for 2xx; an HTTP error status resolves too (status >= 400)
 * so the caller maps it with its own wording; transport failures throw SourceError.
 */
export async function twitterGet(
  options: TwitterClientOptions,
  endpoint: string,
  query: Record<string, string>,
): Promise<TwitterResponse> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DeadlineMarker()), options.timeoutMs);
  const cut = new AbortController();
  const signal = AbortSignal.any([options.signal, deadline.signal, cut.signal]);
  const state: RequestState = { tooLarge: false };
  const client = new (twitterApi().TwitterApi)(options.token, { plugins: [endpointPlugin(options, signal, state, cut)] });
  const where = `${options.baseUrl.origin}${options.baseUrl.pathname.replace(/\/+$/, '')}/2/${endpoint}`;
  try {
    const res = await client.v2.get(endpoint, query, { fullResponse: true });
    // The last chunk can complete the body before the abort lands: the cap still applies.
    if (state.tooLarge) throw new TooLargeMarker();
    return { status: 200, data: res.data, headers: res.headers };
  } catch (err) {
    if (err instanceof twitterApi().ApiResponseError && !state.tooLarge) {
      return { status: err.code, data: err.data, headers: err.headers };
    }
    throw transportError(err, { where, signal, state, timeoutMs: options.timeoutMs, maxBytes: options.maxBytes });
  } finally {
    clearTimeout(timer);
  }
}

interface FailureContext {
  where: string;
  signal: AbortSignal;
  state: RequestState;
  timeoutMs: number;
  maxBytes: number;
}

function transportError(err: unknown, ctx: FailureContext): SourceError {
  if (err instanceof SourceError) return err;
  if (ctx.state.tooLarge) {
    return new SourceError('too_large', `Twitter/X: ${ctx.where}: response is larger than ${Math.round(ctx.maxBytes / 1024)} KiB; the size cap cut it off`, { cause: err });
  }
  if (ctx.signal.aborted) {
    const reason: unknown = ctx.signal.reason;
    if (reason instanceof DeadlineMarker || (reason instanceof Error && reason.name === 'TimeoutError')) {
      return new SourceError('timeout', `Twitter/X: ${ctx.where}: no complete response within ${ctx.timeoutMs / 1000} s; the API is slow or unreachable, the next poll retries`, { cause: err });
    }
    return new SourceError('network', `Twitter/X: ${ctx.where}: the request was aborted (earshot is stopping)`, { cause: err });
  }
  if (err instanceof twitterApi().ApiPartialResponseError) {
    if (/parse error/.test(err.message)) {
      return new SourceError('parse', `Twitter/X: ${ctx.where}: the response is not valid JSON (HTTP ${err.response.statusCode}); the API or a proxy in front of it sent a broken body`, { cause: err });
    }
    return new SourceError('network', `Twitter/X: ${ctx.where}: the connection closed before the response was complete`, { cause: err });
  }
  if (err instanceof twitterApi().ApiRequestError) {
    const cause = underlyingError(err);
    const code = (cause as { code?: unknown } | undefined)?.code;
    const detail = typeof code === 'string' ? code : cause?.message ?? 'request failed';
    return new SourceError('network', `Twitter/X: ${ctx.where}: network error (${detail}); check TWITTER_API_URL and the connection`, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SourceError('network', `Twitter/X: ${ctx.where}: ${message}`, { cause: err });
}

/**
 * The socket error behind an ApiRequestError. twitter-api-v2 1.29 stores it as `error` while its
 * `requestError` getter reads another key (always undefined), so both are tried.
 */
function underlyingError(err: ApiRequestError): Error | undefined {
  const stored = (err as unknown as { _options?: { error?: unknown } })._options?.error;
  const candidate = err.requestError ?? stored;
  return candidate instanceof Error ? candidate : undefined;
}
