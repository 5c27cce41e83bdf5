/**
 * The daemon (`earshot run`). One timer loop wakes at the earliest thing due:
 *   - a source whose next poll time has come (its own `every`, or later after failures or when
 *     a rate limit asks for it); at most `maxConcurrentPolls` polls at once, never two of one source;
 *   - after every poll: rules on the new mentions, then delivery;
 *   - a waiting alert group whose group_wait/throttle ends;
 *   - a delivery whose retry time has come.
 * Next poll times live in the database, so a restart neither hammers a source nor forgets it.
 *
 * Reload: sources/, rules/ and .env are watched; a change is loaded after a short debounce. A
 * valid config replaces the old one at once (new sources are polled, removed ones stop, rule
 * edits apply to the next evaluation). An invalid one is logged with every problem, recorded for
 * `earshot status`, and the last good config stays in force.
 *
 * Stop (SIGINT/SIGTERM): no new work starts; in-flight polls are aborted (their state is only
 * written on success, so the next start simply polls again) and deliveries in flight finish or
 * stay pending in the outbox, to be sent on the next start.
 *
 * Several nodes on one PostgreSQL database (`cluster`): polls are queued cluster-wide and taken
 * by any node (src/pipeline/cluster.ts), so this loop does not start polls itself; a rules pass
 * runs on one node at a time (a cluster-wide lock), so throttles, groups and counting windows see
 * each mention once; deliveries are claimed (src/pipeline/deliver.ts); API budgets are shared
 * (src/pipeline/budgets.ts).
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, loadEnv, type Config, type SourceConfig } from '../config/load.js';
import { formatProblem, hasErrors } from '../config/problems.js';
import type { Logger } from '../core/log.js';
import type { Analyzer } from '../core/types.js';
import { observeReload } from '../core/metrics.js';
import { nextDigestAt, runDueDigests } from '../digest/index.js';
import { nextReleaseAt } from '../rules/engine.js';
import type { SourceState, Store } from '../store/types.js';
import { retryOffers } from '../store/outbox-report.js';
import { notifierSettingsFingerprint } from '../notifiers/settings.js';
import type { PostgresStore } from '../store/pg/store.js';
import { rateLimits, sharedBudgets, type PollBudget } from './budgets.js';
import { Cluster } from './cluster.js';
import { Deliverer } from './deliver.js';
import { runRules } from './cycle.js';
import { learnedFile } from '../config/learned.js';
import { autoLearnBrand, parseLearnEvery, type AutoLearnCheck } from './learn.js';
import { pollSource } from './poll.js';

export interface DaemonOptions {
  store: Store;
  config: Config;
  analyzer: Analyzer;
  log: Logger;
  now?: () => Date;
  /**
   * How often to look for brands with enough new corrections to learn again (EARSHOT_LEARN_EVERY);
   * default a minute. Each look reads the brands' correction counts.
   */
  learnCheckMs?: number;
  /** Called after each look for brands to learn (tests wait on it). */
  onLearnCheck?: (checks: AutoLearnCheck[]) => void;
  /** Watch the config dir and reload on change; default true. */
  watch?: boolean;
  maxConcurrentPolls?: number;
  /** Overrides the notifiers' minimum spacing per target (tests). */
  spacingMs?: number;
  /** Called after each loop pass (tests use it to observe progress). */
  onTick?: () => void;
  /** Share the work with the other nodes on this PostgreSQL store. */
  cluster?: DaemonClusterOptions;
}

export interface DaemonClusterOptions {
  /** The database URL (pg-boss opens its own connections). */
  url: string;
  /** Poll and delivery leases, and node liveness (EARSHOT_CLUSTER_LEASE). */
  leaseMs: number;
  /** earshot's version, shown in status. */
  version: string;
  /** Once a minute on one node of the cluster (retention). */
  minute?: (at: Date) => Promise<void>;
}

const MAX_SLEEP_MS = 30_000;
/** Cluster: another node held the rules lock; look again this soon. */
const RULES_RETRY_MS = 150;
const RELOAD_DEBOUNCE_MS = 250;
/** How often the daemon counts the brands' new corrections (automatic learning). */
const LEARN_CHECK_MS = 60_000;
/** After a failed pass (disk full, database locked), wait 1 s, 2 s, 4 s ... up to a minute: no tight error loop. */
const FAILED_PASS_BASE_MS = 1_000;
const FAILED_PASS_MAX_MS = 60_000;

