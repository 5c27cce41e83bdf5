/**
 * `earshot status [--json]`: per source last success, last error, mentions in 24 h, rate-limit
 * budget, next poll; the outbox (pending, failed, oldest); the daemon's last config reload;
 * database size and schema version; retention; on PostgreSQL the nodes (last heartbeat, the
 * sources each is polling, the messages each is sending). Read-only: safe while `earshot run` runs.
 * The table is for people; `--json` (one object, stable field names) is for scripts.
 */
import { loadConfig } from '../config/load.js';
import { hasErrors } from '../config/problems.js';
import { formatDuration } from '../core/duration.js';
import { ClusterSettingError, parseLease } from '../pipeline/cluster.js';
import { firstPollMetaKey, type FirstPoll } from '../pipeline/poll.js';
import { notifierSettingsFingerprint } from '../notifiers/settings.js';
import { pendingReport, retryOffers, type PendingReport, type RetryOffer } from '../store/outbox-report.js';
import { parseRetention, type PruneResult } from '../store/retention.js';
import type { NodeStatus } from '../store/pg/cluster.js';
import type { PostgresStore } from '../store/pg/store.js';
import type { OutboxSummary, Store } from '../store/types.js';
import { Cron } from 'croner';
import type { DigestConfig } from '../config/load.js';
import { openStore, UserError, type Context } from './context.js';
import { terminalSafe } from './mentions.js';

export interface StatusOptions {
  json?: boolean;
}

