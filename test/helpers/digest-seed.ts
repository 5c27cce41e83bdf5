/**
 * Seeding helpers for digest tests (and for trying the digest out): write mentions, alerts,
 * deliveries, poll outcomes and waiting mentions straight into a store with known values.
 */
import type { Flags, Mention, SentimentLabel, SourceType, UrgencyLevel } from '../../src/core/types.js';
import type { Db } from '../../src/store/sqlite/db.js';
import { insertMention } from '../../src/store/sqlite/mentions.js';
import type { AlertState, NewMention, Repositories } from '../../src/store/types.js';

export interface SeedMention {
  brand?: string;
  source?: SourceType;
  sourceKey?: string;
  id: string;
  at: string;
  fetchedAt?: string;
  author?: string | null;
  reach?: number | null;
  title?: string;
  text: string;
  url?: string | null;
  sentiment?: SentimentLabel;
  score?: number;
  urgency?: UrgencyLevel;
  urgencyScore?: number;
  urgencyReasons?: string[];
  duplicateOf?: number | null;
  alertState?: AlertState;
  flags?: Flags | null;
}

const DEFAULT_SCORE: Record<SentimentLabel, number> = { negative: -0.6, neutral: 0, positive: 0.6, unknown: 0 };
const DEFAULT_URGENCY: Record<UrgencyLevel, number> = { low: 0.1, medium: 0.4, high: 0.7, critical: 0.9 };

/** The mention a seed describes, as the store takes it. */
export function seededMention(s: SeedMention): NewMention {
  const source = s.source ?? 'twitter';
  const brand = s.brand ?? 'acme';
  const sentiment = s.sentiment ?? 'neutral';
  const urgency = s.urgency ?? 'low';
  const mention: Omit<Mention, 'id'> = {
    brand,
    source,
    sourceKey: s.sourceKey ?? `${brand}/${source}`,
    sourceId: s.id,
    url: s.url === undefined ? `https://example.com/${source}/${s.id}` : s.url,
    author: s.author === undefined ? `user-${s.id}` : s.author,
    reach: s.reach === undefined ? null : s.reach,
    title: s.title ?? '',
    text: s.text,
    kind: null,
    linkUrl: null,
    language: 'en',
    publishedAt: s.at,
    fetchedAt: s.fetchedAt ?? s.at,
    matchedTerms: ['acme'],
    sentiment: { label: sentiment, score: s.score ?? DEFAULT_SCORE[sentiment], reasons: [] },
    urgency: { level: urgency, score: s.urgencyScore ?? DEFAULT_URGENCY[urgency], reasons: s.urgencyReasons ?? [] },
    duplicateOf: s.duplicateOf ?? null,
    storyKey: null,
    metrics: {},
    flags: s.flags ?? null,
  };
  return { ...mention, canonicalUrl: null, fingerprint: null, alertState: s.alertState ?? (s.duplicateOf ? 'duplicate' : 'evaluated') };
}

function inserted(id: number | null, s: SeedMention): number {
  if (id === null) throw new Error(`seedMention: ${s.brand ?? 'acme'}/${s.source ?? 'twitter'}/${s.id} already exists`);
  return id;
}

export async function seedMention(store: Repositories, s: SeedMention): Promise<number> {
  return inserted(await store.mentions.insert(seededMention(s)), s);
}

/** For SQLite-only tests that hold the connection itself (triage's store). */
export function seedMentionSync(db: Db, s: SeedMention): number {
  return inserted(insertMention(db, seededMention(s)), s);
}

export interface SeedAlert {
  rule: string;
  brand?: string;
  at: string;
  summary?: string;
  mentionIds: number[];
  deliveries: Array<{ notifier: string; target: string; status: 'pending' | 'sent' | 'failed' | 'skipped'; error?: string }>;
}

export async function seedAlert(store: Repositories, a: SeedAlert): Promise<number> {
  const id = await store.outbox.insertAlert({
    rule: a.rule,
    ruleHash: 'seed',
    ruleType: 'mention',
    groupKey: '*',
    brand: a.brand ?? 'acme',
    summary: a.summary ?? `Alert from ${a.rule}`,
    details: [],
    mentionIds: a.mentionIds,
    totalMentions: a.mentionIds.length,
    createdAt: a.at,
    deliveries: a.deliveries.map((d) => ({ notifier: d.notifier, target: d.target, status: d.status === 'skipped' ? 'skipped' : 'pending', ...(d.error ? { error: d.error } : {}) })),
  });
  if (id === null) throw new Error('seedAlert: every mention was already alerted for this rule');
  const rows = await store.outbox.deliveriesOf(id);
  for (const d of a.deliveries) {
    const row = rows.find((r) => r.notifier === d.notifier && r.target === d.target)!;
    if (d.status === 'sent') await store.outbox.markSent(row.id, a.at, null);
    else if (d.status === 'failed') await store.outbox.markFailed(row.id, a.at, d.error ?? 'failed');
    else if (d.status === 'pending' && d.error) await store.outbox.markRetry(row.id, { at: a.at, nextAt: a.at, error: d.error, kind: 'unavailable', streak: 1 });
  }
  return id;
}

export interface SeedPoll {
  sourceKey: string;
  brand?: string;
  type?: string;
  at: string;
  outcome?: 'ok' | 'not_modified' | 'error';
  error?: string;
  errorKind?: string;
  gap?: string;
}

export async function seedPoll(store: Repositories, p: SeedPoll): Promise<void> {
  const type = p.type ?? p.sourceKey.split('/')[1]?.replace(/#\d+$/, '') ?? 'rss';
  await store.sources.ensure(p.sourceKey, p.brand ?? p.sourceKey.split('/')[0] ?? 'acme', type, 'seed');
  await store.sources.logPoll({
    sourceKey: p.sourceKey,
    startedAt: p.at,
    durationMs: 100,
    outcome: p.outcome ?? (p.error ? 'error' : 'ok'),
    fetched: 0,
    stored: 0,
    error: p.error ?? null,
    errorKind: p.errorKind ?? null,
    gap: p.gap ?? null,
  });
}

/** Polls every `everyMs` from `from` to `to` (exclusive), all successful. */
export async function seedPolls(store: Repositories, sourceKey: string, from: string, to: string, everyMs: number): Promise<number> {
  let n = 0;
  for (let t = Date.parse(from); t < Date.parse(to); t += everyMs) {
    await seedPoll(store, { sourceKey, at: new Date(t).toISOString() });
    n += 1;
  }
  return n;
}

export function seedWaiting(store: Repositories, rule: string, mentionId: number, at: string): Promise<void> {
  return store.rules.addPending([{ rule, hash: 'seed', groupKey: '*', mentionId, at }]);
}
