/**
 * The store: everything earshot keeps, behind one asynchronous interface that SQLite (the
 * embedded default, src/store/sqlite.ts) and PostgreSQL (scale-out) both implement. No SQL
 * lives outside src/store/; callers see repositories of plain objects.
 *
 * Conventions every implementation keeps (the contract tests in test/store-contract.test.ts
 * hold both backends to them):
 *   - Every method returns a Promise. A single method call is atomic on its own (a method that
 *     writes several rows does so in one transaction, or a savepoint inside the caller's).
 *   - Times go in and come out as ISO 8601 UTC strings exactly as `Date.prototype.toISOString()`
 *     writes them ("2026-11-23T08:00:00.000Z"). Comparisons ("since", "before") are on that
 *     instant. A backend storing `timestamptz` converts back to this form.
 *   - Ids are JavaScript numbers (a PostgreSQL int8 is converted; ids stay below 2^53).
 *   - JSON fields (matched terms, reasons, metrics, details, recipients) come out parsed.
 *   - Counts are numbers, never strings or bigints; a count of nothing is 0, never absent.
 *   - `transaction(fn)` runs fn with `tx`, a view of the same repositories bound to one
 *     transaction; it commits when fn resolves and rolls back when it rejects. Inside fn use
 *     only `tx`: a call through the root store waits for the transaction to end (SQLite has one
 *     connection) and would deadlock. Keep transactions short and free of network I/O.
 *   - Writes of "already there" are not errors: inserting an existing (brand, source, source_id)
 *     returns null, claiming a taken period returns null, and so on.
 */
import type { Mention, SourceType } from '../core/types.js';
import type { FailedSettings } from './outbox-report.js';

export type Dialect = 'sqlite' | 'postgres';

// ---------------------------------------------------------------- the store

export interface Store extends Repositories {
  readonly dialect: Dialect;
  /** Where the data lives, safe to print: a file path, or a database URL without its password. */
  readonly location: string;
  /** Schema version, database size: for `earshot status` and /metrics. */
  describe(): Promise<StoreInfo>;
  /**
   * A consistent copy of the whole database to `file` while others keep writing, checked before
   * it is renamed into place (SQLite's online backup). PostgreSQL rejects with a message that
   * points to pg_dump.
   */
  backup(file: string, options?: BackupOptions): Promise<BackupCheck>;
  /**
   * Claims the database for this `earshot run` or rejects with DaemonLockedError naming the one
   * that runs (SQLite: one daemon per file, an OS lock released when the process dies). On
   * PostgreSQL many nodes share the work by design: the claim always succeeds.
   */
  lockDaemon(owner: DaemonOwner): Promise<DaemonLock>;
  /** Whether a daemon runs now (SQLite; PostgreSQL: false, see the cluster's nodes) and who claimed it last. */
  daemonState(): Promise<DaemonState>;
  /** Waits for work in flight, then closes the connection(s). Idempotent. */
  close(): Promise<void>;
}

export interface DaemonOwner {
  pid: number;
  host: string;
  /** ISO time the daemon started. */
  since: string;
}

export interface DaemonLock {
  /** Ends the claim (the operating system also ends it if the process dies). */
  release(): void;
}

export interface DaemonState {
  /** A daemon holds the lock now. */
  running: boolean;
  /** The last daemon that claimed the database (the running one when `running`). */
  owner: DaemonOwner | null;
}

export interface BackupOptions {
  /** Called as the copy progresses (pages on SQLite). */
  onProgress?: (done: number, total: number) => void;
}

export interface BackupCheck {
  bytes: number;
  schemaVersion: number;
  mentions: number;
  /** 'ok', or what the integrity check found. */
  integrity: string;
}

/** The repositories, as seen through the root store or through a transaction. */
export interface Repositories {
  readonly mentions: MentionRepo;
  readonly outbox: OutboxRepo;
  readonly rules: RuleStateRepo;
  readonly sources: SourceStateRepo;
  readonly silences: SilenceRepo;
  readonly digests: DigestRunRepo;
  readonly meta: MetaRepo;
  readonly retention: RetentionRepo;
  /** Read-only aggregates for status, digests and /metrics. */
  readonly reports: ReportRepo;
  /** Runs fn in a transaction (a savepoint when already inside one). */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
}

