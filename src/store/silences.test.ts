import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silenceStatus } from './silences.js';
import { openSqliteStore } from './sqlite/store.js';
import type { Store } from './types.js';

const T0 = '2026-11-23T10:00:00.000Z';
const at = (minutes: number) => new Date(Date.parse(T0) + minutes * 60_000).toISOString();

let store: Store;
beforeEach(() => {
  store = openSqliteStore(join(mkdtempSync(join(tmpdir(), 'earshot-silences-')), 'test.db'));
});
afterEach(() => store.close());

describe('silences store', () => {
  it('adds a silence and reads it back with normalised times', async () => {
    const s = await store.silences.add({ rule: 'negative', brand: 'acme', startsAt: '2026-11-23T10:00:00Z', endsAt: at(120), reason: ' outage, we know ' });
    expect(s).toEqual({
      id: s.id,
      rule: 'negative',
      brand: 'acme',
      startsAt: T0,
      endsAt: at(120),
      reason: 'outage, we know',
      createdAt: T0,
      removedAt: null,
    });
    expect(await store.silences.get(s.id)).toEqual(s);
  });

  it.each([
    [{ rule: '', startsAt: T0, endsAt: at(1), reason: 'x' }, /rule name/],
    [{ rule: 'r', startsAt: T0, endsAt: at(1), reason: '  ' }, /reason/],
    [{ rule: 'r', startsAt: T0, endsAt: T0, reason: 'x' }, /end after it starts/],
    [{ rule: 'r', startsAt: 'soon', endsAt: at(1), reason: 'x' }, /not a time/],
  ])('refuses %o', async (silence, message) => {
    await expect(store.silences.add(silence)).rejects.toThrow(message);
  });

  // Time table: a silence for rule r / brand acme over [10:00, 12:00).
  it.each([
    ['before it starts', 'r', 'acme', -1, false],
    ['at its start', 'r', 'acme', 0, true],
    ['in the middle', 'r', 'acme', 60, true],
    ['a minute before its end', 'r', 'acme', 119, true],
    ['at its end', 'r', 'acme', 120, false],
    ['another brand', 'r', 'globex', 60, false],
    ['another rule', 'other', 'acme', 60, false],
  ])('activeSilence %s: rule %s, brand %s, +%i min -> %s', async (_label, rule, brand, minutes, held) => {
    const s = await store.silences.add({ rule: 'r', brand: 'acme', startsAt: T0, endsAt: at(120), reason: 'planned' });
    const found = await store.silences.active(rule, brand, at(minutes));
    expect(found).toEqual(held ? { id: s.id, reason: 'planned', endsAt: at(120) } : null);
  });

  it('a silence without a brand covers every brand; rule * covers every rule', async () => {
    const anyBrand = await store.silences.add({ rule: 'r', startsAt: T0, endsAt: at(30), reason: 'any brand' });
    expect((await store.silences.active('r', 'globex', at(10)))?.id).toBe(anyBrand.id);
    expect(await store.silences.active('other', 'globex', at(10))).toBeNull();
    const everything = await store.silences.add({ rule: '*', brand: 'globex', startsAt: T0, endsAt: at(60), reason: 'all rules' });
    expect((await store.silences.active('other', 'globex', at(10)))?.id).toBe(everything.id);
    expect(await store.silences.active('other', 'acme', at(10))).toBeNull();
  });

  it('when several apply, the one ending last wins', async () => {
    await store.silences.add({ rule: 'r', startsAt: T0, endsAt: at(30), reason: 'short' });
    const long = await store.silences.add({ rule: '*', startsAt: T0, endsAt: at(90), reason: 'long' });
    await store.silences.add({ rule: 'r', brand: 'acme', startsAt: T0, endsAt: at(60), reason: 'middle' });
    expect(await store.silences.active('r', 'acme', at(10))).toEqual({ id: long.id, reason: 'long', endsAt: at(90) });
  });

  it('removing ends a silence at once, keeps the row, and is idempotent', async () => {
    const s = await store.silences.add({ rule: 'r', startsAt: T0, endsAt: at(120), reason: 'x' });
    expect((await store.silences.remove(s.id, at(5)))?.removedAt).toBeNull();
    expect(await store.silences.active('r', 'acme', at(10))).toBeNull();
    const again = await store.silences.remove(s.id, at(7));
    expect(again?.removedAt).toBe(at(5));
    expect(silenceStatus(again!, at(7))).toBe('removed');
    expect(await store.silences.remove(999, at(7))).toBeNull();
  });

  it('lists current silences (soonest end first) or all of them (newest first) with a status', async () => {
    const ended = await store.silences.add({ rule: 'a', startsAt: at(-120), endsAt: at(-60), reason: 'old' });
    const active = await store.silences.add({ rule: 'b', startsAt: at(-10), endsAt: at(60), reason: 'now' });
    const pending = await store.silences.add({ rule: 'c', startsAt: at(30), endsAt: at(40), reason: 'later' });
    const removed = await store.silences.add({ rule: 'd', startsAt: at(-5), endsAt: at(100), reason: 'gone' });
    await store.silences.remove(removed.id, at(-1));
    expect((await store.silences.list({ at: T0 })).map((s) => s.id)).toEqual([pending.id, active.id]);
    const all = await store.silences.list({ at: T0, all: true });
    expect(all.map((s) => s.id)).toEqual([pending.id, removed.id, active.id, ended.id]);
    expect(all.map((s) => silenceStatus(s, T0))).toEqual(['pending', 'removed', 'active', 'ended']);
  });
});
