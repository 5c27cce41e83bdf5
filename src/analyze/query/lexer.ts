/**
 * Splits a query into lexemes, keeping each one's offset in the original text so errors can point
 * at it. Operators are the upper-case words AND, OR, NOT standing alone; `-` at the start of a
 * lexeme negates what follows it. Everything else up to whitespace, a parenthesis or a quote is a
 * word; `"..."` is a phrase.
 */
import { QuerySyntaxError } from './errors.js';

export type LexemeType = 'word' | 'phrase' | 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'minus';

export interface Lexeme {
  type: LexemeType;
  offset: number;
  /** The lexeme as written (a phrase includes its quotes). */
  text: string;
}

const WHITESPACE = /\s/;
const WORD = /[^\s()"]+/y;
const OPERATORS: Readonly<Record<string, LexemeType>> = { AND: 'and', OR: 'or', NOT: 'not' };

export function lex(query: string): Lexeme[] {
  const lexemes: Lexeme[] = [];
  let i = 0;
  while (i < query.length) {
    const ch = query[i] as string;
    if (WHITESPACE.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')') {
      lexemes.push({ type: ch === '(' ? 'lparen' : 'rparen', offset: i, text: ch });
      i++;
      continue;
    }
    if (ch === '"') {
      const end = query.indexOf('"', i + 1);
      if (end < 0) throw new QuerySyntaxError('unterminated quote: add a closing "', i, 1);
      lexemes.push({ type: 'phrase', offset: i, text: query.slice(i, end + 1) });
      i = end + 1;
      continue;
    }
    if (ch === '-') {
      const next = query[i + 1];
      if (next === undefined || WHITESPACE.test(next)) {
        throw new QuerySyntaxError('lone -: write -word to exclude a word (no space after -)', i, 1);
      }
      lexemes.push({ type: 'minus', offset: i, text: ch });
      i++;
      continue;
    }
    WORD.lastIndex = i;
    const text = WORD.exec(query)?.[0] ?? ch;
    lexemes.push({ type: OPERATORS[text] ?? 'word', offset: i, text });
    i += text.length;
  }
  return lexemes;
}