export interface OpenStoreOptions {
  /** SQLite: the database file (':memory:' for tests). */
  path?: string;
  /** PostgreSQL: `postgres://USER:PASS@HOST:PORT/DB` (EARSHOT_DATABASE_URL). Wins over path. */
  url?: string;
  /** Read-only (status, export, mentions): never writes; an old schema is migrated first. */
  readonly?: boolean;
  /**
   * PostgreSQL: told when a pooled connection breaks (the server restarted, the network dropped).
   * Nothing else is needed: the next query opens a new connection.
   */
  onConnectionError?: (err: Error) => void;
}

export interface StoreInfo {
  dialect: Dialect;
  location: string;
  /** Migrations applied, and how many this earshot knows. */
  schemaVersion: number;
  knownSchemaVersion: number;
  /** Size on disk in bytes (SQLite: the file; PostgreSQL: pg_database_size). */
  bytes: number;
  /** SQLite's write-ahead log; 0 for PostgreSQL. */
  walBytes: number;
}

// ---------------------------------------------------------------- mentions

/**
 * new: rules not yet run; evaluated; backfill: first poll, outside alert_backfill;
 * duplicate: repeats an earlier mention; quiet: imported with --no-alerts.
 */
export type AlertState = 'new' | 'evaluated' | 'backfill' | 'duplicate' | 'quiet';

export interface NewMention extends Omit<Mention, 'id'> {
  canonicalUrl: string | null;
  fingerprint: string | null;
  alertState: AlertState;
}

/** A mention to store by `ingest`: the store finds its original (dedup) itself. */
export interface MentionCandidate extends Omit<NewMention, 'duplicateOf' | 'alertState'> {
  /** The state when it is not a duplicate ('new', 'backfill' or 'quiet'). */
  alertState: AlertState;
}

export interface IngestedMention {
  /** null: not stored (the same source-side id exists, or it is older than the retention horizon). */
  id: number | null;
  /** The earliest stored mention of the brand with the same canonical URL or fingerprint. */
  duplicateOf: number | null;
}

export interface MentionFilter {
  brand?: string;
  source?: string;
  /** ISO time: published at or after. */
  since?: string;
  /** ISO time: published before. */
  until?: string;
  sentiment?: string;
  /**
   * A search in earshot's query language (src/analyze/query), the same answers on every backend:
   * SQLite narrows with FTS5 and lets the matcher decide (analyze/query/fts.ts, planMentionSearch);
   * PostgreSQL translates exactly (analyze/query/tsquery.ts). A bad query throws QuerySyntaxError.
   */
  search?: string;
  includeDuplicates?: boolean;
  limit?: number;
  /** 'asc' replays in time order (published_at, id); 'desc' lists newest first. */
  order?: 'asc' | 'desc';
}

export interface MentionRepo {
  /** The source-side ids of `sourceIds` already stored for the brand and source type. */
  knownSourceIds(brand: string, source: SourceType | string, sourceIds: readonly string[]): Promise<Set<string>>;
  /** The earliest stored mention of the brand with this canonical URL, else this fingerprint. */
  findOriginal(brand: string, canonicalUrl: string | null, fingerprint: string | null): Promise<number | null>;
  /** Inserts as given; null when (brand, source, source_id) exists or it predates the retention horizon. */
  insert(mention: NewMention): Promise<number | null>;
  /**
   * Stores a batch in order, in one transaction: each candidate whose canonical URL or
   * fingerprint matches an earlier mention of the brand (stored before, or earlier in this
   * batch) is stored as its duplicate (alert state 'duplicate'). One result per candidate.
   */
  ingest(candidates: readonly MentionCandidate[]): Promise<IngestedMention[]>;
  /** The mentions with these ids, in the order given; unknown ids are left out. */
  get(ids: readonly number[]): Promise<Mention[]>;
  /** Ids of mentions whose rules have not run yet (alert state 'new'), oldest first. */
  newIds(limit: number): Promise<number[]>;
  setAlertState(ids: readonly number[], state: AlertState): Promise<void>;
  list(filter?: MentionFilter): Promise<Mention[]>;
  /** How many mentions `list(filter)` would return, ignoring limit. */
  count(filter?: MentionFilter): Promise<number>;
  /**
   * Every mention matching the filter in (published_at, id) order, read in pages so memory
   * stays flat however large the history (export). Other calls may run between pages.
   */
  stream(filter?: Omit<MentionFilter, 'order' | 'limit' | 'search'>, pageSize?: number): AsyncIterable<Mention>;
  /** No earlier (lower id), non-duplicate mention of the brand by this author (case-insensitive). */
  isFirstFromAuthor(brand: string, author: string, beforeId: number): Promise<boolean>;
  /** The latest fetched_at of the brand's mentions from these sources, or null. */
  lastFetchedAt(brand: string, sourceKeys: readonly string[]): Promise<string | null>;
  /** Mentions stored per source key since `since` (fetched_at). */
  countStoredSince(since: string): Promise<Map<string, number>>;
  /** Whether any mention of the brand is stored. */
  hasBrand(brand: string): Promise<boolean>;
  /** Brands with stored mentions (configured or not any more), sorted. */
  brands(): Promise<string[]>;
  /**
   * After an import: keeps the earliest publication time of the brand's imported mentions
   * (source key `<brand>/import`, store/history.ts), so spike history counts from it.
   */
  noteImportedHistory(brand: string): Promise<void>;
  /** The earliest imported mention of the brand (ISO), or null. */
  importedHistoryFrom(brand: string): Promise<string | null>;
}

