import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailability, startTestPostgres, withSkipReason, type TestPostgres } from '../../test/helpers/postgres.js';
import { openPostgresStore, type PostgresStore } from '../store/pg/store.js';
import { bucketFor, RateLimitSettingError, rateLimits, sharedBudgets } from './budgets.js';

describe('rate limit settings', () => {
  it.each([
    [{}, 'twitter', { requests: 450, windowMs: 900_000 }],
    [{ EARSHOT_RATE_LIMIT_TWITTER: '100/1h' }, 'twitter', { requests: 100, windowMs: 3_600_000 }],
    [{ EARSHOT_RATE_LIMIT_REDDIT: 'off' }, 'reddit', undefined],
    [{ EARSHOT_RATE_LIMIT_RSS: '60 / 1m' }, 'rss', { requests: 60, windowMs: 60_000 }],
  ])('%j: %s -> %j', (env, type, expected) => {
    expect(rateLimits(env).get(type)).toEqual(expected);
  });

  it.each(['450', '450/', 'x/15m', '0/1m', '10/forever'])('refuses %s', (value) => {
    expect(() => rateLimits({ EARSHOT_RATE_LIMIT_TWITTER: value })).toThrow(RateLimitSettingError);
    expect(() => rateLimits({ EARSHOT_RATE_LIMIT_TWITTER: value })).toThrow('EARSHOT_RATE_LIMIT_TWITTER');
  });

  it('lets at most the limit through in any window', () => {
    for (const limit of [{ requests: 450, windowMs: 900_000 }, { requests: 100, windowMs: 60_000 }, { requests: 3, windowMs: 1_000 }]) {
      const b = bucketFor(limit);
      expect(b.capacity + b.refillPerSecond * (limit.windowMs / 1000)).toBeLessThanOrEqual(limit.requests + 1e-9);
    }
  });
});

const availability = postgresAvailability();

describe.skipIf(!availability.ok)(withSkipReason('shared budgets on PostgreSQL', availability), () => {
  let pg: TestPostgres;
  let store: PostgresStore;
  beforeAll(async () => {
    pg = await startTestPostgres();
    store = await openPostgresStore(pg.url);
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await pg?.stop();
  }, 60_000);

  it('grants the burst, then asks to wait; a 429 blocks everyone until its reset; unlimited types pass', async () => {
    const budgets = sharedBudgets(store.cluster, rateLimits({ EARSHOT_RATE_LIMIT_TWITTER: '20/1h' }));
    const granted = [];
    for (let i = 0; i < 3; i++) granted.push((await budgets.take('twitter')).granted);
    expect(granted).toEqual([true, true, false]);
    const denied = await budgets.take('twitter');
    expect(denied.waitMs).toBeGreaterThan(60_000);
    expect((await budgets.take('rss')).granted).toBe(true);

    const other = sharedBudgets(store.cluster, rateLimits({}));
    const until = new Date(Date.now() + 30 * 60_000).toISOString();
    await other.report('reddit', { rateLimitedUntil: until });
    const blocked = await budgets.take('reddit');
    expect(blocked).toMatchObject({ granted: false, blockedReason: 'the service answered 429' });
    expect(blocked.waitMs).toBeGreaterThan(29 * 60_000);

    expect((await other.take('mastodon')).granted).toBe(true);
    await other.report('mastodon', { remaining: 0, resetAt: new Date(Date.now() + 60_000).toISOString() });
    expect(await other.take('mastodon')).toMatchObject({ granted: false, blockedReason: 'the service reported its budget spent' });

    expect((await other.take('bluesky')).granted).toBe(true);
    await other.report('bluesky', { remaining: 0.5 });
    expect((await other.take('bluesky')).granted).toBe(false);
  });
});
