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
  if (term.words.length === 1) {
    if (!term.prefix) return occursWithKind(text, first, term.kinds[0] as number);
    for (const word of text.wordsWithPrefix(first)) {
      if (occursWithKind(text, word, term.kinds[0] as number)) return true;
    }
    return false;
  }
  return phraseMatches(term, text);
}

function occursWithKind(text: PreparedTextImpl, word: string, kind: number): boolean {
  const positions = text.positions.get(word);
  if (positions === undefined) return false;
  if (kind === PLAIN) return true;
  for (const p of positions) {
    if (text.kinds[p] === kind) return true;
  }
  return false;
}

function phraseMatches(term: Term, text: PreparedTextImpl): boolean {
  const n = term.words.length;
  const positions = text.positions.get(term.words[0] as string);
  if (positions === undefined) return false;
  const limit = text.tokenCount - n;
  for (const start of positions) {
    if (start > limit) return false;
    if (phraseAt(term, text, start, n)) return true;
  }
  return false;
}

function phraseAt(term: Term, text: PreparedTextImpl, start: number, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const want = term.kinds[i] as number;
    if (want !== PLAIN && text.kinds[start + i] !== want) return false;
    const word = text.words[start + i] as string;
    const expected = term.words[i] as string;
    const isLast = i === n - 1;
    if (isLast && term.prefix ? !word.startsWith(expected) : word !== expected) return false;
  }
  return true;
}
