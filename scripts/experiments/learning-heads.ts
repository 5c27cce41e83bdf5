/**
 * Caches the learning simulation's per-brand heads (the brand layer trained without that Sanders
 * topic) in .tmp/learn/, so learning experiments start in seconds:
 *   npx tsx scripts/experiments/learning-heads.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { encodeHeads } from '../../src/analyze/heads/model.js';
import { loadLinearModel } from '../../src/analyze/sentiment/linear-model.js';
import { REPO_ROOT } from '../lib/data.js';
import { buildHeads, trainBrandHead, withBrandHead } from '../lib/heads-recipe.js';

const dir = path.join(REPO_ROOT, '.tmp', 'learn');
mkdirSync(dir, { recursive: true });
const sentiment = loadLinearModel(path.join(REPO_ROOT, 'models', 'sentiment.bin'));
const started = Date.now();
const build = buildHeads(sentiment, (l) => console.log(l));
console.log(`heads built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
const { sanders } = build.brand;
for (const topic of [...new Set(sanders.topics)].sort()) {
  const heads = withBrandHead(build, trainBrandHead(build.brand, (i) => sanders.topics[i] !== topic), sentiment);
  writeFileSync(path.join(dir, `heads-${topic}.bin`), encodeHeads(heads.header, heads.weights));
  console.log(topic, 'written');
}