export class Daemon {
  private config: Config;
  private readonly store: Store;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly deliverer: Deliverer;
  private readonly cluster: Cluster | null = null;
  /** Cluster: when to try the rules pass again that another node's lock kept this one from. */
  private rulesRetryAt: number | null = null;
  private readonly budget: PollBudget | undefined;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private watchers: FSWatcher[] = [];
  private reloadTimer: NodeJS.Timeout | null = null;
  private delivering: Promise<void> | null = null;
  private digesting: Promise<void> | null = null;
  private learning: Promise<void> | null = null;
  private learnCheckedAt: number | null = null;
  /** The brands' learned/ files as last seen (mtimes): a change means reload. */
  private learnedSeen: string;
  private stopped = false;
  private passRunning = false;
  private passRequested = false;
  private started = false;
  private lastPassAt: Date | null = null;
  private lastPassError: string | null = null;
  private failedPasses = 0;

  constructor(private readonly options: DaemonOptions) {
    this.config = options.config;
    this.store = options.store;
    this.log = options.log;
    // The learned/ files the config was loaded with; a later change means reload.
    this.learnedSeen = this.learnedFiles();
    this.now = options.now ?? (() => new Date());
    const shared = options.cluster && this.store.dialect === 'postgres' ? (this.store as PostgresStore) : null;
    if (shared && options.cluster) {
      const { leaseMs, url, version, minute } = options.cluster;
      this.cluster = new Cluster({
        url,
        store: shared,
        log: this.log,
        version,
        leaseMs,
        concurrency: options.maxConcurrentPolls ?? 4,
        handlers: {
          dueSources: () => this.dueSourceKeys(),
          poll: (key, signal) => this.pollForCluster(key, signal),
          minute: (at) => minute?.(at) ?? Promise.resolve(),
        },
      });
      this.budget = sharedBudgets(shared.cluster, rateLimits(this.config.env));
    }
    this.deliverer = new Deliverer(this.store, this.config, this.log, this.now, {
      ...(options.spacingMs !== undefined ? { spacingMs: options.spacingMs } : {}),
      ...(shared && this.cluster ? { claims: { repo: shared.cluster, nodeId: this.cluster.nodeId, leaseMs: options.cluster!.leaseMs } } : {}),
    });
  }

  /** This node's id in the cluster, or null on SQLite. */
  get nodeId(): string | null {
    return this.cluster?.nodeId ?? null;
  }

  /** Cluster mode: the active sources due now, with a state row each (the cluster's tick reads them). */
  private async dueSourceKeys(): Promise<string[]> {
    const states = new Map((await this.store.sources.list()).map((s) => [s.sourceKey, s]));
    const now = this.now().getTime();
    const due: string[] = [];
    for (const s of this.activeSources()) {
      const state = states.get(s.key);
      if (Daemon.dueAtOf(s, state) > now) continue;
      // A new or edited source gets (or resets) its row first: polls are leased on that row.
      if (!state || state.settingsHash !== s.settingsHash) await this.store.sources.ensure(s.key, s.brand, s.type, s.settingsHash);
      due.push(s.key);
    }
    return due;
  }

