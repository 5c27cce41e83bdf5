/** `earshot run`: the daemon, until SIGINT/SIGTERM. */
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { createAnalyzer } from '../analyze/index.js';
import { watchTriageForAlerts } from '../pipeline/corrections.js';
import { RateLimitSettingError, rateLimits } from '../pipeline/budgets.js';
import { ClusterSettingError, parseLease } from '../pipeline/cluster.js';
import { Daemon, type DaemonClusterOptions } from '../pipeline/daemon.js';
import { LearnSettingError, parseLearnEvery } from '../pipeline/learn.js';
import { observeRetention, slackMetrics } from '../core/metrics.js';
import { HttpAddressError, parseHttpAddress, startOpsServer, type OpsServer } from '../ops/server.js';
import { DaemonLockedError } from '../store/errors.js';
import type { PostgresStore } from '../store/pg/store.js';
import type { TriageStore } from '../store/triage-types.js';
import type { DaemonLock, Store } from '../store/types.js';
import { parseRetention, RetentionSettingError, startRetention, type RetentionSchedule } from '../store/retention.js';
import { triageStoreOf } from '../store/index.js';
import { wakeSnoozed } from '../triage/snooze.js';
import type { WebApp } from '../web/app.js';
import { startSlackActions, type SlackActions } from '../web/slack-actions.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';

export interface RunOptions {
  watch?: boolean;
  /** `--http [addr]`: serve /healthz, /metrics, the web UI and the API (true: the flag without a value). */
  http?: string | true;
}

function settings(ctx: Context, options: RunOptions) {
  try {
    if (ctx.databaseUrl) rateLimits(ctx.env); // EARSHOT_RATE_LIMIT_* checked before anything starts
    parseLearnEvery(ctx.env.EARSHOT_LEARN_EVERY); // the daemon reads it again at each check (reloads)
    return {
      retentionMs: parseRetention(ctx.env.EARSHOT_RETENTION),
      http: options.http === undefined ? null : parseHttpAddress(options.http),
      leaseMs: parseLease(ctx.env.EARSHOT_CLUSTER_LEASE),
    };
  } catch (err) {
    if (err instanceof RetentionSettingError || err instanceof HttpAddressError || err instanceof RateLimitSettingError || err instanceof ClusterSettingError || err instanceof LearnSettingError) {
      throw new UserError(err.message);
    }
    throw err;
  }
}

/** This earshot's version (package.json), shown per node in `earshot status`. */
function earshotVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}


/**
 * The daemon keeps a small live heap (~30 MB) for weeks. V8's defaults favour throughput: the
 * young generation grows to 2 × 16 MB and garbage promoted by overlapping polls piles up in the
 * old generation until a full collection, which made the peak resident set ~155 MB with 200
 * sources. Favouring size keeps the young generation small and collects the old one sooner
 * (peak ~138 MB in `npm run bench -- --only memory`, for more GC time). Set here, not in bin/:
 * one-shot commands (poll --once, import) want throughput. (`--max-semi-space-size` cannot be
 * changed once the heap exists, and alone it made the peak worse.)
 *
 * The web UI made the young generation itself grow: rendering an inbox page (~140 KB of HTML in
 * ~10,000 string pieces, alive until the page is done) leaves many survivors when a scavenge
 * comes mid-render, and V8 answers by doubling the semi-spaces, up to 16 MB each. With a person
 * browsing the UI the peak was 165–169 MB (target 150). A growth factor of 1 keeps the young
 * generation at its starting size; unlike the maximum, the factor is read at each resize, so it
 * works set here: 134–139 MB with the UI, and no worse without it (`--only memory`, BENCHMARKS.md).
 */
function favourMemoryOverThroughput(): void {
  setFlagsFromString('--optimize-for-size');
  setFlagsFromString('--semi-space-growth-factor=1');
}