function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const d = now - Date.parse(iso);
  const text = formatDuration(Math.round(Math.abs(d) / 1000) * 1000);
  if (Math.abs(d) < 1000) return 'now';
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Left-aligned columns, two spaces apart; numeric columns right-aligned. */
export function formatTable(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

async function sourceRows(ctx: Context, store: Store, now: number) {
  const since = new Date(now - 86_400_000).toISOString();
  const { config, problems } = loadConfig(ctx.dir, ctx.env);
  const states = new Map((await store.sources.list()).map((s) => [s.sourceKey, s]));
  const stored = await store.mentions.countStoredSince(since);
  const polls = new Map((await store.sources.pollSummarySince(since)).map((p) => [p.sourceKey, p]));
  const keys = [...new Set([...config.sources.map((s) => s.key), ...states.keys()])].sort();
  const firstPolls = new Map<string, FirstPoll | null>();
  for (const key of keys) firstPolls.set(key, await recentFirstPoll(store, key, now));
  const sources = keys.map((key) => {
    const cfg = config.sources.find((s) => s.key === key);
    const st = states.get(key);
    const p = polls.get(key);
    const lastError = st?.lastError ?? null;
    const failing = Boolean(lastError && (!st?.lastSuccessAt || (st.lastErrorAt ?? '') > st.lastSuccessAt));
    const skipped = cfg && cfg.missingEnv.length ? `missing ${cfg.missingEnv.join(', ')}` : cfg && !cfg.enabled ? 'disabled' : null;
    const state = !cfg ? 'removed' : skipped ? 'skipped' : st?.pausedReason ? 'paused' : failing ? 'failing' : st?.lastSuccessAt ? 'ok' : 'waiting';
    return {
      source: key,
      type: cfg?.type ?? st?.type ?? null,
      configured: Boolean(cfg),
      state,
      skipped,
      lastSuccess: st?.lastSuccessAt ?? null,
      lastError,
      lastErrorAt: st?.lastErrorAt ?? null,
      consecutiveFailures: st?.consecutiveFailures ?? 0,
      paused: st?.pausedReason ?? null,
      mentions24h: stored.get(key) ?? 0,
      polls24h: p?.polls ?? 0,
      errors24h: p?.errors ?? 0,
      rateLimit: st && st.rateRemaining !== null ? { remaining: st.rateRemaining, limit: st.rateLimit, resetAt: st.rateResetAt } : null,
      lastGap: st?.lastGap ?? null,
      nextPoll: st?.nextPollAt ?? null,
      firstPoll: firstPolls.get(key) ?? null,
    };
  });
  return { sources, configValidNow: !hasErrors(problems), config };
}

/** The note a source's first poll left (stored without alerts), shown for a week. */
async function recentFirstPoll(store: Store, key: string, now: number): Promise<FirstPoll | null> {
  const raw = await store.meta.get(firstPollMetaKey(key));
  if (!raw) return null;
  try {
    const note = JSON.parse(raw) as FirstPoll;
    return now - Date.parse(note.at) <= 7 * 86_400_000 ? note : null;
  } catch {
    return null;
  }
}

async function retentionStatus(ctx: Context, store: Store) {
  let setting: string;
  try {
    const ms = parseRetention(ctx.env.EARSHOT_RETENTION);
    setting = ms === null ? 'off' : formatDuration(ms);
  } catch (err) {
    setting = `invalid: ${(err as Error).message}`;
  }
  const last = await store.meta.get('retention.last_result');
  let lastResult: PruneResult | null = null;
  try {
    lastResult = last ? (JSON.parse(last) as PruneResult) : null;
  } catch {
    lastResult = null;
  }
  return { setting, horizon: await store.meta.get('retention.horizon'), lastRunAt: await store.meta.get('retention.last_run_at'), lastResult };
}

export async function statusCommand(ctx: Context, options: StatusOptions): Promise<number> {
  const store = await openStore(ctx, { readonly: true });
  try {
    const now = Date.now();
    const { sources, configValidNow, config: loaded } = await sourceRows(ctx, store, now);
    const summary = await store.outbox.summary(new Date(now - 86_400_000).toISOString());
    const pending = await pendingReport(store.outbox);
    const outbox = {
      ...summary,
      oldestPendingAgeSeconds: summary.oldestPendingAt ? Math.max(0, Math.round((now - Date.parse(summary.oldestPendingAt)) / 1000)) : null,
      pendingReasons: pending.reasons,
      nextAttemptAt: pending.nextAttemptAt,
      retryOffers: await retryOffers(store.outbox, (type) => notifierSettingsFingerprint(type, ctx.env)),
    };
    const config = {
      lastReloadAt: await store.meta.get('config.last_reload_at'),
      lastReloadError: await store.meta.get('config.last_reload_error'),
      daemonHeartbeatAt: await store.meta.get('daemon.heartbeat_at'),
      configValidNow,
    };
    const info = await store.describe();
    const database = {
      // The file, or the PostgreSQL URL without its password.
      path: store.location,
      bytes: info.bytes,
      walBytes: info.walBytes,
      schemaVersion: info.schemaVersion,
      knownSchemaVersion: info.knownSchemaVersion,
      mentions: await store.mentions.count({ includeDuplicates: true }),
    };
    const retention = await retentionStatus(ctx, store);
    const digests = await digestRows(store, loaded.digests, now);
    const state = await store.daemonState();
    const daemon = { running: state.running, pid: state.owner?.pid ?? null, host: state.owner?.host ?? null, since: state.owner?.since ?? null };
    const nodes = await clusterNodes(ctx, store);
    if (options.json) {
      ctx.io.out(JSON.stringify({ sources, outbox, config, daemon, database, retention, digests, ...(nodes ? { nodes } : {}) }));
      return 0;
    }
    printSources(ctx, sources, now);
    printRest(ctx, { outbox, config, daemon, database, retention, nodes }, now);
    printDigests(ctx, digests, now);
    return 0;
  } finally {
    await store.close();
  }
}

type SourceStatus = Awaited<ReturnType<typeof sourceRows>>['sources'][number];

function printSources(ctx: Context, sources: SourceStatus[], now: number): void {
  if (sources.length === 0) {
    ctx.io.out('SOURCES  none configured');
    return;
  }
  const rows = sources.map((s) => [
    s.source,
    s.state === 'failing' ? `FAILING ${s.consecutiveFailures}x` : s.state === 'ok' || s.state === 'waiting' ? s.state : s.state.toUpperCase(),
    ago(s.lastSuccess, now),
    String(s.mentions24h),
    s.errors24h ? `${s.polls24h} (${s.errors24h} failed)` : String(s.polls24h),
    s.rateLimit ? `${s.rateLimit.remaining}${s.rateLimit.limit !== null ? `/${s.rateLimit.limit}` : ''}` : '-',
    s.state === 'skipped' || s.state === 'removed' ? '-' : s.nextPoll && Date.parse(s.nextPoll) <= now ? 'due' : ago(s.nextPoll, now),
  ]);
  for (const line of formatTable(['SOURCE', 'STATE', 'LAST SUCCESS', 'MENTIONS 24H', 'POLLS 24H', 'BUDGET', 'NEXT POLL'], rows, new Set([3]))) {
    ctx.io.out(line);
  }
  // Details under the table: why a source is not ok, and coverage gaps.
  for (const s of sources) {
    const notes: string[] = [];
    if (s.skipped) notes.push(`skipped: ${s.skipped} (set in .env, see \`earshot check\`)`);
    if (s.paused) notes.push(`paused: ${terminalSafe(s.paused)}`);
    else if (s.state === 'failing' && s.lastError) notes.push(`last error ${ago(s.lastErrorAt, now)}: ${terminalSafe(s.lastError)}`);
    if (!s.configured) notes.push('no longer in sources/: its stored mentions stay until retention prunes them');
    if (s.lastGap) notes.push(`gap: ${terminalSafe(s.lastGap)}`);
    if (s.firstPoll) {
      const f = s.firstPoll;
      notes.push(
        `first poll ${ago(f.at, now)}: ${f.storedWithoutAlerts} stored without alerts (alert_backfill ${f.alertBackfill}); to alert on recent mentions when a source is added, set alert_backfill (e.g. 1d) on it in ${terminalSafe(f.file)}`,
      );
    }
    for (const note of notes) ctx.io.out(`  ${s.source}: ${note}`);
  }
}

interface RestStatus {
  outbox: OutboxSummary & { oldestPendingAgeSeconds: number | null; pendingReasons: PendingReport['reasons']; nextAttemptAt: string | null; retryOffers: RetryOffer[] };
  config: { lastReloadAt: string | null; lastReloadError: string | null; daemonHeartbeatAt: string | null; configValidNow: boolean };
  daemon: { running: boolean; pid: number | null; host: string | null; since: string | null };
  database: { path: string; bytes: number; walBytes: number; schemaVersion: number; knownSchemaVersion: number; mentions: number };
  retention: Awaited<ReturnType<typeof retentionStatus>>;
  nodes: NodeStatus[] | null;
}

function printRest(ctx: Context, s: RestStatus, now: number): void {
  const { outbox, config, daemon, database, retention } = s;
  ctx.io.out('');
  ctx.io.out(
    `OUTBOX     ${outbox.pending} pending${outbox.oldestPendingAt ? ` (oldest ${ago(outbox.oldestPendingAt, now)})` : ''}${outbox.held ? `, ${outbox.held} held for quiet hours` : ''}; in 24h: ${outbox.sent} sent, ${outbox.failed} failed, ${outbox.skipped} skipped${outbox.suppressed ? `, ${outbox.suppressed} suppressed (silence, budget or quiet hours to digest)` : ''}`,
  );
  if (outbox.pendingReasons.length > 0) {
    const reasons = outbox.pendingReasons.map((r) => `${terminalSafe(r.error)} (${r.count})`).join('; ');
    const next = outbox.nextAttemptAt ? `; next try at ${outbox.nextAttemptAt.slice(11, 19)} UTC (${Date.parse(outbox.nextAttemptAt) <= now ? 'due' : ago(outbox.nextAttemptAt, now)})` : '';
    ctx.io.out(`           pending: ${reasons}${next}`);
  }
  for (const f of outbox.recentFailures) ctx.io.out(`           ${f.notifier} ${terminalSafe(f.target)}: ${terminalSafe(f.error ?? '')}`);
  for (const o of outbox.retryOffers) {
    ctx.io.out(
      `           ${o.failed} ${o.notifier} ${o.failed === 1 ? 'delivery' : 'deliveries'} failed before its settings changed: \`earshot outbox retry --failed --notifier ${o.notifier}\` sends them again`,
    );
  }
  ctx.io.out(
    `CONFIG     loaded ${ago(config.lastReloadAt, now)}${config.lastReloadError ? `; last reload REJECTED (last good config in force): ${terminalSafe(config.lastReloadError)}` : ''}; on disk ${config.configValidNow ? 'valid' : 'has errors (run `earshot check`)'}`,
  );
  const owner = daemon.pid !== null ? `pid ${daemon.pid} on ${terminalSafe(daemon.host ?? '?')}, started ${ago(daemon.since, now)}` : '';
  if (s.nodes) printNodes(ctx, s.nodes, now);
  else {
    ctx.io.out(
      daemon.running
        ? `DAEMON     running (${owner}); last seen ${ago(config.daemonHeartbeatAt, now)}`
        : `DAEMON     not running; last seen ${ago(config.daemonHeartbeatAt, now)}`,
    );
  }
  ctx.io.out(
    `DATABASE   ${database.path}: ${megabytes(database.bytes)}${database.walBytes ? ` + ${megabytes(database.walBytes)} WAL` : ''}, ${database.mentions} mentions, schema v${database.schemaVersion}`,
  );
  const last = retention.lastResult;
  ctx.io.out(
    `RETENTION  ${retention.setting}; ${retention.lastRunAt ? `last run ${ago(retention.lastRunAt, now)}${last ? `: pruned ${last.mentions} mentions, ${last.alerts} alerts, ${last.pollLog} poll-log rows` : ''}` : 'not run yet (the daemon prunes daily)'}`,
  );
}

/** Nodes sharing a PostgreSQL database (null on SQLite): heartbeats and what each holds. */
async function clusterNodes(ctx: Context, store: Store): Promise<NodeStatus[] | null> {
  if (store.dialect !== 'postgres') return null;
  let leaseMs: number;
  try {
    leaseMs = parseLease(ctx.env.EARSHOT_CLUSTER_LEASE);
  } catch (err) {
    if (err instanceof ClusterSettingError) throw new UserError(err.message);
    throw err;
  }
  return (store as PostgresStore).cluster.nodes(leaseMs);
}

function printNodes(ctx: Context, nodes: NodeStatus[], now: number): void {
  const alive = nodes.filter((n) => n.alive).length;
  ctx.io.out(`NODES      ${alive} alive${nodes.length > alive ? `, ${nodes.length - alive} gone (seen in the last day)` : ''}`);
  if (nodes.length === 0) return;
  const rows = nodes.map((n) => [
    terminalSafe(n.id),
    `${terminalSafe(n.host)} pid ${n.pid}`,
    n.alive ? 'alive' : n.stoppedAt ? 'stopped' : 'DEAD',
    ago(n.heartbeatAt, now),
    n.polling.length ? n.polling.map(terminalSafe).join(', ') : '-',
    String(n.sending),
    terminalSafe(n.version),
  ]);
  for (const line of formatTable(['NODE', 'HOST', 'STATE', 'HEARTBEAT', 'POLLING', 'SENDING', 'VERSION'], rows, new Set([5]))) ctx.io.out(`           ${line}`);
}

/** Per configured digest: its last period's run (sent, failed, missed...) and when the next is due. */
async function digestRows(store: Store, digests: readonly DigestConfig[], now: number) {
  const rows = [];
  for (const d of digests) {
    const last = (await store.digests.list(d.name)).at(-1) ?? null;
    let next: string | null = null;
    try {
      next = new Cron(d.schedule, { timezone: d.timezone, paused: true }).nextRun(new Date(now))?.toISOString() ?? null;
    } catch {
      next = null;
    }
    rows.push({
      name: d.name,
      schedule: `${d.schedule} ${d.timezone}`,
      lastPeriodEnd: last?.periodEnd ?? null,
      lastStatus: last?.status ?? null,
      lastSentAt: last?.sentAt ?? null,
      lastError: last?.lastError ?? null,
      next,
    });
  }
  return rows;
}

function printDigests(ctx: Context, digests: Awaited<ReturnType<typeof digestRows>>, now: number): void {
  for (const d of digests) {
    const last = d.lastStatus === null ? 'none sent yet' : d.lastStatus === 'sent' ? `last sent ${ago(d.lastSentAt, now)}` : `last period ${d.lastStatus.toUpperCase()}${d.lastError ? `: ${terminalSafe(d.lastError)}` : ''}`;
    ctx.io.out(`DIGEST     ${d.name} (${d.schedule}): ${last}; next ${ago(d.next, now)}`);
  }
}
