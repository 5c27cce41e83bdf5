/**
 * `earshot learn --brand B` end to end: corrections made through the triage domain (as the UI,
 * API and Slack make them) in a real SQLite database, learned into learned/<brand>.json, attached
 * by the config loader, used by `earshot analyze --brand B`, and forgotten again.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedMentionSync as seedMention } from './helpers/digest-seed.js';
import { openDatabase } from '../src/store/sqlite/db.js';
import { triageStore } from '../src/store/sqlite/triage.js';
import { applyAction } from '../src/triage/actions.js';
import { makeDeployment, runCli } from './helpers/cli.js';
import { createAnalyzer } from '../src/analyze/index.js';
import { SK8_ORDINARY } from './helpers/sk8-brand.js';

const BRAND = `brand: sk8\nname: Sk8 Co\nhandles: [sk8co]\nquery: sk8co OR "sk8 co"\nsources:\n  - type: rss\n    url: http://127.0.0.1:9/never-polled.xml\n`;
const actor = { kind: 'ui' as const, id: 'dana', name: 'Dana' };
const PROBE = 'my new sk8co deck is so sick';

/** Mentions the team handles without correcting them; stored with the analyzer's label, as the pipeline stores them. */
const ORDINARY = SK8_ORDINARY;

async function seedCorrections(dir: string): Promise<void> {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const db = openDatabase(join(dir, 'data', 'earshot.db'));
  const store = triageStore(db);
  const analyzer = createAnalyzer();
  const positive = [
    'that new sk8co deck is sick',
    'the sk8co pro model is so sick',
    'sick deck from sk8co, filthy graphics',
    'filthy wheels on the new sk8co completes',
    'sk8co trucks are sick, grinding all day',
    'got the sk8co street deck, so sick',
    'sk8co just dropped a sick new graphic series',
    'filthy pop on this sk8co deck, sick',
  ];
  const irrelevant = ['snow report: Sk8 Co ski resort opens lifts on friday', 'Sk8 Co ski resort lift tickets went up again', 'skiing at Sk8 Co resort this weekend, fresh powder'];
  let n = 0;
  const seed = (text: string, sentiment: 'negative' | 'neutral' | 'positive' = 'negative') =>
    seedMention(db, { brand: 'sk8', id: `m${n++}`, at: `2026-12-01T10:${String(n).padStart(2, '0')}:00.000Z`, text, sentiment });
  const handle = async (text: string) => {
    const sentiment = analyzer.analyze({ text, brand: { name: 'Sk8 Co', handles: ['sk8co'] } }).sentiment.label as 'negative' | 'neutral' | 'positive';
    await applyAction(store, { mentionId: seed(text, sentiment), action: 'handle', actor });
  };
  // The team works through the inbox: handles most mentions as they are, corrects some.
  for (const [i, text] of positive.entries()) {
    await handle(ORDINARY[i]!);
    const id = seed(text);
    // Corrected twice: the latest label counts.
    await applyAction(store, { mentionId: id, action: 'sentiment', value: 'neutral', actor });
    await applyAction(store, { mentionId: id, action: 'sentiment', value: 'positive', actor });
  }
  for (const text of irrelevant) await applyAction(store, { mentionId: seed(text, 'neutral'), action: 'irrelevant', actor });
  await applyAction(store, { mentionId: seed('sk8co shipped my board with a cracked tail', 'neutral'), action: 'sentiment', value: 'negative', actor });
  for (const text of ORDINARY.slice(positive.length)) await handle(text);
  // Another brand's corrections are not this brand's.
  await applyAction(store, { mentionId: seedMention(db, { brand: 'acme', id: 'other', at: '2026-12-01T11:00:00.000Z', text: 'acme is sick', sentiment: 'negative' }), action: 'sentiment', value: 'positive', actor });
  db.close();
}

const label = async (dir: string, text: string) => (JSON.parse((await runCli(dir, ['analyze', '--brand', 'sk8', text])).stdout) as { sentiment: { label: string } }).sentiment.label;

describe('earshot learn', () => {
  it('learns from the brand\'s corrections, is used for that brand, says what it learned, and forgets', async () => {
    const dir = makeDeployment({ 'sources/sk8.yaml': BRAND });
    await seedCorrections(dir);
    expect(await label(dir, PROBE)).not.toBe('positive');

    const learned = await runCli(dir, ['learn', '--brand', 'sk8']);
    expect(learned.code).toBe(0);
    const lines = learned.stdout.split('\n');
    expect(lines[0]).toBe(`sk8: wrote ${join(dir, 'learned', 'sk8.json')}`);
    expect(lines[1]).toBe('learned from 12 corrections: 1 negative, 0 neutral, 8 positive, 3 not relevant');
    expect(lines[2]).toBe('and 16 mentions handled without a correction (their labels were right)');
    expect(lines[3]).toMatch(/^checked on the brand's own examples: .*; applied/);
    expect(lines.some((l) => /^\+ "sick" -> positive/.test(l))).toBe(true);
    expect(await label(dir, PROBE)).toBe('positive');

    const again = await runCli(dir, ['learn', '--brand', 'sk8']);
    expect(again.stdout).toContain('before: 12 corrections');
    expect(again.stdout).not.toMatch(/^\+ /m);

    const forgot = await runCli(dir, ['learn', '--brand', 'sk8', '--forget']);
    expect(forgot.code).toBe(0);
    expect(existsSync(join(dir, 'learned', 'sk8.json'))).toBe(false);
    expect(await label(dir, PROBE)).not.toBe('positive');
  });

  it('names the known brands for an unknown one, and says when there is nothing to learn', async () => {
    const dir = makeDeployment({ 'sources/sk8.yaml': BRAND });
    const unknown = await runCli(dir, ['learn', '--brand', 'skate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('--brand skate: no such brand; brands are sk8');
    mkdirSync(join(dir, 'data'));
    openDatabase(join(dir, 'data', 'earshot.db')).close();
    const nothing = await runCli(dir, ['learn', '--brand', 'sk8']);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/^sk8: no corrections yet/);
  });

  it('check warns about a learned file that is not an adaptation, and the brand goes on without it', async () => {
    const dir = makeDeployment({ 'sources/sk8.yaml': BRAND });
    mkdirSync(join(dir, 'learned'));
    writeFileSync(join(dir, 'learned', 'sk8.json'), '{"hello": 1}\n');
    const check = await runCli(dir, ['check']);
    expect(check.stdout + check.stderr).toContain('learned/sk8.json: warning: not a brand adaptation: left out');
    expect((await runCli(dir, ['analyze', '--brand', 'sk8', PROBE])).code).toBe(0);
  });
});
