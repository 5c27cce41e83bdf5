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

const WORD_CHAR = /^[\p{L}\p{N}\p{M}_]$/u;
const NO_SPACE_SCRIPT =
  /^[\p{scx=Han}\p{scx=Hira}\p{scx=Kana}\p{scx=Hang}\p{scx=Thai}\p{scx=Laoo}\p{scx=Khmr}\p{scx=Mymr}]$/u;

// Character classes, computed with the regexes above on first sight of each code point and cached:
// a regex test per character would make tokenizing ten times slower.
const UNKNOWN = 0;
const SEPARATOR = 1;
const WORD = 2;
const NO_SPACE_WORD = 3;
const classes = new Uint8Array(0x110000);

function classify(cp: number): number {
  const known = classes[cp] as number;
  if (known !== UNKNOWN) return known;
  const ch = String.fromCodePoint(cp);
  const cls = !WORD_CHAR.test(ch) ? SEPARATOR : NO_SPACE_SCRIPT.test(ch) ? NO_SPACE_WORD : WORD;
  classes[cp] = cls;
  return cls;
}

export interface Tokens {
  words: string[];
  /** PLAIN, HANDLE or HASHTAG per word. */
  kinds: number[];
}

const AT = 0x40;
const HASH = 0x23;

/** Tokenizes text that is already normalised (see normalizeText). */
export function tokenizeNormalized(text: string): Tokens {
  const words: string[] = [];
  const kinds: number[] = [];
  const n = text.length;
  let i = 0;
  let afterWord = false;
  let markerEnd = -1;
  let marker = PLAIN;
  while (i < n) {
    const cp = text.codePointAt(i) as number;
    if (classify(cp) === SEPARATOR) {
      // `@`/`#` glued to a preceding word (an e-mail address, a URL fragment) marks nothing.
      if ((cp === AT || cp === HASH) && !afterWord) {
        markerEnd = i + 1;
        marker = cp === AT ? HANDLE : HASHTAG;
      }
      afterWord = false;
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    i = scanRun(text, i, markerEnd === i ? marker : PLAIN, words, kinds);
    afterWord = true;
  }
  return { words, kinds };
}

/** Reads the word run starting at `start`, pushes its token(s) and returns the index after it. */
function scanRun(text: string, start: number, kind: number, words: string[], kinds: number[]): number {
  let i = start;
  let tokenStart = start;
  let nextKind = kind;
  while (i < text.length) {
    const cp = text.codePointAt(i) as number;
    const cls = classify(cp);
    if (cls === SEPARATOR) break;
    const width = cp > 0xffff ? 2 : 1;
    if (cls === NO_SPACE_WORD) {
      if (i > tokenStart) {
        words.push(text.slice(tokenStart, i));
        kinds.push(nextKind);
        nextKind = PLAIN;
      }
      words.push(text.slice(i, i + width));
      kinds.push(nextKind);
      nextKind = PLAIN;
      tokenStart = i + width;
    }
    i += width;
  }
  if (i > tokenStart) {
    words.push(text.slice(tokenStart, i));
    kinds.push(nextKind);
  }
  return i;
}

/** True for a letter, digit, combining mark or `_` (one code point). */
export function isWordChar(ch: string): boolean {
  return WORD_CHAR.test(ch);
}

/**
 * The tokenized text behind the public `PreparedText`. Each distinct word gets a small integer id;
 * the text is kept as a sequence of ids plus an index from id to positions, so a term costs one
 * map lookup and a phrase compares integers, whatever the length of the text.
 *
 * The index is built on first use: most texts are matched against one brand query whose words
 * they mostly do not contain, and a scan of the words answers "absent" for less than building
 * the index costs. After a few scans (many queries, e.g. rules) the index is built anyway.
 */
export class PreparedTextImpl {
  readonly tokenCount: number;
  /** PLAIN, HANDLE or HASHTAG per token. */
  readonly kinds: Uint8Array;
  private readonly words: readonly string[];
  private index: TextIndex | null = null;
  private scansLeft = MAX_SCANS;
  private sortedIds: number[] | null = null;

  constructor(text: string) {
    const { words, kinds } = tokenizeNormalized(normalizeText(text));
    this.tokenCount = words.length;
    this.words = words;
    this.kinds = new Uint8Array(kinds);
  }

  /** Word id per token. */
  get ids(): Int32Array {
    return this.indexed().ids;
  }

  /** Word per id. */
  get vocabulary(): readonly string[] {
    return this.indexed().vocabulary;
  }

  /** Token positions per id, ascending. */
  get positions(): readonly (readonly number[])[] {
    return this.indexed().positions;
  }

  /** The id of `word`, or -1 when the text does not contain it. */
  idFor(word: string): number {
    if (this.index === null && this.scansLeft > 0) {
      this.scansLeft--;
      if (!this.words.includes(word)) return -1;
    }
    return this.indexed().idOf.get(word) ?? -1;
  }

  private indexed(): TextIndex {
    this.index ??= buildIndex(this.words);
    return this.index;
  }

  /** Ids of the distinct words starting with `prefix` (sorted once, on first use, then binary-searched). */
  idsWithPrefix(prefix: string): number[] {
    const vocabulary = this.vocabulary;
    this.sortedIds ??= vocabulary.map((_, id) => id).sort((a, b) => compareWords(vocabulary[a], vocabulary[b]));
    const sorted = this.sortedIds;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((vocabulary[sorted[mid] as number] as string) < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: number[] = [];
    for (let i = lo; i < sorted.length; i++) {
      const id = sorted[i] as number;
      if (!(vocabulary[id] as string).startsWith(prefix)) break;
      found.push(id);
    }
    return found;
  }
}

/** Scans of the words before idFor() builds the index instead (each costs about 1/8 of building it). */
const MAX_SCANS = 8;

interface TextIndex {
  ids: Int32Array;
  vocabulary: string[];
  positions: number[][];
  idOf: Map<string, number>;
}

function buildIndex(words: readonly string[]): TextIndex {
  const idOf = new Map<string, number>();
  const vocabulary: string[] = [];
  const positions: number[][] = [];
  const ids = new Int32Array(words.length);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    let id = idOf.get(word);
    if (id === undefined) {
      id = vocabulary.length;
      idOf.set(word, id);
      vocabulary.push(word);
      positions.push([i]);
    } else {
      (positions[id] as number[]).push(i);
    }
    ids[i] = id;
  }
  return { ids, vocabulary, positions, idOf };
}

// Code-unit order, the same order `<` uses in the binary search.
function compareWords(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
