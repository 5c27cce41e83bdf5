import { describe, expect, it } from 'vitest';
import { pageThrough, pagingSettings, type PageOutcome } from './paging.js';

const NOW = new Date('2026-11-23T08:00:00Z');
const settings = pagingSettings({ maxPages: 3, pageSize: 10 }, { min: 1, max: 100 });

/** Runs the loop over scripted pages; returns which pages were fetched and the outcome. */
async function run(pages: PageOutcome[], resuming: boolean, where?: string) {
  const fetched: number[] = [];
  const outcome = await pageThrough({
    service: 'Svc',
    noun: 'posts',
    ...(where ? { where } : {}),
    resuming,
    settings,
    now: NOW,
    fetchPage: async (n) => {
      fetched.push(n);
      const page = pages.shift();
      if (!page) throw new Error(`page ${n} was not expected`);
      return page;
    },
  });
  return { fetched, outcome };
}

const more: PageOutcome = { last: false };
const last: PageOutcome = { last: true };

describe('pageThrough', () => {
  it('stops at the last page, with nothing to report', async () => {
    expect(await run([more, last], true)).toEqual({ fetched: [1, 2], outcome: {} });
  });

  it('takes only the newest page on a first poll, and that is no gap', async () => {
    expect(await run([more], false)).toEqual({ fetched: [1], outcome: {} });
  });

  it('stops at the page cap when resuming, and says what was skipped', async () => {
    expect(await run([more, more, more], true, ' on the #acme timeline')).toEqual({
      fetched: [1, 2, 3],
      outcome: { gaps: ['Svc: page cap of 3 page(s) (30 posts) reached on the #acme timeline; older posts since the last poll were skipped'] },
    });
  });

  it('stops when the budget is used up, waits for the reset, and keeps the last budget seen', async () => {
    const spent = { remaining: 0, limit: 300, resetAt: '2026-11-23T08:15:00.000Z' };
    expect(await run([{ last: false, rateLimit: { remaining: 5, limit: 300, resetAt: null } }, { last: false, rateLimit: spent }], true)).toEqual({
      fetched: [1, 2],
      outcome: { rateLimit: spent, minDelayMs: 15 * 60_000, gaps: ['Svc: rate-limit budget used up after 2 page(s); older posts since the last poll were skipped'] },
    });
  });

  it("keeps a page's own gap and the longest wait asked", async () => {
    const { outcome } = await run([{ last: false, minDelayMs: 500 }, { last: true, gap: 'Svc: rate limited after 1 page(s)', minDelayMs: 60_000 }], true);
    expect(outcome).toEqual({ minDelayMs: 60_000, gaps: ['Svc: rate limited after 1 page(s)'] });
  });

  it('starts over with the newest page only when a page says the saved position is lost', async () => {
    const { fetched, outcome } = await run([{ last: false, restart: true, gap: 'Svc: position lost' }, more], true);
    expect(fetched).toEqual([1, 1]);
    expect(outcome).toEqual({ gaps: ['Svc: position lost'] });
  });
});
