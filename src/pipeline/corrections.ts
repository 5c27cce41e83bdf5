/**
 * What triage does to alerts that have not gone out yet. A mention waits in a rule's group while
 * the group's `group_wait` or throttle runs; when, meanwhile, someone
 *   - corrects its sentiment, the rule is asked again with the corrected label, and a rule that no
 *     longer matches lets the mention go (a praise misread as a complaint never reaches the
 *     complaints channel);
 *   - marks it not relevant, it leaves every group it waits in (nobody needs an alert about noise).
 * A correction never creates an alert for a mention the rules already passed over: rules that
 * have not seen the mention yet (it arrived a moment ago) simply read the corrected label.
 */
import { prepareText } from '../analyze/query/index.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../core/log.js';
import { matchesRule } from '../rules/semantics.js';
import type { TriageStore } from '../store/triage-types.js';
import type { Store } from '../store/types.js';
import { onTriageChange } from '../triage/events.js';

/** Rules whose waiting group the mention left (re-checked after a correction, or marked not relevant). */
export async function recheckWaiting(store: Store, config: Config, mentionId: number, reason: 'sentiment' | 'irrelevant'): Promise<string[]> {
  const waitingFor = (await store.rules.pendingGroups()).filter((g) => g.mentionIds.includes(mentionId)).map((g) => g.rule);
  if (waitingFor.length === 0) return [];
  const [mention] = await store.mentions.get([mentionId]);
  if (!mention) return [];
  const dropped: string[] = [];
  const prepared = prepareText(`${mention.title}\n${mention.text}`);
  for (const name of new Set(waitingFor)) {
    const rule = config.rules.find((r) => r.name === name);
    if (reason === 'sentiment' && rule && matchesRule(rule.match, mention, prepared)) continue;
    await store.rules.clearPending(name, [mentionId]);
    dropped.push(name);
  }
  return dropped;
}

/** Keeps waiting alerts in step with triage (see the module comment); returns the unsubscribe function. */
export function watchTriageForAlerts(triage: TriageStore, store: Store, config: () => Config, log: Logger): () => void {
  return onTriageChange(triage, async ({ event, mention }) => {
    const sentiment = event.action === 'sentiment' || (event.action === 'undo' && event.value === 'sentiment');
    const irrelevant = event.action === 'irrelevant';
    if (!sentiment && !irrelevant) return;
    const dropped = await recheckWaiting(store, config(), mention.id, irrelevant ? 'irrelevant' : 'sentiment');
    if (dropped.length) log.info({ mention: mention.id, rules: dropped, why: event.action }, 'mention left the alerts waiting for it');
  });
}
