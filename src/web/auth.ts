/**
 * Who may use the web UI and the API, and how a browser proves it on every request.
 *
 *   - The UI is off unless a password is set (EARSHOT_UI_PASSWORD_HASH from `earshot password`,
 *     or EARSHOT_UI_PASSWORD for development) or a trusted proxy signs people in (below). It is
 *     never open to anyone.
 *   - Signing in creates a server-side session (ui_sessions holds only the SHA-256 of the cookie
 *     value). Cookie: HttpOnly, SameSite=Lax, Path=/, Secure when the request came over HTTPS
 *     (directly or per X-Forwarded-Proto). Sessions slide: 7 days after the last request.
 *   - Every state-changing browser request carries the session's CSRF token (form field `_csrf`
 *     or header X-CSRF-Token); without it: 403 and nothing changes. SameSite alone is not enough
 *     (same-site subdomains, older browsers), nor is an Origin check (absent on some requests).
 *   - Failed logins are rate-limited per client address (5 per 15 minutes) and overall (100 per 15
 *     minutes, so a spread-out guesser gets nowhere either); the wait is in Retry-After.
 *   - API: `Authorization: Bearer <EARSHOT_API_TOKEN>`, compared in constant time; a signed-in
 *     browser may also call the API (with the CSRF token on writes), which is how the UI uses it.
 *   - Trusted proxy (SSO with oauth2-proxy, Authelia...): with EARSHOT_UI_TRUSTED_HEADER (e.g.
 *     X-Forwarded-User or Remote-User), a request *from an address in EARSHOT_UI_TRUSTED_PROXIES*
 *     (default: loopback only) carrying that header is signed in as the user it names. From any
 *     other address the header is ignored, so nobody can send it themselves.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { parsePasswordHash, PasswordHashError, verifyPassword } from './password.js';

type ParsedHash = ReturnType<typeof parsePasswordHash>;

export const SESSION_COOKIE = 'earshot_session';
export const LOGIN_COOKIE = 'earshot_login';
export const SESSION_TTL_MS = 7 * 86_400_000;
const LOGIN_WINDOW_MS = 15 * 60_000;
const LOGIN_FAILURES_PER_CLIENT = 5;
const LOGIN_FAILURES_OVERALL = 100;

export interface AuthSettings {
  passwordHash: ParsedHash | null;
  devPassword: string | null;
  apiToken: string | null;
  /** Lower-case header name, or null. */
  trustedHeader: string | null;
  trustedProxies: ReadonlySet<string>;
}

export class AuthSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthSettingError';
  }
}

function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/** Reads the auth settings from the environment; throws AuthSettingError naming the variable. */
export function authSettings(env: Record<string, string | undefined>): { settings: AuthSettings; warnings: string[] } {
  const warnings: string[] = [];
  let passwordHash: ParsedHash | null = null;
  if (env.EARSHOT_UI_PASSWORD_HASH) {
    try {
      passwordHash = parsePasswordHash(env.EARSHOT_UI_PASSWORD_HASH);
    } catch (err) {
      if (err instanceof PasswordHashError) throw new AuthSettingError(err.message);
      throw err;
    }
  }
  const devPassword = env.EARSHOT_UI_PASSWORD || null;
  if (devPassword && !passwordHash) warnings.push('EARSHOT_UI_PASSWORD is for development: for anything else put the line `earshot password` prints in .env instead');
  const apiToken = env.EARSHOT_API_TOKEN || null;
  if (apiToken && apiToken.length < 16) {
    throw new AuthSettingError('EARSHOT_API_TOKEN is shorter than 16 characters: use a long random value, e.g. `openssl rand -hex 32`');
  }
  const header = env.EARSHOT_UI_TRUSTED_HEADER?.trim() || null;
  if (header && !/^[A-Za-z0-9-]+$/.test(header)) throw new AuthSettingError(`EARSHOT_UI_TRUSTED_HEADER "${header}": expected a header name such as X-Forwarded-User`);
  const proxies = (env.EARSHOT_UI_TRUSTED_PROXIES ?? '127.0.0.1,::1')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const p of proxies) {
    if (isIP(p) === 0) throw new AuthSettingError(`EARSHOT_UI_TRUSTED_PROXIES: "${p}" is not an IP address; list the proxy's addresses, comma-separated`);
  }
  return {
    settings: { passwordHash, devPassword, apiToken, trustedHeader: header?.toLowerCase() ?? null, trustedProxies: new Set(proxies.map(normalizeAddress)) },
    warnings,
  };
}

