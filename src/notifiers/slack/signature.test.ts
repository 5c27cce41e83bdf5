import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createReplayGuard, SLACK_SIGNATURE_MAX_AGE_MS, slackSignature, verifySlackSignature } from './signature.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/slack-interactivity');
const haveFixtures = existsSync(FIXTURES);

interface SigningMeta {
  signing: { signing_secret: string; expected_signature: string };
  request: { headers: Record<string, string>; body_file: string };
}

const VECTORS = [
  'request_signing__slash_command_form_body__docs_example.meta.json',
  'request_signing__event_callback_json_body__sdk_fixture.meta.json',
];

describe.skipIf(!haveFixtures)(`Slack's published signing vectors${haveFixtures ? '' : ` (skipped: ${FIXTURES} not found)`}`, () => {
  it.each(VECTORS)('%s verifies at its own time, and fails one byte off, with another secret, or 5 min + 1 s later', (metaFile) => {
    const meta = JSON.parse(readFileSync(path.join(FIXTURES, metaFile), 'utf8')) as SigningMeta;
    const body = readFileSync(path.join(FIXTURES, meta.request.body_file));
    const timestamp = meta.request.headers['X-Slack-Request-Timestamp']!;
    const signature = meta.request.headers['X-Slack-Signature']!;
    const secret = meta.signing.signing_secret;
    const at = Number(timestamp) * 1000;

    expect(signature).toBe(meta.signing.expected_signature);
    expect(slackSignature(secret, timestamp, body)).toBe(signature);
    expect(verifySlackSignature({ secret, timestamp, signature, body, nowMs: at })).toEqual({ ok: true, timestampMs: at });
    expect(verifySlackSignature({ secret, timestamp, signature, body, nowMs: at + SLACK_SIGNATURE_MAX_AGE_MS })).toMatchObject({ ok: true });

    const flipped = Buffer.from(body);
    flipped[flipped.length - 1] = flipped[flipped.length - 1]! ^ 1;
    expect(verifySlackSignature({ secret, timestamp, signature, body: flipped, nowMs: at })).toMatchObject({ ok: false, problem: 'mismatch' });
    expect(verifySlackSignature({ secret: `${secret}x`, timestamp, signature, body, nowMs: at })).toMatchObject({ ok: false, problem: 'mismatch' });
    expect(verifySlackSignature({ secret, timestamp, signature, body, nowMs: at + SLACK_SIGNATURE_MAX_AGE_MS + 1000 })).toMatchObject({
      ok: false,
      problem: 'stale',
    });
  });
});

describe('verifySlackSignature', () => {
  const secret = 'e6b19c573432dcc6b075501d51b51bb8';
  const body = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
  const nowMs = 1_767_225_600_000;
  const timestamp = String(nowMs / 1000);
  const signature = slackSignature(secret, timestamp, body);

  it('accepts a request signed with the secret, over the raw bytes (string or bytes alike)', () => {
    expect(verifySlackSignature({ secret, timestamp, signature, body, nowMs })).toEqual({ ok: true, timestampMs: nowMs });
    expect(verifySlackSignature({ secret, timestamp, signature, body: Buffer.from(body), nowMs })).toMatchObject({ ok: true });
    expect(verifySlackSignature({ secret, timestamp, signature: signature.toUpperCase().replace('V0=', 'v0='), body, nowMs })).toMatchObject({ ok: true });
  });

  it.each([
    ['no timestamp', { timestamp: undefined }, 'missing'],
    ['no signature', { signature: null }, 'missing'],
    ['a timestamp that is not a number', { timestamp: '1e9' }, 'malformed'],
    ['a v1 signature', { signature: signature.replace('v0=', 'v1=') }, 'malformed'],
    ['a truncated signature', { signature: signature.slice(0, -2) }, 'malformed'],
    ['a signature of another body', { signature: slackSignature(secret, timestamp, `${body}&x=1`) }, 'mismatch'],
    ['a signature with another timestamp', { signature: slackSignature(secret, String(nowMs / 1000 - 1), body) }, 'mismatch'],
    ['a body signed with another secret', { signature: slackSignature('not-the-secret', timestamp, body) }, 'mismatch'],
    ['a timestamp 5 min + 1 s old', { timestamp: String(nowMs / 1000 - 301), signature: slackSignature(secret, String(nowMs / 1000 - 301), body) }, 'stale'],
    ['a timestamp 5 min + 1 s ahead', { timestamp: String(nowMs / 1000 + 301), signature: slackSignature(secret, String(nowMs / 1000 + 301), body) }, 'stale'],
  ])('refuses %s', (_name, change, problem) => {
    const result = verifySlackSignature({ secret, timestamp, signature, body, nowMs, ...change });
    expect(result).toMatchObject({ ok: false, problem });
    if (!result.ok) expect(result.reason).not.toContain(secret);
  });

  it('accepts a timestamp exactly 5 min old (the window is inclusive)', () => {
    const old = String(nowMs / 1000 - 300);
    expect(verifySlackSignature({ secret, timestamp: old, signature: slackSignature(secret, old, body), body, nowMs })).toMatchObject({ ok: true });
  });
});

describe('createReplayGuard', () => {
  it('lets a signature through once inside the window, and forgets it after', () => {
    const guard = createReplayGuard();
    const t = 1_767_225_600_000;
    expect(guard.firstSeen('v0=aa', t, t)).toBe(true);
    expect(guard.firstSeen('v0=AA', t, t + 1000)).toBe(false);
    expect(guard.firstSeen('v0=bb', t, t + 1000)).toBe(true);
    expect(guard.size).toBe(2);
    // Past the window the entries are dropped (a request that old is refused as stale anyway).
    expect(guard.firstSeen('v0=cc', t + SLACK_SIGNATURE_MAX_AGE_MS + 2000, t + SLACK_SIGNATURE_MAX_AGE_MS + 2000)).toBe(true);
    expect(guard.size).toBe(1);
  });

  it('never holds more than maxEntries', () => {
    const guard = createReplayGuard(3);
    const t = 1_767_225_600_000;
    for (let i = 0; i < 10; i += 1) expect(guard.firstSeen(`v0=${i}`, t, t)).toBe(true);
    expect(guard.size).toBe(3);
  });
});
