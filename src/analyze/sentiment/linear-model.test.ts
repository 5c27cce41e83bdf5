import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFeatureBuffer, extractFeatures } from '../features/extract.js';
import { tokenize } from '../features/tokenize.js';
import {
  createScratch,
  decodeLinearModel,
  encodeLinearModel,
  loadLinearModel,
  quantizeWeights,
  scoreFeatures,
  scoreFeaturesPair,
  softmax,
  tokenPulls,
  type LinearModelHeader,
} from './linear-model.js';

const features = { bits: 8, wordNgrams: 2, charMin: 3, charMax: 4, negateChars: true };

function header(bias: number[] = [0, 0, 0]): LinearModelHeader {
  return { format: 'earshot-linear', version: 1, name: 'test', classes: ['a', 'b', 'c'], features, scale: 0.5, bias, trainedOn: [] };
}

describe('linear model file', () => {
  it('round-trips header and weights', () => {
    const weights = Int8Array.from({ length: 256 * 3 }, (_x, i) => ((i * 37) % 255) - 127);
    const decoded = decodeLinearModel(encodeLinearModel(header([0.1, 0, -0.2]), weights), 'm.bin');
    expect(decoded.header.bias).toEqual([0.1, 0, -0.2]);
    expect(decoded.classes).toBe(3);
    expect(Array.from(decoded.weights)).toEqual(Array.from(weights));
  });

  it('names the file and the fix when it is not a model or is truncated', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'earshot-model-'));
    const bad = path.join(dir, 'bad.bin');
    writeFileSync(bad, 'hello world');
    expect(() => loadLinearModel(bad)).toThrow(/bad\.bin: not an earshot model file.*npm run train/);
    const full = encodeLinearModel(header(), new Int8Array(256 * 3));
    const cut = path.join(dir, 'cut.bin');
    writeFileSync(cut, full.subarray(0, full.length - 10));
    expect(() => loadLinearModel(cut)).toThrow(/cut\.bin: expected 768 weights, found 758/);
  });

  it('quantises to int8 with one scale, keeping the largest weight exact', () => {
    const { weights, scale } = quantizeWeights(Float32Array.from([0.5, -1.27, 0.01, 0]));
    expect(scale).toBeCloseTo(0.01, 6);
    expect(Array.from(weights)).toEqual([50, -127, 1, 0]);
  });
});

describe('scoring', () => {
  const weights = Int8Array.from({ length: 256 * 3 }, (_x, i) => ((i * 7919) % 200) - 100);
  const model = decodeLinearModel(encodeLinearModel(header([0.3, 0, -0.3]), weights), 'm.bin');
  const tokens = tokenize('not a good day at all');
  const buf = createFeatureBuffer();
  extractFeatures(tokens, features, buf);

  it('computes logits as the scaled mean of feature weights plus the class offsets', () => {
    const scratch = createScratch(3);
    scoreFeatures(model, buf, tokens.length, scratch, null, null);
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let f = 0; f < buf.n; f++) sum += weights[buf.ids[f]! * 3 + c]!;
      expect(scratch.logits[c]).toBeCloseTo((sum * 0.5) / Math.sqrt(buf.n) + [0.3, 0, -0.3][c]!, 9);
    }
  });

  it('shares every feature among its words: the pulls add up to the logit difference', () => {
    const scratch = createScratch(3);
    scoreFeatures(model, buf, tokens.length, scratch, null, null);
    const pulls = new Float64Array(tokens.length);
    tokenPulls(model, buf, tokens.length, 2, 0, pulls);
    let biasFeature = 0;
    for (let f = 0; f < buf.n; f++) {
      if (buf.owner[f]! < 0) biasFeature += (weights[buf.ids[f]! * 3 + 2]! - weights[buf.ids[f]! * 3]!) * (0.5 / Math.sqrt(buf.n));
    }
    const total = pulls.reduce((a, b) => a + b, 0);
    expect(total + biasFeature + (-0.3 - 0.3)).toBeCloseTo(scratch.logits[2]! - scratch.logits[0]!, 9);
  });

  it('leaves out the features of skipped words', () => {
    const all = createScratch(3);
    scoreFeatures(model, buf, tokens.length, all, null, null);
    const skip = new Uint8Array(tokens.length);
    skip[2] = 1; // "good"
    const without = createScratch(3);
    scoreFeatures(model, buf, tokens.length, without, skip, { up: 2, down: 0 });
    expect(Array.from(without.logits)).not.toEqual(Array.from(all.logits));
    expect(without.pull[2]).toBe(0);
  });

  it('scores two models over the same features in one pass exactly as two separate passes', () => {
    const twoWeights = Int8Array.from({ length: 64 * 2 }, (_x, i) => ((i * 31) % 180) - 90);
    const twoHeader = { ...header([0.25, -0.5]), classes: ['no', 'yes'], features: { ...features, bits: 6 }, scale: 0.03 };
    const two = decodeLinearModel(encodeLinearModel(twoHeader, twoWeights), 'two.bin');
    const separate = [createScratch(3), createScratch(2)] as const;
    scoreFeatures(model, buf, tokens.length, separate[0], null, null);
    scoreFeatures(two, buf, tokens.length, separate[1], null, null);
    const joint = [createScratch(3), createScratch(2)] as const;
    scoreFeaturesPair(model, joint[0], two, joint[1], buf);
    expect(Array.from(joint[0].logits)).toEqual(Array.from(separate[0].logits));
    expect(Array.from(joint[1].logits)).toEqual(Array.from(separate[1].logits));
  });

  it('softmax returns the best class and probabilities summing to 1', () => {
    const logits = Float64Array.from([1, 3, 2]);
    expect(softmax(logits)).toBe(1);
    expect(logits.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(logits[1]).toBeGreaterThan(logits[2]!);
  });
});
