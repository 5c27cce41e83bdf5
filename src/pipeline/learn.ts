/**
 * A brand's learned adaptation (src/analyze/adapt) from its team's corrections: the one
 * computation behind `earshot learn --brand B` and the daemon's automatic refresh. Every sentiment
 * correction (UI, API, Slack: the triage store's sentiment_corrections, the latest per mention),
 * every mention marked "not relevant" and every mention handled without a correction (its label
 * was right) is a labelled example; the result is written to `learned/<brand>.json` in the config
 * directory, where the config loader attaches it to the brand (src/config/learned.ts).
 *
 * Automatic refresh: the daemon learns a brand again once the team has made `EARSHOT_LEARN_EVERY`
 * (default 20) new corrections or "not relevant" marks since the last learn or forget, at most
 * once an hour per brand. The count at the last learn/forget is kept in the store's meta
 * (`learn.seen.<brand>`), so a forget is not undone until that many more arrive.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeAdaptation, learnAdaptation, type Correction } from '../analyze/index.js';
import type { BrandConfig } from '../config/load.js';
import { learnedFile, readLearned } from '../config/learned.js';
import type { BrandAdaptation } from '../core/types.js';
import { triageStoreOf } from '../store/index.js';
import type { InboxPage, TriagedMention, TriageStore } from '../store/triage-types.js';
import type { Store } from '../store/types.js';

const PAGE = 500;
export const LEARN_EVERY_DEFAULT = 20;
/** The daemon learns a brand again at most this often. */
export const AUTO_LEARN_MIN_INTERVAL_MS = 60 * 60 * 1000;

export interface LearnResult {
  /** false: the brand has no correction yet; nothing was written. */
  wrote: boolean;
  file: string;
  /** What `earshot learn` prints (and the daemon logs). */
  lines: string[];
}

export class LearnSettingError extends Error {}

/** EARSHOT_LEARN_EVERY: corrections that trigger an automatic learn (0: off). */
export function parseLearnEvery(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return LEARN_EVERY_DEFAULT;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0) {
    throw new LearnSettingError(`EARSHOT_LEARN_EVERY=${text}: expected a whole number of corrections, like 20 (0 turns automatic learning off)`);
  }
  return n;
}

/** Learns `brand`'s adaptation from its corrections and writes learned/<brand>.json; records the corrections seen. */
export async function learnBrand(store: Store, dir: string, brand: BrandConfig): Promise<LearnResult> {
  const file = learnedFile(dir, brand.id);
  const triage = await triageStoreOf(store);
  const corrections = await correctionsOf(triage, brand.id);
  await store.meta.set(seenKey(brand.id), String(await correctionCount(triage, brand.id)));
  if (!corrections.some((c) => !c.confirmed)) {
    return { wrote: false, file, lines: [`${brand.id}: no corrections yet; correct a mention's sentiment or mark it not relevant (UI, API or Slack), then run this again`] };
  }
  const previous = existsSync(file) ? safeRead(file) : null;
  const { adaptation: _old, ...context } = brand.context;
  const adaptation = learnAdaptation(context, corrections);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(adaptation, null, 1)}\n`);
  return { wrote: true, file, lines: [`${brand.id}: wrote ${file}`, ...describeAdaptation(previous, adaptation)] };
}

/** Deletes learned/<brand>.json; automatic learning waits for that many new corrections again. */
export async function forgetBrand(store: Store, dir: string, brand: string): Promise<string> {
  const file = learnedFile(dir, brand);
  if (existsSync(file)) rmSync(file);
  await store.meta.set(seenKey(brand), String(await correctionCount(await triageStoreOf(store), brand)));
  return file;
}

export interface AutoLearnCheck {
  brand: string;
  /** Corrections and "not relevant" marks since the last learn or forget. */
  fresh: number;
  learned: LearnResult | null;
}

/**
 * The daemon's refresh for one brand: learns when `every` (> 0) new corrections arrived since the
 * last learn/forget and the last automatic learn is at least an hour old; otherwise nothing.
 */
export async function autoLearnBrand(store: Store, dir: string, brand: BrandConfig, every: number, now: Date): Promise<AutoLearnCheck> {
  const triage = await triageStoreOf(store);
  const seen = Number((await store.meta.get(seenKey(brand.id))) ?? 0);
  // Fewer than before (mentions reopened, retention): count from here.
  const fresh = Math.max(0, (await correctionCount(triage, brand.id)) - seen);
  if (every <= 0 || fresh < every) return { brand: brand.id, fresh, learned: null };
  const last = await store.meta.get(`learn.auto_at.${brand.id}`);
  if (last !== null && now.getTime() - Date.parse(last) < AUTO_LEARN_MIN_INTERVAL_MS) return { brand: brand.id, fresh, learned: null };
  await store.meta.set(`learn.auto_at.${brand.id}`, now.toISOString());
  return { brand: brand.id, fresh, learned: await learnBrand(store, dir, brand) };
}

function seenKey(brand: string): string {
  return `learn.seen.${brand}`;
}

/** Every sentiment correction made for the brand (each one, not the latest per mention) plus its mentions marked not relevant. */
async function correctionCount(store: TriageStore, brand: string): Promise<number> {
  const corrections = (await store.listCorrections()).filter((c) => c.brand === brand).length;
  return corrections + (await store.countNewer({ brand: [brand], status: ['irrelevant'] }, 0));
}

function safeRead(file: string): BrandAdaptation | null {
  try {
    return readLearned(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  } catch {
    return null;
  }
}

/**
 * The brand's labelled examples, oldest first (the learner checks itself on the most recent):
 * its latest sentiment correction per mention, its mentions marked not relevant, and the
 * mentions the team handled without correcting them (confirmations: the label was right).
 */
async function correctionsOf(store: TriageStore, brand: string): Promise<Correction[]> {
  const latest = new Map<number, Dated>();
  for (const c of await store.listCorrections()) {
    if (c.brand !== brand || c.label === 'unknown') continue;
    latest.set(c.mentionId, { at: c.at, correction: { text: c.text, ...(c.title ? { title: c.title } : {}), label: c.label } });
  }
  const irrelevant = new Map<number, Dated>();
  await eachMention(store, brand, 'irrelevant', (m) => irrelevant.set(m.id, { at: m.statusAt ?? '', correction: { text: m.text, ...(m.title ? { title: m.title } : {}), label: 'irrelevant' } }));
  // A mention marked not relevant is that, whatever its sentiment was corrected to before.
  for (const id of irrelevant.keys()) latest.delete(id);
  const confirmed: Dated[] = [];
  await eachMention(store, brand, 'handled', (m) => {
    const label = m.sentiment.label;
    if (latest.has(m.id) || m.sentimentCorrectedFrom !== null || label === 'unknown') return;
    confirmed.push({ at: m.statusAt ?? '', correction: { text: m.text, ...(m.title ? { title: m.title } : {}), label, confirmed: true } });
  });
  const all = [...latest.values(), ...irrelevant.values(), ...confirmed];
  return all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)).map((d) => d.correction);
}

interface Dated {
  at: string;
  correction: Correction;
}

async function eachMention(store: TriageStore, brand: string, status: 'irrelevant' | 'handled', visit: (m: TriagedMention) => void): Promise<void> {
  let cursor: string | null = null;
  do {
    const page: InboxPage = await store.listInbox({ brand: [brand], status: [status] }, { cursor, limit: PAGE });
    for (const m of page.mentions) visit(m);
    cursor = page.next;
  } while (cursor !== null);
}
