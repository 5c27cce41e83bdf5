/**
 * Learning-from-corrections experiments on the cached per-brand heads (learning-heads.ts):
 *   npx tsx scripts/experiments/learning.ts '{"folds":0}' [noconf]
 * The JSON overrides LEARN_SETTINGS; `noconf` passes corrections only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LEARN_SETTINGS } from '../../src/analyze/index.js';
import { decodeHeads } from '../../src/analyze/heads/model.js';
import { REPO_ROOT } from '../lib/data.js';
import { sandersSet } from '../lib/heads-train.js';
import { simulateLearning } from '../lib/learning-sim.js';

const settings = { ...LEARN_SETTINGS, ...(JSON.parse(process.argv[2] ?? '{}') as object) };
const confirmations = !process.argv.includes('noconf');
const started = Date.now();
const curve = simulateLearning(sandersSet(), (topic) => {
  const file = path.join(REPO_ROOT, '.tmp', 'learn', `heads-${topic}.bin`);
  return decodeHeads(readFileSync(file), file);
}, { settings, confirmations });
const f = (x: number) => x.toFixed(3);
console.log(process.argv[2] ?? '{}', confirmations ? 'with confirmations' : 'corrections only', `${((Date.now() - started) / 1000).toFixed(0)} s`);
for (const c of curve) {
  const per = Object.entries(c.byBrand).map(([b, x]) => `${b} ${f(x.sharedNegF1)}>${f(x.adaptedNegF1)}`).join(', ');
  console.log(`${String(c.corrections).padStart(3)}: n=${c.rest} negF1 ${f(c.sharedNegF1)} -> ${f(c.adaptedNegF1)} (${c.adaptedNegF1 >= c.sharedNegF1 ? '+' : ''}${f(c.adaptedNegF1 - c.sharedNegF1)}), macroF1 ${f(c.sharedMacroF1)} -> ${f(c.adaptedMacroF1)}, changed ${c.changed} right ${c.changedRight} broke ${c.broke} | ${per}`);
}
