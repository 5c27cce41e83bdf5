/**
 * What a rule means, as pure functions shared by the live engine (engine.ts) and the replay
 * (`earshot rules test`, replay.ts), so that a replay shows exactly what the daemon would do.
 *
 * Matching: every field given under `match` must hold (AND); a list means any of its values.
 *   brand, source, author, language: any of the listed values;
 *   sentiment: a label (or list), or { below: x } / { above: x } on the score in [-1, 1];
 *   urgency: { atLeast: level } (a bare level means atLeast);
 *   reach: { atLeast: N } (followers, karma or points);
 *   text: a query in the brand query language over title and text.
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
 *   - State is keyed on the rule's name and a checksum of its definition: editing a rule
 *     resets its throttle memory; renaming it never re-sends old alerts (each mention is
 *     evaluated once).
 */
import type { CompiledMatch, RuleConfig } from '../config/load.js';
import { prepareText, type PreparedText } from '../analyze/query/index.js';
import { URGENCY_LEVELS, type Mention } from '../core/types.js';

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
  if (match.text) {
    const doc = prepared ?? prepareText(`${m.title}\n${m.text}`);
    if (!match.text.match(doc)) return false;
  }
  return true;
}

export function groupKeyFor(rule: RuleConfig, m: Mention): string {
  if (rule.groupBy.length === 0) return rule.throttleMs > 0 ? '*' : `mention:${m.id}`;
  return rule.groupBy
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

/** True when a group's waiting mentions should go out now. `flush` ignores group_wait (poll --once). */
export function groupDue(
  rule: RuleConfig,
  firstWaitingAt: number,
  lastAlertAt: number | null,
  now: number,
  flush = false,
): boolean {
  if (!flush && now < firstWaitingAt + rule.groupWaitMs) return false;
  if (lastAlertAt !== null && rule.throttleMs > 0 && now < lastAlertAt + rule.throttleMs) return false;
  return true;
}

/** When a waiting group will become due (ms since epoch). */
export function groupDueAt(rule: RuleConfig, firstWaitingAt: number, lastAlertAt: number | null): number {
  const afterWait = firstWaitingAt + rule.groupWaitMs;
  const afterThrottle = lastAlertAt !== null && rule.throttleMs > 0 ? lastAlertAt + rule.throttleMs : 0;
  return Math.max(afterWait, afterThrottle);
}

const SOURCE_LABELS: Record<string, string> = {
  rss: 'a feed',
  reddit: 'Reddit',
  twitter: 'Twitter/X',
  hackernews: 'Hacker News',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
};

export function sourceLabel(source: string): string {
  return SOURCE_LABELS[source] ?? source;
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
