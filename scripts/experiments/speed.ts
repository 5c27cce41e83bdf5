/**
 * Throughput of the whole analyze() against v1 in the same process (alternating passes), and a
 * digest of every output on every dataset text (to show a speed change leaves outputs identical).
 *   npx tsx scripts/experiments/speed.ts [passes]          texts/s, earshot and v1
 *   npx tsx scripts/experiments/speed.ts --golden FILE     writes every output, one JSON per line
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createAnalyzer } from '../../src/analyze/index.js';
import type { Analyzer, BrandContext } from '../../src/core/types.js';
import { EVAL_DIR, readLabelled, TRAIN_DIR } from '../lib/data.js';
import { createV1Analyzer } from '../lib/v1.js';

const earshot = createAnalyzer();
const brand: BrandContext = { name: 'Acme', handles: ['acme'] };
const golden = process.argv.indexOf('--golden');
if (golden >= 0) {
  const out: string[] = [];
  const files = [...readdirSync(EVAL_DIR).filter((f) => f.endsWith('.csv')).map((f) => path.join(EVAL_DIR, f)), path.join(TRAIN_DIR, 'brands_sanders.csv'), path.join(TRAIN_DIR, 'complaints_preotiuc2019.csv'), path.join(TRAIN_DIR, 'tweeteval_irony_train.csv'), path.join(TRAIN_DIR, 'tweeteval_offensive_train.csv')];
  const apple: BrandContext = { name: 'Apple', handles: ['apple'], vocabulary: { sick: 1, crash: -1 } };
  for (const file of files) {
    for (const r of readLabelled(file)) {
      out.push(JSON.stringify(earshot.analyze({ text: r.text })));
      out.push(JSON.stringify(earshot.analyze({ text: r.text, brand })));
      out.push(JSON.stringify(earshot.analyze({ text: r.text, brand: apple, reply: true })));
    }
  }
  writeFileSync(process.argv[golden + 1]!, out.join('\n') + '\n');
  console.log(`${out.length} outputs`);
} else {
  const texts = readLabelled(path.join(EVAL_DIR, 'semeval2017_4a_test.csv')).map((r) => r.text);
  const v1 = createV1Analyzer();
  const passes = Number(process.argv[2] ?? 5);
  const run = (a: Analyzer): number => {
    const started = process.cpuUsage();
    let sink = 0;
    for (const text of texts) sink += a.analyze({ text, brand }).urgency.score;
    const used = process.cpuUsage(started);
    if (sink === -1) console.log(sink);
    return texts.length / ((used.user + used.system) / 1e6);
  };
  run(earshot);
  run(v1);
  const e: number[] = [];
  const o: number[] = [];
  for (let p = 0; p < passes; p++) {
    e.push(run(earshot));
    o.push(run(v1));
  }
  const best = (xs: number[]) => Math.max(...xs);
  const ratios = e.map((x, i) => x / o[i]!);
  console.log(`earshot best ${Math.round(best(e))}/s, v1 best ${Math.round(best(o))}/s, ratio best-of ${(best(e) / best(o)).toFixed(3)}, per pass ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
}