// ---------------------------------------------------------------- outbox (alerts and deliveries)

export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'skipped' | 'held' | 'suppressed';

export interface NewAlert {
  rule: string;
  ruleHash: string;
  ruleType: string;
  groupKey: string;
  brand: string;
  summary: string;
  details: string[];
  mentionIds: number[];
  /** Aggregate alerts: mentions shown as examples, not claimed (they may appear in later alerts). */
  sampleMentionIds?: number[];
  totalMentions: number;
  createdAt: string;
  deliveries: Array<{
    notifier: string;
    target: string;
    /** pending: send now; held: send at `notBefore`; suppressed: never sent (shown in the digest); skipped: not configured. */
    status?: 'pending' | 'held' | 'suppressed' | 'skipped';
    error?: string;
    holdReason?: string;
    notBefore?: string;
  }>;
}

export interface AlertRow {
  id: number;
  rule: string;
  ruleHash: string;
  ruleType: string;
  groupKey: string;
  brand: string;
  summary: string;
  details: string[];
  totalMentions: number;
  createdAt: string;
  /** Mentions claimed by this alert (mention rules), ascending. */
  mentionIds: number[];
  /** Example mentions of an aggregate alert. */
  sampleMentionIds: number[];
}

export interface DeliveryRow {
  id: number;
  alertId: number;
  notifier: string;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  lastError: string | null;
  sentAt: string | null;
  ref: string | null;
  holdReason: string | null;
  /** The kind of the consecutive failures so far, and how many (the back-off grows with them). */
  retryKind: RetryKind | null;
  retryStreak: number;
}

/** rate_limited: the service said when to come back (Retry-After); unavailable: 5xx, network, timeouts. */
export type RetryKind = 'rate_limited' | 'unavailable';

export interface RetryMark {
  at: string;
  nextAt: string;
  error: string;
  kind: RetryKind;
  /** Consecutive failures of this kind, this one included. */
  streak: number;
}

/** A delivery with what the user needs to recognise it: its alert's rule, brand and summary. */
export interface DeliveryListing extends DeliveryRow {
  rule: string;
  brand: string;
  summary: string;
  alertCreatedAt: string;
  /** The notifier's settings fingerprint when it failed for good. */
  failedSettings: string | null;
}

export interface DeliveryFilter {
  statuses: readonly DeliveryStatus[];
  rule?: string;
  notifier?: string;
  /** Only the head of each destination's queue of pending deliveries (what is tried next). */
  headsOnly?: boolean;
  limit?: number;
}

export interface RequeueFilter {
  /** 'pending': try now instead of at the next back-off; 'failed': try again. */
  statuses: ReadonlyArray<'pending' | 'failed'>;
  rule?: string;
  notifier?: string;
}

export interface OutboxSummary {
  pending: number;
  failed: number;
  skipped: number;
  sent: number;
  /** Waiting for quiet hours to end. */
  held: number;
  /** Not sent: silenced, over budget, or quiet hours sending to the digest. */
  suppressed: number;
  oldestPendingAt: string | null;
  recentFailures: Array<{ id: number; notifier: string; target: string; error: string | null; at: string | null }>;
}

