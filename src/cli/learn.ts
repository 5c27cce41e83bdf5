/**
 * `earshot learn --brand B [--forget]`: learns the brand's adaptation from its team's
 * corrections now and prints what changed. Every sentiment correction (UI, API, Slack: the
 * triage store's sentiment_corrections, the latest per mention), every mention marked "not
 * relevant" and every mention handled without a correction (its label was right) is a labelled
 * example; the analyzer learns a small per-brand correction on top of
 * the shared models (src/analyze/adapt) and this command writes it to `learned/<brand>.json` in
 * the config directory, where the config loader attaches it to the brand (the daemon picks it up
 * at its next config reload or restart). `--forget` deletes it: the shared models again.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeAdaptation, learnAdaptation, type Correction } from '../analyze/index.js';
import { learnedFile, readLearned } from '../config/learned.js';
import type { BrandAdaptation } from '../core/types.js';
import { triageStoreOf } from '../store/index.js';
import type { InboxPage, TriagedMention, TriageStore } from '../store/triage-types.js';
import { openStore, requireConfig, UserError, type Context } from './context.js';

export interface LearnOptions {
  brand: string;
  forget?: boolean;
}

const PAGE = 500;

export async function learnCommand(ctx: Context, options: LearnOptions): Promise<number> {
  const { config } = requireConfig(ctx, { quiet: true });
  const brand = config.brands.get(options.brand);
  if (!brand) {
    const known = [...config.brands.keys()].sort();
    throw new UserError(`--brand ${options.brand}: no such brand; ${known.length ? `brands are ${known.join(', ')}` : 'no brand is configured (sources/*.yaml)'}`);
  }
  const file = learnedFile(ctx.dir, brand.id);
  if (options.forget) {
    if (existsSync(file)) rmSync(file);
    ctx.io.out(`${brand.id}: forgot what it learned; the shared models answer again (${file} removed)`);
    return 0;
  }
  const corrections = await correctionsOf(ctx, brand.id);
  if (!corrections.some((c) => !c.confirmed)) {
    ctx.io.out(`${brand.id}: no corrections yet; correct a mention's sentiment or mark it not relevant (UI, API or Slack), then run this again`);
    return 0;
  }
  const previous = existsSync(file) ? safeRead(file) : null;
  const { adaptation: _old, ...context } = brand.context;
  const adaptation = learnAdaptation(context, corrections);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(adaptation, null, 1)}\n`);
  ctx.io.out(`${brand.id}: wrote ${file}`);
  for (const line of describeAdaptation(previous, adaptation)) ctx.io.out(line);
  return 0;
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
async function correctionsOf(ctx: Context, brand: string): Promise<Correction[]> {
  const data = await openStore(ctx, { readonly: true });
  try {
    const store = await triageStoreOf(data);
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
  } finally {
    await data.close();
  }
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