  /** Cluster mode: one poll of a source this node was given; then rules and delivery. */
  private async pollForCluster(key: string, signal: AbortSignal): Promise<void> {
    const source = this.activeSources().find((s) => s.key === key);
    if (!source || this.stopped) return;
    const run = pollSource(
      {
        store: this.store,
        config: this.config,
        analyzer: this.options.analyzer,
        log: this.log,
        now: this.now,
        signal: AbortSignal.any([this.abort.signal, signal]),
        ...(this.budget ? { budget: this.budget } : {}),
      },
      source,
    )
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err, source: key }, 'poll crashed'));
    this.inFlight.set(key, run);
    try {
      await run;
    } finally {
      this.inFlight.delete(key);
      this.wake();
    }
  }

  get currentConfig(): Config {
    return this.config;
  }

  /** For /healthz: whether the loop runs, when it last completed a pass and whether that failed. */
  health(): { running: boolean; lastPassAt: Date | null; lastPassError: string | null } {
    return { running: this.started && !this.stopped, lastPassAt: this.lastPassAt, lastPassError: this.lastPassError };
  }

  /**
   * Records the config in force (status reads it), then starts the loop. Rejects when that first
   * write fails (a database locked by another process): `earshot run` exits 1 and a supervisor
   * restarts it.
   */
  async start(): Promise<void> {
    this.started = true;
    this.log.info(
      { dir: this.config.dir, brands: this.config.brands.size, sources: this.config.sources.length, rules: this.config.rules.length },
      'earshot started',
    );
    await this.recordReload(this.now().toISOString(), null);
    if (this.cluster) await this.cluster.start();
    if (this.options.watch !== false) this.watchConfig();
    await this.offerRetries().catch((err: unknown) => this.log.warn({ err }, 'could not look for deliveries to offer again'));
    this.wake();
  }

  private async recordReload(at: string | null, error: string | null): Promise<void> {
    if (at !== null) await this.store.meta.set('config.last_reload_at', at);
    await this.store.meta.set('config.last_reload_error', error);
  }

  /** Deliveries that failed for good before a notifier's settings changed: say how to send them again. */
  private async offerRetries(): Promise<void> {
    for (const offer of await retryOffers(this.store.outbox, (type) => notifierSettingsFingerprint(type, this.config.env))) {
      this.log.warn(
        { notifier: offer.notifier, failed: offer.failed },
        `${offer.failed} ${offer.notifier} ${offer.failed === 1 ? 'delivery' : 'deliveries'} failed before its settings changed: \`earshot outbox retry --failed --notifier ${offer.notifier}\` sends them again`,
      );
    }
  }

  /** Asks the loop to run a pass now (coalesced when one is already running). */
  wake(): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.passRunning) {
      this.passRequested = true;
      return;
    }
    this.passRunning = true;
    void this.pass().finally(() => {
      this.passRunning = false;
      if (this.passRequested) {
        this.passRequested = false;
        this.wake();
      }
    });
  }

  private async pass(): Promise<void> {
    // The sources' next poll times are read once (one query), for both starting the due polls and
    // scheduling the next pass (a pass runs after every poll, and reading each source's state
    // twice per pass was most of the loop's CPU). A poll that ends meanwhile wakes another pass.
    let dueAt: Map<string, number> | undefined;
    try {
      await this.store.meta.set('daemon.heartbeat_at', this.now().toISOString());
      // In a cluster the polls are queued cluster-wide and taken by any node (this one included).
      if (!this.cluster) {
        dueAt = await this.dueTimes();
        await this.startDuePolls(dueAt);
      }
      await this.afterNewMentions();
      this.runDigests();
      this.autoLearn();
      this.lastPassError = null;
      this.failedPasses = 0;
    } catch (err) {
      this.lastPassError = (err as Error)?.message ?? String(err);
      this.failedPasses++;
      this.log.error({ err, retryInMs: this.failedPassDelayMs() }, 'daemon loop failed; retrying shortly');
    }
    this.lastPassAt = this.now();
    await this.schedule(dueAt).catch((err: unknown) => {
      this.log.error({ err }, 'daemon could not schedule its next pass; retrying shortly');
      this.setTimer(Math.max(FAILED_PASS_BASE_MS, this.failedPassDelayMs()));
    });
    this.options.onTick?.();
  }

  private static dueAtOf(source: SourceConfig, state: SourceState | undefined): number {
    if (!state || state.settingsHash !== source.settingsHash || !state.nextPollAt) return 0;
    return Date.parse(state.nextPollAt);
  }

  /** When each active source not being polled is due next (ms since the epoch; 0: now). */
  private async dueTimes(): Promise<Map<string, number>> {
    const states = new Map((await this.store.sources.list()).map((s) => [s.sourceKey, s]));
    const due = new Map<string, number>();
    for (const s of this.activeSources()) if (!this.inFlight.has(s.key)) due.set(s.key, Daemon.dueAtOf(s, states.get(s.key)));
    return due;
  }

  private activeSources(): SourceConfig[] {
    return this.config.sources.filter((s) => s.enabled && s.missingEnv.length === 0);
  }

  private async startDuePolls(dueAt: Map<string, number>): Promise<void> {
    const now = this.now().getTime();
    const limit = this.options.maxConcurrentPolls ?? 4;
    const due = this.activeSources()
      .filter((s) => dueAt.has(s.key))
      .map((s) => ({ s, at: dueAt.get(s.key)! }))
      .filter((x) => x.at <= now)
      .sort((a, b) => a.at - b.at);
    for (const { s } of due) {
      if (this.inFlight.size >= limit || this.stopped) break;
      if (this.inFlight.has(s.key)) continue;
      await this.store.sources.ensure(s.key, s.brand, s.type, s.settingsHash);
      if (this.stopped) break;
      const run = pollSource(
        { store: this.store, config: this.config, analyzer: this.options.analyzer, log: this.log, now: this.now, signal: this.abort.signal },
        s,
      )
        .then(() => undefined)
        .catch((err: unknown) => this.log.error({ err, source: s.key }, 'poll crashed'))
        .finally(() => {
          this.inFlight.delete(s.key);
          this.wake();
        });
      this.inFlight.set(s.key, run);
    }
  }

  /** Rules, then delivery in the background (one delivery run at a time). */
  private async afterNewMentions(): Promise<void> {
    const rules = () => runRules({ store: this.store, config: this.config, log: this.log, now: this.now, deliverer: this.deliverer });
    // One rules pass at a time across the cluster: two nodes evaluating the same new mentions or
    // the same window would each see the other's group state too late. While another node runs
    // one, this node does not queue behind it (that made alerts wait under load): it looks again
    // shortly, since that pass may have read the new mentions before this node stored them.
    if (this.cluster) {
      const pass = await this.cluster.tryExclusive('rules', rules);
      this.rulesRetryAt = pass.ran ? null : this.now().getTime() + RULES_RETRY_MS;
    } else {
      await rules();
    }
    if (this.delivering || this.stopped) return;
    this.delivering = this.deliverer
      .deliverDue(this.abort.signal)
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err }, 'delivery run failed'))
      .then(async () => {
        this.delivering = null;
        if (!this.stopped && (await this.deliverer.nextAttemptAt()) !== null) await this.schedule();
      })
      .catch((err: unknown) => this.log.error({ err }, 'could not schedule the next delivery'))
      .finally(() => {
        this.delivering = null;
      });
  }

  /** Digests whose period ended go out (one digest run at a time; exactly once per period, see src/digest). */
  private runDigests(): void {
    if (this.digesting || this.config.digests.length === 0) return;
    this.digesting = runDueDigests({ store: this.store, config: this.config, log: this.log, now: this.now })
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err }, 'digest run failed'))
      .finally(() => {
        this.digesting = null;
      });
  }

  /**
   * Brands whose team made EARSHOT_LEARN_EVERY new corrections since the last learn are learned
   * again (src/pipeline/learn.ts, what `earshot learn` runs), in the background, one run at a
   * time, and the config is reloaded so the new adaptation scores the next mentions. Not in a
   * cluster: the other nodes would not load the file (README says so).
   */
  private autoLearn(): void {
    if (this.cluster || this.learning || this.stopped) return;
    const now = this.now();
    if (this.learnCheckedAt !== null && now.getTime() - this.learnCheckedAt < (this.options.learnCheckMs ?? LEARN_CHECK_MS)) return;
    this.learnCheckedAt = now.getTime();
    this.learning = this.learnBrands(now)
      .catch((err: unknown) => this.log.error({ err }, 'automatic learning failed'))
      .finally(() => {
        this.learning = null;
      });
  }

  private async learnBrands(now: Date): Promise<void> {
    let every: number;
    try {
      every = parseLearnEvery(this.config.env.EARSHOT_LEARN_EVERY);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'automatic learning is off until EARSHOT_LEARN_EVERY is fixed');
      every = 0;
    }
    const checks: AutoLearnCheck[] = [];
    for (const brand of every > 0 ? this.config.brands.values() : []) {
      if (this.stopped) return;
      const check = await autoLearnBrand(this.store, this.config.dir, brand, every, now);
      checks.push(check);
      if (!check.learned) continue;
      // One line: what `earshot learn` prints, without the per-word changes.
      const lines = check.learned.lines.filter((l) => !/^[+-] /.test(l));
      this.log.info({ brand: brand.id, newCorrections: check.fresh, file: check.learned.file, changes: check.learned.lines.length - lines.length }, `learned automatically: ${lines.join('; ')}`);
    }
    // Written here, by `earshot learn`, or removed by `earshot learn --forget`: the config
    // loader attaches learned/ files, so a reload puts the change in force without a restart.
    const seen = this.learnedFiles();
    const changed = seen !== this.learnedSeen;
    this.learnedSeen = seen;
    if (changed && !this.stopped) await this.reload();
    this.options.onLearnCheck?.(checks);
  }

  /** The brands' learned files that exist, with their mtimes (a brand without one adds nothing). */
  private learnedFiles(): string {
    return [...this.config.brands.keys()]
      .flatMap((id) => {
        try {
          return [`${id}:${statSync(learnedFile(this.config.dir, id)).mtimeMs}`];
        } catch {
          return [];
        }
      })
      .join(',');
  }

  /** Sets the timer for the next pass; `dueAt` is this pass's reading of the sources' next poll times. */
  private async schedule(dueAt?: Map<string, number>): Promise<void> {
    if (this.stopped) return;
    // In a cluster, polls are started by the cluster's queue, not by this loop's timer.
    const sources = this.cluster ? new Map<string, number>() : (dueAt ?? (await this.dueTimes()));
    const deps = { store: this.store, config: this.config, log: this.log, now: this.now };
    const release = await nextReleaseAt(deps);
    const delivery = await this.deliverer.nextAttemptAt();
    const digest = this.config.digests.length ? await nextDigestAt(deps) : null;
    const now = this.now().getTime();
    let next = now + MAX_SLEEP_MS;
    for (const s of this.activeSources()) {
      if (this.inFlight.has(s.key) || this.cluster) continue;
      next = Math.min(next, sources.get(s.key) ?? 0);
    }
    if (this.rulesRetryAt !== null) next = Math.min(next, this.rulesRetryAt);
    if (release) next = Math.min(next, release.getTime());
    if (delivery) next = Math.min(next, Date.parse(delivery));
    if (digest) next = Math.min(next, digest.getTime());
    this.setTimer(Math.max(10, next - now, this.failedPassDelayMs()));
  }

  private setTimer(delay: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), delay);
  }

  private failedPassDelayMs(): number {
    if (this.failedPasses === 0) return 0;
    return Math.min(FAILED_PASS_MAX_MS, FAILED_PASS_BASE_MS * 2 ** (this.failedPasses - 1));
  }

  private watchConfig(): void {
    const onChange = () => {
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => void this.reload(), RELOAD_DEBOUNCE_MS);
    };
    for (const sub of ['sources', 'rules']) {
      try {
        this.watchers.push(watch(join(this.config.dir, sub), onChange));
      } catch (err) {
        this.log.warn({ dir: sub, err: (err as Error).message }, 'cannot watch config folder; edits need a restart');
      }
    }
    try {
      this.watchers.push(
        watch(this.config.dir, (_event, name) => {
          if (name === '.env') onChange();
        }),
      );
    } catch {
      // the config dir itself is always watchable when sources/ is
    }
  }

  /**
   * Loads the config again; keeps the last good one when the new one has errors. The new config
   * applies at once; the promise settles once the reload is recorded for `earshot status`.
   */
  async reload(): Promise<boolean> {
    if (this.stopped) return false;
    const env = loadEnv(this.config.dir);
    const { config, problems } = loadConfig(this.config.dir, env);
    const at = this.now().toISOString();
    if (hasErrors(problems)) {
      const lines = problems.filter((p) => p.severity === 'error').map(formatProblem);
      for (const line of lines) this.log.error({ problem: line }, 'config reload rejected');
      this.log.error({ errors: lines.length }, 'config has errors; the last good config stays in force');
      observeReload(false);
      await this.recordReload(null, `${at}: ${lines.join(' | ')}`).catch((err: unknown) => this.log.error({ err }, 'could not record the rejected reload'));
      return false;
    }
    for (const p of problems) this.log.warn({ problem: formatProblem(p) }, 'config warning');
    this.config = config;
    void this.deliverer.setConfig(config);
    observeReload(true);
    this.log.info({ brands: config.brands.size, sources: config.sources.length, rules: config.rules.length }, 'config reloaded');
    this.wake();
    await this.recordReload(at, null).catch((err: unknown) => this.log.error({ err }, 'could not record the reload'));
    await this.offerRetries().catch((err: unknown) => this.log.warn({ err }, 'could not look for deliveries to offer again'));
    return true;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const w of this.watchers) w.close();
    this.abort.abort();
    // Leaving the cluster hands back this node's leases and claims at once.
    const leaving = this.cluster?.stop();
    await Promise.allSettled([...this.inFlight.values()]);
    if (this.delivering) await this.delivering;
    if (this.digesting) await this.digesting;
    if (this.learning) await this.learning;
    await this.deliverer.close();
    await leaving;
    this.log.info('earshot stopped');
  }
}
