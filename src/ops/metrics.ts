/**
 * Prometheus metrics (prom-client), served at /metrics by `earshot run --http`.
 *
 * Two kinds:
 *   - events, counted in this process as they happen (the pipeline calls `observe*`): polls by
 *     source and outcome, poll durations, mentions ingested, alert deliveries, config reloads,
 *     retention runs. Counters start at 0 when the process starts, as Prometheus expects.
 *   - state, read from the database at scrape time: alerts pending, the oldest pending alert's
 *     age, each source's rate-limit budget, last success and failure streak, the last reload,
 *     the database size. Reading at scrape time keeps them right across restarts and reloads.
 * Label values are earshot's own ids (source keys like `acme/rss`, rule names, notifier types),
 * never URLs or tokens.
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PruneResult } from '../store/retention.js';
import type { SourceState, Store } from '../store/types.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

/** Events counted in this process. */
export const eventRegistry = new Registry();
const registers = [eventRegistry];

const polls = new Counter({
  name: 'earshot_polls_total',
  help: 'Polls by source and outcome (ok, not_modified, error).',
  labelNames: ['source', 'type', 'outcome'] as const,
  registers,
});
const pollErrors = new Counter({
  name: 'earshot_poll_errors_total',
  help: 'Failed polls by source and error kind (network, http, rate_limit, auth, config, parse, internal...).',
  labelNames: ['source', 'kind'] as const,
  registers,
});
const pollDuration = new Histogram({
  name: 'earshot_poll_duration_seconds',
  help: 'Duration of one poll of one source, including paging and storing.',
  labelNames: ['source', 'type'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers,
});
const mentionsIngested = new Counter({
  name: 'earshot_mentions_ingested_total',
  help: 'Mentions stored (new, matching the brand query, duplicates included) by brand and source.',
  labelNames: ['brand', 'source'] as const,
  registers,
});
const alertsSent = new Counter({
  name: 'earshot_alerts_sent_total',
  help: 'Alert deliveries the service accepted, by notifier.',
  labelNames: ['notifier'] as const,
  registers,
});
const alertsFailed = new Counter({
  name: 'earshot_alerts_failed_total',
  help: 'Alert deliveries given up (a final error, or 24 h of retries), by notifier.',
  labelNames: ['notifier'] as const,
  registers,
});
const alertRetries = new Counter({
  name: 'earshot_alert_retries_total',
  help: 'Alert delivery attempts that failed and will be retried (429, 5xx, network), by notifier.',
  labelNames: ['notifier'] as const,
  registers,
});
const configReloads = new Counter({
  name: 'earshot_config_reloads_total',
  help: 'Config reloads after a change in sources/, rules/ or .env, by result (ok, error: the last good config stays).',
  labelNames: ['result'] as const,
  registers,
});
const retentionPruned = new Counter({
  name: 'earshot_retention_pruned_total',
  help: 'Rows deleted by retention, by table.',
  labelNames: ['table'] as const,
  registers,
});
const slackClicks = new Counter({
  name: 'earshot_slack_clicks_total',
  help: 'Slack button clicks on alerts, by how they arrived (http, socket) and outcome (applied, repeat: changed nothing, refused: e.g. the mention is gone).',
  labelNames: ['via', 'outcome'] as const,
  registers,
});
const slackRefused = new Counter({
  name: 'earshot_slack_requests_refused_total',
  help: 'Requests to POST /slack/actions refused with 401 or 400, by reason (missing, malformed, stale, mismatch, replayed, not_a_payload).',
  labelNames: ['reason'] as const,
  registers,
});
const slackUpdates = new Counter({
  name: 'earshot_slack_message_updates_total',
  help: 'Edits of alert messages in Slack (chat.update) after triage actions, by outcome (sent, retried, failed).',
  labelNames: ['outcome'] as const,
  registers,
});
const slackSocket = new Gauge({
  name: 'earshot_slack_socket_mode_connected',
  help: '1 while the Slack Socket Mode connection is up, 0 while it is configured but down (absent without SLACK_APP_TOKEN).',
  registers,
});

new Gauge({
  name: 'earshot_build_info',
  help: 'The running earshot version (always 1).',
  labelNames: ['version'] as const,
  registers,
}).set({ version }, 1);

export type PollMetricOutcome = 'ok' | 'not_modified' | 'error';

export interface PollObservation {
  source: string;
  type: string;
  brand: string;
  outcome: PollMetricOutcome;
  /** Error kind, for outcome 'error'. */
  kind?: string;
  durationMs: number;
  stored: number;
}

export function observePoll(o: PollObservation): void {
  polls.inc({ source: o.source, type: o.type, outcome: o.outcome });
  pollDuration.observe({ source: o.source, type: o.type }, Math.max(0, o.durationMs) / 1000);
  if (o.outcome === 'error') pollErrors.inc({ source: o.source, kind: o.kind ?? 'internal' });
  if (o.stored > 0) mentionsIngested.inc({ brand: o.brand, source: o.source }, o.stored);
}

export function observeDelivery(notifier: string, outcome: 'sent' | 'retried' | 'failed'): void {
  if (outcome === 'sent') alertsSent.inc({ notifier });
  else if (outcome === 'failed') alertsFailed.inc({ notifier });
  else alertRetries.inc({ notifier });
}

export function observeReload(ok: boolean): void {
  configReloads.inc({ result: ok ? 'ok' : 'error' });
}

export function observeRetention(result: PruneResult): void {
  retentionPruned.inc({ table: 'mentions' }, result.mentions);
  retentionPruned.inc({ table: 'alerts' }, result.alerts);
  retentionPruned.inc({ table: 'poll_log' }, result.pollLog);
}

/** What the Slack buttons report (src/web/slack-actions.ts takes these as callbacks). */
export const slackMetrics = {
  click(via: 'http' | 'socket', outcome: 'applied' | 'repeat' | 'refused'): void {
    slackClicks.inc({ via, outcome });
  },
  refused(reason: string): void {
    slackRefused.inc({ reason });
  },
  update(outcome: 'sent' | 'retried' | 'failed'): void {
    slackUpdates.inc({ outcome });
  },
  socket(connected: boolean): void {
    slackSocket.set(connected ? 1 : 0);
  },
};

let defaultsRegistered = false;
/** Process metrics (memory, CPU, event-loop lag): registered once, when a server first needs them. */
function registerProcessMetrics(): void {
  if (defaultsRegistered) return;
  defaultsRegistered = true;
  collectDefaultMetrics({ register: eventRegistry });
}

export interface StateMetricsOptions {
  store: Store;
  now?: () => Date;
}

const seconds = (iso: string | null): number | null => {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t / 1000;
};

/** Gauges read from the database at scrape time. */
export function createStateRegistry(options: StateMetricsOptions): Registry {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const registry = new Registry();
  const reg = [registry];

  new Gauge({
    name: 'earshot_alerts_pending',
    help: 'Alert deliveries waiting in the outbox (new or being retried), by notifier.',
    labelNames: ['notifier'] as const,
    registers: reg,
    async collect() {
      const rows = await store.reports.deliveriesByNotifier('pending');
      this.reset();
      for (const notifier of ['slack', 'email']) this.set({ notifier }, 0);
      for (const [notifier, n] of rows) this.set({ notifier }, n);
    },
  });
  new Gauge({
    name: 'earshot_alerts_held',
    help: 'Alert deliveries held back by quiet or active hours, by notifier (sent when the window allows).',
    labelNames: ['notifier'] as const,
    registers: reg,
    async collect() {
      const rows = await store.reports.deliveriesByNotifier('held');
      this.reset();
      for (const notifier of ['slack', 'email']) this.set({ notifier }, 0);
      for (const [notifier, n] of rows) this.set({ notifier }, n);
    },
  });
  new Gauge({
    name: 'earshot_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest alert still waiting for delivery; 0 when none waits.',
    registers: reg,
    async collect() {
      const at = seconds(await store.reports.oldestPendingAt());
      this.set(at === null ? 0 : Math.max(0, now().getTime() / 1000 - at));
    },
  });

  const sourceStates = (): Promise<SourceState[]> => store.sources.list();
  new Gauge({
    name: 'earshot_source_rate_limit_remaining',
    help: 'Requests left in the current rate-limit window, as the service last said (sources that report one).',
    labelNames: ['source'] as const,
    registers: reg,
    async collect() {
      const states = await sourceStates();
      this.reset();
      for (const s of states) if (s.rateRemaining !== null) this.set({ source: s.sourceKey }, s.rateRemaining);
    },
  });
  new Gauge({
    name: 'earshot_source_rate_limit_limit',
    help: 'Size of the rate-limit window, as the service last said.',
    labelNames: ['source'] as const,
    registers: reg,
    async collect() {
      const states = await sourceStates();
      this.reset();
      for (const s of states) if (s.rateLimit !== null) this.set({ source: s.sourceKey }, s.rateLimit);
    },
  });
  new Gauge({
    name: 'earshot_source_last_success_timestamp_seconds',
    help: 'When each source last polled successfully (Unix time).',
    labelNames: ['source'] as const,
    registers: reg,
    async collect() {
      const states = await sourceStates();
      this.reset();
      for (const s of states) {
        const at = seconds(s.lastSuccessAt);
        if (at !== null) this.set({ source: s.sourceKey }, at);
      }
    },
  });
  new Gauge({
    name: 'earshot_source_consecutive_failures',
    help: 'Failed polls in a row per source (0 after a success).',
    labelNames: ['source'] as const,
    registers: reg,
    async collect() {
      const states = await sourceStates();
      this.reset();
      for (const s of states) this.set({ source: s.sourceKey }, s.consecutiveFailures);
    },
  });
  new Gauge({
    name: 'earshot_config_last_reload_success',
    help: '1 when the last config load or reload was applied, 0 when it was rejected (the last good config stays).',
    registers: reg,
    async collect() {
      this.set((await store.meta.get('config.last_reload_error')) ? 0 : 1);
    },
  });
  new Gauge({
    name: 'earshot_config_last_reload_timestamp_seconds',
    help: 'When the config in force was loaded (Unix time).',
    registers: reg,
    async collect() {
      this.set(seconds(await store.meta.get('config.last_reload_at')) ?? 0);
    },
  });
  new Gauge({
    name: 'earshot_database_size_bytes',
    help: 'Size of the SQLite database file plus its write-ahead log.',
    registers: reg,
    async collect() {
      const info = await store.describe();
      this.set(info.bytes + info.walBytes);
    },
  });
  new Gauge({
    name: 'earshot_database_schema_version',
    help: 'Schema version of the database (migrations applied).',
    registers: reg,
    async collect() {
      this.set((await store.describe()).schemaVersion);
    },
  });
  new Gauge({
    name: 'earshot_mentions_stored',
    help: 'Mentions in the database by brand (bounded by retention).',
    labelNames: ['brand'] as const,
    registers: reg,
    async collect() {
      const rows = await store.reports.mentionsByBrand();
      this.reset();
      for (const [brand, n] of rows) this.set({ brand }, n);
    },
  });
  new Gauge({
    name: 'earshot_retention_last_run_timestamp_seconds',
    help: 'When retention last pruned the database (Unix time); 0 before the first run.',
    registers: reg,
    async collect() {
      this.set(seconds(await store.meta.get('retention.last_run_at')) ?? 0);
    },
  });
  return registry;
}

/** Everything /metrics serves: process events, database state and process metrics. */
export function createMetricsRegistry(options: StateMetricsOptions): Registry {
  registerProcessMetrics();
  return Registry.merge([eventRegistry, createStateRegistry(options)]);
}
