/**
 * Triage actions: the one place that decides what "handle", "snooze", a sentiment correction...
 * do to a mention. The web UI, the JSON API, Slack buttons and the CLI all come through
 * `applyAction`, so a click in Slack changes a mention exactly as the inbox does.
 *
 * Semantics:
 *   - Statuses: open (new mentions), handled, irrelevant, snoozed (until a time; then open
 *     again, or sooner when the same story gets a new mention: see snooze.ts).
 *   - Every change is recorded with its actor and time, and what it changed (before/after), so it
 *     can be undone. Undo restores the "before" only if the mention still looks as the action
 *     left it; if someone changed it since, undo refuses and says who did what.
 *   - Repeats are harmless: an action that would change nothing (handling a handled mention, a
 *     double click, a retried Slack payload) records nothing and returns the mention as it is.
 *   - A sentiment correction replaces the label on the mention itself, so the UI, the digest and
 *     rules that have not fired yet all see it; the analyzer's label is kept, with the text, as a
 *     labelled example (sentiment_corrections).
 */
import { randomUUID } from 'node:crypto';
import { formatDuration, parseDuration } from '../core/duration.js';
import type { Sentiment, SentimentLabel } from '../core/types.js';
import type { Actor, Mutation, StatePatch, TriagedMention, TriageEvent, TriageState, TriageStore } from '../store/triage-types.js';
import { emitTriageChange } from './events.js';

export const TRIAGE_ACTIONS = ['handle', 'irrelevant', 'reopen', 'snooze', 'assign', 'tag', 'untag', 'note', 'sentiment', 'undo'] as const;
export type TriageAction = (typeof TRIAGE_ACTIONS)[number];

export const CORRECTABLE_LABELS = ['negative', 'neutral', 'positive'] as const satisfies readonly SentimentLabel[];

/** The score a corrected label gets: rules with score thresholds (below: -0.5) treat it as a clear case. */
const CORRECTED_SCORE: Record<(typeof CORRECTABLE_LABELS)[number], number> = { negative: -0.6, neutral: 0, positive: 0.6 };

export const MAX_NOTE = 5_000;
export const MAX_TAG = 50;
export const MAX_SNOOZE_MS = 365 * 86_400_000;

export type TriageErrorCode = 'not_found' | 'invalid' | 'conflict';

/** A problem the caller can fix or should show: 404 (not_found), 400 (invalid) or 409 (conflict). */
export class TriageError extends Error {
  constructor(
    readonly code: TriageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TriageError';
  }
}

export interface ActionInput {
  mentionId: number;
  action: TriageAction | string;
  /** snooze: a duration (4h, 2d) or an ISO time; assign: a name ('' unassigns); tag/untag: the tag; note: the text; sentiment: the label; undo: an event id (default: the actor's last action on this mention). */
  value?: string | null;
  actor: Actor;
  /** Events of one bulk action share a batch and are undone together. */
  batch?: string;
}

export interface ActionResult {
  mention: TriagedMention;
  /** The recorded event; null when nothing changed (a repeat). */
  event: TriageEvent | null;
  changed: boolean;
}

export interface ActionOptions {
  now?: () => Date;
  /** Where listener errors go (default: ignored). */
  onListenerError?: (err: unknown) => void;
}

export function isTriageAction(action: string): action is TriageAction {
  return (TRIAGE_ACTIONS as readonly string[]).includes(action);
}

/** Tags are short, trimmed, lower-case, single-spaced; commas are separators elsewhere, so not allowed. */
export function normalizeTag(raw: string): string {
  const tag = raw.trim().replace(/\s+/g, ' ').toLowerCase();
  if (tag === '') throw new TriageError('invalid', 'tag: empty; give the tag as value, e.g. "refund"');
  if (tag.length > MAX_TAG) throw new TriageError('invalid', `tag "${tag.slice(0, 20)}…": longer than ${MAX_TAG} characters`);
  if (/[,\u0000-\u001f]/.test(tag)) throw new TriageError('invalid', `tag "${tag}": commas and control characters are not allowed`);
  return tag;
}

/** A snooze value: a duration from now (30m, 4h, 2d, 1w) or an ISO time; must be in the future and within a year. */
export function parseSnooze(value: string | null | undefined, now: Date): string {
  const text = (value ?? '').trim();
  if (text === '') throw new TriageError('invalid', 'snooze: give a duration (4h, 1d, 1w) or a time (2026-12-01T09:00Z) as value');
  const ms = parseDuration(text);
  let until: number;
  if (ms !== null) until = now.getTime() + ms;
  else {
    until = Date.parse(text);
    if (Number.isNaN(until)) throw new TriageError('invalid', `snooze "${text}": expected a duration (4h, 1d, 1w) or a time (2026-12-01T09:00Z)`);
  }
  if (until <= now.getTime()) throw new TriageError('invalid', `snooze "${text}": that time has passed; snooze until a later time`);
  if (until - now.getTime() > MAX_SNOOZE_MS) throw new TriageError('invalid', `snooze "${text}": at most ${formatDuration(MAX_SNOOZE_MS)} ahead`);
  return new Date(until).toISOString();
}

