/**
 * Prometheus metrics (prom-client), served at /metrics by `earshot run --http`.
 *
 * Two kinds:
 *   - events, counted in this process as they happen (the pipeline calls `observe*` in
 *     src/core/metrics.ts, below every layer that counts): polls by
 *     source and outcome, poll durations, mentions ingested, alert deliveries, config reloads,
 *     retention runs. Counters start at 0 when the process starts, as Prometheus expects.
 *   - state, read from the database at scrape time: alerts pending, the oldest pending alert's
 *     age, each source's rate-limit budget, last success and failure streak, the last reload,
 *     the database size. Reading at scrape time keeps them right across restarts and reloads.
 * Label values are earshot's own ids (source keys like `acme/rss`, rule names, notifier types),
 * never URLs or tokens.
 */
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { eventRegistry } from '../core/metrics.js';
import { DEFAULT_LEASE_MS } from '../pipeline/cluster.js';
import type { PostgresStore } from '../store/pg/store.js';
import type { SourceState, Store } from '../store/types.js';

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
  /** PostgreSQL: the lease within which a node's heartbeat counts as alive (EARSHOT_CLUSTER_LEASE). */
  clusterLeaseMs?: number;
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
    help: 'Size of the database: the SQLite file plus its write-ahead log, or pg_database_size on PostgreSQL.',
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
  if (store.dialect === 'postgres') {
    const cluster = (store as PostgresStore).cluster;
    const leaseMs = options.clusterLeaseMs ?? DEFAULT_LEASE_MS;
    new Gauge({
      name: 'earshot_cluster_nodes',
      help: 'Nodes sharing this PostgreSQL database, by state: alive (heartbeat within the lease), dead (heartbeat older), stopped (left cleanly); seen in the last day.',
      labelNames: ['state'] as const,
      registers: reg,
      async collect() {
        const nodes = await cluster.nodes(leaseMs);
        this.reset();
        this.set({ state: 'alive' }, nodes.filter((n) => n.alive).length);
        this.set({ state: 'dead' }, nodes.filter((n) => !n.alive && !n.stoppedAt).length);
        this.set({ state: 'stopped' }, nodes.filter((n) => n.stoppedAt).length);
      },
    });
    new Gauge({
      name: 'earshot_cluster_node_heartbeat_timestamp_seconds',
      help: 'Last heartbeat of each node sharing this PostgreSQL database (Unix time).',
      labelNames: ['node', 'host'] as const,
      registers: reg,
      async collect() {
        const nodes = await cluster.nodes(leaseMs);
        this.reset();
        for (const n of nodes) this.set({ node: n.id, host: n.host }, Date.parse(n.heartbeatAt) / 1000);
      },
    });
  }
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
