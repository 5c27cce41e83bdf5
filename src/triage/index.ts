/**
 * The triage domain: statuses, actions, undo, snooze wake-up, filters. Used by the web UI, the
 * JSON API, Slack buttons and the CLI (layer: beside config/rules; imports analyze, store, core).
 */
export { applyAction, applyBulk, undoLast, decideAction, decideUndo, normalizeTag, parseSnooze, isTriageAction, TriageError, TRIAGE_ACTIONS, CORRECTABLE_LABELS } from './actions.js';
export type { ActionInput, ActionResult, ActionOptions, BulkResult, UndoResult, TriageAction, TriageErrorCode } from './actions.js';
export { onTriageChange, emitTriageChange } from './events.js';
export type { TriageChange, TriageListener } from './events.js';
export { wakeSnoozed, EARSHOT_ACTOR } from './snooze.js';
export { parseFilter, filterQuery } from './filter.js';
export { triageStore } from '../store/sqlite/triage.js';
export type { Actor, TriagedMention, TriageEvent, TriageStatus, TriageStore, InboxFilter } from '../store/triage-types.js';
export { TRIAGE_STATUSES } from '../store/triage-types.js';