function parseLabel(value: string | null | undefined): (typeof CORRECTABLE_LABELS)[number] {
  const label = (value ?? '').trim().toLowerCase();
  if (!(CORRECTABLE_LABELS as readonly string[]).includes(label)) {
    throw new TriageError('invalid', `sentiment "${value ?? ''}": expected negative, neutral or positive`);
  }
  return label as (typeof CORRECTABLE_LABELS)[number];
}

function statusChange(state: TriageState, status: TriageState['status'], at: string, action: string, value: string | null, snoozedUntil: string | null = null): Mutation | null {
  if (state.status === status && state.snoozedUntil === snoozedUntil) return null;
  return {
    set: { status, statusAt: at, snoozedUntil },
    action,
    value,
    before: { status: state.status, statusAt: state.statusAt, snoozedUntil: state.snoozedUntil },
    after: { status, statusAt: at, snoozedUntil },
  };
}

/** Decides what an action does to a mention's state (null: nothing to change). Pure: no store, no clock. */
export function decideAction(action: Exclude<TriageAction, 'undo'>, value: string | null, state: TriageState, at: string, actor: Actor, now: Date): Mutation | null {
  switch (action) {
    case 'handle':
      return statusChange(state, 'handled', at, action, null);
    case 'irrelevant':
      return statusChange(state, 'irrelevant', at, action, null);
    case 'reopen':
      return statusChange(state, 'open', at, action, null);
    case 'snooze': {
      const until = parseSnooze(value, now);
      return statusChange(state, 'snoozed', at, action, until, until);
    }
    case 'assign': {
      const assignee = (value ?? '').trim() || null;
      if (assignee && assignee.length > 100) throw new TriageError('invalid', 'assign: a name of at most 100 characters');
      if (state.assignee === assignee) return null;
      return { set: { assignee }, action, value: assignee, before: { assignee: state.assignee }, after: { assignee } };
    }
    case 'tag': {
      const tag = normalizeTag(value ?? '');
      if (state.tags.includes(tag)) return null;
      return { set: { tagsAdded: [tag] }, action, value: tag, before: null, after: { tagsAdded: [tag] } };
    }
    case 'untag': {
      const tag = normalizeTag(value ?? '');
      if (!state.tags.includes(tag)) return null;
      return { set: { tagsRemoved: [tag] }, action, value: tag, before: null, after: { tagsRemoved: [tag] } };
    }
    case 'note': {
      const text = (value ?? '').trim();
      if (text === '') throw new TriageError('invalid', 'note: empty; write the note as value');
      if (text.length > MAX_NOTE) throw new TriageError('invalid', `note: longer than ${MAX_NOTE} characters`);
      return { set: {}, action, value: text, before: null, after: null };
    }
    case 'sentiment': {
      const label = parseLabel(value);
      if (state.sentiment.label === label) return null;
      const sentiment: Sentiment = { label, score: CORRECTED_SCORE[label], reasons: [`corrected by ${actor.name}`] };
      return { set: { sentiment }, action, value: label, before: { sentiment: state.sentiment }, after: { sentiment } };
    }
  }
}

function sameSentiment(a: Sentiment | undefined, b: Sentiment): boolean {
  return a !== undefined && a.label === b.label && a.score === b.score;
}

/** What in `state` differs from what `event` left behind ([] when undo can restore its before). */
function driftSince(event: TriageEvent, state: TriageState): string[] {
  const after = event.after ?? {};
  const drift: string[] = [];
  if (after.status !== undefined && (state.status !== after.status || state.snoozedUntil !== (after.snoozedUntil ?? null))) drift.push(`status is now ${state.status}`);
  if (after.assignee !== undefined && state.assignee !== after.assignee) drift.push(`assignee is now ${state.assignee ?? 'nobody'}`);
  if (after.sentiment && !sameSentiment(after.sentiment, state.sentiment)) drift.push(`sentiment is now ${state.sentiment.label}`);
  for (const tag of after.tagsAdded ?? []) if (!state.tags.includes(tag)) drift.push(`tag ${tag} was removed`);
  for (const tag of after.tagsRemoved ?? []) if (state.tags.includes(tag)) drift.push(`tag ${tag} was added again`);
  return drift;
}

/** The mutation that undoes `event` on `state`; throws a conflict when the mention changed since. */
export function decideUndo(event: TriageEvent, state: TriageState): Mutation {
  const drift = driftSince(event, state);
  if (drift.length) {
    throw new TriageError('conflict', `cannot undo "${event.action}" by ${event.actor.name}: the mention changed since (${drift.join(', ')})`);
  }
  const before = event.before ?? {};
  const after = event.after ?? {};
  const set: StatePatch = {};
  if (after.status !== undefined) {
    set.status = before.status ?? 'open';
    set.statusAt = before.statusAt ?? null;
    set.snoozedUntil = before.snoozedUntil ?? null;
  }
  if (after.assignee !== undefined) set.assignee = before.assignee ?? null;
  if (after.sentiment && before.sentiment) set.sentiment = before.sentiment;
  if (after.tagsAdded) set.tagsRemoved = after.tagsAdded;
  if (after.tagsRemoved) set.tagsAdded = after.tagsRemoved;
  return { set, action: 'undo', value: event.action, before: event.after, after: event.before, undoes: event.id };
}

