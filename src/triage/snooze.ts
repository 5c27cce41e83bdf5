/**
 * Snoozed mentions come back: a snoozed mention returns to open when its time comes, or sooner
 * when its story (the same linked URL, across sources) gets a new mention, since then the
 * conversation has moved on. The wake-up is an event like any other, by earshot itself, so the
 * history says why the mention is open again.
 *
 * `wakeSnoozed` is cheap when nothing is due (a partial index holds only snoozed mentions): the
 * daemon runs it on a timer and after new mentions arrive, and the inbox before it lists.
 */
import type { Actor, Mutation, TriageState, TriageStore } from '../store/triage-types.js';
import { emitTriageChange } from './events.js';

export const EARSHOT_ACTOR: Actor = { kind: 'system', id: 'earshot', name: 'earshot' };

export function decideWake(state: TriageState, at: string): Mutation | null {
  if (state.status !== 'snoozed') return null;
  const reason = state.snoozedUntil !== null && state.snoozedUntil <= at ? 'snooze ended' : 'new mention in its story';
  return {
    set: { status: 'open', statusAt: at, snoozedUntil: null },
    action: 'wake',
    value: reason,
    before: { status: state.status, statusAt: state.statusAt, snoozedUntil: state.snoozedUntil },
    after: { status: 'open', statusAt: at, snoozedUntil: null },
  };
}

/** Reopens every snoozed mention that is due; returns their ids. */
export async function wakeSnoozed(store: TriageStore, now: Date, onListenerError: (err: unknown) => void = () => undefined): Promise<number[]> {
  const at = now.toISOString();
  const woken: number[] = [];
  for (;;) {
    const ids = await store.dueSnoozed(at, 200);
    if (ids.length === 0) return woken;
    for (const id of ids) {
      const result = await store.mutate(id, (state) => decideWake(state, at), { at, actor: EARSHOT_ACTOR });
      if (!result?.event) continue;
      woken.push(id);
      emitTriageChange(store, { mention: result.mention, event: result.event, actor: EARSHOT_ACTOR }, onListenerError);
    }
    if (ids.length < 200) return woken;
  }
}
