/**
 * What a rule means, as pure functions of the engine (engine.ts), which the daemon and the
 * replay (`earshot rules test`, replay.ts) both run.
 *
 * Matching: every field given under `match` must hold (AND); a list means any of its values.
 *   brand, source, author, language: any of the listed values;
 *   sentiment: a label (or list), or { below: x } / { above: x } on the score in [-1, 1];
 *   urgency: { atLeast: level } (a bare level means atLeast);
 *   reach: { atLeast: N } (followers, karma or points);
 *   text: a query in the brand query language over title and text;
 *   flags: a flag name or list (offensive, hate, irony), raised at 0.5, or thresholds per flag
 *          ({ offensive: { atLeast: 0.8 } }); any named flag reaching its threshold matches. A
 *          mention stored before the analyzer had flags (flags unknown) never matches.
 *
 * Counting rules (type: volume, spike) count matching mentions by publication time (or fetch
 * time, if earlier) per group:
 *   volume: at least `count` in the last `window`;
 *   spike:  see spikeVerdict(); no alert until `baseline` windows of history exist (the brand's
 *           sources have been polled that long), so a new brand never "spikes" from nothing.
 *   A firing condition alerts once; it alerts again only after it cleared, or, with
 *   `throttle`, as a reminder every throttle while it lasts.
 * Silence (type: silence): a matching source with no successful poll, or a matching brand with
 * no new mention, for `for`; alerts once per silence, again after it ended.
 *
 * Grouping and throttle (type: mention):
 *   - Each matching mention joins a group. With `group_by`, the group is the mention's values of
 *     those fields (brand, source, author, story). Without `group_by`, every mention is its own
 *     group, unless `throttle` is set: then the rule as a whole is one group.
 *   - A group's waiting mentions go out as ONE alert when both hold:
 *       `group_wait` has passed since the first of them arrived (default 0: at once), and
 *       `throttle` has passed since the group's previous alert (default 0: no limit).
 *     So a burst becomes one message listing its mentions, and a throttled group is never
 *     silently dropped: what arrives during the throttle goes out together when it ends.
 *   - `throttle: { initial: 10m, factor: 2, max: 4h }` grows the limit while a group keeps
 *     firing (10m, 20m, 40m ... 4h) and starts over after a calm spell of two throttles.
 *   - State is keyed on the rule's name and a checksum of its definition: editing a rule
 *     resets its throttle memory; renaming it never re-sends old alerts (each mention is
 *     evaluated once).
 */
import { prepareText, type PreparedText } from '../analyze/query/index.js';
import { FLAG_NAMES, URGENCY_LEVELS, type FlagName, type Mention } from '../core/types.js';
import { sourceLabel } from '../sources/registry.js';
import { groupByOf, type CompiledMatch, type MentionRule, type RuleConfig } from './model.js';

export function urgencyRank(level: string): number {
  return URGENCY_LEVELS.indexOf(level as (typeof URGENCY_LEVELS)[number]);
}

export function matchesRule(match: CompiledMatch, m: Mention, prepared?: PreparedText): boolean {
  if (match.brands && !match.brands.includes(m.brand)) return false;
  if (match.sources && !match.sources.includes(m.source)) return false;
  if (match.sentimentLabels && !match.sentimentLabels.includes(m.sentiment.label)) return false;
  if (match.sentimentBelow !== null && !(m.sentiment.score < match.sentimentBelow)) return false;
  if (match.sentimentAbove !== null && !(m.sentiment.score > match.sentimentAbove)) return false;
  if (match.urgencyAtLeast && urgencyRank(m.urgency.level) < urgencyRank(match.urgencyAtLeast)) return false;
  if (match.reachAtLeast !== null && (m.reach ?? 0) < match.reachAtLeast) return false;
  if (match.authors) {
    const author = (m.author ?? '').replace(/^@/, '').toLowerCase();
    if (!match.authors.includes(author)) return false;
  }
  if (match.languages && !match.languages.includes(m.language ?? 'unknown')) return false;
  if (match.flagsAtLeast && !flagsReach(match.flagsAtLeast, m)) return false;
  if (match.text) {
    const doc = prepared ?? prepareText(`${m.title}\n${m.text}`);
    if (!match.text.match(doc)) return false;
  }
  return true;
}

