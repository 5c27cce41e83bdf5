/**
 * The v1 complaint detector (scripts/eval-v1/complaint.bin, for eval's comparison): probability that a text is a complaint,
 * trained on Preoţiuc-Pietro et al. (ACL 2019) complaint tweets.
 */
import { createFeatureBuffer, extractFeatures, type FeatureBuffer, type FeatureConfig } from '../../src/analyze/features/extract.js';
import type { Token } from '../../src/analyze/features/tokenize.js';
import { createScratch, scoreFeatures, softmax, type CompanionModel, type LinearModel, type ScoreScratch } from '../../src/analyze/sentiment/linear-model.js';

export class ComplaintModel {
  private readonly model: LinearModel;
  private readonly buf: FeatureBuffer = createFeatureBuffer();
  private readonly scratch: ScoreScratch;
  /**
   * For SentimentModel.score, which scores this model in the same pass over shared features;
   * read the result with scoredProbability().
   */
  readonly companion: CompanionModel;

  constructor(model: LinearModel) {
    if (model.classes !== 2) throw new Error(`complaint model must have 2 classes, has ${model.classes}`);
    this.model = model;
    this.scratch = createScratch(2);
    this.companion = { model, scratch: this.scratch };
  }

  /**
   * True when features extracted with `other` settings serve this model too: the same n-grams,
   * and at least as many hash bits (ids are masked down).
   */
  canShare(other: FeatureConfig): boolean {
    const mine = this.model.header.features;
    return (
      other.bits >= mine.bits &&
      other.wordNgrams === mine.wordNgrams &&
      other.charMin === mine.charMin &&
      other.charMax === mine.charMax &&
      other.negateChars === mine.negateChars
    );
  }

  /** Probability of a complaint; `shared` holds features extracted with settings `canShare` accepted. */
  probability(tokens: readonly Token[], shared?: FeatureBuffer): number {
    const buf = shared ?? this.buf;
    if (shared === undefined) extractFeatures(tokens, this.model.header.features, buf);
    scoreFeatures(this.model, buf, tokens.length, this.scratch, null, null);
    return this.scoredProbability();
  }


  /** Probability of a complaint from the logits the companion pass left in the scratch. */
  scoredProbability(): number {
    softmax(this.scratch.logits);
    return this.scratch.logits[1]!;
  }
}
