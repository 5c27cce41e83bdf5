/**
 * XRPC calls and the app-password session.
 *
 * Bluesky limits logins hard (createSession: 30 per 5 minutes and 300 a day per account), so a
 * session is created once and cached in this module, keyed by service URL and handle, shared by
 * every source (and poll) that uses the same account. An access token lives about two hours:
 * when the server answers ExpiredToken (400, or 401 from some deployments) or InvalidToken, the
 * session is renewed with `refreshSession`, or, when the refresh token is refused too, by logging
 * in again; the call is then retried once. Concurrent polls share one login or refresh.
 */
import { httpRequest, safeUrl, type HttpResponse } from '../http.js';
import { registerSecret } from '../../core/log.js';
import { SourceError } from '../types.js';
import { sessionSchema, xrpcErrorSchema, type BlueskySession } from './payload.js';

export const DEFAULT_SERVICE_URL = 'https://bsky.social';

export interface XrpcOptions {
  service: URL;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

export interface Credentials {
  handle: string;
  appPassword: string;
}

const sessions = new Map<string, Promise<BlueskySession>>();

/** Forgets every cached session (tests; or after credentials change in a long-lived process). */
export function clearBlueskySessions(): void {
  sessions.clear();
}

export function parseServiceUrl(value: string | undefined): URL {
  const raw = value?.trim() || DEFAULT_SERVICE_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SourceError('config', `Bluesky: BLUESKY_SERVICE_URL ${JSON.stringify(raw)} is not a URL; set it to your PDS, e.g. ${DEFAULT_SERVICE_URL}, or remove it`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SourceError('config', `Bluesky: BLUESKY_SERVICE_URL must be an http or https URL, not ${url.protocol}`);
  }
  return url;
}

export function xrpcUrl(service: URL, nsid: string, query: Record<string, string> = {}): string {
  const url = new URL(service.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/xrpc/${nsid}`;
  url.search = new URLSearchParams(query).toString();
  return url.href;
}

interface XrpcCall {
  method: 'GET' | 'POST';
  query?: Record<string, string>;
  body?: unknown;
  token?: string;
}

/** One XRPC request; statuses never throw, transport failures throw SourceError naming Bluesky. */
export async function xrpc(options: XrpcOptions, nsid: string, call: XrpcCall): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  if (call.body !== undefined) headers['content-type'] = 'application/json';
  try {
    return await httpRequest({
      url: xrpcUrl(options.service, nsid, call.query),
      method: call.method,
      headers,
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      timeoutMs: options.timeoutMs,
      maxBytes: options.maxBytes,
      signal: options.signal,
    });
  } catch (err) {
    if (err instanceof SourceError) {
      throw new SourceError(err.kind, `Bluesky: ${err.message}`, { cause: err, ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}) });
    }
    throw err;
  }
}

/** The XRPC error name and message of a failed response, when it is the JSON envelope. */
export function xrpcError(res: HttpResponse): { error?: string; message?: string } {
  try {
    const parsed = xrpcErrorSchema.safeParse(JSON.parse(res.body.toString('utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

export function isHtml(res: HttpResponse): boolean {
  const type = res.headers.get('content-type') ?? '';
  return type.includes('text/html') || /^\s*</.test(res.body.subarray(0, 64).toString('utf8'));
}

/** An expired or no-longer-valid access token: renew the session and retry. */
function tokenRejected(res: HttpResponse): boolean {
  if (res.status !== 400 && res.status !== 401) return false;
  const { error } = xrpcError(res);
  return error === 'ExpiredToken' || error === 'InvalidToken';
}

function sessionKey(service: URL, handle: string): string {
  return `${service.origin}${service.pathname.replace(/\/+$/, '')}|${handle.toLowerCase()}`;
}

function parseSession(res: HttpResponse, step: string, service: URL): BlueskySession {
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new SourceError('parse', `Bluesky: ${step} at ${safeUrl(service.href)} answered HTTP ${res.status} with ${isHtml(res) ? 'an HTML page' : 'invalid JSON'}; check BLUESKY_SERVICE_URL points at a Bluesky PDS`);
  }
  const parsed = sessionSchema.safeParse(json);
  if (!parsed.success) {
    throw new SourceError('parse', `Bluesky: ${step} answered without access tokens; check BLUESKY_SERVICE_URL points at a Bluesky PDS`);
  }
  registerSecret(parsed.data.accessJwt);
  registerSecret(parsed.data.refreshJwt);
  return parsed.data;
}

async function login(options: XrpcOptions, creds: Credentials): Promise<BlueskySession> {
  const res = await xrpc(options, 'com.atproto.server.createSession', {
    method: 'POST',
    body: { identifier: creds.handle, password: creds.appPassword },
  });
  if (res.status >= 400) throw loginError(res, creds, options.service);
  return parseSession(res, 'login (createSession)', options.service);
}

/** A new session from the refresh token, or null when the server refuses it (expired, revoked). */
async function refresh(options: XrpcOptions, session: BlueskySession, creds: Credentials): Promise<BlueskySession | null> {
  const res = await xrpc(options, 'com.atproto.server.refreshSession', { method: 'POST', token: session.refreshJwt });
  if (res.status === 400 || res.status === 401) return null;
  if (res.status >= 400) throw loginError(res, creds, options.service);
  return parseSession(res, 'refreshSession', options.service);
}

/** The cached session for this account, logging in when there is none. */
function currentSession(options: XrpcOptions, creds: Credentials): Promise<BlueskySession> {
  const key = sessionKey(options.service, creds.handle);
  const cached = sessions.get(key);
  if (cached) return cached;
  const pending = login(options, creds);
  sessions.set(key, pending);
  pending.catch(() => {
    if (sessions.get(key) === pending) sessions.delete(key);
  });
  return pending;
}

/** A fresh login (`earshot check --online`): throws the SourceError a poll would, else resolves. */
export async function checkLogin(options: XrpcOptions, creds: Credentials): Promise<void> {
  await login(options, creds);
}

/** Replaces `stale` by a refreshed (or freshly logged-in) session, unless another poll already did. */
function renewSession(options: XrpcOptions, creds: Credentials, stale: BlueskySession): Promise<BlueskySession> {
  const key = sessionKey(options.service, creds.handle);
  const cached = sessions.get(key);
  const pending = (async () => {
    if (cached) {
      const current = await cached.catch(() => null);
      if (current && current.accessJwt !== stale.accessJwt) return current;
    }
    return (await refresh(options, stale, creds)) ?? (await login(options, creds));
  })();
  sessions.set(key, pending);
  pending.catch(() => {
    if (sessions.get(key) === pending) sessions.delete(key);
  });
  return pending;
}

/** An authenticated GET: the cached session, renewed once when its token is refused. */
export async function authedGet(
  options: XrpcOptions,
  creds: Credentials,
  nsid: string,
  query: Record<string, string>,
): Promise<HttpResponse> {
  const session = await currentSession(options, creds);
  const res = await xrpc(options, nsid, { method: 'GET', query, token: session.accessJwt });
  if (!tokenRejected(res)) return res;
  const renewed = await renewSession(options, creds, session);
  return xrpc(options, nsid, { method: 'GET', query, token: renewed.accessJwt });
}

export function resetIn(res: HttpResponse, now: Date): number | undefined {
  const reset = res.headers.get('ratelimit-reset');
  if (reset && /^\d+$/.test(reset.trim())) return Math.max(1000, Number(reset) * 1000 - now.getTime());
  const retry = res.headers.get('retry-after');
  if (retry && /^\d+$/.test(retry.trim())) return Number(retry) * 1000;
  return undefined;
}

function loginError(res: HttpResponse, creds: Credentials, service: URL): SourceError {
  const { error, message } = xrpcError(res);
  const says = error || message ? ` (${[error, message].filter(Boolean).join(': ')})` : isHtml(res) ? ' (an HTML page)' : '';
  const head = `Bluesky: login as ${JSON.stringify(creds.handle)} failed with HTTP ${res.status}${says}`;
  if (res.status === 429) {
    const wait = resetIn(res, new Date()) ?? 5 * 60_000;
    return new SourceError('rate_limit', `${head}; Bluesky limits logins per account, waiting ${Math.ceil(wait / 1000)} s before trying again`, { retryAfterMs: wait });
  }
  if (res.status === 401 || res.status === 403 || (res.status === 400 && /Account|Auth/i.test(error ?? ''))) {
    return new SourceError('auth', `${head}; check BLUESKY_HANDLE and BLUESKY_APP_PASSWORD (an app password from Bluesky Settings → Privacy and security → App passwords, not the account password); the source is paused until they change`);
  }
  if (res.status === 404) {
    return new SourceError('not_found', `${head}; ${safeUrl(service.href)} does not serve the Bluesky API: check BLUESKY_SERVICE_URL (default ${DEFAULT_SERVICE_URL})`);
  }
  if (res.status >= 500) return new SourceError('server', `${head}; the Bluesky service is having trouble, the next poll retries`);
  return new SourceError('config', `${head}; check BLUESKY_HANDLE and BLUESKY_SERVICE_URL`);
}
