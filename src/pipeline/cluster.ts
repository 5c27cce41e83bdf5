/**
 * Work sharing between earshot nodes on one PostgreSQL database, on pg-boss (10.x).
 *
 * Polls. Every `tickMs` one node of the cluster (whoever gets a transaction-scoped advisory lock)
 * reads which sources are due (next poll time passed, no unexpired poll lease) and have no
 * queued or active poll job, and queues one job per source on the `earshot-poll` queue, in the
 * same transaction. The queue's policy is `stately` with the source key as `singletonKey`: at
 * most one queued and one active job per source, enforced by a unique index — a second tick that
 * raced the first is refused by the database. Queuing only sources without a live job also keeps
 * the stately queue from ever holding a job that could not become active (pg-boss 10 would stop
 * fetching behind it).
 *
 * Any node's worker takes a job, then takes the source's poll lease (source_state.poll_owner,
 * renewed every lease/3 while the poll runs) and polls. The lease, not pg-boss's job expiry,
 * keeps two nodes from polling one source at once: pg-boss expires an active job after
 * `expireInSeconds` even while its handler still runs, and retries it elsewhere; the retry finds
 * the lease held and completes without polling. A node that dies mid-poll stops renewing; pg-boss
 * expires its job (expiry = the lease) and retries it on another node, which finds the lease
 * expired and polls. Polls are idempotent (source-side ids and cursors), so a poll repeated after
 * a crash stores nothing twice.
 *
 * Once a minute (pg-boss cron on `earshot-minute`, sent once per minute cluster-wide) one node
 * runs the minute handler: work that must happen once per window for the whole cluster.
 *
 * Nodes: each node registers itself and writes a heartbeat every lease/3; `earshot status` lists
 * them with what they hold (src/store/pg/cluster.ts).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type PgBoss from 'pg-boss';
import { lazy } from '../core/lazy.js';
import { parseDuration } from '../core/duration.js';
import type { Logger } from '../core/log.js';
import type { PostgresStore } from '../store/pg/store.js';
import { dueUnqueuedSources, orphanedPollJobs, RULES_LOCK, trySessionLock, tryTransactionLock, withSessionLock } from '../store/pg/cluster-tick.js';
import { withTransaction } from '../store/pg/sql.js';

/** pg-boss loads when a node joins a cluster: SQLite deployments never load it. */
const pgBoss = lazy<typeof PgBoss>('pg-boss');

export const POLL_QUEUE = 'earshot-poll';
export const MINUTE_QUEUE = 'earshot-minute';

/** Advisory lock key for the poll tick: ('e' 'a' 'r' 's') and 2. */
const TICK_LOCK: readonly [number, number] = [0x65617273, 2];
/** Advisory lock key for setting up pg-boss's schema and queues, one node at a time. */
const SETUP_LOCK: readonly [number, number] = [0x65617273, 3];
/** Advisory lock keys for work done by one node at a time across the cluster (`exclusive`). */
const EXCLUSIVE_LOCKS: Readonly<Record<'rules', readonly [number, number]>> = { rules: RULES_LOCK };

export const DEFAULT_LEASE_MS = 30_000;

export class ClusterSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterSettingError';
  }
}

/** EARSHOT_CLUSTER_LEASE: how long a dead node's polls and sends stay with it (default 30 s; 2 s to 10 min). */
export function parseLease(value: string | undefined): number {
  const text = (value ?? '').trim();
  if (text === '') return DEFAULT_LEASE_MS;
  const ms = parseDuration(text);
  if (ms === null || ms < 2_000 || ms > 600_000) {
    throw new ClusterSettingError(
      `EARSHOT_CLUSTER_LEASE=${text}: expected a duration from 2s to 10m, like 30s; a dead node's sources and messages move to others after this long`,
    );
  }
  return ms;
}

export interface ClusterHandlers {
  /** Source keys this node would poll now (its config's active sources that are due). */
  dueSources(): Promise<string[]>;
  /** Polls one source (then rules and delivery); `signal` aborts when the lease is lost or the node stops. */
  poll(sourceKey: string, signal: AbortSignal): Promise<void>;
  /** Runs once per minute on one node of the cluster. */
  minute(at: Date): Promise<void>;
}

export interface ClusterOptions {
  url: string;
  store: PostgresStore;
  log: Logger;
  handlers: ClusterHandlers;
  version: string;
  /** What this process runs ('run'); shown in status. */
  command?: string;
  nodeId?: string;
  /** Poll lease and node liveness (default 30 s): a dead node's sources move after about this long. */
  leaseMs?: number;
  /** How often the cluster looks for due sources (default 1 s). */
  tickMs?: number;
  /** Polls this node runs at once (default 4). */
  concurrency?: number;
}

