/**
 * The work after new mentions arrive, shared by the daemon, `poll --once` and `import`:
 * rules -> outbox -> delivery.
 */
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { evaluateAggregates, evaluateNewMentions, releaseDueGroups } from '../rules/engine.js';
import type { Db } from '../store/db.js';
import { nextDeliveryAt } from '../store/outbox.js';
import { sleep, type Deliverer, type DeliverResult } from './deliver.js';

export interface CycleDeps {
  db: Db;
  config: Config;
  log: Logger;
  now: () => Date;
  deliverer: Deliverer;
}

/** Runs rules over new mentions, due groups and aggregate conditions; writes alerts to the outbox. Returns new alert ids. */
export function runRules(deps: CycleDeps, flush = false): number[] {
  evaluateNewMentions(deps);
  return [...releaseDueGroups(deps, { flush }), ...evaluateAggregates(deps)];
}

/**
 * Delivers until nothing is due within `patienceMs` (used by one-shot commands, which wait out
 * short Retry-Afters instead of leaving the alert for a run that may be hours away).
 */
export async function deliverPatiently(deps: CycleDeps, patienceMs: number, signal?: AbortSignal): Promise<DeliverResult> {
  const total: DeliverResult = { sent: 0, retried: 0, failed: 0 };
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const r = await deps.deliverer.deliverDue(signal);
    total.sent += r.sent;
    total.retried += r.retried;
    total.failed += r.failed;
    const next = nextDeliveryAt(deps.db);
    if (!next || signal?.aborted) return total;
    const wait = Date.parse(next) - deps.now().getTime();
    if (Date.now() + Math.max(wait, 0) > deadline) return total;
    if (wait > 0) await sleep(wait, signal);
  }
}
