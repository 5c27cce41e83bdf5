/**
 * The web UI and JSON API of `earshot run --http` (a Hono app; the ops server hands it every
 * request except /healthz and /metrics).
 *
 * Layers: this folder sits beside src/ops: it may use the triage domain, the digest, rules,
 * config and store; only ops and cli import it. Pages are functions of the store rendered on the
 * server (hono/jsx escapes every value); htmx and assets/web/app.js only enhance them: every
 * form works without JavaScript.
 *
 * Security (details in auth.ts): the UI is off without a password or a trusted proxy; a session
 * cookie signs a browser in; every state change needs the session's CSRF token (403 otherwise,
 * before anything is read from the body or changed); the API needs a bearer token (401) or a
 * session; the Content-Security-Policy allows only earshot's own scripts and styles (no inline
 * script or style at all), no framing, no foreign form targets.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { getRequestListener } from '@hono/node-server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import type { Store } from '../store/types.js';
import type { Actor, TriageStore } from '../store/triage-types.js';
import { wakeSnoozed } from '../triage/snooze.js';
import { loadAssets, type Assets } from './assets.js';
import { apiRoutes } from './api.js';
import {
  authSettings,
  checkPassword,
  csrfMatches,
  maskToken,
  LOGIN_COOKIE,
  LoginLimiter,
  newToken,
  passwordLogin,
  proxyUser,
  safeEqual,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sessionId,
  uiEnabled,
  type AuthSettings,
} from './auth.js';
import { renderPage, type PageContext, type PageUser } from './layout.js';
import { LiveHub } from './live.js';
import { ErrorPage, LoginPage, UiOffPage } from './pages.js';
import { uiRoutes } from './ui.js';

export interface WebAppOptions {
  /** Mentions, alerts, source state: what dashboards read. */
  dataStore: Store;
  store: TriageStore;
  /** The config in force (the daemon's, which reloads). */
  config: () => Config;
  env: Record<string, string | undefined>;
  log: Logger;
  now?: () => Date;
  /** How often open inboxes look for new mentions (ms); default 1000. */
  liveIntervalMs?: number;
  /** How long a dashboard's figures are kept (ms); default 60 s; 0 computes them on every view. */
  dashboardCacheMs?: number;
}

export interface SessionUser extends PageUser {
  sessionId: string;
  csrf: string;
}

export interface WebEnv {
  Variables: {
    user: SessionUser | null;
    /** Who acts for API calls (a token holder or a signed-in user). */
    actor: Actor;
  };
}

export interface WebDeps {
  dataStore: Store;
  store: TriageStore;
  config: () => Config;
  log: Logger;
  now: () => Date;
  auth: AuthSettings;
  assets: Assets;
  live: LiveHub;
  /** Reopens due snoozed mentions (at most once per few seconds). */
  wake: () => Promise<void>;
  keyboard: (user: string) => Promise<boolean>;
  dashboardCacheMs: number;
}

export interface WebApp {
  readonly app: Hono<WebEnv>;
  /** For node:http: (req, res) => void. */
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** Problems with the settings that do not stop the UI (logged at start). */
  readonly warnings: string[];
  readonly enabled: boolean;
  readonly live: LiveHub;
  close(): void;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_BODY = 64 * 1024;
const TOUCH_AFTER_MS = 5 * 60_000;

/** A local path to go back to (never another site: `//evil.example` and `/\evil` are refused). */
export function localPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\r\n]/.test(value)) return fallback;
  return value;
}

export function isSecure(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

export function pageContext(c: Context<WebEnv>, deps: WebDeps, keyboard = true): PageContext {
  const user = c.get('user');
  const url = new URL(c.req.url);
  const config = deps.config();
  return {
    user: user ? { name: user.name, via: user.via } : null,
    csrf: user ? maskToken(user.csrf) : null,
    keyboard,
    brands: [...config.brands.values()].map((b) => ({ id: b.id, name: b.name })),
    assetVersion: deps.assets.version,
    now: deps.now(),
    url: `${url.pathname}${url.search}`,
  };
}

export function html(c: Context, node: unknown, status = 200): Response {
  return c.html(renderPage(node), status as 200);
}

async function newSession(c: Context, deps: WebDeps, name: string, via: 'password' | 'proxy'): Promise<SessionUser> {
  const token = newToken();
  const at = deps.now();
  const session = {
    id: sessionId(token),
    userName: name,
    via,
    csrf: newToken(),
    createdAt: at.toISOString(),
    lastSeenAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + SESSION_TTL_MS).toISOString(),
  };
  await deps.store.createSession(session);
  setCookie(c, SESSION_COOKIE, token, { httpOnly: true, sameSite: 'Lax', secure: isSecure(c), path: '/', maxAge: SESSION_TTL_MS / 1000 });
  return { name, via, sessionId: session.id, csrf: session.csrf };
}

