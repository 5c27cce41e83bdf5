/**
 * The complaint detector (models/complaint.bin): probability that a text is a complaint,
 * trained on Preoţiuc-Pietro et al. (ACL 2019) complaint tweets.
 */
import { createFeatureBuffer, extractFeatures, type FeatureBuffer } from '../features/extract.js';
import type { Token } from '../features/tokenize.js';
import { createScratch, scoreFeatures, softmax, type LinearModel, type ScoreScratch } from '../sentiment/linear-model.js';

export class ComplaintModel {
  private readonly model: LinearModel;
  private readonly buf: FeatureBuffer = createFeatureBuffer();
  private readonly scratch: ScoreScratch;

  constructor(model: LinearModel) {
    if (model.classes !== 2) throw new Error(`complaint model must have 2 classes, has ${model.classes}`);
    this.model = model;
    this.scratch = createScratch(2);
  }

  probability(tokens: readonly Token[]): number {
    extractFeatures(tokens, this.model.header.features, this.buf);
    scoreFeatures(this.model, this.buf, tokens.length, this.scratch, null);
    softmax(this.scratch.logits);
    return this.scratch.logits[1]!;
  }
}
