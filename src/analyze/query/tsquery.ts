/**
 * The query language on PostgreSQL's full-text search. Both sides use the matcher's own
 * normaliser and tokenizer, so a search means exactly what a brand query or a rule's `match.text`
 * means, whatever the server's locale, text-search configuration or installed extensions:
 *
 *   - `searchDocument(title, text)` is the `tsvector` of a mention (written by the PostgreSQL
 *     store into `mentions.search`): each token of `title + "\n" + text` at its position, and a
 *     token written `@word` or `#word` also as the lexeme `@word` / `#word` at the same position;
 *   - `toTsquery(query)` walks the parsed query: a word is `'word'` (`'@word'` for a handle,
 *     `'#word'` for a hashtag), a phrase joins its words with `<->`, a prefix ends in `:*`, and
 *     AND, OR, NOT become `&`, `|`, `!`.
 * Both return literals for a `$n::tsvector` / `$n::tsquery` parameter: no text-search parser
 * runs on the server.
 *
 * Limits (PostgreSQL's): positions above 16,383 are recorded as 16,383, so a phrase deep in a
 * very long text can match where its words are merely both present; a "word" longer than 2,000
 * bytes (a base64 blob) is left out of the index.
 */
import { parseQuery, type QueryNode } from './parser.js';
import { compileQuery } from './index.js';
import { normalizeText } from './normalize.js';
import type { Term } from './terms.js';
import { HANDLE, HASHTAG, tokenizeNormalized } from './tokenize.js';

const MAX_POSITION = 16_383;
const MAX_LEXEME_BYTES = 2_000;

/** The tsvector literal of a mention's title and text. */
export function searchDocument(title: string, text: string): string {
  const { words, kinds } = tokenizeNormalized(normalizeText(`${title}\n${text}`));
  const positions = new Map<string, number[]>();
  const add = (lexeme: string, position: number): void => {
    const list = positions.get(lexeme);
    if (list === undefined) positions.set(lexeme, [position]);
    // PostgreSQL keeps at most 256 positions per lexeme; more would only be dropped.
    else if (list.length < 256 && list[list.length - 1] !== position) list.push(position);
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (Buffer.byteLength(word) > MAX_LEXEME_BYTES) continue;
    const position = Math.min(i + 1, MAX_POSITION);
    add(word, position);
    const kind = kinds[i];
    if (kind === HANDLE) add(`@${word}`, position);
    else if (kind === HASHTAG) add(`#${word}`, position);
  }
  const parts: string[] = [];
  for (const [lexeme, list] of positions) parts.push(`${quote(lexeme)}:${list.join(',')}`);
  return parts.join(' ');
}

/**
 * The tsquery literal for a query in the query language. Throws QuerySyntaxError exactly where
 * compileQuery does (the same checks: a query must name something that has to appear).
 */
export function toTsquery(query: string): string {
  compileQuery(query);
  return expression(parseQuery(query));
}

function expression(node: QueryNode): string {
  switch (node.type) {
    case 'term':
      return termExpression(node.term);
    case 'not':
      return `!${termExpression(node.term)}`;
    case 'and':
      return `(${node.children.map(expression).join(' & ')})`;
    case 'or':
      return `(${node.children.map(expression).join(' | ')})`;
  }
}

function termExpression(term: Term): string {
  const last = term.words.length - 1;
  const lexemes = term.words.map((word, i) => {
    const kind = term.kinds[i];
    const form = kind === HANDLE ? `@${word}` : kind === HASHTAG ? `#${word}` : word;
    return `${quote(form)}${term.prefix && i === last ? ':*' : ''}`;
  });
  return lexemes.length === 1 ? (lexemes[0] as string) : `(${lexemes.join(' <-> ')})`;
}

/** A quoted lexeme: single quotes doubled, backslashes escaped (the tsvector/tsquery input syntax). */
function quote(lexeme: string): string {
  return `'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
