/**
 * The work after new mentions arrive, shared by the daemon, `poll --once` and `import`:
 * rules -> outbox -> delivery.
 */
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { evaluateAggregates, evaluateNewMentions, releaseDueGroups } from '../rules/engine.js';
import type { DeliveryListing, Store } from '../store/types.js';
import { hostname } from 'node:os';
import type { PostgresStore } from '../store/pg/store.js';
import { sleep } from '../core/sleep.js';
import type { Deliverer, DelivererOptions, DeliverResult } from './deliver.js';

export interface CycleDeps {
  store: Store;
  config: Config;
  log: Logger;
  now: () => Date;
  deliverer: Deliverer;
}

/** Runs rules over new mentions, due groups and aggregate conditions; writes alerts to the outbox. Returns new alert ids. */
export async function runRules(deps: CycleDeps, flush = false): Promise<number[]> {
  await evaluateNewMentions(deps);
  const released = await releaseDueGroups(deps, { flush });
  return [...released, ...(await evaluateAggregates(deps))];
}

/**
 * `runRules` for one-shot commands (`poll --once`, `import`): on PostgreSQL it waits for the
 * cluster-wide rules lock, so a command run beside the daemons takes its turn with their passes.
 */
export async function runRulesInTurn(deps: CycleDeps, flush = false): Promise<number[]> {
  if (deps.store.dialect !== 'postgres') return runRules(deps, flush);
  const { withSessionLock, RULES_LOCK } = await import('../store/pg/cluster-tick.js');
  return withSessionLock(deps.store as PostgresStore, RULES_LOCK, () => runRules(deps, flush));
}

/**
 * Deliverer options for a one-shot command: on PostgreSQL it claims deliveries like the nodes
 * do, so it never sends one a daemon is sending.
 */
export function oneShotDelivery(store: Store): DelivererOptions {
  if (store.dialect !== 'postgres') return {};
  return { claims: { repo: (store as PostgresStore).cluster, nodeId: `${hostname()}-${process.pid}-cli`, leaseMs: 60_000, inlineWaitMs: 5_000 } };
}

/** A Retry-After up to this long is waited out by one-shot commands. */
const SHORT_RETRY_AFTER_MS = 10_000;

export interface Patience {
  /** At most this long in all (ms). */
  totalMs: number;
  /** Told before each wait, so the command can say how long it waits and for what. */
  onWait?: (waitMs: number, waitingFor: DeliveryListing) => void;
}

/**
 * Delivers what is due, then waits out short retries (a Retry-After up to 10 s, a first back-off
 * of 5 s) for at most `patience.totalMs`; a longer wait is left to the daemon or the next run.
 * One-shot commands use it: waiting is worth it for a blip, not for a service that is down.
 */
export async function deliverPatiently(deps: CycleDeps, patience: Patience, signal?: AbortSignal): Promise<DeliverResult> {
  const total: DeliverResult = { sent: 0, retried: 0, failed: 0 };
  const started = Date.now();
  for (;;) {
    const r = await deps.deliverer.deliverDue(signal);
    total.sent += r.sent;
    total.retried += r.retried;
    total.failed += r.failed;
    if (signal?.aborted) return total;
    const now = deps.now().getTime();
    const next = earliest((await deps.store.outbox.list({ statuses: ['pending'], headsOnly: true })).filter((d) => isShortRetry(d, now)));
    if (!next) return total;
    const wait = Math.max(0, Date.parse(next.nextAttemptAt) - now);
    if (Date.now() - started + wait > patience.totalMs) return total;
    if (wait > 0) {
      patience.onWait?.(wait, next);
      await sleep(wait, signal);
    }
  }
}

function isShortRetry(d: DeliveryListing, now: number): boolean {
  if (d.retryKind === 'unavailable') return d.retryStreak <= 1;
  // Rate limited, or not tried yet (spaced behind another message to the same channel).
  return Date.parse(d.nextAttemptAt) - now <= SHORT_RETRY_AFTER_MS;
}

function earliest(deliveries: DeliveryListing[]): DeliveryListing | undefined {
  return deliveries.reduce<DeliveryListing | undefined>((a, d) => (a === undefined || d.nextAttemptAt < a.nextAttemptAt ? d : a), undefined);
}
