/**
 * What one-shot commands (`poll --once`, `import`) say about deliveries they leave behind: how
 * many, why (each last error), and when the next try is. They wait out only short retries (see
 * deliverPatiently), so the rest is the daemon's, or the next one-shot command's.
 */
import { plural } from '../core/text.js';
import type { Patience } from '../pipeline/cycle.js';
import { pendingReport } from '../store/outbox-report.js';
import type { Store } from '../store/types.js';
import type { Context } from './context.js';

/** One-shot commands wait at most this long in all for retries. */
const ONE_SHOT_PATIENCE_MS = 30_000;

/** UTC, to the second, as the CLI prints times: 2026-11-23 08:00:05 UTC. */
export function utcSeconds(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Patience for a one-shot command: each wait is announced on stderr before it starts. */
export function oneShotPatience(ctx: Context): Patience {
  return {
    totalMs: ONE_SHOT_PATIENCE_MS,
    onWait: (waitMs, d) => {
      const why = d.lastError ?? `spacing messages to ${d.target}`;
      ctx.io.err(`waiting ${Math.ceil(waitMs / 1000)} s to retry alert delivery ${d.id} (${why})`);
    },
  };
}

/** Prints the pending deliveries (none: nothing); returns how many are pending. */
export async function reportPending(ctx: Context, store: Store, now: Date): Promise<number> {
  const report = await pendingReport(store.outbox);
  if (report.pending === 0) return 0;
  const reasons = report.reasons.map((r) => `${r.error} (${r.count})`).join('; ');
  const next = report.nextAttemptAt;
  const when = next ? `; next try at ${utcSeconds(next)} (in ${Math.max(0, Math.ceil((Date.parse(next) - now.getTime()) / 1000))} s), by \`earshot run\` or the next one-shot command` : '';
  ctx.io.out(`${plural(report.pending, 'alert delivery', 'alert deliveries')} pending: ${reasons}${when}`);
  return report.pending;
}
