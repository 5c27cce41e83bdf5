/**
 * The Store on SQLite: the repositories over one better-sqlite3 connection.
 *
 * better-sqlite3 is synchronous, so one call runs to completion before anything else happens and
 * needs no lock. An async transaction is different: between its awaits other work could slip
 * onto the same connection and land inside the transaction. So a transaction holds the
 * connection (a FIFO lock) from BEGIN to COMMIT; calls through the root store made meanwhile wait
 * for it, calls through `tx` go straight through. When no transaction holds the connection a
 * root call runs at once, synchronously, as before: the daemon's hot paths pay one resolved
 * promise per call.
 */
import { statSync } from 'node:fs';
import type { Mention, SourceType } from '../../core/types.js';
import { MIGRATIONS } from '../migrations.js';
import type {
  BackupCheck,
  BackupOptions,
  DigestRunRepo,
  MentionFilter,
  MentionRepo,
  MetaRepo,
  OutboxRepo,
  ReportRepo,
  Repositories,
  RetentionRepo,
  RuleStateRepo,
  SilenceRepo,
  SourceStateRepo,
  Store,
  StoreInfo,
  DaemonLock,
  DaemonOwner,
  DaemonState,
} from '../types.js';
import { backupDatabase } from './backup.js';
import { daemonState, lockDaemon } from './daemon-lock.js';
import { triageStore } from './triage.js';
import type { TriageStore } from '../triage-types.js';
import { getMeta, openDatabase, schemaVersion, setMeta, type Db } from './db.js';
import * as runs from './digest-runs.js';
import * as mentions from './mentions.js';
import * as outbox from './outbox.js';
import * as reports from './reports.js';
import * as retention from './retention.js';
import * as rules from './rule-state.js';
import * as silences from './silences.js';
import * as sources from './source-state.js';

/** Runs a synchronous piece of work on the connection when it may. */
type Runner = <T>(work: (db: Db) => T) => Promise<T>;

/** A FIFO lock: who holds the connection for a transaction. */
class ConnectionLock {
  private held = false;
  private readonly waiting: Array<() => void> = [];

  get free(): boolean {
    return !this.held;
  }

  acquire(): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the connection to the next waiter (it stays held) or frees it. */
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held = false;
  }
}

