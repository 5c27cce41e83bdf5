/**
 * `earshot outbox list [--failed] [--rule R] [--notifier N] [--json]` and
 * `earshot outbox retry [--failed] [--rule R] [--notifier N]`: the deliveries waiting for a
 * retry or given up, and sending them again. A delivery that failed for good (a wrong token, a
 * channel the bot was not in) is kept; once the cause is fixed, `retry --failed` sends it.
 *
 * `retry` makes the matching deliveries due now with a fresh back-off. When a daemon runs on the
 * database it sends them (within its next pass, at most 30 s); otherwise this command sends them
 * itself, waiting out short retries like `poll --once`, and says what is left.
 */
import { NOTIFIER_TYPES } from '../notifiers/registry.js';
import { Deliverer } from '../pipeline/deliver.js';
import { deliverPatiently, oneShotDelivery } from '../pipeline/cycle.js';
import type { DeliveryListing } from '../store/types.js';
import { terminalSafe } from './mentions.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';
import { plural } from '../core/text.js';
import { oneShotPatience, reportPending, utcSeconds } from './pending.js';
import { formatTable } from './status.js';

export interface OutboxListOptions {
  failed?: boolean;
  rule?: string;
  notifier?: string;
  json?: boolean;
}

export interface OutboxRetryOptions {
  failed?: boolean;
  rule?: string;
  notifier?: string;
}

function checkNotifier(notifier: string | undefined): void {
  if (notifier === undefined || NOTIFIER_TYPES.includes(notifier)) return;
  throw new UserError(`--notifier ${notifier}: no such notifier; notifiers are ${NOTIFIER_TYPES.join(', ')}`);
}

function checkRule(rules: readonly string[], rule: string | undefined): void {
  if (rule === undefined || rules.includes(rule)) return;
  throw new UserError(`--rule ${rule}: no such rule; rules are ${rules.length ? rules.join(', ') : '(none has alerted yet)'}`);
}

export async function outboxListCommand(ctx: Context, options: OutboxListOptions): Promise<number> {
  const store = await openStore(ctx, { readonly: true });
  try {
    checkNotifier(options.notifier);
    checkRule(await store.outbox.rules(), options.rule);
    const statuses = options.failed ? (['failed'] as const) : (['pending', 'held'] as const);
    const deliveries = await store.outbox.list({
      statuses,
      ...(options.rule !== undefined ? { rule: options.rule } : {}),
      ...(options.notifier !== undefined ? { notifier: options.notifier } : {}),
    });
    if (options.json) {
      for (const d of deliveries) ctx.io.out(JSON.stringify(d));
      return 0;
    }
    if (deliveries.length === 0) {
      ctx.io.out(options.failed ? 'no failed deliveries' : 'no pending deliveries');
      return 0;
    }
    const rows = deliveries.map((d) => [
      String(d.id),
      d.status,
      terminalSafe(d.rule),
      d.brand,
      `${d.notifier} ${terminalSafe(d.target)}`,
      String(d.attempts),
      options.failed ? failedAt(d) : nextTry(d),
      terminalSafe(d.lastError ?? d.holdReason ?? '-'),
    ]);
    const header = ['ID', 'STATUS', 'RULE', 'BRAND', 'TO', 'TRIES', options.failed ? 'FAILED AT' : 'NEXT TRY', 'LAST ERROR'];
    for (const line of formatTable(header, rows, new Set([0, 5]))) ctx.io.out(line);
    if (options.failed) ctx.io.out('`earshot outbox retry --failed` sends them again (add --rule or --notifier to choose)');
    return 0;
  } finally {
    await store.close();
  }
}

function nextTry(d: DeliveryListing): string {
  return utcSeconds(d.nextAttemptAt);
}

function failedAt(d: DeliveryListing): string {
  return d.lastAttemptAt ? utcSeconds(d.lastAttemptAt) : '-';
}

export async function outboxRetryCommand(ctx: Context, options: OutboxRetryOptions): Promise<number> {
  const { config } = requireConfig(ctx);
  const store = await openStore(ctx);
  const now = () => new Date();
  const deliverer = new Deliverer(store, config, ctx.log, now, oneShotDelivery(store));
  try {
    checkNotifier(options.notifier);
    checkRule(await store.outbox.rules(), options.rule);
    const queued = await store.outbox.requeue(
      {
        statuses: options.failed ? ['failed'] : ['pending'],
        ...(options.rule !== undefined ? { rule: options.rule } : {}),
        ...(options.notifier !== undefined ? { notifier: options.notifier } : {}),
      },
      now().toISOString(),
    );
    if (queued === 0) {
      ctx.io.out(options.failed ? 'no failed deliveries to retry' : 'no pending deliveries to retry (add --failed for the failed ones)');
      return 0;
    }
    const daemon = await store.daemonState();
    if (daemon.running) {
      const who = daemon.owner ? ` (pid ${daemon.owner.pid} on ${daemon.owner.host})` : '';
      ctx.io.out(`${plural(queued, 'delivery', 'deliveries')} queued again; the running daemon${who} sends them within 30 s`);
      return 0;
    }
    const result = await deliverPatiently({ store, config, log: ctx.log, now, deliverer }, oneShotPatience(ctx));
    ctx.io.out(`${plural(queued, 'delivery', 'deliveries')} queued again; ${result.sent} sent${result.failed ? `, ${result.failed} failed` : ''}`);
    for (const d of await store.outbox.list({ statuses: ['failed'], ...(options.rule !== undefined ? { rule: options.rule } : {}) })) {
      if (d.lastAttemptAt && Date.parse(d.lastAttemptAt) >= Date.now() - 60_000) ctx.io.out(`delivery ${d.id} ${d.notifier} ${terminalSafe(d.target)}: ${terminalSafe(d.lastError ?? 'failed')}`);
    }
    const pending = await reportPending(ctx, store, now());
    return result.failed > 0 || pending > 0 ? 1 : 0;
  } finally {
    await deliverer.close();
    await store.close();
  }
}
