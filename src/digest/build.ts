/**
 * Builds a digest's content from the store: per brand, the period's mentions (duplicates
 * excluded), the previous period's count, what needs a reply, top mentions by reach, new voices,
 * recurring phrases, alerts sent, what was held back and source health. The web dashboard shows
 * the same model. Counts come from the store's period aggregates (ReportRepo.period*), the few
 * mentions listed from ranked queries, and phrases from a sample of about PHRASE_SAMPLE texts:
 * nothing reads every mention of the period, so a month of a busy brand costs what a day does.
 */
import type { Config, DigestConfig } from '../config/load.js';
import type { Mention } from '../core/types.js';
import type { PeriodAuthorRow, PeriodVolumeRow, Store } from '../store/types.js';
import { collectHeldBack } from './held-back.js';
import {
  emptyMix,
  SENTIMENT_ORDER,
  type AlertSent,
  type BrandDigest,
  type DigestModel,
  type NewVoice,
  type Phrase,
  type SentimentMix,
  type SourceHealth,
  type TopAuthor,
  type VolumeBucket,
} from './model.js';
import type { Period } from './period.js';

export const NEEDS_REPLY_LIMIT = 8;
export const TOP_REACH_LIMIT = 5;
export const NEW_VOICES_LIMIT = 6;
export const PHRASES_LIMIT = 6;

export interface BuildInput {
  store: Store;
  config: Config;
  digest: Pick<DigestConfig, 'name' | 'timezone'>;
  brands: string[];
  period: Period;
  previous: Period;
  kind: DigestModel['kind'];
  now: Date;
  /**
   * Leave out "new voices" (the web dashboard does not show them): finding them reads 90 days of
   * the brand's authors, most of the build's time on a big database.
   */
  skipNewVoices?: boolean;
}

export async function buildDigest(input: BuildInput): Promise<DigestModel> {
  const brands: BrandDigest[] = [];
  for (const brand of input.brands) brands.push(await buildBrand(input, brand));
  return {
    name: input.digest.name,
    timezone: input.digest.timezone,
    period: input.period,
    previous: input.previous,
    kind: input.kind,
    generatedAt: input.now,
    brands,
    quiet: brands.every((b) => b.total === 0),
    beforeFirstPoll: !(await input.store.reports.activityBefore(input.period.end.toISOString())),
  };
}

function iso(period: Period): [string, string] {
  return [period.start.toISOString(), period.end.toISOString()];
}

async function buildBrand(input: BuildInput, brand: string): Promise<BrandDigest> {
  const { store, config, period } = input;
  const [since, until] = iso(period);
  const bucketMs = bucketSize(period);
  const counted = countVolume(await store.reports.periodVolume(brand, since, until, bucketMs), period, bucketMs);
  const sources = await store.reports.periodSources(brand, since, until);
  const needsReply = await store.reports.periodNeedingReply(brand, since, until, NEEDS_REPLY_LIMIT);
  const topByReach = await store.reports.periodTopReach(brand, since, until, TOP_REACH_LIMIT);
  const voices = input.skipNewVoices ? [] : await newVoices(store, brand, period);
  const sample = await phraseSample(store, brand, period, counted.total);
  return {
    brand,
    name: config.brands.get(brand)?.name ?? brand,
    total: counted.total,
    previousTotal: await countMentions(store, brand, input.previous),
    sentiment: counted.sentiment,
    bySource: sources.sort((a, b) => b.count - a.count || a.source.localeCompare(b.source)),
    volume: counted.volume,
    bucketMs,
    needsReply: needsReply.map((mention) => ({ mention, why: needsReplyReasons(mention) })),
    needsReplyTotal: counted.needsReply,
    topByReach: topByReach.map((mention) => ({ mention, why: [] })),
    newVoices: voices.slice(0, NEW_VOICES_LIMIT),
    newVoicesTotal: voices.length,
    topAuthors: rankAuthors(await store.reports.periodTopAuthors(brand, since, until, TOP_AUTHORS_LIMIT)),
    phrases: notablePhrases(sample.texts, brandWords(config, brand)),
    phrasesSample: sample.texts.length < counted.total ? { mentions: sample.texts.length, of: counted.total } : null,
    alerts: await alertsSent(store, brand, period),
    heldBack: await collectHeldBack({ store, config, brand, period }),
    health: await sourceHealth(store, config, brand, period, await store.reports.activityBefore(period.end.toISOString())),
  };
}