function parseEventId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new TriageError('invalid', `undo "${value}": expected the id of an event in the mention's history`);
  return id;
}

/**
 * Applies one action to one mention, records it, tells listeners. Idempotent for repeats.
 * Throws TriageError: not_found (no such mention), invalid (bad action or value), conflict
 * (undo of something changed since).
 */
export async function applyAction(store: TriageStore, input: ActionInput, options: ActionOptions = {}): Promise<ActionResult> {
  const now = (options.now ?? (() => new Date()))();
  const at = now.toISOString();
  const action = input.action.trim().toLowerCase();
  if (!isTriageAction(action)) {
    throw new TriageError('invalid', `action "${input.action}": expected one of ${TRIAGE_ACTIONS.join(', ')}`);
  }
  const value = input.value ?? null;
  let decide: (state: TriageState) => Mutation | null;
  if (action === 'undo') {
    const event = value ? await store.getEvent(parseEventId(value)) : await store.lastUndoable(input.actor.id, input.mentionId);
    if (!event || event.mentionId !== input.mentionId) {
      if (!(await store.getMention(input.mentionId))) throw new TriageError('not_found', `mention ${input.mentionId} does not exist`);
      if (value) throw new TriageError('invalid', `undo ${value}: mention ${input.mentionId} has no such event`);
      return { mention: (await store.getMention(input.mentionId))!, event: null, changed: false };
    }
    if (event.undoneBy !== null || event.undoes !== null) return { mention: (await store.getMention(input.mentionId))!, event: null, changed: false };
    decide = (state) => decideUndo(event, state);
  } else {
    // Validate before touching the store, so a bad value is reported even for a missing mention.
    if (action === 'snooze') parseSnooze(value, now);
    if (action === 'sentiment') parseLabel(value);
    decide = (state) => decideAction(action, value, state, at, input.actor, now);
  }
  const result = await store.mutate(input.mentionId, decide, { at, actor: input.actor, batch: input.batch ?? null });
  if (!result) throw new TriageError('not_found', `mention ${input.mentionId} does not exist`);
  if (result.event) emitTriageChange(store, { mention: result.mention, event: result.event, actor: input.actor }, options.onListenerError ?? (() => undefined));
  return { mention: result.mention, event: result.event, changed: result.event !== null };
}

export interface BulkResult {
  batch: string;
  results: ActionResult[];
  /** Mentions the action could not be applied to, with why. */
  failed: Array<{ mentionId: number; error: string }>;
}

/** One action on many mentions, as one batch (undone together). Mentions that fail are reported, the rest proceed. */
export async function applyBulk(store: TriageStore, ids: readonly number[], input: Omit<ActionInput, 'mentionId' | 'batch'>, options: ActionOptions = {}): Promise<BulkResult> {
  if (input.action === 'undo') throw new TriageError('invalid', 'undo is not a bulk action: undo the batch with undoLast');
  const batch = randomUUID();
  const results: ActionResult[] = [];
  const failed: BulkResult['failed'] = [];
  for (const mentionId of new Set(ids)) {
    try {
      results.push(await applyAction(store, { ...input, mentionId, batch }, options));
    } catch (err) {
      if (!(err instanceof TriageError)) throw err;
      // A bad value fails the same way for every mention: say it once.
      if (err.code === 'invalid') throw err;
      failed.push({ mentionId, error: err.message });
    }
  }
  return { batch, results, failed };
}

export interface UndoResult {
  /** The action undone ('handle', ...), or null when there was nothing to undo. */
  undone: string | null;
  results: ActionResult[];
  failed: Array<{ mentionId: number; error: string }>;
}

/** Undoes the actor's most recent action (a whole bulk action at once). */
export async function undoLast(store: TriageStore, actor: Actor, options: ActionOptions = {}): Promise<UndoResult> {
  const last = await store.lastUndoable(actor.id);
  if (!last) return { undone: null, results: [], failed: [] };
  const events = last.batch ? (await store.eventsInBatch(last.batch)).filter((e) => e.undoneBy === null && e.undoes === null) : [last];
  const batch = last.batch ? randomUUID() : undefined;
  const results: ActionResult[] = [];
  const failed: UndoResult['failed'] = [];
  for (const event of events) {
    try {
      results.push(await applyAction(store, { mentionId: event.mentionId, action: 'undo', value: String(event.id), actor, ...(batch ? { batch } : {}) }, options));
    } catch (err) {
      if (!(err instanceof TriageError)) throw err;
      failed.push({ mentionId: event.mentionId, error: err.message });
    }
  }
  return { undone: last.action, results, failed };
}
