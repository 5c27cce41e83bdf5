/** Reading the shared labelled CSVs (`id,text,label`). */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED_DATASETS = path.resolve(REPO_ROOT, '../shared/datasets');
export const TRAIN_DIR = path.join(SHARED_DATASETS, 'train');
export const EVAL_DIR = path.join(SHARED_DATASETS, 'sentiment');

export interface LabelledText {
  id: string;
  text: string;
  label: string;
}

export function readLabelled(file: string): LabelledText[] {
  const rows = parse(readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<
    string,
    string
  >[];
  return rows.map((row, i) => {
    const { id, text, label } = row;
    if (id === undefined || text === undefined || label === undefined) {
      throw new Error(`${file}: row ${i + 2} lacks one of the columns id, text, label`);
    }
    return { id, text, label };
  });
}

/** Exits with a message (status 0) when the shared datasets are not next to the repo. */
export function requireSharedData(dir: string, what: string): boolean {
  if (existsSync(dir)) return true;
  console.log(`${what}: skipped, ${dir} is absent (the labelled data lives in ../shared/datasets next to the repo)`);
  return false;
}

export const SENTIMENT_CLASSES = ['negative', 'neutral', 'positive'] as const;

export function sentimentIndex(label: string, file: string): number {
  const i = (SENTIMENT_CLASSES as readonly string[]).indexOf(label);
  if (i < 0) throw new Error(`${file}: unknown label "${label}" (expected negative, neutral or positive)`);
  return i;
}