/** Mentions of the brand published in the period, duplicates excluded (also the web dashboard's share of voice). */
export function countMentions(store: Store, brand: string, period: Period): Promise<number> {
  const [since, until] = iso(period);
  return store.mentions.count({ brand, since, until });
}

/** Hourly buckets for periods up to two days, daily ones for longer periods. */
export function bucketSize(period: Period): number {
  const length = period.end.getTime() - period.start.getTime();
  return length <= 2 * 86_400_000 ? 3_600_000 : 86_400_000;
}

interface CountedVolume {
  total: number;
  sentiment: SentimentMix;
  volume: VolumeBucket[];
  needsReply: number;
}

/** Every bucket of the period (empty ones too) from the store's counts per bucket. */
function countVolume(rows: PeriodVolumeRow[], period: Period, bucketMs: number): CountedVolume {
  const start = period.start.getTime();
  const count = Math.max(1, Math.ceil((period.end.getTime() - start) / bucketMs));
  const volume: VolumeBucket[] = Array.from({ length: count }, (_, i) => ({ start: new Date(start + i * bucketMs), count: 0, sentiment: emptyMix() }));
  const counted: CountedVolume = { total: 0, sentiment: emptyMix(), volume, needsReply: 0 };
  for (const row of rows) {
    const bucket = volume[Math.min(Math.max(row.bucket, 0), count - 1)]!;
    const mix: SentimentMix = { negative: row.negative, neutral: row.neutral, positive: row.positive, unknown: row.count - row.negative - row.neutral - row.positive };
    bucket.count += row.count;
    counted.total += row.count;
    counted.needsReply += row.needsReply;
    for (const key of SENTIMENT_ORDER) {
      bucket.sentiment[key] += mix[key];
      counted.sentiment[key] += mix[key];
    }
  }
  return counted;
}

export const TOP_AUTHORS_LIMIT = 6;

/** Authors by number of mentions, then reach, then name (the store ranks them; ties at the limit are ordered here). */
export function rankAuthors(rows: readonly PeriodAuthorRow[], limit = TOP_AUTHORS_LIMIT): TopAuthor[] {
  return rows
    .map((r) => ({ name: r.name, source: r.source, mentions: r.mentions, reach: r.reach }))
    .sort((a, b) => b.mentions - a.mentions || (b.reach ?? -1) - (a.reach ?? -1) || a.name.localeCompare(b.name))
    .slice(0, limit);
}

const ADDRESSED = /^(question|complaint) to @/;

/** Why a mention needs a reply, or [] when it does not. */
export function needsReplyReasons(m: Mention): string[] {
  const why: string[] = [];
  if (m.sentiment.label === 'negative') why.push('negative');
  for (const reason of m.urgency.reasons) if (ADDRESSED.test(reason)) why.push(reason);
  if (!why.some((w) => ADDRESSED.test(w)) && m.urgency.reasons.some((r) => r.startsWith('complaint'))) why.push('complaint');
  if (m.urgency.level === 'high' || m.urgency.level === 'critical') why.push(`${m.urgency.level} urgency`);
  return why;
}

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host.replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

/** How far back an author or site must be absent to count as new. */
export const NEW_VOICE_LOOKBACK_MS = 90 * 86_400_000;

