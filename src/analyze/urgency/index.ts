/**
 * Urgency: does this mention need a human now?
 *
 * Signals, each in [0, 1], combined as a logistic score:
 *
 *   z = -3.5
 *       + complaint            p = probability from the complaint head (models/heads.bin):
 *                              3.0 * p below 0.5; from 0.5 (the model calls it a complaint: it
 *                              needs a reply) 2.9 + 0.8 * (p - 0.5), medium on its own
 *       + 1.0 * negativity     max(0, -sentiment score) when the label is negative
 *       + crisis               1.9 for the first severe crisis term, +0.6 per further term (max 2.9);
 *                              a moderate term (refund, broken, cancel...) counts 1.0; a safety or
 *                              legal threat (fire, injury, lawsuit, recall) 5.8: critical on its own
 *       + addressed            a question (2.9: medium on its own) or a complaint (0.8) addressed to
 *                              one of the brand's handles
 *       + 1.6 * reach * gate   reach = (log10(1 + followers) - 2) / 4 in [0, 1] (100 followers = 0, 1M = 1)
 *       + 0.8 * engagement * gate   log10(1 + engagement) / 4, or velocity when given
 *   score = 1 / (1 + e^-z)
 *
 * `gate` = max(complaint, negativity, crisis > 0): a famous account saying something nice is
 * not urgent. A complaint resolved happily ("replaced it for free, happy in the end") counts
 * neither as a complaint nor as addressed. Reasons quote the words that triggered them:
 * `crisis: "battery fires" (safety)`, `complaint: "where is my refund" (0.94)`. Levels (see `urgencyLevel`): low < 0.35 <= medium < 0.65 <= high < 0.9 <= critical.
 */
import type { UrgencyLevel, Urgency } from '../../core/types.js';

export const URGENCY_THRESHOLDS = { medium: 0.35, high: 0.65, critical: 0.9 } as const;

export function urgencyLevel(score: number): UrgencyLevel {
  if (score >= URGENCY_THRESHOLDS.critical) return 'critical';
  if (score >= URGENCY_THRESHOLDS.high) return 'high';
  if (score >= URGENCY_THRESHOLDS.medium) return 'medium';
  return 'low';
}

export interface CrisisTerm {
  name: string;
  re: RegExp;
  severe: boolean;
  /** Safety and legal threats: critical whatever else the text says. */
  critical: boolean;
  /** Lower-case substrings one of which any match contains: a cheap test before the regex. */
  hints: string[];
}

const term = (name: string, pattern: string, severe: boolean, hints: string[], critical = false): CrisisTerm => ({
  name,
  re: new RegExp(`(?:^|[^\\p{L}\\p{N}])(${pattern})(?![\\p{L}\\p{N}])`, 'iu'),
  severe,
  critical,
  hints,
});

/** Crisis vocabulary: words and phrases that mean trouble for a brand whatever the tone. */
export const CRISIS_TERMS: readonly CrisisTerm[] = [
  term('outage', 'outages?', true, ['outage']),
  // A bike or car that "broke down (again)" failed, it is not an outage: that is "not working".
  term('down', "(?:is|are|was|were|been|be|went|goes|going|still|it's|its|site|app|api|service|server|servers|website)\\s+(?:\\w+\\s+)?(?<!\\bbr(?:oke|eaks?|eaking|oken)\\s+)down(?!\\s+(?:to|with|the|on|for\\s+(?:it|that|this)))|(?<!\\bbr(?:oke|eaks?|eaking|oken)\\s+)down\\s+again|down\\s+for\\s+(?:hours|days|everyone|me|us)", true, ['down']),
  term('data loss', 'data\\s+loss|lost\\s+(?:all\\s+)?(?:my|our)\\s+(?:data|files|photos|work)|deleted\\s+(?:all\\s+)?(?:my|our)', true, ['data', 'lost', 'deleted']),
  term('breach', '(?:data\\s+)?breach(?:ed|es)?', true, ['breach']),
  term('hacked', 'hack(?:ed|s)?|compromised', true, ['hack', 'compromised']),
  term('leak', 'leak(?:ed|s)?', true, ['leak']),
  term('security issue', 'vulnerabilit(?:y|ies)|exploit(?:ed)?|security\\s+(?:hole|issue|flaw)', true, ['vulnerab', 'exploit', 'security']),
  term('legal', 'lawsuits?|su(?:e|ing)\\s+(?:you|them|us)|class[\\s-]action|legal\\s+action|(?:my|a)\\s+lawyer', true, ['lawsuit', 'sue ', 'suing', 'class action', 'class-action', 'legal', 'lawyer'], true),
  term('safety', '(?:battery|batteries|charger)\\s+(?:fires?|caught\\s+fire|exploded|overheat(?:ed|ing|s)?)|caught\\s+fire|burst\\s+into\\s+flames|started\\s+smoking|fire\\s+hazard|explod(?:ed|ing)|injur(?:y|ies|ed)|hospitali[sz]ed|food\\s+poisoning|burn(?:ed|t)\\s+(?:me|my)|electrocuted|(?:product|safety|voluntary|massive|a|the)\\s+recall|recall(?:ed|ing)\\s+(?:the|all|their|its|my|our|every)|recalls?\\s+(?:of|on)', true, ['fire', 'flames', 'smoking', 'explod', 'injur', 'hospital', 'poisoning', 'burn', 'electrocut', 'recall'], true),
  term('scam', 'scam(?:med|mers?|s)?|fraud(?:ulent)?|ripped\\s+off|rip-?off', true, ['scam', 'fraud', 'ripped', 'rip-off', 'ripoff', 'rip off']),
  term('losing money', '(?:losing|lost|lose)\\s+(?:\\w+\\s+)?(?:money|revenue|customers|sales)', true, ['losing', 'lost', 'lose ']),
  term('stolen', 'stolen|theft', true, ['stolen', 'theft']),
  term('boycott', 'boycott(?:ing)?', false, ['boycott']),
  term('refund', 'refunds?|chargeback|money\\s+back|charged\\s+twice|double\\s+charged|disput(?:e|ed|ing)\\s+the\\s+charges?', false, ['refund', 'chargeback', 'money back', 'charged', 'disput']),
  term('not working', "not\\s+working|doesn't\\s+work|doesnt\\s+work|stopped\\s+working|br(?:oke|eaks?|eaking|oken)\\s+down|broken|crash(?:es|ed|ing)", false, ['working', 't work', 'broke', 'break', 'crash']),
  term('cancel', 'cancel(?:l?ing|l?ed)?\\s+(?:my|our)\\s+(?:account|subscription|order|contract|plan)', false, ['cancel']),
  term('unsafe', 'unsafe|dangerous|toxic', false, ['unsafe', 'dangerous', 'toxic']),
];

