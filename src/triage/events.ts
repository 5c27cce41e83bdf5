/**
 * Triage changes as events, so that what one surface does shows on the others: an action in the
 * web UI updates the Slack message, a Slack click updates the open inbox. Listeners subscribe
 * per store (one per database), are called after the change is committed, in order, and a
 * listener that throws is logged by the caller's `onError`, never undoing the change.
 */
import type { Actor, TriagedMention, TriageEvent, TriageStore } from '../store/triage-types.js';

export interface TriageChange {
  mention: TriagedMention;
  event: TriageEvent;
  actor: Actor;
}

export type TriageListener = (change: TriageChange) => void | Promise<void>;

const listeners = new WeakMap<TriageStore, Set<TriageListener>>();

/** Calls `listener` after every committed change made through this store; returns the unsubscribe function. */
export function onTriageChange(store: TriageStore, listener: TriageListener): () => void {
  let set = listeners.get(store);
  if (!set) {
    set = new Set();
    listeners.set(store, set);
  }
  set.add(listener);
  return () => set.delete(listener);
}

/** Tells every listener of `store`; errors (thrown or rejected) go to `onError`. */
export function emitTriageChange(store: TriageStore, change: TriageChange, onError: (err: unknown) => void): void {
  for (const listener of listeners.get(store) ?? []) {
    try {
      const result = listener(change);
      if (result instanceof Promise) result.catch(onError);
    } catch (err) {
      onError(err);
    }
  }
}
