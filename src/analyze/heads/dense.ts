/**
 * The dense inputs of the heads (see DENSE_INPUTS in model.ts), computed the same way in training
 * (scripts/lib/heads-train.ts) and at analysis time, so the two cannot drift.
 */
import { addressedHandle } from '../urgency/index.js';
import { DENSE_INPUTS, type DenseInput } from './model.js';

export interface DenseContext {
  /** The text as analysed (title and body joined). */
  text: string;
  /** General sentiment logits (negative, neutral, positive) with the model's class offsets. */
  logits: ArrayLike<number>;
  /** Brand handles (without @); the text is "addressed" when it names one of them as @handle. */
  handles: readonly string[];
  /** The mention is a reply or comment (the source says so); a text starting with @name counts too. */
  reply: boolean;
  severeCrisis: boolean;
  moderateCrisis: boolean;
  /** The handle it addresses, when known already (else found here). */
  addressed?: string | null;
}

const INDEX = Object.fromEntries(DENSE_INPUTS.map((name, i) => [name, i])) as Record<DenseInput, number>;
export { INDEX as DENSE_INDEX };

/** A link (plain substring tests: a case-insensitive regex cost 2% of analyze()). */
function hasLink(text: string): boolean {
  return text.includes('://') || text.includes('{link}') || text.includes('<url>') || text.includes('www.') || text.includes('WWW.');
}

const LEADING_MENTION_RE = /^\s*(?:RT\s+)?\.?@\w/;
const RETWEET_RE = /^\s*RT\b/;

/** Fills `out` (length DENSE_INPUTS.length) with every input except the head margins (complaint, irony). */
export function fillDense(ctx: DenseContext, out: Float64Array): void {
  const text = ctx.text;
  out[INDEX['general.negative']] = ctx.logits[0]! - ctx.logits[1]!;
  out[INDEX['general.positive']] = ctx.logits[2]! - ctx.logits[1]!;
  out[INDEX.complaint] = 0;
  out[INDEX.irony] = 0;
  const addressed = ctx.addressed !== undefined ? ctx.addressed : addressedHandle(text, ctx.handles);
  out[INDEX.addressed] = addressed !== null ? 1 : 0;
  out[INDEX.reply] = ctx.reply || LEADING_MENTION_RE.test(text) ? 1 : 0;
  out[INDEX.question] = text.includes('?') ? 1 : 0;
  out[INDEX.url] = hasLink(text) ? 1 : 0;
  out[INDEX['crisis.severe']] = ctx.severeCrisis ? 1 : 0;
  out[INDEX['crisis.moderate']] = ctx.moderateCrisis ? 1 : 0;
  out[INDEX.retweet] = RETWEET_RE.test(text) ? 1 : 0;
  out[INDEX.length] = Math.min(1, text.length / 140);
}