export interface OutboxRepo {
  /**
   * Writes an alert, its mention claims and one delivery per destination. Returns the alert id,
   * or null when every mention was already alerted for this rule (nothing new to say).
   */
  insertAlert(alert: NewAlert): Promise<number | null>;
  getAlert(id: number): Promise<AlertRow | null>;
  /** An alert's deliveries, by id. */
  deliveriesOf(alertId: number): Promise<DeliveryRow[]>;
  /** Held deliveries whose time has come become pending. Returns how many. */
  releaseHeld(now: string): Promise<number>;
  /** Alerts that counted against a destination's budget since `since` (pending, sent, held, failed). */
  countDeliveriesSince(notifier: string, target: string, since: string): Promise<number>;
  /** The ref (Slack ts) of the first delivery of this rule and group sent to the target since `since`. */
  threadRoot(rule: string, groupKey: string, notifier: string, target: string, since: string): Promise<string | null>;
  /** Per destination its oldest pending delivery, when that one is due at `now`; by id. */
  dueDeliveries(now: string): Promise<DeliveryRow[]>;
  /** The earliest next attempt of a pending or held delivery, or null. */
  nextDeliveryAt(): Promise<string | null>;
  markSent(id: number, at: string, ref: string | null): Promise<void>;
  markRetry(id: number, mark: RetryMark): Promise<void>;
  /** `settings`: the notifier's settings fingerprint (notifiers/settings.ts), so a later change can offer a retry. */
  markFailed(id: number, at: string, error: string, settings?: string | null): Promise<void>;
  /** Deliveries by status (and rule, notifier; or only queue heads), oldest first, with their alert's rule, brand and summary. */
  list(filter: DeliveryFilter): Promise<DeliveryListing[]>;
  /** Makes matching deliveries due at `now` with a fresh back-off (`earshot outbox retry`); returns how many. */
  requeue(filter: RequeueFilter, now: string): Promise<number>;
  /** Failed deliveries counted per notifier and the settings fingerprint they failed with (see outbox-report.ts offersFor). */
  failedSettings(): Promise<FailedSettings[]>;
  /** Rule names that have alerts, sorted. */
  rules(): Promise<string[]>;
  /** Counts of deliveries pending or held, and of those of alerts created since `since`, by status. */
  summary(since: string): Promise<OutboxSummary>;
}

// ---------------------------------------------------------------- rule state

export interface GroupState {
  lastAlertAt: string | null;
  lastAlertId: number | null;
  /** Consecutive alerts sent while the group kept firing (throttle growth). */
  streak: number;
  /** An aggregate condition (volume, spike, silence) is currently firing. */
  active: boolean;
}

export interface PendingGroup {
  rule: string;
  ruleHash: string;
  groupKey: string;
  firstAddedAt: string;
  mentionIds: number[];
}

export interface RuleHit {
  rule: string;
  mentionId: number;
  groupKey: string;
  at: string;
}

/** A mention waiting for its group's alert. */
export interface PendingEntry {
  rule: string;
  hash: string;
  groupKey: string;
  mentionId: number;
  at: string;
}

export interface RuleStateRepo {
  /** A group's state (all defaults when it has none). */
  getGroup(rule: string, hash: string, groupKey: string): Promise<GroupState>;
  setGroupAlerted(rule: string, hash: string, groupKey: string, at: string, alertId: number, streak?: number): Promise<void>;
  setGroupActive(rule: string, hash: string, groupKey: string, active: boolean): Promise<void>;
  /** Groups of a rule definition whose aggregate condition is firing. */
  activeGroups(rule: string, hash: string): Promise<string[]>;
  /** Records hits of counting rules; an existing (rule, mention) is kept. */
  addHits(hits: readonly RuleHit[]): Promise<void>;
  clearHits(rule: string): Promise<void>;
  /** Hits per group in (from, to]. */
  countHits(rule: string, from: string, to: string): Promise<Map<string, number>>;
  /** The most urgent, then widest-reaching, then newest mentions of a group's hits in (from, to]. */
  sampleHits(rule: string, groupKey: string, from: string, to: string, limit: number): Promise<number[]>;
  /** Mentions waiting for their group's alert; an existing (rule, mention) is kept. */
  addPending(entries: readonly PendingEntry[]): Promise<void>;
  /** Waiting groups, ordered by rule and group key, mention ids ascending. */
  pendingGroups(): Promise<PendingGroup[]>;
  clearPending(rule: string, mentionIds: readonly number[]): Promise<void>;
  /**
   * Waiting mentions of an edited rule move to its new definition; those of a removed rule are
   * dropped. Returns how many were dropped, per removed rule.
   */
  reconcilePending(live: ReadonlyArray<{ rule: string; hash: string }>): Promise<Map<string, number>>;
}