export class Cluster {
  readonly nodeId: string;
  private readonly leaseMs: number;
  private readonly tickMs: number;
  private boss: PgBoss | null = null;
  private readonly abort = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  private ticking: Promise<number> | null = null;
  private readonly polls = new Map<string, Promise<void>>();
  private workerIds: string[] = [];
  private stopped = false;

  constructor(private readonly options: ClusterOptions) {
    this.nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.tickMs = options.tickMs ?? 1_000;
  }

  private get log(): Logger {
    return this.options.log;
  }

  async start(): Promise<void> {
    const { store } = this.options;
    await store.cluster.registerNode({
      id: this.nodeId,
      host: hostname(),
      pid: process.pid,
      version: this.options.version,
      command: this.options.command ?? 'run',
    });
    const leaseS = Math.max(1, Math.round(this.leaseMs / 1000));
    const Boss = pgBoss();
    const boss = new Boss({
      connectionString: this.options.url,
      application_name: `earshot-boss ${this.nodeId}`,
      max: 3,
      // Expired jobs (a dead node's polls) are found by maintenance: look often enough that a
      // source moves within about one lease.
      maintenanceIntervalSeconds: Math.max(1, Math.floor(leaseS / 3)),
      cronMonitorIntervalSeconds: 10,
      cronWorkerIntervalSeconds: 2,
      archiveCompletedAfterSeconds: 3_600,
      deleteAfterDays: 2,
    });
    // pg-boss reports connection trouble and failed maintenance here; it retries by itself.
    boss.on('error', (err) => this.log.warn({ err: scrub(err, this.options.url) }, 'job queue error; retrying'));
    // Nodes starting together would race to install pg-boss's schema and create the queues
    // (pg-boss's create_queue deadlocks against itself): one node at a time.
    await withSessionLock(store, SETUP_LOCK, async () => {
      await boss.start();
      await ensureQueue(boss, POLL_QUEUE, { policy: 'stately', expireInSeconds: leaseS, retryLimit: 3, retryDelay: 0 });
      await ensureQueue(boss, MINUTE_QUEUE, { policy: 'singleton', expireInSeconds: 300, retryLimit: 0 });
      await boss.schedule(MINUTE_QUEUE, '* * * * *', {}, { tz: 'UTC' });
    });
    this.boss = boss;

    for (let i = 0; i < (this.options.concurrency ?? 4); i++) {
      this.workerIds.push(await boss.work<{ sourceKey: string }>(POLL_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1 }, (jobs) => this.onPollJobs(jobs)));
    }
    this.workerIds.push(await boss.work(MINUTE_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, () => this.onMinute()));

