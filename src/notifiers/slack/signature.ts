/**
 * Verifies that a request to `POST /slack/actions` comes from Slack (request signing, v0).
 *
 * Slack signs every request with the app's signing secret:
 *   X-Slack-Request-Timestamp: <unix seconds>
 *   X-Slack-Signature: v0=<hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + raw body)>
 * The HMAC is computed over the raw bytes as received, so this runs before the body is parsed
 * (a decode and re-encode could change a byte and make a good request fail, or worse, let a
 * parser see something the signature did not cover). The comparison is constant-time, and a
 * timestamp more than five minutes away from now (either way) is refused: a captured request
 * cannot be replayed later. A replay inside the window is caught by `createReplayGuard`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's documented window: requests older (or newer) than this are refused. */
export const SLACK_SIGNATURE_MAX_AGE_MS = 5 * 60_000;

export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch' | 'replayed';

export type SignatureCheck = { ok: true; timestampMs: number } | { ok: false; problem: SignatureProblem; reason: string };

export interface SignedRequest {
  /** The app's signing secret (SLACK_SIGNING_SECRET). */
  secret: string;
  /** The X-Slack-Request-Timestamp header, as received. */
  timestamp: string | null | undefined;
  /** The X-Slack-Signature header, as received. */
  signature: string | null | undefined;
  /** The raw request body, exactly as received. */
  body: Uint8Array | string;
  /** Now, in ms since the epoch. */
  nowMs: number;
}

const SIGNATURE = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP = /^\d{1,12}$/;

/** `v0=<hex>` for a body: what Slack sends. Exported for tests and tools that sign requests. */
export function slackSignature(secret: string, timestamp: string, body: Uint8Array | string): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(body);
  return `v0=${hmac.digest('hex')}`;
}

export function verifySlackSignature(request: SignedRequest): SignatureCheck {
  const { timestamp, signature } = request;
  if (!timestamp || !signature) {
    return { ok: false, problem: 'missing', reason: 'the X-Slack-Request-Timestamp or X-Slack-Signature header is missing' };
  }
  if (!TIMESTAMP.test(timestamp)) return { ok: false, problem: 'malformed', reason: 'X-Slack-Request-Timestamp is not a Unix time' };
  const given = SIGNATURE.exec(signature.trim().toLowerCase());
  if (!given) return { ok: false, problem: 'malformed', reason: 'X-Slack-Signature is not "v0=" and 64 hex digits' };

  const timestampMs = Number(timestamp) * 1000;
  if (Math.abs(request.nowMs - timestampMs) > SLACK_SIGNATURE_MAX_AGE_MS) {
    return { ok: false, problem: 'stale', reason: 'the request timestamp is more than 5 minutes from now (a replay, or this clock is off)' };
  }
  // Both sides are 32 bytes here, as timingSafeEqual requires; the comparison takes the same
  // time wherever the first differing byte is.
  const expected = Buffer.from(slackSignature(request.secret, timestamp, request.body).slice(3), 'hex');
  const actual = Buffer.from(given[1]!, 'hex');
  if (!timingSafeEqual(expected, actual)) {
    return { ok: false, problem: 'mismatch', reason: 'the signature does not match: check SLACK_SIGNING_SECRET (Basic Information → Signing Secret)' };
  }
  return { ok: true, timestampMs };
}

export interface ReplayGuard {
  /** True the first time a verified signature is seen inside the window; false for a replay. */
  firstSeen(signature: string, timestampMs: number, nowMs: number): boolean;
  readonly size: number;
}

/**
 * Remembers the signatures verified in the last five minutes, so that the same signed request
 * sent twice is refused the second time. Slack never resends an interaction request (a slow
 * answer shows the user an error instead), so a repeat is a replay, never a retry; a double
 * click is two requests with two signatures. Only verified signatures are recorded, and entries
 * leave once their timestamp falls out of the window, so the memory is bounded by real traffic;
 * `maxEntries` caps it regardless.
 */
export function createReplayGuard(maxEntries = 50_000): ReplayGuard {
  const seen = new Map<string, number>();

  function prune(nowMs: number): void {
    // Insertion order is close to timestamp order; stop at the first entry still inside the window.
    for (const [key, at] of seen) {
      if (nowMs - at <= SLACK_SIGNATURE_MAX_AGE_MS && seen.size < maxEntries) break;
      seen.delete(key);
    }
  }

  return {
    firstSeen(signature, timestampMs, nowMs) {
      prune(nowMs);
      const key = signature.trim().toLowerCase();
      if (seen.has(key)) return false;
      seen.set(key, timestampMs);
      return true;
    },
    get size() {
      return seen.size;
    },
  };
}