export interface UrgencySignals {
  complaint: number;
  /** The words behind the complaint probability, quoted in its reason. */
  complaintQuote?: string | null;
  /** Sentiment score in [-1, 1] and its label. */
  sentimentScore: number;
  negative: boolean;
  reach: number | null | undefined;
  metrics: Record<string, number> | undefined;
  handles: readonly string[];
  /** Vocabulary words with weight 0 for the brand (e.g. a product called "Crash") are not crisis terms. */
  neutralWords: ReadonlySet<string>;
  /** Crisis terms found already (findCrisisTerms), so the text is scanned once. */
  crisis?: readonly CrisisMatch[];
  /** A complaint resolved happily (cues.ts): it needs no reply. */
  resolved?: string | null;
  /** The handle the text addresses (addressedHandle), when the caller found it already. */
  addressed?: string | null;
}

/** The complaint probability from which the complaint model's verdict is named and counts as a complaint. */
export const COMPLAINT_THRESHOLD = 0.5;

const ENGAGEMENT_KEYS = ['likes', 'like_count', 'retweets', 'retweet_count', 'reposts', 'quotes', 'quote_count', 'replies', 'reply_count', 'comments', 'num_comments', 'points', 'score', 'shares', 'favourites', 'reblogs'];

export function scoreUrgency(text: string, s: UrgencySignals): Urgency {
  const parts: { reason: string; z: number }[] = [];
  const resolved = s.resolved ?? null;
  // A complaint resolved happily is no longer a complaint that waits for a reply.
  const complaint = resolved !== null ? Math.min(s.complaint, 0.2) : s.complaint;
  const negativity = s.negative ? Math.max(0, -s.sentimentScore) : 0;

  const crisis = s.crisis ?? findCrisisTerms(text, s.neutralWords);
  let crisisZ = 0;
  let severeSeen = false;
  let criticalSeen = false;
  for (const c of crisis) {
    let z = c.term.severe ? (severeSeen ? 0.6 : 1.9) : crisisZ === 0 ? 1.0 : 0.4;
    let cap = 2.9;
    if (c.term.critical && !criticalSeen) {
      // A safety or legal threat is critical on its own (-3.5 + 5.8 = 2.3 -> 0.91).
      z = 5.8;
      cap = 5.8 + 0.6;
      criticalSeen = true;
    } else if (criticalSeen) cap = 5.8 + 0.6;
    if (c.term.severe) severeSeen = true;
    const add = Math.min(z, cap - crisisZ);
    if (add <= 0) break;
    crisisZ += add;
    parts.push({ reason: `crisis: "${c.match}" (${c.term.name})`, z: add });
  }
  if (complaint >= COMPLAINT_THRESHOLD) {
    const quote = s.complaintQuote ? `"${s.complaintQuote}" ` : '';
    parts.push({ reason: `complaint: ${quote}(${complaint.toFixed(2)})`, z: 2.9 + 0.8 * (complaint - 0.5) });
  }
  if (negativity > 0) parts.push({ reason: `negative sentiment (${(-negativity).toFixed(2)})`, z: 1.0 * negativity });

  const addressed = s.addressed !== undefined ? s.addressed : addressedHandle(text, s.handles);
  if (addressed !== null && resolved === null) {
    const isQuestion = /\?/.test(text);
    if (isQuestion || complaint >= COMPLAINT_THRESHOLD || s.negative) {
      // A question needs a reply (medium on its own); a complaint counts once, not twice.
      const z = isQuestion && complaint < COMPLAINT_THRESHOLD ? 2.9 : 0.8;
      parts.push({ reason: `${isQuestion ? 'question' : 'complaint'} to @${addressed}`, z });
    }
  }

  const gate = Math.max(complaint, negativity, crisisZ > 0 ? 1 : 0);
  const reach = s.reach ?? 0;
  if (reach > 0) {
    const r = Math.max(0, Math.min(1, (Math.log10(1 + reach) - 2) / 4));
    const z = 1.6 * r * gate;
    // Small accounts add a little weight but are not worth naming.
    parts.push({ reason: reach >= 1000 ? `reach: ${formatCount(reach)} followers` : '', z });
  }
  const engagement = engagementOf(s.metrics);
  if (engagement.value > 0) {
    const e = Math.min(1, Math.log10(1 + engagement.value) / 4);
    const z = 0.8 * e * gate;
    parts.push({ reason: engagement.value >= 10 ? `${engagement.kind}: ${formatCount(engagement.value)}` : '', z });
  }

  // Complaint probability below the threshold still counts, just not as a named reason.
  let z = -3.5 + (complaint < COMPLAINT_THRESHOLD ? 3.0 * complaint : 0);
  let amplified = 0;
  for (const p of parts) {
    z += p.z;
    if (p.reason.startsWith('reach') || p.reason.startsWith('engagement')) amplified += p.z;
  }
  let score = 1 / (1 + Math.exp(-z));
  // Critical is for crises: a severe crisis term, or bad news spreading (reach, engagement).
  if (score >= URGENCY_THRESHOLDS.critical && !severeSeen && amplified < 0.5) score = 0.89;
  parts.sort((a, b) => b.z - a.z);
  const level = urgencyLevel(score);
  return { level, score: Math.round(score * 1000) / 1000, reasons: parts.filter((p) => p.reason !== '' && p.z > 0).map((p) => p.reason) };
}