function flagsReach(thresholds: Partial<Record<FlagName, number>>, m: Mention): boolean {
  const flags = m.flags;
  if (!flags) return false;
  for (const name of FLAG_NAMES) {
    const t = thresholds[name];
    if (t !== undefined && flags[name] >= t) return true;
  }
  return false;
}

export function groupKeyFor(rule: RuleConfig, m: Mention): string {
  const groupBy = groupByOf(rule);
  if (groupBy.length === 0) return rule.type !== 'mention' || rule.throttleMs > 0 ? '*' : `mention:${m.id}`;
  return groupBy
    .map((field) => {
      switch (field) {
        case 'brand':
          return `brand=${m.brand}`;
        case 'source':
          return `source=${m.source}`;
        case 'author':
          return `author=${(m.author ?? '').toLowerCase()}`;
        case 'story':
          return `story=${m.storyKey ?? `mention:${m.id}`}`;
      }
    })
    .join(',');
}

/**
 * The throttle in force after `streak` consecutive alerts: `initial * factor^streak`, capped at
 * `max` (a fixed throttle has factor 1). 0 when the rule has no throttle.
 */
export function throttleFor(rule: RuleConfig, streak: number): number {
  if (!rule.throttle) return 0;
  return Math.min(rule.throttle.initialMs * rule.throttle.factor ** streak, rule.throttle.maxMs);
}

/**
 * The streak after an alert at `now`: it grows while the group keeps firing (the previous alert
 * was at most two throttles ago) and starts over after a calm spell.
 */
export function nextStreak(rule: RuleConfig, streak: number, lastAlertAt: number | null, now: number): number {
  if (!rule.throttle || rule.throttle.factor === 1 || lastAlertAt === null) return 0;
  return now - lastAlertAt <= throttleFor(rule, streak) * 2 ? streak + 1 : 0;
}

/** True when a group's waiting mentions should go out now. `flush` ignores group_wait (poll --once). */
export function groupDue(
  rule: MentionRule,
  firstWaitingAt: number,
  lastAlertAt: number | null,
  now: number,
  flush = false,
  throttleMs: number = rule.throttleMs,
): boolean {
  if (!flush && now < firstWaitingAt + rule.groupWaitMs) return false;
  if (lastAlertAt !== null && throttleMs > 0 && now < lastAlertAt + throttleMs) return false;
  return true;
}

/** When a waiting group will become due (ms since epoch). */
export function groupDueAt(rule: MentionRule, firstWaitingAt: number, lastAlertAt: number | null, throttleMs: number = rule.throttleMs): number {
  const afterWait = firstWaitingAt + rule.groupWaitMs;
  const afterThrottle = lastAlertAt !== null && throttleMs > 0 ? lastAlertAt + throttleMs : 0;
  return Math.max(afterWait, afterThrottle);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The one-line summary of an alert (plain text; notifiers escape it). */
export function summarize(brandName: string, mentions: readonly Mention[]): string {
  if (mentions.length === 1) {
    const m = mentions[0]!;
    const mood = m.sentiment.label === 'unknown' ? '' : `${m.sentiment.label} `;
    const urgent = urgencyRank(m.urgency.level) >= urgencyRank('high') ? `${capitalize(m.urgency.level)}-urgency ` : '';
    const text = `${urgent}${mood}mention of ${brandName} on ${sourceLabel(m.source)}`;
    return capitalize(text.trim());
  }
  const negative = mentions.filter((m) => m.sentiment.label === 'negative').length;
  const sources = [...new Set(mentions.map((m) => sourceLabel(m.source)))];
  const mood = negative > 0 ? ` (${negative} negative)` : '';
  return `${mentions.length} mentions of ${brandName}${mood} on ${sources.join(', ')}`;
}
