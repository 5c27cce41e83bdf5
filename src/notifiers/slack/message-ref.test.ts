import { describe, expect, it } from 'vitest';
import { decodeMessageRef, encodeMessageRef } from './message-ref.js';

describe('Slack message refs', () => {
  it.each([
    ['C0123ABCD', '1503435956.000247', 'C0123ABCD:1503435956.000247'],
    ['G0123ABCD', '1503435956.000247', 'G0123ABCD:1503435956.000247'],
    // No usable channel id in the answer: the ts alone, as before (threads still work).
    [undefined, '1503435956.000247', '1503435956.000247'],
    ['#brand-alerts', '1503435956.000247', '1503435956.000247'],
  ])('encodes channel %s and ts %s as %s', (channel, ts, ref) => {
    expect(encodeMessageRef(channel, ts)).toBe(ref);
  });

  it.each([
    ['C0123ABCD:1503435956.000247', { channel: 'C0123ABCD', ts: '1503435956.000247' }],
    ['1503435956.000247', { channel: null, ts: '1503435956.000247' }],
    ['<0123abcd@mail.example>', null],
    ['#x:1503435956.000247', null],
    ['C0123ABCD:', null],
    ['', null],
  ])('decodes %j', (ref, decoded) => {
    expect(decodeMessageRef(ref)).toEqual(decoded);
  });
});