// ---------------------------------------------------------------- sources: poll state and log

/** What a source keeps between polls (mirrors sources/types.ts PollCursor). */
export interface StoredCursor {
  etag: string | null;
  lastModified: string | null;
  cursor: string | null;
}

export interface SourceState extends StoredCursor {
  sourceKey: string;
  brand: string;
  type: string;
  settingsHash: string | null;
  firstSuccessAt: string | null;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  lastErrorKind: string | null;
  consecutiveFailures: number;
  nextPollAt: string | null;
  pausedReason: string | null;
  rateRemaining: number | null;
  rateLimit: number | null;
  rateResetAt: string | null;
  lastGap: string | null;
  lastGapAt: string | null;
  /** When earshot first saw this source configured. */
  createdAt: string | null;
}

export interface SuccessUpdate {
  at: string;
  /** Fields given (even as null) replace the stored ones; absent fields are kept. */
  cursor: Partial<StoredCursor>;
  rateLimit?: { remaining: number | null; limit: number | null; resetAt: string | null } | undefined;
  nextPollAt: string;
  gap?: string | null;
}

export interface FailureUpdate {
  at: string;
  error: string;
  kind: string;
  nextPollAt: string;
  pausedReason?: string | null;
}

export interface PollLogEntry {
  sourceKey: string;
  startedAt: string;
  durationMs: number;
  outcome: 'ok' | 'not_modified' | 'error';
  fetched: number;
  stored: number;
  error?: string | null;
  errorKind?: string | null;
  gap?: string | null;
}

export interface PollSummary {
  sourceKey: string;
  polls: number;
  errors: number;
  fetched: number;
  stored: number;
  lastError: string | null;
  gaps: number;
}

export interface SourceStateRepo {
  get(sourceKey: string): Promise<SourceState | null>;
  /** Every state row, by source key. */
  list(): Promise<SourceState[]>;
  /**
   * Makes sure a state row exists and matches the source's settings; changed settings (or
   * type) reset the cursor and first-success mark. `now` stamps a new row's createdAt.
   */
  ensure(sourceKey: string, brand: string, type: string, settingsHash: string, now?: string): Promise<SourceState>;
  recordSuccess(sourceKey: string, update: SuccessUpdate): Promise<void>;
  recordFailure(sourceKey: string, update: FailureUpdate): Promise<void>;
  logPoll(entry: PollLogEntry): Promise<void>;
  /** Poll outcomes per source since `since`, by source key. */
  pollSummarySince(since: string): Promise<PollSummary[]>;
}

// ---------------------------------------------------------------- silences

export interface Silence {
  id: number;
  /** A rule name, or '*' for every rule. */
  rule: string;
  /** null: every brand. */
  brand: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  createdAt: string;
  removedAt: string | null;
}

export interface NewSilence {
  rule: string;
  brand?: string | null;
  startsAt: string;
  endsAt: string;
  reason: string;
  /** Default: startsAt. */
  createdAt?: string;
}

export interface ActiveSilence {
  id: number;
  reason: string;
  endsAt: string;
}

export interface SilenceRepo {
  /** Validates (RangeError with a message for the user) and stores; times are normalised to ISO. */
  add(silence: NewSilence): Promise<Silence>;
  get(id: number): Promise<Silence | null>;
  /** Active and pending silences soonest ending first; with `all`, every silence newest first. */
  list(options: { at: string; all?: boolean }): Promise<Silence[]>;
  /** Ends a silence at `at`; returns it as it was before, or null when there is no such id. */
  remove(id: number, at: string): Promise<Silence | null>;
  /** The silence holding back `rule` for `brand` at `at` (the one ending last), or null. */
  active(rule: string, brand: string, at: string): Promise<ActiveSilence | null>;
}

// ---------------------------------------------------------------- digest runs

export type DigestRunStatus = 'pending' | 'sent' | 'skipped' | 'failed' | 'missed';

