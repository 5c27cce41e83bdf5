/**
 * What the outbox tells a user about deliveries, computed the same way on every backend from
 * rows the repositories return: why deliveries are pending and when the next try is, and which
 * failed deliveries could be retried because their notifier's settings changed since.
 */
import type { OutboxRepo } from './types.js';

export interface PendingListing {
  id: number;
  nextAttemptAt: string;
  lastError: string | null;
}

/** Why deliveries are pending: each last error with how many; and the next try. */
export interface PendingReport {
  pending: number;
  /** The services' errors first (most frequent first), then deliveries that merely wait their turn. */
  reasons: Array<{ error: string; count: number }>;
  /** When the next pending delivery is tried (a queue head), or null when none is pending. */
  nextAttemptAt: string | null;
}

const QUEUED = 'queued behind an earlier alert to the same destination';

/** `pending`: every pending delivery; `headIds`: the heads of the destinations' queues among them. */
export function summarizePending(pending: readonly PendingListing[], headIds: ReadonlySet<number>): PendingReport {
  const counts = new Map<string, number>();
  let next: string | null = null;
  for (const d of pending) {
    const head = headIds.has(d.id);
    const error = d.lastError ?? (head ? 'not tried yet' : QUEUED);
    counts.set(error, (counts.get(error) ?? 0) + 1);
    if (head && (next === null || d.nextAttemptAt < next)) next = d.nextAttemptAt;
  }
  return {
    pending: pending.length,
    reasons: [...counts]
      .map(([error, count]) => ({ error, count }))
      .sort((a, b) => Number(a.error === QUEUED) - Number(b.error === QUEUED) || b.count - a.count || a.error.localeCompare(b.error)),
    nextAttemptAt: next,
  };
}

/** Failed deliveries of one notifier that failed with one settings fingerprint. */
export interface FailedSettings {
  notifier: string;
  settings: string;
  count: number;
}

export interface RetryOffer {
  notifier: string;
  /** Deliveries that failed for good while the notifier had other settings than now. */
  failed: number;
}

/** Offers per notifier whose settings now (`current`) differ from those its deliveries failed with. */
export function offersFor(rows: readonly FailedSettings[], current: (notifier: string) => string | null): RetryOffer[] {
  const offers = new Map<string, number>();
  for (const r of rows) {
    const now = current(r.notifier);
    if (now === null || now === r.settings) continue;
    offers.set(r.notifier, (offers.get(r.notifier) ?? 0) + r.count);
  }
  return [...offers].map(([notifier, failed]) => ({ notifier, failed })).sort((a, b) => a.notifier.localeCompare(b.notifier));
}

/** Why the store's deliveries are pending, and when the next try is. */
export async function pendingReport(outbox: Pick<OutboxRepo, 'list'>): Promise<PendingReport> {
  const pending = await outbox.list({ statuses: ['pending'] });
  const heads = await outbox.list({ statuses: ['pending'], headsOnly: true });
  return summarizePending(pending, new Set(heads.map((d) => d.id)));
}

/** Failed deliveries whose notifier's settings changed since they failed (`current`: each notifier's fingerprint now). */
export async function retryOffers(outbox: Pick<OutboxRepo, 'failedSettings'>, current: (notifier: string) => string | null): Promise<RetryOffer[]> {
  return offersFor(await outbox.failedSettings(), current);
}