/** The signed-in user: a valid session cookie, or a trusted proxy's header (which starts a session). */
async function resolveUser(c: Context<WebEnv>, deps: WebDeps): Promise<SessionUser | null> {
  const token = getCookie(c, SESSION_COOKIE);
  const now = deps.now();
  let user: SessionUser | null = null;
  if (token) {
    const session = await deps.store.getSession(sessionId(token), now.toISOString());
    if (session) {
      user = { name: session.userName, via: session.via, sessionId: session.id, csrf: session.csrf };
      if (now.getTime() - Date.parse(session.lastSeenAt) > TOUCH_AFTER_MS) {
        await deps.store.touchSession(session.id, now.toISOString(), new Date(now.getTime() + SESSION_TTL_MS).toISOString());
      }
    }
  }
  const header = deps.auth.trustedHeader;
  if (header) {
    let remote: string | undefined;
    try {
      remote = getConnInfo(c).remote.address;
    } catch {
      remote = undefined;
    }
    const vouched = proxyUser(deps.auth, remote, c.req.header(header));
    if (vouched && (!user || user.name !== vouched || user.via !== 'proxy')) {
      if (user) await deps.store.deleteSession(user.sessionId);
      user = await newSession(c, deps, vouched, 'proxy');
    }
  }
  return user;
}

function csrfToken(c: Context, form: FormData | null): string | null {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const field = form?.get('_csrf');
  return typeof field === 'string' ? field : null;
}

/** Reads the form body (once; handlers get it from `c.get`-free helpers through `formOf`). */
const forms = new WeakMap<Request, FormData | null>();
export async function formOf(c: Context): Promise<FormData | null> {
  const raw = c.req.raw;
  if (forms.has(raw)) return forms.get(raw)!;
  const type = c.req.header('content-type') ?? '';
  let form: FormData | null = null;
  if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
    form = await c.req.formData();
  }
  forms.set(raw, form);
  return form;
}

function forbidden(c: Context<WebEnv>, deps: WebDeps): Response {
  const message = 'This request carried no valid CSRF token, so nothing was changed. Reload the page and try again.';
  if (c.req.header('hx-request')) return c.text(message, 403);
  return html(c, <ErrorPage ctx={pageContext(c, deps)} status={403} title="Refused" message={message} />, 403);
}

