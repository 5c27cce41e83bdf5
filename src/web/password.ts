/**
 * The web UI password, stored as a scrypt hash (`earshot password` prints one for
 * EARSHOT_UI_PASSWORD_HASH): `scrypt:N:r:p:SALT:HASH`, salt and hash in base64url. No `$` in it,
 * so shells, .env files and compose files never mistake part of it for a variable.
 *
 * Cost: N=2^14, r=8, p=5 (one of OWASP's scrypt settings): ~16 MB of memory per check rather
 * than the 64-128 MB of the larger settings, because the daemon's whole budget is ~150 MB; p=5
 * makes up the work. Checking runs in libuv's thread pool, never blocking the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 16_384;
const R = 8;
const P = 5;
const KEY_LENGTH = 32;
const MAXMEM = 64 * 1024 * 1024;

export const MIN_PASSWORD_LENGTH = 12;

export class PasswordHashError extends Error {
  constructor(why: string) {
    super(`EARSHOT_UI_PASSWORD_HASH ${why}: set it to the line \`earshot password\` prints (scrypt:16384:8:5:...)`);
    this.name = 'PasswordHashError';
  }
}

function derive(password: string, salt: Buffer, n: number, r: number, p: number, length: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: MAXMEM };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEY_LENGTH);
  return `scrypt:${N}:${R}:${P}:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

interface ParsedHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

/** Checks the hash's form once at start-up, so a pasted-wrong value is reported then, not at the first login. */
export function parsePasswordHash(text: string): ParsedHash {
  const parts = text.trim().split(':');
  if (parts.length !== 6 || parts[0] !== 'scrypt') throw new PasswordHashError('is not an earshot password hash');
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || (n & (n - 1)) !== 0 || n * r * 128 > MAXMEM / 2) {
    throw new PasswordHashError('has cost parameters earshot does not accept');
  }
  const salt = Buffer.from(parts[4]!, 'base64url');
  const key = Buffer.from(parts[5]!, 'base64url');
  if (salt.length < 8 || key.length < 16) throw new PasswordHashError('is cut short');
  return { n, r, p, salt, key };
}

export async function verifyPassword(password: string, hash: ParsedHash): Promise<boolean> {
  const key = await derive(password, hash.salt, hash.n, hash.r, hash.p, hash.key.length);
  return timingSafeEqual(key, hash.key);
}