    this.every(Math.max(1_000, Math.floor(this.leaseMs / 3)), () =>
      store.cluster.heartbeat(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'heartbeat failed; retrying')),
    );
    this.every(this.tickMs, () => {
      void this.tick().catch((err: unknown) => this.log.warn({ err: scrub(err, this.options.url) }, 'poll tick failed; retrying'));
    });
    this.log.info({ node: this.nodeId, leaseMs: this.leaseMs }, 'joined the cluster');
  }

  private every(ms: number, fn: () => unknown): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Queues a poll job for each due source without one; returns how many (0 when another node ticks). */
  tick(): Promise<number> {
    if (this.stopped || !this.boss) return Promise.resolve(0);
    this.ticking ??= this.tickOnce().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async tickOnce(): Promise<number> {
    const boss = this.boss!;
    const candidates = await this.options.handlers.dueSources();
    if (candidates.length === 0) return 0;
    const queued = await withTransaction(this.options.store.pool, async (client) => {
      if (!(await tryTransactionLock(client, TICK_LOCK))) return 0;
      const db = { executeSql: (text: string, values: unknown[]) => client.query(text, values) };
      // A job whose node stopped renewing the source's lease (it died mid-poll) is failed now, so
      // pg-boss retries it at once instead of waiting for the job's own expiry.
      const orphans = await orphanedPollJobs(client, POLL_QUEUE);
      if (orphans.length > 0) {
        this.log.warn({ jobs: orphans.length }, 'polls of a node that stopped renewing its leases are moved to other nodes');
        await boss.fail(POLL_QUEUE, orphans, { db });
      }
      let n = 0;
      for (const sourceKey of await dueUnqueuedSources(client, candidates, POLL_QUEUE)) {
        if ((await boss.send(POLL_QUEUE, { sourceKey }, { singletonKey: sourceKey, db })) !== null) n++;
      }
      return n;
    });
    // Local workers need not wait for their next fetch to see the new jobs.
    if (queued > 0) for (const id of this.workerIds) boss.notifyWorker(id);
    return queued;
  }

  private async onPollJobs(jobs: Array<PgBoss.Job<{ sourceKey: string }>>): Promise<void> {
    for (const job of jobs) await this.pollWithLease(job.data.sourceKey);
  }

  /** Polls a source while holding its lease; a job for a source leased elsewhere completes doing nothing. */
  private async pollWithLease(sourceKey: string): Promise<void> {
    if (this.stopped) return;
    const { store } = this.options;
    if (!(await store.cluster.claimPoll(sourceKey, this.nodeId, this.leaseMs, true))) {
      this.log.debug({ source: sourceKey }, 'poll job skipped: another node holds the source');
      return;
    }
    const lost = new AbortController();
    const onStop = () => lost.abort();
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    let finished = false;
    const renew = setInterval(() => {
      store.cluster
        .renewPoll(sourceKey, this.nodeId, this.leaseMs)
        .then((held) => {
          // A renewal answered after the poll ended (and released the lease) says nothing.
          if (held || finished) return;
          this.log.warn({ source: sourceKey }, 'poll lease lost (this node was too slow to renew it); aborting the poll');
          lost.abort();
        })
        .catch((err: unknown) => this.log.warn({ err, source: sourceKey }, 'could not renew the poll lease'));
    }, Math.max(200, Math.floor(this.leaseMs / 3)));
    const run = (async () => {
      try {
        // Polled by another node since the job was queued (a retry after a slow poll): not due.
        const due = await this.options.handlers.dueSources();
        if (!due.includes(sourceKey)) return;
        await this.options.handlers.poll(sourceKey, lost.signal);
      } finally {
        finished = true;
        clearInterval(renew);
        this.abort.signal.removeEventListener('abort', onStop);
        await store.cluster.releasePoll(sourceKey, this.nodeId).catch(() => undefined);
      }
    })();
    this.polls.set(sourceKey, run);
    try {
      await run;
    } finally {
      this.polls.delete(sourceKey);
    }
  }

  private async onMinute(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.options.handlers.minute(new Date());
    } catch (err) {
      // Not retried: the next minute runs it again.
      this.log.error({ err }, 'minute work failed');
    }
  }

  /**
   * Runs fn while no other node runs the same kind of work (a session advisory lock on one pooled
   * connection; released when fn settles, or by PostgreSQL when this node dies).
   */
  exclusive<T>(work: keyof typeof EXCLUSIVE_LOCKS, fn: () => Promise<T>): Promise<T> {
    return withSessionLock(this.options.store, EXCLUSIVE_LOCKS[work], fn);
  }

  /** Like `exclusive`, but when another node is doing that work now, returns `{ ran: false }` without waiting. */
  tryExclusive<T>(work: keyof typeof EXCLUSIVE_LOCKS, fn: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }> {
    return trySessionLock(this.options.store, EXCLUSIVE_LOCKS[work], fn);
  }

  /** Sources this node is polling now. */
  get polling(): string[] {
    return [...this.polls.keys()];
  }

  /** Stops taking work, waits for polls in flight (aborted), leaves the cluster. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.abort.abort();
    const boss = this.boss;
    if (boss) {
      for (const id of this.workerIds) await boss.offWork({ id }).catch(() => undefined);
    }
    await Promise.allSettled([...this.polls.values()]);
    if (this.ticking) await this.ticking.catch(() => undefined);
    if (boss) await boss.stop({ graceful: true, wait: true, timeout: 10_000 }).catch(() => undefined);
    await this.options.store.cluster.stopNode(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'could not record this node as stopped'));
    this.log.info({ node: this.nodeId }, 'left the cluster');
  }
}

async function ensureQueue(boss: PgBoss, name: string, options: Omit<PgBoss.Queue, 'name'>): Promise<void> {
  const existing = await boss.getQueue(name);
  if (!existing) {
    try {
      await boss.createQueue(name, { name, ...options });
      return;
    } catch (err) {
      // Another node created it at the same moment.
      if (!(await boss.getQueue(name))) throw err;
    }
  }
  await boss.updateQueue(name, { name, ...options });
}

/**
 * What to log of an error: its message (without the connection URL's password; pg-boss may
 * include the URL) and code. pg-boss's errors carry the whole pg client, connection settings and
 * all: never logged.
 */
function scrub(err: unknown, url: string): unknown {
  if (!(err instanceof Error)) return err;
  const password = safePassword(url);
  const message = password ? err.message.split(password).join('***') : err.message;
  const code = (err as { code?: unknown }).code;
  return { type: err.name, message, ...(typeof code === 'string' ? { code } : {}) };
}

function safePassword(url: string): string | null {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : null;
  } catch {
    return null;
  }
}