export interface DigestRun {
  digest: string;
  periodEnd: string;
  periodStart: string;
  status: DigestRunStatus;
  attempts: number;
  nextAttemptAt: string;
  claimedAt: string | null;
  lastError: string | null;
  sentAt: string | null;
  messageId: string | null;
  recipients: string[];
  createdAt: string;
}

export interface DigestRunRepo {
  get(digest: string, periodEnd: string): Promise<DigestRun | null>;
  /** By digest name, then period end. */
  list(digest?: string): Promise<DigestRun[]>;
  /**
   * Claims the period: creates its row when absent, and takes it when it is pending, due at
   * `now`, and not claimed since `staleBefore`. Returns the run, or null when it is not ours.
   */
  claim(digest: string, periodStart: string, periodEnd: string, now: string, staleBefore: string): Promise<DigestRun | null>;
  /** Records a missed period; false when the period already has a row. */
  recordMissed(digest: string, periodStart: string, periodEnd: string, now: string, reason: string): Promise<boolean>;
  markSent(digest: string, periodEnd: string, at: string, messageId: string | null, recipients: readonly string[]): Promise<void>;
  markSkipped(digest: string, periodEnd: string, at: string, reason: string): Promise<void>;
  /** A failed attempt: retried at `nextAt`, or given up for good (`final`). */
  markAttemptFailed(digest: string, periodEnd: string, error: string, nextAt: string, final: boolean): Promise<void>;
  /** Pending runs by next attempt time. */
  pending(): Promise<DigestRun[]>;
}

// ---------------------------------------------------------------- meta (small key/value state)

/**
 * Keys in use: config.last_reload_at, config.last_reload_error, daemon.heartbeat_at,
 * health.checked_at, retention.horizon, retention.last_run_at, retention.last_result,
 * rule_hits.<rule>, digest.first_seen.<name>, learn.seen.<brand>, learn.auto_at.<brand>.
 */
export interface MetaRepo {
  get(key: string): Promise<string | null>;
  /** null stores an empty value (get returns null). */
  set(key: string, value: string | null): Promise<void>;
}

// ---------------------------------------------------------------- retention

export interface RetentionRepo {
  /** From now on, a mention published before `horizon` is not stored; null forgets the horizon. */
  setHorizon(horizon: string | null): Promise<void>;
  /** Deletes up to `limit` alerts created before `horizon` with no pending or held delivery. */
  pruneAlerts(horizon: string, limit: number): Promise<number>;
  /**
   * Deletes up to `limit` mentions published before `horizon` that no pending or held delivery
   * shows (oldest first; their rule state goes with them; newer duplicates are unlinked).
   */
  pruneMentions(horizon: string, limit: number): Promise<number>;
  /** Deletes up to `limit` poll-log rows started before `before`. */
  prunePollLog(before: string, limit: number): Promise<number>;
  /** After a prune: give space back where the backend can (WAL checkpoint; with fullText, FTS optimize). */
  compact(options: { fullText: boolean }): Promise<void>;
}

// ---------------------------------------------------------------- reports (read-only aggregates)

export interface AlertSentRow {
  id: number;
  createdAt: string;
  rule: string;
  summary: string;
  totalMentions: number;
  /** "notifier target" of each sent delivery, by delivery id; alerts with none are left out. */
  destinations: string[];
}

export interface AlertedMentionRow {
  alertId: number;
  rule: string;
  alertCreatedAt: string;
  mentionFetchedAt: string;
}

export interface UndeliveredRow {
  status: DeliveryStatus;
  notifier: string;
  target: string;
  /** The hold reason, else the last error. */
  reason: string | null;
  count: number;
}

export interface SourceHealthRow {
  sourceKey: string;
  polls: number;
  /** Failed polls other than rate limits. */
  errors: number;
  rateLimited: number;
  gaps: number;
  lastError: string | null;
  lastGap: string | null;
}

/**
 * A brand's mentions published in [since, until), duplicates excluded: what a digest and a dashboard
 * count (the `period*` methods of ReportRepo). Each is answered in the database, from an index
 * where it can be (migration 011), never by reading every mention of the period into memory.
 *
 * "Needs a reply" (NEEDS_REPLY): negative sentiment, high or critical urgency, or an urgency reason
 * that starts with "complaint" or "question to @" (digest/build.ts needsReplyReasons says why).
 */