// One scan for all hints first: most mentions contain none, and then no term regex runs.
const ANY_HINT = new RegExp(
  [...new Set(CRISIS_TERMS.flatMap((t) => t.hints))].map((h) => h.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')).join('|'),
);

export interface CrisisMatch {
  term: CrisisTerm;
  /** The words as written in the text. */
  match: string;
}

/** `lower` is `text.toLowerCase()` when the caller has it. */
export function findCrisisTerms(text: string, neutralWords: ReadonlySet<string>, lower = text.toLowerCase()): CrisisMatch[] {
  const found: CrisisMatch[] = [];
  if (!ANY_HINT.test(lower)) return found;
  for (const t of CRISIS_TERMS) {
    if (!includesAny(lower, t.hints)) continue;
    const m = t.re.exec(text);
    if (m === null) continue;
    const words = m[1]!.toLowerCase().match(/\p{L}+/gu) ?? [];
    if (words.some((w) => neutralWords.has(w))) continue;
    found.push({ term: t, match: m[1]!.trim() });
  }
  // Critical, then severe first, so the strongest signal gets the largest weight.
  return found.sort((a, b) => Number(b.term.critical) - Number(a.term.critical) || Number(b.term.severe) - Number(a.term.severe));
}

function includesAny(lower: string, hints: readonly string[]): boolean {
  for (const h of hints) if (lower.includes(h)) return true;
  return false;
}

/** The first of `handles` the text addresses as `@handle` (case-insensitive, whole handle), or null. */
export function addressedHandle(text: string, handles: readonly string[], lower?: string): string | null {
  if (handles.length === 0 || !text.includes('@')) return null;
  lower ??= text.toLowerCase();
  for (const handle of handles) {
    const h = handle.replace(/^@/, '').toLowerCase();
    if (h.length === 0) continue;
    let at = lower.indexOf(`@${h}`);
    while (at >= 0) {
      const next = lower[at + h.length + 1];
      if (next === undefined || !/[a-z0-9_]/.test(next)) return handle.replace(/^@/, '');
      at = lower.indexOf(`@${h}`, at + 1);
    }
  }
  return null;
}

function engagementOf(metrics: Record<string, number> | undefined): { value: number; kind: string } {
  if (!metrics) return { value: 0, kind: 'engagement' };
  const velocity = metrics.velocity ?? metrics.engagementPerHour;
  if (velocity !== undefined && Number.isFinite(velocity) && velocity > 0) {
    // An hour at this pace, counted like total engagement.
    return { value: velocity, kind: 'engagement per hour' };
  }
  let sum = 0;
  for (const key of ENGAGEMENT_KEYS) {
    const v = metrics[key];
    if (v !== undefined && Number.isFinite(v) && v > 0) sum += v;
  }
  return { value: sum, kind: 'engagement' };
}

export function formatCount(n: number): string {
  if (n >= 1e6) return `${trim(n / 1e6)}M`;
  if (n >= 1e3) return `${trim(n / 1e3)}k`;
  return String(Math.round(n));
}

function trim(x: number): string {
  return x >= 100 ? String(Math.round(x)) : x.toFixed(1).replace(/\.0$/, '');
}
