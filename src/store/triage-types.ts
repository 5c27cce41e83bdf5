/**
 * The triage store's contract: statuses with their history, assignees, tags, notes, sentiment
 * corrections, saved views and web sessions. src/store/sqlite/triage.ts implements it on SQLite; a
 * PostgreSQL store implements the same interface. Every method is async.
 *
 * Conventions: times are ISO 8601 UTC strings; ids are numbers; a mention's triage fields live
 * on the mention (status, status_at, snoozed_until, assignee) so the inbox filters and pages on
 * one table; history is append-only except `undone_by`, set when an event is undone.
 */
import type { Mention, Sentiment, SentimentLabel, UrgencyLevel } from '../core/types.js';

export const TRIAGE_STATUSES = ['open', 'handled', 'irrelevant', 'snoozed'] as const;
export type TriageStatus = (typeof TRIAGE_STATUSES)[number];

export const ACTOR_KINDS = ['ui', 'api', 'slack', 'system'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];

/** Who acted: a signed-in person (ui), an API token holder (api), a Slack user, or earshot itself. */
export interface Actor {
  kind: ActorKind;
  /** Stable id: the UI user name, 'api', a Slack user id, 'earshot'. */
  id: string;
  /** Shown in history: 'maria', 'U024BE7LH (@maria)', 'earshot'. */
  name: string;
}

/** The fields of a mention that triage changes. */
export interface TriageState {
  status: TriageStatus;
  statusAt: string | null;
  snoozedUntil: string | null;
  assignee: string | null;
  tags: string[];
  sentiment: Sentiment;
}

export interface TriagedMention extends Mention {
  status: TriageStatus;
  statusAt: string | null;
  snoozedUntil: string | null;
  assignee: string | null;
  tags: string[];
  /** The analyzer's label when a person corrected it, else null. */
  sentimentCorrectedFrom: SentimentLabel | null;
}

/** The part of TriageState an event changed, as it was and as it became. */
export interface StatePatch {
  status?: TriageStatus;
  statusAt?: string | null;
  snoozedUntil?: string | null;
  assignee?: string | null;
  sentiment?: Sentiment;
  /** Tags added (after) or, in `before`, tags that were absent; see TriageEvent. */
  tagsAdded?: string[];
  tagsRemoved?: string[];
}

export interface TriageEvent {
  id: number;
  mentionId: number;
  at: string;
  actor: Actor;
  action: string;
  value: string | null;
  before: StatePatch | null;
  after: StatePatch | null;
  batch: string | null;
  /** For an undo event: the event it undid. */
  undoes: number | null;
  /** Set when this event was undone: the undo event's id. */
  undoneBy: number | null;
}

/** What an action decided to change: a new state (fields given are set) and the event to record. */
export interface Mutation {
  set: StatePatch;
  action: string;
  value: string | null;
  before: StatePatch | null;
  after: StatePatch | null;
  /** This mutation undoes that event (marked undone in the same transaction). */
  undoes?: number;
}

export interface MutationMeta {
  at: string;
  actor: Actor;
  batch?: string | null;
}

export interface MutationResult {
  mention: TriagedMention;
  /** null when `decide` returned null (nothing to change: a repeat). */
  event: TriageEvent | null;
}

export interface InboxFilter {
  brand?: string[];
  source?: string[];
  status?: TriageStatus[];
  sentiment?: SentimentLabel[];
  urgency?: UrgencyLevel[];
  language?: string[];
  /** Raised analysis flags (score ≥ 0.5): all of these. */
  flags?: Array<'offensive' | 'hate' | 'irony'>;
  /** At least this reach (followers, karma, points). */
  reachAtLeast?: number;
  assignee?: string;
  tag?: string;
  story?: string;
  /** Published at or after / before (ISO). */
  since?: string;
  until?: string;
  /** A search in earshot's query language (src/analyze/query): the same meaning as a brand query. */
  q?: string;
  includeDuplicates?: boolean;
}

export interface InboxPage {
  mentions: TriagedMention[];
  /** Opaque cursor for the next (older) page, or null at the end. */
  next: string | null;
}

