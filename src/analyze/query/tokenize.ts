/**
 * Splits normalised text into word tokens. A token is a run of letters, digits, combining marks
 * and `_`; everything else (spaces, punctuation, apostrophes, hyphens, `.`, `/`, emoji) separates
 * tokens. `@` or `#` directly before a token, and not glued to a preceding word (so not the `@` of
 * an e-mail address), marks the token as a handle or hashtag.
 *
 * Scripts written without spaces between words (Chinese, Japanese, Korean, Thai, Lao, Khmer,
 * Myanmar) have no word boundaries to respect, so each of their characters is a token of its own:
 * a multi-character term then matches as consecutive characters, i.e. as a substring.
 */
import { normalizeText } from './normalize.js';

/** How a token was written: plain word, `@handle` or `#hashtag`. */
export const PLAIN = 0;
export const HANDLE = 1;
export const HASHTAG = 2;

const WORD_RUN = /(?<![\p{L}\p{N}\p{M}_])([@#])?([\p{L}\p{N}\p{M}_]+)/gu;
const NO_SPACE_SCRIPT =
  /[\p{scx=Han}\p{scx=Hira}\p{scx=Kana}\p{scx=Hang}\p{scx=Thai}\p{scx=Laoo}\p{scx=Khmr}\p{scx=Mymr}]/u;
const WORD_CHAR = /^[\p{L}\p{N}\p{M}_]$/u;

export interface Tokens {
  words: string[];
  /** PLAIN, HANDLE or HASHTAG per word. */
  kinds: number[];
}

/** Tokenizes text that is already normalised (see normalizeText). */
export function tokenizeNormalized(text: string): Tokens {
  const words: string[] = [];
  const kinds: number[] = [];
  const mayHaveNoSpaceScript = !/^[\x00-\x7f]*$/.test(text);
  for (const m of text.matchAll(WORD_RUN)) {
    const kind = m[1] === '@' ? HANDLE : m[1] === '#' ? HASHTAG : PLAIN;
    const run = m[2] ?? '';
    if (mayHaveNoSpaceScript && NO_SPACE_SCRIPT.test(run)) {
      splitNoSpaceRun(run, kind, words, kinds);
      continue;
    }
    words.push(run);
    kinds.push(kind);
  }
  return { words, kinds };
}

function splitNoSpaceRun(run: string, kind: number, words: string[], kinds: number[]): void {
  let pending = '';
  let nextKind = kind;
  const flush = (): void => {
    if (pending === '') return;
    words.push(pending);
    kinds.push(nextKind);
    nextKind = PLAIN;
    pending = '';
  };
  for (const ch of run) {
    if (!NO_SPACE_SCRIPT.test(ch)) {
      pending += ch;
      continue;
    }
    flush();
    words.push(ch);
    kinds.push(nextKind);
    nextKind = PLAIN;
  }
  flush();
}

/** True for a letter, digit, combining mark or `_` (one code point). */
export function isWordChar(ch: string): boolean {
  return WORD_CHAR.test(ch);
}

/**
 * The tokenized text behind the public `PreparedText`: word list, kinds, and an index from word
 * to positions so a term costs one map lookup, whatever the length of the text.
 */
export class PreparedTextImpl {
  readonly tokenCount: number;
  readonly words: readonly string[];
  readonly kinds: Uint8Array;
  readonly positions: ReadonlyMap<string, readonly number[]>;
  private sorted: string[] | null = null;

  constructor(text: string) {
    const { words, kinds } = tokenizeNormalized(normalizeText(text));
    this.words = words;
    this.kinds = Uint8Array.from(kinds);
    this.tokenCount = words.length;
    const positions = new Map<string, number[]>();
    for (let i = 0; i < words.length; i++) {
      const word = words[i] as string;
      const list = positions.get(word);
      if (list) list.push(i);
      else positions.set(word, [i]);
    }
    this.positions = positions;
  }

  /** Distinct words starting with `prefix` (sorted once, on first use, then binary-searched). */
  *wordsWithPrefix(prefix: string): Generator<string> {
    this.sorted ??= [...this.positions.keys()].sort();
    const sorted = this.sorted;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((sorted[mid] as string) < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < sorted.length; i++) {
      const word = sorted[i] as string;
      if (!word.startsWith(prefix)) return;
      yield word;
    }
  }
}
