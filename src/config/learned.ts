/**
 * Brands' learned adaptations (`earshot learn`): `learned/<brand>.json` in the config directory,
 * attached to the brand's analyzer context when the config loads. A file that is not an
 * adaptation is reported as a warning and left out (the shared models answer for that brand).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrandAdaptation } from '../core/types.js';

export function learnedFile(dir: string, brand: string): string {
  return join(dir, 'learned', `${brand}.json`);
}

/** The adaptation in `data`, or an Error saying what is wrong with it. */
export function readLearned(data: unknown): BrandAdaptation {
  const a = data as Partial<BrandAdaptation> | null;
  if (!a || typeof a !== 'object' || a.format !== 'earshot-adaptation') throw new Error('not a brand adaptation');
  if (a.version !== 1) throw new Error(`adaptation version ${String(a.version)} is not supported`);
  if (!Array.isArray(a.bias) || typeof a.weights !== 'object' || a.weights === null || typeof a.examples !== 'object') throw new Error('adaptation is incomplete');
  return a as BrandAdaptation;
}

/** The brand's adaptation, null when it has none, or an Error for a file that is not one. */
export function loadLearned(dir: string, brand: string): BrandAdaptation | null | Error {
  const file = learnedFile(dir, brand);
  if (!existsSync(file)) return null;
  try {
    return readLearned(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  } catch (err) {
    return err as Error;
  }
}