function attempt<T>(work: (db: Db) => T, db: Db): Promise<T> {
  try {
    return Promise.resolve(work(db));
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/** Several statements as one unit: a transaction of their own, or part of the caller's. */
function atomic<T>(db: Db, work: () => T): T {
  return db.inTransaction ? work() : db.transaction(work).immediate();
}

const STREAM_PAGE = 1000;

function mentionRepo(run: Runner): MentionRepo {
  return {
    knownSourceIds: (brand, source: SourceType | string, ids) => run((db) => mentions.knownSourceIds(db, brand, source, ids)),
    findOriginal: (brand, url, fingerprint) => run((db) => mentions.findOriginal(db, brand, url, fingerprint)),
    insert: (m) => run((db) => mentions.insertMention(db, m)),
    ingest: (candidates) => run((db) => mentions.ingestMentions(db, candidates)),
    get: (ids) => run((db) => mentions.getMentions(db, ids)),
    newIds: (limit) => run((db) => mentions.newMentionIds(db, limit)),
    setAlertState: (ids, state) => run((db) => mentions.setAlertStates(db, ids, state)),
    list: (filter) => run((db) => mentions.listMentions(db, filter)),
    count: (filter) => run((db) => mentions.countMentions(db, filter)),
    stream: (filter = {}, pageSize = STREAM_PAGE) => streamMentions(run, filter, pageSize),
    isFirstFromAuthor: (brand, author, beforeId) => run((db) => mentions.isFirstFromAuthor(db, brand, author, beforeId)),
    lastFetchedAt: (brand, keys) => run((db) => mentions.lastFetchedAt(db, brand, keys)),
    countStoredSince: (since) => run((db) => mentions.countStoredSince(db, since)),
    hasBrand: (brand) => run((db) => mentions.hasMentionsOf(db, brand)),
    brands: () => run((db) => mentions.storedBrands(db)),
    noteImportedHistory: (brand) => run((db) => mentions.noteImportedHistory(db, brand)),
    importedHistoryFrom: (brand) => run((db) => mentions.importedHistoryFrom(db, brand)),
  };
}

async function* streamMentions(run: Runner, filter: MentionFilter, pageSize: number): AsyncGenerator<Mention> {
  let after: { publishedAt: string; id: number } | null = null;
  for (;;) {
    const cursor: { publishedAt: string; id: number } | null = after;
    const page: Mention[] = await run((db) => mentions.mentionsPage(db, filter, cursor, pageSize));
    yield* page;
    if (page.length < pageSize) return;
    const last: Mention = page[page.length - 1]!;
    after = { publishedAt: last.publishedAt, id: last.id };
  }
}

function outboxRepo(run: Runner): OutboxRepo {
  return {
    insertAlert: (a) => run((db) => outbox.insertAlert(db, a)),
    getAlert: (id) => run((db) => outbox.getAlert(db, id)),
    deliveriesOf: (alertId) => run((db) => outbox.deliveriesOf(db, alertId)),
    releaseHeld: (now) => run((db) => outbox.releaseHeld(db, now)),
    countDeliveriesSince: (notifier, target, since) => run((db) => outbox.countDeliveriesSince(db, notifier, target, since)),
    threadRoot: (rule, groupKey, notifier, target, since) => run((db) => outbox.threadRoot(db, rule, groupKey, notifier, target, since)),
    dueDeliveries: (now) => run((db) => outbox.dueDeliveries(db, now)),
    nextDeliveryAt: () => run((db) => outbox.nextDeliveryAt(db)),
    markSent: (id, at, ref) => run((db) => outbox.markSent(db, id, at, ref)),
    markRetry: (id, mark) => run((db) => outbox.markRetry(db, id, mark)),
    markFailed: (id, at, error, settings) => run((db) => outbox.markFailed(db, id, at, error, settings ?? null)),
    list: (filter) => run((db) => outbox.listDeliveries(db, filter)),
    requeue: (filter, now) => run((db) => outbox.requeueDeliveries(db, filter, now)),
    failedSettings: () => run((db) => outbox.failedSettings(db)),
    rules: () => run((db) => outbox.outboxRules(db)),
    summary: (since) => run((db) => outbox.outboxSummary(db, since)),
  };
}

function ruleStateRepo(run: Runner): RuleStateRepo {
  return {
    getGroup: (rule, hash, groupKey) => run((db) => rules.getGroup(db, rule, hash, groupKey)),
    setGroupAlerted: (rule, hash, groupKey, at, alertId, streak) => run((db) => rules.setGroupAlerted(db, rule, hash, groupKey, at, alertId, streak)),
    setGroupActive: (rule, hash, groupKey, active) => run((db) => rules.setGroupActive(db, rule, hash, groupKey, active)),
    activeGroups: (rule, hash) => run((db) => rules.activeGroups(db, rule, hash)),
    addHits: (hits) => run((db) => atomic(db, () => rules.addHits(db, hits))),
    clearHits: (rule) => run((db) => rules.clearHits(db, rule)),
    countHits: (rule, from, to) => run((db) => rules.countHits(db, rule, from, to)),
    sampleHits: (rule, groupKey, from, to, limit) => run((db) => rules.sampleHits(db, rule, groupKey, from, to, limit)),
    addPending: (entries) => run((db) => atomic(db, () => rules.addPending(db, entries))),
    pendingGroups: () => run((db) => rules.pendingGroups(db)),
    clearPending: (rule, ids) => run((db) => atomic(db, () => rules.clearPending(db, rule, ids))),
    reconcilePending: (live) => run((db) => atomic(db, () => rules.reconcilePending(db, live))),
  };
}

function sourceStateRepo(run: Runner): SourceStateRepo {
  return {
    get: (key) => run((db) => sources.getSourceState(db, key)),
    list: () => run((db) => sources.listSourceStates(db)),
    ensure: (key, brand, type, hash, now) => run((db) => atomic(db, () => sources.ensureSourceState(db, key, brand, type, hash, now))),
    recordSuccess: (key, update) => run((db) => sources.recordSuccess(db, key, update)),
    recordFailure: (key, update) => run((db) => sources.recordFailure(db, key, update)),
    logPoll: (entry) => run((db) => sources.logPoll(db, entry)),
    pollSummarySince: (since) => run((db) => sources.pollSummarySince(db, since)),
  };
}

function silenceRepo(run: Runner): SilenceRepo {
  return {
    add: (s) => run((db) => silences.addSilence(db, s)),
    get: (id) => run((db) => silences.getSilence(db, id)),
    list: (options) => run((db) => silences.listSilences(db, options)),
    remove: (id, at) => run((db) => atomic(db, () => silences.removeSilence(db, id, at))),
    active: (rule, brand, at) => run((db) => silences.activeSilence(db, rule, brand, at)),
  };
}

function digestRunRepo(run: Runner): DigestRunRepo {
  return {
    get: (digest, periodEnd) => run((db) => runs.getRun(db, digest, periodEnd)),
    list: (digest) => run((db) => runs.listRuns(db, digest)),
    claim: (digest, start, end, now, stale) => run((db) => runs.claimRun(db, digest, start, end, now, stale)),
    recordMissed: (digest, start, end, now, reason) => run((db) => runs.recordMissed(db, digest, start, end, now, reason)),
    markSent: (digest, end, at, messageId, recipients) => run((db) => runs.markRunSent(db, digest, end, at, messageId, recipients)),
    markSkipped: (digest, end, at, reason) => run((db) => runs.markRunSkipped(db, digest, end, at, reason)),
    markAttemptFailed: (digest, end, error, nextAt, final) => run((db) => runs.markRunAttemptFailed(db, digest, end, error, nextAt, final)),
    pending: () => run((db) => runs.pendingRuns(db)),
  };
}

function metaRepo(run: Runner): MetaRepo {
  return {
    get: (key) => run((db) => getMeta(db, key)),
    set: (key, value) => run((db) => setMeta(db, key, value)),
  };
}

function retentionRepo(run: Runner): RetentionRepo {
  return {
    setHorizon: (horizon) => run((db) => retention.setHorizon(db, horizon)),
    pruneAlerts: (horizon, limit) => run((db) => retention.pruneAlerts(db, horizon, limit)),
    pruneMentions: (horizon, limit) => run((db) => retention.pruneMentions(db, horizon, limit)),
    prunePollLog: (before, limit) => run((db) => retention.prunePollLog(db, before, limit)),
    compact: ({ fullText }) => run((db) => retention.compact(db, fullText)),
  };
}

function reportRepo(run: Runner): ReportRepo {
  return {
    alertsSent: (brand, since, until) => run((db) => reports.alertsSent(db, brand, since, until)),
    alertedMentions: (brand, since, until) => run((db) => reports.alertedMentions(db, brand, since, until)),
    waitingByRule: (brand, before) => run((db) => reports.waitingByRule(db, brand, before)),
    undelivered: (brand, since, until) => run((db) => reports.undelivered(db, brand, since, until)),
    quietMentionStates: (brand, since, until) => run((db) => reports.quietMentionStates(db, brand, since, until)),
    knownVoices: (brand, since, until) => run((db) => reports.knownVoices(db, brand, since, until)),
    sourceHealth: (brand, since, until) => run((db) => reports.sourceHealth(db, brand, since, until)),
    deliveriesByNotifier: (status) => run((db) => reports.deliveriesByNotifier(db, status)),
    oldestPendingAt: () => run((db) => reports.oldestPendingAt(db)),
    mentionsByBrand: () => run((db) => reports.mentionsByBrand(db)),
    activityBefore: (at) => run((db) => reports.activityBefore(db, at)),
    periodVolume: (brand, since, until, bucketMs) => run((db) => reports.periodVolume(db, brand, since, until, bucketMs)),
    periodSources: (brand, since, until) => run((db) => reports.periodSources(db, brand, since, until)),
    periodTopAuthors: (brand, since, until, limit) => run((db) => reports.periodTopAuthors(db, brand, since, until, limit)),
    periodNeedingReply: (brand, since, until, limit) => run((db) => reports.periodNeedingReply(db, brand, since, until, limit)),
    periodTopReach: (brand, since, until, limit) => run((db) => reports.periodTopReach(db, brand, since, until, limit)),
    periodTextSample: (brand, since, until, every) => run((db) => reports.periodTextSample(db, brand, since, until, every)),
    periodVoices: (brand, since, until) => run((db) => reports.periodVoices(db, brand, since, until)),
  };
}

/** The repositories over one runner: the root store's (gated) or a transaction's (direct). */
class SqliteRepositories implements Repositories {
  readonly mentions: MentionRepo;
  readonly outbox: OutboxRepo;
  readonly rules: RuleStateRepo;
  readonly sources: SourceStateRepo;
  readonly silences: SilenceRepo;
  readonly digests: DigestRunRepo;
  readonly meta: MetaRepo;
  readonly retention: RetentionRepo;
  readonly reports: ReportRepo;

  constructor(
    protected readonly run: Runner,
    private readonly begin: <T>(fn: (tx: Repositories) => Promise<T>) => Promise<T>,
  ) {
    this.mentions = mentionRepo(run);
    this.outbox = outboxRepo(run);
    this.rules = ruleStateRepo(run);
    this.sources = sourceStateRepo(run);
    this.silences = silenceRepo(run);
    this.digests = digestRunRepo(run);
    this.meta = metaRepo(run);
    this.retention = retentionRepo(run);
    this.reports = reportRepo(run);
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.begin(fn);
  }
}

export class SqliteStore extends SqliteRepositories implements Store {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly lock: ConnectionLock;
  private savepoints = 0;
  private closed = false;

  constructor(
    /** The connection; tests and the SQLite-only tools (backup) may use it directly. */
    readonly db: Db,
    path: string,
  ) {
    const lock = new ConnectionLock();
    const run: Runner = (work) => {
      if (lock.free) return attempt(work, db);
      return lock.acquire().then(() => {
        try {
          return work(db);
        } finally {
          lock.release();
        }
      });
    };
    super(run, (fn) => this.runTransaction(fn));
    this.lock = lock;
    this.location = path;
  }

  /** Holds the connection from BEGIN IMMEDIATE to COMMIT (or ROLLBACK when fn rejects). */
  private async runTransaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    await this.lock.acquire();
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const tx = this.transactionView();
      try {
        const result = await fn(tx.repos);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      } finally {
        tx.end();
      }
    } finally {
      this.lock.release();
    }
  }

  /** Repositories bound to the open transaction; unusable once it ended. */
  private transactionView(): { repos: Repositories; end: () => void } {
    let open = true;
    const db = this.db;
    const run: Runner = (work) => {
      if (!open) return Promise.reject(new Error('store: this transaction has ended; use the store, or a new transaction'));
      return attempt(work, db);
    };
    const nested = async <T>(fn: (tx: Repositories) => Promise<T>): Promise<T> => {
      if (!open) throw new Error('store: this transaction has ended; use the store, or a new transaction');
      const name = `sp${++this.savepoints}`;
      db.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn(repos);
        db.exec(`RELEASE ${name}`);
        return result;
      } catch (err) {
        db.exec(`ROLLBACK TO ${name}`);
        db.exec(`RELEASE ${name}`);
        throw err;
      }
    };
    const repos: Repositories = new SqliteRepositories(run, nested);
    return {
      repos,
      end: () => {
        open = false;
      },
    };
  }

  private gatedTriage: TriageStore | null = null;

  /**
   * The triage store on this connection, one per store (its change listeners are keyed on it).
   * Each call waits while a transaction holds the connection, like the repositories' calls, so a
   * click in Slack never writes into the rule engine's open transaction. The gate covers a call's
   * synchronous run only, so the triage store's methods never await (test/architecture.test.ts).
   */
  triage(): TriageStore {
    this.gatedTriage ??= this.gated(triageStore(this.db));
    return this.gatedTriage;
  }

  private gated<T extends object>(target: T): T {
    return new Proxy(target, {
      get: (t, key, receiver) => {
        const value: unknown = Reflect.get(t, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => this.run(() => (value as (...a: unknown[]) => unknown).apply(t, args));
      },
    });
  }

  describe(): Promise<StoreInfo> {
    return this.run((db) => ({
      dialect: this.dialect,
      location: this.location,
      schemaVersion: schemaVersion(db),
      knownSchemaVersion: MIGRATIONS.length,
      bytes: fileSize(this.location),
      walBytes: fileSize(`${this.location}-wal`),
    }));
  }

  lockDaemon(owner: DaemonOwner): Promise<DaemonLock> {
    return this.run((db) => lockDaemon(db, this.location, owner));
  }

  daemonState(): Promise<DaemonState> {
    return this.run((db) => daemonState(db, this.location));
  }

  backup(file: string, options: BackupOptions = {}): Promise<BackupCheck> {
    return backupDatabase(this.db, file, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Let a transaction in flight finish first.
    await this.lock.acquire();
    try {
      if (this.db.open) this.db.close();
    } finally {
      this.lock.release();
    }
  }
}

function fileSize(path: string): number {
  if (path === ':memory:') return 0;
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export interface OpenSqliteOptions {
  readonly?: boolean;
}

/** Opens (creating and migrating when needed) the SQLite database at `path`. */
export function openSqliteStore(path: string, options: OpenSqliteOptions = {}): SqliteStore {
  return new SqliteStore(openDatabase(path, options), path);
}
