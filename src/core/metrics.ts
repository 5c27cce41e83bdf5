/**
 * Events counted in this process as they happen, for /metrics (src/ops/metrics.ts serves them
 * with the state read from the store): polls, poll durations, mentions ingested, alert
 * deliveries, config reloads, retention runs. Counters start at 0 when the process starts, as
 * Prometheus expects. Here, in core, so that every layer that counts can reach it.
 */
import { createRequire } from 'node:module';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

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

/** What a retention run deleted (store/retention.ts PruneResult). */
export interface PrunedCounts {
  mentions: number;
  alerts: number;
  pollLog: number;
}

export function observeRetention(result: PrunedCounts): void {
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