export interface AlertForMention {
  alertId: number;
  rule: string;
  createdAt: string;
  summary: string;
  deliveries: Array<{
    notifier: string;
    target: string;
    status: string;
    attempts: number;
    sentAt: string | null;
    lastError: string | null;
    holdReason: string | null;
    ref: string | null;
  }>;
}

export interface SavedView {
  id: number;
  name: string;
  query: string;
  createdBy: string;
  createdAt: string;
}

export interface UiSession {
  id: string;
  userName: string;
  via: 'password' | 'proxy';
  csrf: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

export interface SentimentCorrection {
  mentionId: number;
  brand: string;
  source: string;
  title: string;
  text: string;
  language: string | null;
  analyzerLabel: SentimentLabel;
  analyzerScore: number;
  label: SentimentLabel;
  actorName: string;
  at: string;
}

export interface ResponseStats {
  /** Mentions first handled in the period, and the time from fetch to that handling. */
  handled: number;
  medianToHandledMs: number | null;
  p90ToHandledMs: number | null;
  irrelevant: number;
  /** Open mentions (not duplicates) by age at `now`. */
  backlog: Array<{ label: string; count: number }>;
}

export interface TriageStore {
  getMention(id: number): Promise<TriagedMention | null>;
  getMentions(ids: readonly number[]): Promise<TriagedMention[]>;
  /**
   * Runs `decide` on the mention's current state and applies what it returns, with its event,
   * in one transaction. Returns null when the mention does not exist.
   */
  mutate(mentionId: number, decide: (state: TriageState) => Mutation | null, meta: MutationMeta): Promise<MutationResult | null>;
  listInbox(filter: InboxFilter, page: { cursor?: string | null; limit: number }): Promise<InboxPage>;
  /** Mentions matching `filter` stored after mention id `afterId` (the "N new" banner). */
  countNewer(filter: InboxFilter, afterId: number): Promise<number>;
  /** Those mentions, newest first (at most `limit`). */
  listNewer(filter: InboxFilter, afterId: number, limit: number): Promise<TriagedMention[]>;
  latestMentionId(): Promise<number>;
  /** Mention ids of the same story, or reposts (duplicates) of it, oldest first; excluding itself. */
  related(mention: Pick<Mention, 'id' | 'storyKey' | 'duplicateOf'>, limit: number): Promise<Mention[]>;

  listEvents(mentionId: number): Promise<TriageEvent[]>;
  getEvent(id: number): Promise<TriageEvent | null>;
  eventsInBatch(batch: string): Promise<TriageEvent[]>;
  /** The actor's most recent event that can still be undone (not undone, not an undo), optionally on one mention. */
  lastUndoable(actorId: string, mentionId?: number): Promise<TriageEvent | null>;

  /** Snoozed mentions due to wake at `now`: their time has come, or their story got a newer mention. */
  dueSnoozed(now: string, limit: number): Promise<number[]>;

  alertsForMention(mentionId: number): Promise<AlertForMention[]>;
  listCorrections(options?: { since?: string; limit?: number }): Promise<SentimentCorrection[]>;
  /** Distinct tags and assignees in use (filter menus), most used first. */
  tagsInUse(limit: number): Promise<string[]>;
  assigneesInUse(limit: number): Promise<string[]>;
  responseStats(brand: string, since: string, until: string, now: string): Promise<ResponseStats>;

  listViews(): Promise<SavedView[]>;
  saveView(name: string, query: string, createdBy: string, at: string): Promise<SavedView>;
  deleteView(id: number): Promise<boolean>;

  createSession(session: UiSession): Promise<void>;
  getSession(id: string, now: string): Promise<UiSession | null>;
  touchSession(id: string, lastSeenAt: string, expiresAt: string): Promise<void>;
  deleteSession(id: string): Promise<void>;
  pruneSessions(now: string): Promise<number>;
  getKeyboardPreference(userName: string): Promise<boolean>;
  setKeyboardPreference(userName: string, on: boolean): Promise<void>;
}
