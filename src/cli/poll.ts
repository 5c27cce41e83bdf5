/**
 * `earshot poll --once [--source BRAND/TYPE]`: one poll of every source, then rules and alert
 * delivery, then exit. Exit 1 when a source failed or an alert could not be delivered.
 */
import { createAnalyzer } from '../analyze/index.js';
import { Deliverer } from '../pipeline/deliver.js';
import { deliverPatiently, oneShotDelivery, runRulesInTurn } from '../pipeline/cycle.js';
import { pollSource, type PollOutcome, type PrepareAhead } from '../pipeline/poll.js';
import { PrepareWorker } from '../pipeline/prepare-pool.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';
import { oneShotPatience, reportPending } from './pending.js';

export interface PollOptions {
  once?: boolean;
  source?: string;
  /** How long to keep retrying deliveries before giving up for this run (ms). */
  patienceMs?: number;
  /** New items seen before a worker thread starts analysing them (default 500); tests lower it. */
  workerAfterItems?: number;
  /** Counts the items the worker prepared (for tests). */
  stats?: { preparedAhead: number };
}

/**
 * Analysis in a worker thread once a run has brought enough new items to be worth one (the first
 * poll of many sources): the worker analyses while this thread fetches, parses and stores. A
 * small run never starts it (starting one costs a fraction of a second and ~60 MB).
 */
function lazyPrepareWorker(
  config: Config,
  log: Logger,
  after: number,
  stats: { preparedAhead: number },
): { prepare: PrepareAhead; close: () => Promise<void> } {
  let worker: PrepareWorker | null = null;
  let seen = 0;
  return {
    prepare: (brandId, items) => {
      seen += items.length;
      if (!worker && seen >= after) {
        worker = new PrepareWorker(config.brands.values(), (reason) => log.warn({ reason }, 'poll: analysing in the main thread'));
      }
      if (!worker) return Promise.resolve(null);
      return worker.prepare(brandId, items).then((prepared) => {
        if (prepared) stats.preparedAhead += prepared.length;
        return prepared;
      });
    },
    close: async () => {
      await worker?.close();
    },
  };
}

export async function pollCommand(ctx: Context, options: PollOptions): Promise<number> {
  if (!options.once) throw new UserError('earshot poll needs --once (the daemon is `earshot run`)');
  const { config } = requireConfig(ctx);
  let sources = config.sources;
  if (options.source) {
    const wanted = options.source;
    sources = sources.filter((s) => s.key === wanted || `${s.brand}/${s.type}` === wanted || s.brand === wanted);
    if (sources.length === 0) {
      throw new UserError(`--source ${wanted}: no such source; sources are ${config.sources.map((s) => s.key).join(', ')}`);
    }
  }
  const store = await openStore(ctx);
  const now = () => new Date();
  const deliverer = new Deliverer(store, config, ctx.log, now, oneShotDelivery(store));
  const ahead = lazyPrepareWorker(config, ctx.log, options.workerAfterItems ?? 500, options.stats ?? { preparedAhead: 0 });
  try {
    const analyzer = createAnalyzer();
    const outcomes: PollOutcome[] = [];
    // Sources are independent: poll a few at a time, never one source twice.
    const queue = [...sources];
    const workers = Array.from({ length: Math.min(4, queue.length) }, async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        outcomes.push(await pollSource({ store, config, analyzer, log: ctx.log, now, prepare: ahead.prepare }, s));
      }
    });
    await Promise.all(workers);
    const alertIds = await runRulesInTurn({ store, config, log: ctx.log, now, deliverer }, true);
    const patience = oneShotPatience(ctx);
    if (options.patienceMs !== undefined) patience.totalMs = options.patienceMs;
    const delivered = await deliverPatiently({ store, config, log: ctx.log, now, deliverer }, patience);

    let failed = false;
    outcomes.sort((a, b) => a.sourceKey.localeCompare(b.sourceKey));
    for (const o of outcomes) {
      if (o.status === 'ok') {
        const i = o.ingest;
        const first = o.firstPoll ? `first poll: ${o.firstPoll.storedWithoutAlerts} stored without alerts, alert_backfill ${o.firstPoll.alertBackfill}` : '';
        const extra = [i.duplicates ? `${i.duplicates} duplicate` : '', o.notModified ? 'not modified' : '', first, ...o.gaps].filter(Boolean);
        ctx.io.out(`${o.sourceKey}: ${i.fetched} fetched, ${i.matched} matched, ${i.stored} new${extra.length ? ` (${extra.join('; ')})` : ''}`);
      } else if (o.status === 'error') {
        failed = true;
        ctx.io.out(`${o.sourceKey}: FAILED: ${o.error}`);
      } else {
        ctx.io.out(`${o.sourceKey}: skipped (${o.reason})`);
      }
    }
    const outbox = await store.outbox.summary(new Date(Date.now() - 86_400_000).toISOString());
    ctx.io.out(
      `alerts: ${alertIds.length} new; deliveries: ${delivered.sent} sent, ${delivered.failed} failed, ${outbox.pending} pending`,
    );
    if (delivered.failed > 0) {
      failed = true;
      for (const f of outbox.recentFailures) ctx.io.out(`delivery ${f.notifier} ${f.target}: ${f.error ?? 'failed'}`);
    }
    if ((await reportPending(ctx, store, now())) > 0) failed = true;
    return failed ? 1 : 0;
  } finally {
    await ahead.close();
    await deliverer.close();
    await store.close();
  }
}