/**
 * Authors (or, for feeds without authors, sites) with no mention of the brand in the 90 days
 * before the period: the period's voices as the store groups them, and two range scans of the
 * brand's recent history, however many voices there are.
 */
async function newVoices(store: Store, brand: string, period: Period): Promise<NewVoice[]> {
  const seen = new Map<string, NewVoice>();
  const add = (key: string, voice: NewVoice) => {
    const known = seen.get(key);
    if (!known) return void seen.set(key, voice);
    known.mentions += voice.mentions;
    if ((voice.reach ?? -1) > (known.reach ?? -1)) known.reach = voice.reach;
  };
  const period_ = await store.reports.periodVoices(brand, ...iso(period));
  for (const a of period_.authors) add(`a\u0000${a.source}\u0000${a.name.toLowerCase()}`, { name: a.name, kind: 'author', source: a.source, reach: a.reach, mentions: a.mentions });
  for (const u of period_.unsigned) {
    const host = hostOf(u.url);
    if (host) add(`s\u0000${host}`, { name: host, kind: 'site', source: u.source, reach: u.reach, mentions: 1 });
  }
  const since = new Date(period.start.getTime() - NEW_VOICE_LOOKBACK_MS).toISOString();
  const until = period.start.toISOString();
  const known = new Set<string>();
  const voices = await store.reports.knownVoices(brand, since, until);
  for (const author of voices.authors) known.add(`a\u0000${author}`);
  for (const url of voices.urls) {
    const host = hostOf(url);
    if (host) known.add(`s\u0000${host}`);
  }
  return [...seen]
    .filter(([key]) => !known.has(key))
    .map(([, voice]) => voice)
    .sort((a, b) => (b.reach ?? -1) - (a.reach ?? -1) || b.mentions - a.mentions || a.name.localeCompare(b.name));
}

const STOPWORDS = new Set(
  (
    'a an the and or but if then than so to of in on at by for with from into over about as is are was were be been being ' +
    'it its it\'s this that these those there here i me my we our you your he she they them their his her what which who whom ' +
    'how why when where not no yes do does did done have has had having will would can could should may might must just ' +
    'also very really more most some any all each every other only own same too again once out up down off under ' +
    'anyone someone everyone anybody somebody get got getting one two new via http https www com amp rt im dont cant wont ive youre thats lol und der die das ist ' +
    'nicht mit ein eine auf für von zu den dem des sich auch es ich wir sie'
  ).split(/\s+/),
);

