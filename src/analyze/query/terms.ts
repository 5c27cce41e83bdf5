/**
 * A query term (word, `@handle`, `#tag`, `prefix*` or `"phrase"`) becomes a sequence of tokens
 * produced by the same normaliser and tokenizer as the text, so both sides always agree on what a
 * word is. A word that the tokenizer splits (`AI-powered`, `acmecloud.com`) is matched like a
 * phrase of its parts.
 */
import { QuerySyntaxError } from './errors.js';
import type { Lexeme } from './lexer.js';
import { normalizeText } from './normalize.js';
import { PLAIN, isWordChar, tokenizeNormalized, type PreparedTextImpl } from './tokenize.js';

export interface Term {
  /** The term as written in the query, e.g. '"acme cloud"', 'acme*', '@acmecloud'. */
  written: string;
  words: string[];
  /** Per word: PLAIN (any form matches), HANDLE (only @word) or HASHTAG (only #word). */
  kinds: number[];
  /** The last word is a prefix (`acme*`). */
  prefix: boolean;
}

/** Builds the term for a word or phrase lexeme; throws QuerySyntaxError for `*` misuse or nothing to match. */
export function buildTerm(lexeme: Lexeme): Term {
  const isPhrase = lexeme.type === 'phrase';
  const body = isPhrase ? lexeme.text.slice(1, -1) : lexeme.text;
  const bodyOffset = isPhrase ? lexeme.offset + 1 : lexeme.offset;
  if (!isPhrase && /^\*+$/.test(body)) {
    throw new QuerySyntaxError('lone *: * marks a prefix and must follow a word, as in acme*', lexeme.offset, body.length);
  }
  const stem = stripPrefixStar(body, bodyOffset);
  const { words, kinds } = tokenizeNormalized(normalizeText(stem));
  if (words.length === 0) {
    if (isPhrase) {
      throw new QuerySyntaxError('empty phrase: put words between the quotes', lexeme.offset, lexeme.text.length);
    }
    throw new QuerySyntaxError(
      `"${lexeme.text}" has no letters or digits to match (operators are AND, OR, NOT in upper case)`,
      lexeme.offset,
      lexeme.text.length,
    );
  }
  return { written: lexeme.text, words, kinds, prefix: stem !== body };
}

/** Returns `body` without a trailing prefix `*`, after checking no other `*` is present. */
function stripPrefixStar(body: string, bodyOffset: number): string {
  const trimmed = body.trimEnd();
  const last = trimmed.length - 1;
  for (let i = 0; i < trimmed.length; i++) {
    if (trimmed[i] !== '*') continue;
    if (i !== last) {
      throw new QuerySyntaxError('* can only end a word, as in acme* (it marks a prefix)', bodyOffset + i, 1);
    }
  }
  if (trimmed[last] !== '*') return body;
  const before = Array.from(trimmed.slice(Math.max(0, last - 2), last)).pop();
  if (before === undefined || !isWordChar(before)) {
    throw new QuerySyntaxError('* must directly follow a letter or digit, as in acme*', bodyOffset + last, 1);
  }
  return trimmed.slice(0, last);
}

/** True when the term occurs in the text. */
export function termMatches(term: Term, text: PreparedTextImpl): boolean {
  const first = term.words[0] as string;
  const kind = term.kinds[0] as number;
  if (term.words.length > 1) return phraseMatches(term, text);
  if (!term.prefix) return occursWithKind(text, text.idFor(first), kind);
  for (const id of text.idsWithPrefix(first)) {
    if (occursWithKind(text, id, kind)) return true;
  }
  return false;
}

function occursWithKind(text: PreparedTextImpl, id: number, kind: number): boolean {
  if (id < 0) return false;
  if (kind === PLAIN) return true;
  for (const p of text.positions[id] as readonly number[]) {
    if (text.kinds[p] === kind) return true;
  }
  return false;
}

// Anchors on the phrase's rarest exact word, so a phrase with one rare word is cheap even in a
// long text; the words are compared as integer ids.
function phraseMatches(term: Term, text: PreparedTextImpl): boolean {
  const n = term.words.length;
  const exactWords = term.prefix ? n - 1 : n;
  const wanted = new Int32Array(exactWords);
  let anchor = 0;
  let anchorPositions: readonly number[] = [];
  for (let i = 0; i < exactWords; i++) {
    const id = text.idFor(term.words[i] as string);
    if (id < 0) return false;
    wanted[i] = id;
    const positions = text.positions[id] as readonly number[];
    if (i === 0 || positions.length < anchorPositions.length) {
      anchor = i;
      anchorPositions = positions;
    }
  }
  const limit = text.tokenCount - n;
  for (const p of anchorPositions) {
    const start = p - anchor;
    if (start > limit) return false;
    if (start >= 0 && phraseAt(term, wanted, text, start)) return true;
  }
  return false;
}

function phraseAt(term: Term, wanted: Int32Array, text: PreparedTextImpl, start: number): boolean {
  const ids = text.ids;
  for (let i = 0; i < wanted.length; i++) {
    if (ids[start + i] !== wanted[i]) return false;
  }
  const n = term.words.length;
  if (term.prefix) {
    const last = text.vocabulary[ids[start + n - 1] as number] as string;
    if (!last.startsWith(term.words[n - 1] as string)) return false;
  }
  for (let i = 0; i < n; i++) {
    const kind = term.kinds[i] as number;
    if (kind !== PLAIN && text.kinds[start + i] !== kind) return false;
  }
  return true;
}
