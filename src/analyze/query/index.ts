/**
 * The brand query language: a boolean query over a mention's title and text, used by brands
 * (`query:`) and by rules (`match.text`). The full reference is README.md beside this file.
 *
 * Precedence, tightest first:
 *   1. `-term` / `NOT term`   unary negation (`-` glued to its operand; `NOT` a separate word)
 *   2. `OR`                   so `a OR b c` means `(a OR b) AND c`, as in web search engines
 *   3. `AND`, or nothing      implicit AND between neighbouring terms
 *   Parentheses group, up to MAX_DEPTH (100) levels.
 * So `"acme cloud" OR acmecloud OR @acmecloud -jobs -"acme corp"` means
 * `("acme cloud" OR acmecloud OR @acmecloud) AND NOT jobs AND NOT "acme corp"`.
 * Only upper-case AND, OR, NOT are operators; `and`, `or`, `not` are ordinary words.
 *
 * Matching is case-insensitive, diacritic-insensitive and whole-word: text and terms go through
 * the same normaliser and tokenizer (normalize.ts, tokenize.ts). A query that would match a text
 * containing none of its terms (`-jobs`, `a OR -b`) is rejected: it would store nearly everything.
 *
 * Performance: prepareText() tokenizes once and indexes words; each term is then a map lookup
 * (phrases check the following words at each occurrence of the first), so one prepared mention
 * can be matched against the brand query and many rule queries cheaply.
 */
import { QuerySyntaxError } from './errors.js';
import { parseQuery, type QueryNode } from './parser.js';
import { termMatches } from './terms.js';
import { PreparedTextImpl } from './tokenize.js';

export { QuerySyntaxError };

/** Tokenized, normalised text; build it with prepareText() and reuse it across many queries. */
export interface PreparedText {
  /** Number of word tokens found in the text. */
  readonly tokenCount: number;
}

export interface CompiledQuery {
  readonly source: string;
  /** Matched positive terms as written in the query (e.g. '"acme cloud"', 'acmecloud', '@acmecloud'), deduplicated, or null if no match. */
  match(text: string | PreparedText): string[] | null;
}

export function prepareText(text: string): PreparedText {
  return new PreparedTextImpl(text);
}

/** Parses and checks `query`; throws QuerySyntaxError with the offset and length of the problem. */
export function compileQuery(query: string): CompiledQuery {
  const root = parseQuery(query);
  if (evaluate(root, EMPTY_TEXT, null)) {
    const culprit = alternativeMatchingNothing(root);
    const what = culprit === root ? 'the query can match by exclusions alone, so it' : 'this OR alternative can match by exclusions alone, so the query';
    throw new QuerySyntaxError(
      `${what} would match almost every text: add a word or phrase that must appear`,
      culprit.offset,
      culprit.length,
    );
  }
  return {
    source: query,
    match(text: string | PreparedText): string[] | null {
      const prepared = asPrepared(text);
      const matched: string[] = [];
      if (!evaluate(root, prepared, matched)) return null;
      return matched.length > 1 ? [...new Set(matched)] : matched;
    },
  };
}

const EMPTY_TEXT = new PreparedTextImpl('');

function asPrepared(text: string | PreparedText): PreparedTextImpl {
  if (typeof text === 'string') return new PreparedTextImpl(text);
  if (text instanceof PreparedTextImpl) return text;
  throw new TypeError('match() takes a string or a PreparedText from prepareText()');
}

/**
 * Evaluates the (negation-normal-form) tree. When `matched` is given, positive terms that take
 * part in the match are appended to it; a failing AND removes what its earlier children added.
 */
function evaluate(node: QueryNode, text: PreparedTextImpl, matched: string[] | null): boolean {
  switch (node.type) {
    case 'term': {
      const ok = termMatches(node.term, text);
      if (ok && matched !== null) matched.push(node.term.written);
      return ok;
    }
    case 'not':
      return !termMatches(node.term, text);
    case 'and': {
      const mark = matched?.length ?? 0;
      for (const child of node.children) {
        if (evaluate(child, text, matched)) continue;
        if (matched !== null) matched.length = mark;
        return false;
      }
      return true;
    }
    case 'or': {
      let any = false;
      for (const child of node.children) {
        // Without a list to fill, the first success settles it; with one, every matching term is reported.
        if (!evaluate(child, text, matched)) continue;
        if (matched === null) return true;
        any = true;
      }
      return any;
    }
  }
}

/** The part of the query to blame when it matches an empty text: the offending alternative of a written OR. */
function alternativeMatchingNothing(node: QueryNode): QueryNode {
  if (node.type !== 'or' || node.fromNegation) return node;
  const child = node.children.find((c) => evaluate(c, EMPTY_TEXT, null));
  return child === undefined ? node : alternativeMatchingNothing(child);
}