/** Slack buttons (HTTP and/or Socket Mode) and message updates after triage actions; null without SLACK_BOT_TOKEN. */
async function startSlack(ctx: Context, store: Store, triage: TriageStore, daemon: Daemon, http: boolean): Promise<SlackActions | null> {
  const slack = await startSlackActions({
    env: ctx.env,
    triage,
    getAlert: (id) => store.outbox.getAlert(id),
    brandName: (brand) => daemon.currentConfig.brands.get(brand)?.name ?? brand,
    log: ctx.log,
    // Several nodes behind one URL: a request one node took is a replay for the others too.
    ...(store.dialect === 'postgres' ? { sharedReplayGuard: (signature: string) => (store as PostgresStore).cluster.firstSlackRequest(signature, 10 * 60_000) } : {}),
    observe: slackMetrics,
  });
  if (slack?.http && !http) {
    ctx.log.warn('SLACK_SIGNING_SECRET is set but `earshot run` has no --http: Slack cannot reach POST /slack/actions; add --http (behind a public HTTPS proxy) or use Socket Mode (SLACK_APP_TOKEN)');
  }
  return slack;
}

export async function runCommand(ctx: Context, options: RunOptions): Promise<number> {
  favourMemoryOverThroughput();
  const { config } = requireConfig(ctx);
  const { retentionMs, http, leaseMs } = settings(ctx, options);
  const store = await openStore(ctx);
  const lock = await claimDatabase(store);
  // Nodes sharing PostgreSQL prune from the cluster's minute job (one node a day), not each on its own timer.
  let retention: RetentionSchedule | null = null;
  const cluster: DaemonClusterOptions | undefined = ctx.databaseUrl
    ? { url: ctx.databaseUrl, leaseMs, version: earshotVersion(), minute: async () => void (await retention?.runDueNow()) }
    : undefined;
  const daemon = new Daemon({ store, config, analyzer: createAnalyzer(), log: ctx.log, watch: options.watch !== false, ...(cluster ? { cluster } : {}) });
  const triage = await triageStoreOf(store);
  const slack = await startSlack(ctx, store, triage, daemon, http !== null);
  let server: OpsServer | null = null;
  let web: WebApp | null = null;
  const stopWatching = watchTriageForAlerts(triage, store, () => daemon.currentConfig, ctx.log);
  if (http) {
    try {
      // Loaded only with --http: Hono, the pages and the assets cost a daemon without it ~20 MB.
      const { createWebApp } = await import('../web/app.js');
      web = createWebApp({ dataStore: store, store: triage, config: () => daemon.currentConfig, env: ctx.env, log: ctx.log });
      for (const warning of web.warnings) ctx.log.warn(warning);
      if (!web.enabled) ctx.log.info('web UI off: run `earshot password` and put the line it prints in .env (EARSHOT_UI_PASSWORD_HASH), then restart');
      server = await startOpsServer({ address: http, store, scheduler: daemon, log: ctx.log, slackActions: slack?.http ? slack : null, web, clusterLeaseMs: leaseMs });
    } catch (err) {
      web?.close();
      await slack?.stop();
      lock.release();
      await store.close();
      if (err instanceof HttpAddressError || (err as Error)?.name === 'AuthSettingError') throw new UserError((err as Error).message);
      throw err;
    }
  }
  // Listening before "earshot started" is logged: a SIGTERM right after it must stop cleanly,
  // not kill the process with Node's default action.
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      ctx.log.info({ signal }, 'stopping');
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // Stops everything, the daemon before what it uses; after a failed start too: nothing may keep
  // the process alive then (a supervisor restarts it).
  const stopAll = async () => {
    stopWatching();
    await retention?.stop();
    await daemon.stop();
    web?.close();
    await server?.close();
    await slack?.stop();
    lock.release();
    await store.close();
  };
  try {
    await daemon.start();
  } catch (err) {
    await stopAll();
    throw err;
  }
  retention = startRetention({ store, log: ctx.log, retentionMs, onRun: observeRetention, manual: ctx.databaseUrl !== null });
  // Snoozed mentions come back at their time (or when their story moves on), UI open or not.
  const wake = setInterval(() => {
    wakeSnoozed(triage, new Date(), (err) => ctx.log.warn({ err }, 'triage listener failed')).catch((err: unknown) => ctx.log.warn({ err }, 'waking snoozed mentions failed'));
  }, 30_000);
  await stopped;
  clearInterval(wake);
  await stopAll();
  return 0;
}

/** One daemon per SQLite database: a second one exits 1 naming the first (see store/sqlite/daemon-lock.ts). */
async function claimDatabase(store: Store): Promise<DaemonLock> {
  try {
    return await store.lockDaemon({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  } catch (err) {
    await store.close();
    if (err instanceof DaemonLockedError) throw new UserError(err.message);
    throw err;
  }
}
