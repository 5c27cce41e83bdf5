/**
 * Searching stored mentions with the query language: the parsed query is translated into an
 * expression for a full-text index that selects a *superset* of the mentions the query matches,
 * and the real matcher (compileQuery) then keeps exactly those that match. The index makes search
 * fast; the matcher makes it right. So `earshot mentions --search`, the web UI and the API give
 * the same answers as a brand query or a rule's `match.text` would.
 *
 * The walk over the query tree is shared; a `SearchDialect` says how one index writes a term, an
 * AND and an OR (`fts5Dialect` here for SQLite; PostgreSQL's tsquery can be another dialect).
 * Rules of the walk, each of which keeps the result a superset:
 *   - a term the dialect cannot find reliably (null) does not narrow: an AND leaves it out, and an
 *     OR that contains it cannot narrow at all;
 *   - exclusions (`-term`, `NOT term`) never narrow: an index that splits words differently from
 *     the matcher (SQLite's splits `fire_alarm` into two words; the matcher keeps one) would drop
 *     mentions the query selects. The matcher applies them;
 *   - when nothing narrows, the expression is null and the caller scans (with its other filters).
 *
 * FTS5 specifics: every term is a double-quoted string (inner quotes doubled), so no input can be
 * read as FTS5 syntax (`e-bike`, `refund:`, `NEAR`, `title:x`); a prefix is `"acme clo"*`. The
 * FTS5 index (unicode61, remove_diacritics 2) folds case and Latin accents like the matcher but
 * not everything the matcher folds, so terms with words outside [a-z0-9_] after normalisation
 * (other scripts, which the matcher may match inside words) do not narrow. Known gap until the
 * index stores the matcher's own tokens: an ASCII term is not found where the text spells it with
 * letters the matcher folds and FTS5 does not (`strasse` in "Straße", `lodz` in "Łódź",
 * full-width letters, a soft hyphen inside the word).
 */
import { compileQuery, prepareText, type CompiledQuery } from './index.js';
import { parseQuery, type QueryNode } from './parser.js';
import { HANDLE, HASHTAG } from './tokenize.js';

export type TermForm = 'word' | 'handle' | 'hashtag';

/** One positive term of the query, as the matcher sees it. */
export interface SearchTerm {
  /** Normalised words (lower case, accents folded), in order; more than one is a phrase. */
  words: readonly string[];
  /** The last word is a prefix (`refund*`). */
  prefix: boolean;
  /** Per word: any form, only `@handle`, or only `#hashtag`. */
  forms: readonly TermForm[];
  /** As written in the query. */
  written: string;
}

export interface SearchDialect {
  /** The index expression for a term that must occur, or null when this index cannot find it reliably. */
  term(term: SearchTerm): string | null;
  and(parts: readonly string[]): string;
  or(parts: readonly string[]): string;
}

export interface SearchTranslation {
  /** Selects a superset of the matching mentions; null: the index cannot narrow this query (scan). */
  expression: string | null;
}

/**
 * Translates `query` for one index. Throws QuerySyntaxError (with offset and length) exactly
 * where compileQuery would.
 */
export function translateQuery(query: string, dialect: SearchDialect): SearchTranslation {
  compileQuery(query); // the same checks and errors as everywhere else
  return { expression: narrowing(parseQuery(query), dialect) };
}

/** The expression for `node`, or null when it cannot narrow the search. */
function narrowing(node: QueryNode, dialect: SearchDialect): string | null {
  switch (node.type) {
    case 'term':
      return dialect.term(searchTerm(node.term));
    case 'not':
      return null;
    case 'and': {
      const parts = node.children.map((c) => narrowing(c, dialect)).filter((p): p is string => p !== null);
      if (parts.length === 0) return null;
      return parts.length === 1 ? (parts[0] as string) : dialect.and(parts);
    }
    case 'or': {
      const parts: string[] = [];
      for (const child of node.children) {
        const part = narrowing(child, dialect);
        if (part === null) return null;
        parts.push(part);
      }
      return dialect.or(parts);
    }
  }
}

function searchTerm(term: { written: string; words: string[]; kinds: number[]; prefix: boolean }): SearchTerm {
  return {
    written: term.written,
    words: term.words,
    prefix: term.prefix,
    forms: term.kinds.map((k) => (k === HANDLE ? 'handle' : k === HASHTAG ? 'hashtag' : 'word')),
  };
}

const FTS5_SAFE_WORD = /^[a-z0-9_]+$/;

function fts5Phrase(words: readonly string[], prefix: boolean): string {
  return `"${words.join(' ').replace(/"/g, '""')}"${prefix ? '*' : ''}`;
}

/**
 * SQLite FTS5 over the `unicode61 remove_diacritics 2` index of the columns title and text.
 * The matcher reads `title + "\n" + text`, so a phrase may start at the end of the title and
 * end at the start of the text: each such split is one more alternative (`title : "acme" AND
 * text : ^ "cloud"`).
 */
export const fts5Dialect: SearchDialect = {
  term(term) {
    const { words, prefix } = term;
    if (!words.every((w) => FTS5_SAFE_WORD.test(w))) return null;
    // A handle or hashtag is found as its word (FTS5 drops @ and #); the matcher checks the form.
    if (words.length === 1) return fts5Phrase(words, prefix);
    const alternatives = [fts5Phrase(words, prefix)];
    for (let k = 1; k < words.length; k++) {
      alternatives.push(`(title : ${fts5Phrase(words.slice(0, k), false)} AND text : ^ ${fts5Phrase(words.slice(k), prefix)})`);
    }
    return `(${alternatives.join(' OR ')})`;
  },
  and: (parts) => `(${parts.join(' AND ')})`,
  or: (parts) => `(${parts.join(' OR ')})`,
};

/** Translates `query` into an FTS5 MATCH expression (a superset of its matches), or null to scan. */
export function toFts5(query: string): string | null {
  return translateQuery(query, fts5Dialect).expression;
}

/** A search ready to run: the index expression and the matcher that decides. */
export interface MentionSearchPlan {
  query: string;
  /** FTS5 MATCH expression selecting a superset of the matches, or null: no narrowing (scan). */
  fts5: string | null;
  /** True when the mention's title and text match the query (the same test as a brand query). */
  accepts(title: string, text: string): boolean;
}

/** Compiles a search in the query language; throws QuerySyntaxError for a bad query. */
export function planMentionSearch(query: string): MentionSearchPlan {
  const matcher: CompiledQuery = compileQuery(query);
  return {
    query,
    fts5: toFts5(query),
    accepts: (title, text) => matcher.match(prepareText(`${title}\n${text}`)) !== null,
  };
}