function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? []).map((t) => t.replace(/['’-]+$/, ''));
}

/** The words of a brand's query, name and handles: every mention contains them, so they are never "notable". */
function brandWords(config: Config, brand: string): Set<string> {
  const b = config.brands.get(brand);
  const words = new Set<string>(tokens(brand));
  if (!b) return words;
  for (const text of [b.name, b.query, ...b.context.handles]) for (const t of tokens(text)) words.add(t);
  for (const op of ['or', 'and', 'not']) words.delete(op);
  return words;
}

function isContentWord(word: string, exclude: Set<string>): boolean {
  return word.length >= 3 && !STOPWORDS.has(word) && !exclude.has(word) && !/^\d+$/.test(word);
}

/**
 * About how many mentions' texts are read for notable phrases: a phrase in 2% of a period's
 * mentions still shows about 20 times in a sample of this size, and reading every text of a busy
 * month took seconds (BENCHMARKS.md). 2,000 cost the 30-day dashboard 15 ms more CPU at 1 M.
 */
export const PHRASE_SAMPLE = 1_000;

/** The texts phrases are found in: every mention of the period, or a sample of about PHRASE_SAMPLE. */
async function phraseSample(store: Store, brand: string, period: Period, total: number): Promise<{ texts: Array<{ title: string; text: string }> }> {
  if (total === 0) return { texts: [] };
  const every = Math.max(1, Math.ceil(total / PHRASE_SAMPLE));
  return { texts: await store.reports.periodTextSample(brand, ...iso(period), every) };
}

/** Words and two-word phrases that recur across mentions (in at least two), longest first when tied. */
export function notablePhrases(mentions: ReadonlyArray<Pick<Mention, 'title' | 'text'>>, exclude: Set<string>, limit = PHRASES_LIMIT): Phrase[] {
  const counts = new Map<string, number>();
  for (const m of mentions) {
    const words = tokens(`${m.title}\n${m.text}`);
    const found = new Set<string>();
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      if (!isContentWord(w, exclude)) continue;
      found.add(w);
      const next = words[i + 1];
      if (next && isContentWord(next, exclude)) found.add(`${w} ${next}`);
    }
    for (const phrase of found) counts.set(phrase, (counts.get(phrase) ?? 0) + 1);
  }
  const candidates = [...counts].filter(([, n]) => n >= 2);
  // A word that only ever appears inside a recurring phrase adds nothing next to the phrase.
  const covered = new Set<string>();
  for (const [phrase, n] of candidates) {
    if (!phrase.includes(' ')) continue;
    for (const word of phrase.split(' ')) if (counts.get(word) === n) covered.add(word);
  }
  return candidates
    .filter(([phrase]) => !covered.has(phrase))
    .sort((a, b) => b[1] - a[1] || b[0].split(' ').length - a[0].split(' ').length || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([phrase, n]) => ({ phrase, mentions: n }));
}

async function alertsSent(store: Store, brand: string, period: Period): Promise<AlertSent[]> {
  const rows = await store.reports.alertsSent(brand, ...iso(period));
  return rows.map((r) => ({ at: r.createdAt, rule: r.rule, summary: r.summary, mentions: r.totalMentions, destinations: r.destinations }));
}

async function sourceHealth(store: Store, config: Config, brand: string, period: Period, deploymentPolled: boolean): Promise<SourceHealth[]> {
  const rows = await store.reports.sourceHealth(brand, ...iso(period));
  const byKey = new Map(rows.map((r) => [r.sourceKey, r]));
  const length = period.end.getTime() - period.start.getTime();
  return config.sources
    .filter((s) => s.brand === brand)
    .map((source): SourceHealth => {
      const r = byKey.get(source.key);
      const base = { sourceKey: source.key, polls: r?.polls ?? 0, errors: r?.errors ?? 0, rateLimited: r?.rateLimited ?? 0, gaps: r?.gaps ?? 0 };
      if (source.missingEnv.length > 0) {
        return { ...base, status: 'not_configured', detail: `not polled: set ${source.missingEnv.join(', ')} in .env` };
      }
      if (!source.enabled) return { ...base, status: 'disabled', detail: 'disabled in its sources file' };
      if (base.polls === 0) {
        if (!deploymentPolled) {
          return { ...base, status: 'not_polled', detail: 'not polled yet: earshot had not polled any source when the period ended' };
        }
        // A period shorter than two polling intervals may simply not contain a poll.
        if (length < 2 * source.everyMs) return { ...base, status: 'ok', detail: '' };
        return { ...base, status: 'not_polled', detail: 'not polled at all in this period: was earshot running?' };
      }
      if (base.errors > 0) {
        const share = base.errors === base.polls ? `all ${base.polls} polls failed` : `${base.errors} of ${base.polls} polls failed`;
        return { ...base, status: 'failing', detail: `${share}; last error: ${r?.lastError ?? 'unknown'}` };
      }
      if (base.rateLimited > 0) {
        return { ...base, status: 'rate_limited', detail: `rate-limited ${base.rateLimited} of ${base.polls} polls; mentions may arrive late or be missing` };
      }
      if (base.gaps > 0) {
        return { ...base, status: 'gaps', detail: `${base.gaps} of ${base.polls} polls reported a coverage gap: ${r?.lastGap ?? ''}` };
      }
      return { ...base, status: 'ok', detail: '' };
    });
}
