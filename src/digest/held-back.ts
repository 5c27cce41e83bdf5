/**
 * "What was held back": everything the store knows that did not reach anyone, or not at once,
 * and why. One collector per reason; a feature that holds alerts back (an alert budget, quiet
 * hours) adds its HeldBackKind in model.ts and a collector to HELD_BACK_COLLECTORS.
 *
 * What exists today:
 *   - throttled: mentions that arrived during a rule's throttle / group_wait went out together
 *     with a later alert (the rule engine delays, never drops);
 *   - waiting: mentions still waiting for their group's next alert;
 *   - delivery_failed / delivery_retrying / delivery_skipped: alert deliveries that failed for
 *     good, are still being retried, or were never attempted (notifier not configured);
 *   - delivery_suppressed / delivery_held: deliveries an alert budget, a silence or quiet hours
 *     kept back, with that reason;
 *   - backfill / duplicate / quiet_import: mentions stored without alerting by design.
 */
import type { Config } from '../config/load.js';
import { formatDuration } from '../core/duration.js';
import { plural } from '../core/text.js';
import type { Store } from '../store/types.js';
import type { HeldBack } from './model.js';
import type { Period } from './period.js';

export interface HeldBackContext {
  store: Store;
  config: Config;
  brand: string;
  period: Period;
}

export type HeldBackCollector = (ctx: HeldBackContext) => Promise<HeldBack[]>;

/** A mention counts as delayed when its alert left more than this after it was fetched. */
const DELAY_THRESHOLD_MS = 60_000;

function range(ctx: HeldBackContext): [string, string, string] {
  return [ctx.brand, ctx.period.start.toISOString(), ctx.period.end.toISOString()];
}

export async function collectThrottled(ctx: HeldBackContext): Promise<HeldBack[]> {
  const rows = await ctx.store.reports.alertedMentions(...range(ctx));
  const byRule = new Map<string, { mentions: number; alerts: Set<number>; maxDelay: number }>();
  for (const row of rows) {
    const delay = Date.parse(row.alertCreatedAt) - Date.parse(row.mentionFetchedAt);
    if (delay <= DELAY_THRESHOLD_MS) continue;
    const entry = byRule.get(row.rule) ?? { mentions: 0, alerts: new Set<number>(), maxDelay: 0 };
    entry.mentions += 1;
    entry.alerts.add(row.alertId);
    entry.maxDelay = Math.max(entry.maxDelay, delay);
    byRule.set(row.rule, entry);
  }
  const out: HeldBack[] = [];
  for (const [rule, e] of byRule) {
    const config = ctx.config.rules.find((r) => r.name === rule);
    const why = [
      config && config.throttleMs > 0 ? `throttle ${formatDuration(config.throttleMs)}` : '',
      config?.type === 'mention' && config.groupWaitMs > 0 ? `group_wait ${formatDuration(config.groupWaitMs)}` : '',
    ].filter(Boolean);
    out.push({
      kind: 'throttled',
      count: e.mentions,
      text:
        `${plural(e.mentions, 'mention')} waited for rule ${rule}` +
        (why.length ? ` (${why.join(', ')})` : '') +
        ` and went out together in ${plural(e.alerts.size, 'alert')}, up to ${formatDuration(e.maxDelay)} late`,
    });
  }
  return out;
}

export async function collectWaiting(ctx: HeldBackContext): Promise<HeldBack[]> {
  const rows = (await ctx.store.reports.waitingByRule(ctx.brand, ctx.period.end.toISOString())).map((r) => ({ rule: r.rule, n: r.count }));
  return rows.map((r) => ({
    kind: 'waiting' as const,
    count: r.n,
    text: `${plural(r.n, 'mention')} ${r.n === 1 ? 'is' : 'are'} waiting for rule ${r.rule}'s throttle to end; ${r.n === 1 ? 'it goes' : 'they go'} out with its next alert`,
  }));
}

/** Display order: what needs action first. */
const STATUS_RANK: Record<string, number> = { failed: 0, suppressed: 1, held: 2, pending: 3, skipped: 4 };

export async function collectDeliveries(ctx: HeldBackContext): Promise<HeldBack[]> {
  // The reason is why a delivery was kept back (budget, silence, quiet hours), else why it failed.
  const rows = (await ctx.store.reports.undelivered(...range(ctx))).map((r) => ({ ...r, n: r.count }));
  rows.sort((a, b) => (STATUS_RANK[a.status] ?? 9) - (STATUS_RANK[b.status] ?? 9));
  return rows.map((r) => {
    const alerts = `${plural(r.n, 'alert')} to ${r.notifier} ${r.target}`;
    const why = r.reason ? `: ${r.reason}` : '';
    switch (r.status) {
      case 'failed':
        return { kind: 'delivery_failed' as const, count: r.n, text: `${alerts} failed and will not be retried${why}` };
      case 'suppressed':
        return { kind: 'delivery_suppressed' as const, count: r.n, text: `${alerts} not sent${why}` };
      case 'held':
        return { kind: 'delivery_held' as const, count: r.n, text: `${alerts} held until the window ends${why}` };
      case 'skipped':
        return { kind: 'delivery_skipped' as const, count: r.n, text: `${alerts} not sent${why}` };
      default:
        return { kind: 'delivery_retrying' as const, count: r.n, text: `${alerts} still being retried${why}` };
    }
  });
}

const STATE_TEXT: Record<string, { kind: HeldBack['kind']; text: (n: number) => string }> = {
  backfill: {
    kind: 'backfill',
    text: (n) => `${plural(n, 'mention')} from a source's first poll stored without alerts (older than its alert_backfill)`,
  },
  duplicate: {
    kind: 'duplicate',
    text: (n) => `${plural(n, 'repost')} of earlier mentions (same link or text) not counted and not alerted`,
  },
  quiet: { kind: 'quiet_import', text: (n) => `${plural(n, 'mention')} imported with --no-alerts` },
};

export async function collectMentionStates(ctx: HeldBackContext): Promise<HeldBack[]> {
  const rows = await ctx.store.reports.quietMentionStates(...range(ctx));
  return rows.flatMap((r) => {
    const entry = STATE_TEXT[r.alertState];
    return entry ? [{ kind: entry.kind, count: r.count, text: entry.text(r.count) }] : [];
  });
}

/** In display order: what needs action first (failed deliveries), then what was only delayed. */
export const HELD_BACK_COLLECTORS: readonly HeldBackCollector[] = [
  collectDeliveries,
  collectThrottled,
  collectWaiting,
  collectMentionStates,
];

export async function collectHeldBack(ctx: HeldBackContext, collectors: readonly HeldBackCollector[] = HELD_BACK_COLLECTORS): Promise<HeldBack[]> {
  const out: HeldBack[] = [];
  for (const collect of collectors) out.push(...(await collect(ctx)));
  return out;
}