function loginRoutes(app: Hono<WebEnv>, deps: WebDeps, limiter: LoginLimiter): void {
  const client = (c: Context) => {
    try {
      return getConnInfo(c).remote.address ?? 'unknown';
    } catch {
      return 'unknown';
    }
  };
  const loginForm = (c: Context<WebEnv>, error: string | null, status: number, next: string) => {
    // One token per browser while it signs in: a second tab (or the favicon request a browser
    // makes alongside) must not invalidate the form already on screen.
    const existing = getCookie(c, LOGIN_COOKIE);
    const token = existing && /^[A-Za-z0-9_-]{43}$/.test(existing) ? existing : newToken();
    setCookie(c, LOGIN_COOKIE, token, { httpOnly: true, sameSite: 'Strict', secure: isSecure(c), path: '/login', maxAge: 1800 });
    return html(c, <LoginPage ctx={pageContext(c, deps)} loginToken={token} next={next} error={error} proxyHint={deps.auth.trustedHeader !== null} />, status);
  };

  app.get('/login', async (c) => {
    if (!uiEnabled(deps.auth)) return html(c, <UiOffPage ctx={pageContext(c, deps)} />, 503);
    if (!passwordLogin(deps.auth)) {
      return html(
        c,
        <ErrorPage ctx={pageContext(c, deps)} status={401} title="Sign in through your proxy" message="This earshot signs people in through the single sign-on proxy in front of it; open it through that proxy." />,
        401,
      );
    }
    return loginForm(c, null, 200, localPath(c.req.query('next')));
  });

  app.post('/login', async (c) => {
    if (!passwordLogin(deps.auth)) return html(c, <UiOffPage ctx={pageContext(c, deps)} />, 503);
    const who = client(c);
    const wait = limiter.retryAfter(who);
    const form = await formOf(c);
    const next = localPath(form?.get('next'));
    if (wait > 0) {
      c.header('retry-after', String(wait));
      deps.log.warn({ client: who }, 'web login refused: too many failed attempts');
      return loginForm(c, `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute${wait > 60 ? 's' : ''}.`, 429, next);
    }
    const cookie = getCookie(c, LOGIN_COOKIE);
    const field = form?.get('_login');
    if (!cookie || typeof field !== 'string' || !safeEqual(cookie, field)) {
      return loginForm(c, 'The sign-in form expired. Please sign in again.', 403, next);
    }
    const password = form?.get('password');
    if (typeof password !== 'string' || !(await checkPassword(deps.auth, password))) {
      limiter.failed(who);
      deps.log.warn({ client: who }, 'web login failed');
      return loginForm(c, 'That password is not right.', 401, next);
    }
    limiter.succeeded(who);
    const name = String(form?.get('name') ?? '')
      .trim()
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .slice(0, 60);
    deleteCookie(c, LOGIN_COOKIE, { path: '/login' });
    await newSession(c, deps, name || 'team', 'password');
    deps.log.info({ user: name || 'team', client: who }, 'web login');
    return c.redirect(next, 303);
  });

  app.post('/logout', async (c) => {
    const user = c.get('user');
    if (user) await deps.store.deleteSession(user.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect('/login', 303);
  });
}

export function createWebApp(options: WebAppOptions): WebApp {
  const now = options.now ?? (() => new Date());
  const { settings, warnings } = authSettings(options.env);
  const assets = loadAssets();
  let lastWake = 0;
  const wake = async () => {
    if (Date.now() - lastWake < 2_000) return;
    lastWake = Date.now();
    await wakeSnoozed(options.store, now(), (err) => options.log.warn({ err }, 'triage listener failed'));
  };
  const live = new LiveHub({ store: options.store, log: options.log, intervalMs: options.liveIntervalMs ?? 1_000, onNewMentions: () => ((lastWake = 0), wake()) });
  const deps: WebDeps = {
    dataStore: options.dataStore,
    store: options.store,
    config: options.config,
    log: options.log.child({ component: 'web' }),
    now,
    auth: settings,
    assets,
    live,
    wake,
    keyboard: (user) => options.store.getKeyboardPreference(user),
    dashboardCacheMs: options.dashboardCacheMs ?? 60_000,
  };
  const sessionPrune = setInterval(() => void options.store.pruneSessions(now().toISOString()).catch(() => undefined), 3_600_000);
  sessionPrune.unref();

  const app = new Hono<WebEnv>();
  const limiter = new LoginLimiter();

  // Pages and JSON gzipped (an inbox page is ~140 KB of HTML, ~12 KB gzipped); event streams never.
  app.use('*', compress());
  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
    c.header('cross-origin-opener-policy', 'same-origin');
    if (!c.res.headers.get('cache-control')) c.header('cache-control', 'no-store');
  });

  app.get('/static/:name', (c) => {
    const asset = assets.get(c.req.param('name'));
    if (!asset) return c.text('not found', 404);
    const versioned = c.req.query('v') === assets.version;
    c.header('cache-control', versioned ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('etag', asset.etag);
    c.header('vary', 'accept-encoding');
    if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304);
    c.header('content-type', asset.type);
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('content-encoding', 'gzip');
      return c.body(new Uint8Array(asset.gzip));
    }
    return c.body(new Uint8Array(asset.body));
  });

  app.get('/favicon.ico', (c) => c.body(null, 404));

  // Who is asking, and the CSRF check for browser writes: before any route reads the body.
  // Every body read here (forms, API JSON) is small: 64 KB, whether or not Content-Length says so.
  app.use('*', bodyLimit({ maxSize: MAX_BODY, onError: (c) => c.text('request body too large (at most 64 KB)', 413) }));
  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (path.startsWith('/static/')) return next();
    const user = uiEnabled(settings) ? await resolveUser(c, deps) : null;
    c.set('user', user);
    const bearer = c.req.header('authorization');
    if (path.startsWith('/api/') && bearer) return next();
    if (UNSAFE.has(c.req.method) && path !== '/login') {
      if (!user) {
        if (path.startsWith('/api/')) return next();
        return c.text('sign in first: open /login', 401);
      }
      const token = csrfToken(c, c.req.header('x-csrf-token') ? null : await formOf(c));
      if (!token || !csrfMatches(token, user.csrf)) {
        deps.log.warn({ path, user: user.name }, 'web request refused: missing or wrong CSRF token');
        return path.startsWith('/api/') ? c.json({ error: 'missing or wrong CSRF token (X-CSRF-Token): nothing was changed' }, 403) : forbidden(c, deps);
      }
    }
    return next();
  });

  loginRoutes(app, deps, limiter);
  app.route('/api', apiRoutes(deps));

  // Every other page needs the UI on and a signed-in user.
  app.use('*', async (c, next) => {
    if (c.req.path.startsWith('/api/')) return next();
    if (!uiEnabled(settings)) return html(c, <UiOffPage ctx={pageContext(c, deps)} />, 503);
    if (!c.get('user')) {
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const url = new URL(c.req.url);
        return c.redirect(`/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`, 303);
      }
      return c.text('sign in first: open /login', 401);
    }
    return next();
  });
  app.route('/', uiRoutes(deps));

  app.notFound((c) => {
    if (c.req.path.startsWith('/api/')) return c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404);
    return html(c, <ErrorPage ctx={pageContext(c, deps)} status={404} title="Not found" message={`There is no page at ${c.req.path}.`} />, 404);
  });
  app.onError((err, c) => {
    deps.log.error({ err, path: c.req.path }, 'web request failed');
    if (c.req.path.startsWith('/api/')) return c.json({ error: 'internal error; see the earshot log' }, 500);
    return c.text('internal error; see the earshot log', 500);
  });

  const requestListener = getRequestListener(app.fetch);
  return {
    app,
    // Hono's listener answers its own errors (onError above); nothing is left to await here.
    listener: (req, res) => void requestListener(req, res),
    warnings,
    enabled: uiEnabled(settings),
    live,
    close: () => {
      clearInterval(sessionPrune);
      live.close();
    },
  };
}