export interface PeriodVolumeRow {
  /** floor((published_at - since) / bucketMs); only buckets with mentions. */
  bucket: number;
  count: number;
  negative: number;
  neutral: number;
  positive: number;
  /** Mentions that need a reply. */
  needsReply: number;
}

export interface PeriodAuthorRow {
  source: string;
  /** The author as the earliest of their mentions in the period spells it (trimmed). */
  name: string;
  mentions: number;
  /** Their highest reach, or null when no mention gave one. */
  reach: number | null;
}

export interface PeriodVoices {
  /** Every author (per source, case-insensitive) of the period's mentions. */
  authors: PeriodAuthorRow[];
  /** The URL, source and reach of each mention without an author, oldest first (a feed's items: their site is the voice). */
  unsigned: Array<{ url: string; source: string; reach: number | null }>;
}

export interface ReportRepo {
  /** Alerts of the brand created in [since, until) that reached at least one destination, oldest first. */
  alertsSent(brand: string, since: string, until: string): Promise<AlertSentRow[]>;
  /** Each (alert, claimed mention) of the brand's alerts created in [since, until), by alert id. */
  alertedMentions(brand: string, since: string, until: string): Promise<AlertedMentionRow[]>;
  /** Mentions of the brand waiting (added before `before`) per rule, by rule. */
  waitingByRule(brand: string, before: string): Promise<Array<{ rule: string; count: number }>>;
  /** Deliveries not sent of the brand's alerts created in [since, until), grouped; by notifier, target. */
  undelivered(brand: string, since: string, until: string): Promise<UndeliveredRow[]>;
  /** Mentions of the brand published in [since, until) per alert state (backfill, duplicate, quiet only). */
  quietMentionStates(brand: string, since: string, until: string): Promise<Array<{ alertState: AlertState; count: number }>>;
  /**
   * Voices the brand already had in [since, until): authors as "source\u0000lower(trim(author))",
   * and the URLs of mentions without an author (the caller takes their hosts).
   */
  knownVoices(brand: string, since: string, until: string): Promise<{ authors: Set<string>; urls: string[] }>;
  /** Poll health of the brand's sources in [since, until) (only sources that polled). */
  sourceHealth(brand: string, since: string, until: string): Promise<SourceHealthRow[]>;
  /** Deliveries in a status per notifier (metrics). */
  deliveriesByNotifier(status: DeliveryStatus): Promise<Map<string, number>>;
  /** Creation time of the oldest alert with a pending delivery, or null. */
  oldestPendingAt(): Promise<string | null>;
  /** Stored mentions per brand. */
  mentionsByBrand(): Promise<Map<string, number>>;
  /** Whether any source had been polled, or any mention stored (imports too), before `at`. */
  activityBefore(at: string): Promise<boolean>;

  // A brand's mentions of a period (see PeriodVolumeRow): the digest's and the dashboard's figures.
  /** Counts per time bucket of `bucketMs`, by sentiment, with how many need a reply. */
  periodVolume(brand: string, since: string, until: string, bucketMs: number): Promise<PeriodVolumeRow[]>;
  /** Counts per source type, unordered. */
  periodSources(brand: string, since: string, until: string): Promise<Array<{ source: string; count: number }>>;
  /**
   * Authors (per source, case-insensitive, blank ones left out) with the most mentions, then the
   * highest reach: the first `limit`, and any tied with the last of them (the caller orders ties).
   */
  periodTopAuthors(brand: string, since: string, until: string, limit: number): Promise<PeriodAuthorRow[]>;
  /** The first `limit` that need a reply, by urgency score, then reach, then newest, then id. */
  periodNeedingReply(brand: string, since: string, until: string, limit: number): Promise<Mention[]>;
  /** The first `limit` with a reach above 0, by reach, then id. */
  periodTopReach(brand: string, since: string, until: string, limit: number): Promise<Mention[]>;
  /**
   * Title and text of about one mention in `every` (1: all of them), chosen by a hash of the id:
   * the same sample every time, spread over the period and its sources.
   */
  periodTextSample(brand: string, since: string, until: string, every: number): Promise<Array<{ title: string; text: string }>>;
  /** Who wrote the period's mentions: authors, and the URLs of author-less ones (digest "new voices"). */
  periodVoices(brand: string, since: string, until: string): Promise<PeriodVoices>;
}