export function uiEnabled(s: AuthSettings): boolean {
  return s.passwordHash !== null || s.devPassword !== null || s.trustedHeader !== null;
}

export function passwordLogin(s: AuthSettings): boolean {
  return s.passwordHash !== null || s.devPassword !== null;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time string comparison (hashing first makes the lengths equal). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

export async function checkPassword(s: AuthSettings, password: string): Promise<boolean> {
  if (s.passwordHash) return verifyPassword(password, s.passwordHash);
  if (s.devPassword) return safeEqual(password, s.devPassword);
  return false;
}

export function checkBearer(s: AuthSettings, header: string | undefined): boolean {
  if (!s.apiToken || !header) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match !== null && safeEqual(match[1]!, s.apiToken);
}

/** The user a trusted proxy vouches for, or null (header absent, or the request is not from a trusted proxy). */
export function proxyUser(s: AuthSettings, remoteAddress: string | undefined, headerValue: string | undefined): string | null {
  if (!s.trustedHeader || !headerValue || !remoteAddress) return null;
  if (!s.trustedProxies.has(normalizeAddress(remoteAddress))) return null;
  const user = headerValue.trim();
  return user && user.length <= 200 ? user : null;
}

/**
 * The CSRF token as a page carries it: XOR-masked with a fresh random pad each time, so pages are
 * compressed (gzip) without the token's bytes repeating across responses (BREACH).
 */
export function maskToken(token: string): string {
  const raw = Buffer.from(token, 'base64url');
  const pad = randomBytes(raw.length);
  const masked = Buffer.alloc(raw.length);
  for (let i = 0; i < raw.length; i++) masked[i] = raw[i]! ^ pad[i]!;
  return Buffer.concat([pad, masked]).toString('base64url');
}

/** True when `given` is the session's token, masked (from a page) or not (a script that has it). */
export function csrfMatches(given: string, token: string): boolean {
  const raw = Buffer.from(token, 'base64url');
  const g = Buffer.from(given, 'base64url');
  if (raw.length > 0 && g.length === raw.length * 2) {
    const unmasked = Buffer.alloc(raw.length);
    for (let i = 0; i < raw.length; i++) unmasked[i] = g[i]! ^ g[i + raw.length]!;
    return timingSafeEqual(unmasked, raw);
  }
  return safeEqual(given, token);
}

export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The session row id for a cookie value: the database never holds a usable cookie. */
export function sessionId(token: string): string {
  return sha256(token).toString('hex');
}

/** Failed logins per client address and overall, in a sliding window. In memory: a restart forgives. */
export class LoginLimiter {
  private readonly perClient = new Map<string, number[]>();
  private overall: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  private prune(times: number[]): number[] {
    const from = this.now() - LOGIN_WINDOW_MS;
    return times.filter((t) => t > from);
  }

  /** Seconds to wait before trying again, or 0 when a login attempt may proceed. */
  retryAfter(client: string): number {
    this.overall = this.prune(this.overall);
    const mine = this.prune(this.perClient.get(client) ?? []);
    if (mine.length) this.perClient.set(client, mine);
    else this.perClient.delete(client);
    const blockedBy = mine.length >= LOGIN_FAILURES_PER_CLIENT ? mine : this.overall.length >= LOGIN_FAILURES_OVERALL ? this.overall : null;
    if (!blockedBy) return 0;
    return Math.max(1, Math.ceil((blockedBy[0]! + LOGIN_WINDOW_MS - this.now()) / 1000));
  }

  failed(client: string): void {
    const t = this.now();
    this.overall.push(t);
    this.perClient.set(client, [...(this.perClient.get(client) ?? []), t]);
  }

  succeeded(client: string): void {
    this.perClient.delete(client);
  }
}
