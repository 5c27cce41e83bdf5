/**
 * Recursive-descent parser for the query language. Grammar, loosest binding first:
 *
 *   query   := andExpr
 *   andExpr := orExpr ( [AND] orExpr )*        implicit AND between neighbours
 *   orExpr  := unary ( OR unary )*             OR binds tighter than AND (Google-style)
 *   unary   := ( NOT | - )* primary            negation binds tightest
 *   primary := word | "phrase" | ( andExpr )
 *
 * The tree is returned in negation normal form: NOT is pushed down onto terms with De Morgan's
 * laws (`-(a OR b)` becomes `-a -b`) and double negations cancel, so the matcher only ever sees
 * NOT directly on a term. Nesting is limited to MAX_DEPTH levels of parentheses, so a hostile or
 * generated query cannot exhaust the stack.
 */
import { QuerySyntaxError } from './errors.js';
import { lex, type Lexeme } from './lexer.js';
import { buildTerm, type Term } from './terms.js';

export const MAX_DEPTH = 100;

interface Span {
  offset: number;
  length: number;
}

export interface TermNode extends Span {
  type: 'term';
  term: Term;
}
export interface NotNode extends Span {
  type: 'not';
  term: Term;
}
export interface AndNode extends Span {
  type: 'and';
  children: QueryNode[];
  /** Made by De Morgan from a negated OR, not written as AND. */
  fromNegation?: boolean;
}
export interface OrNode extends Span {
  type: 'or';
  children: QueryNode[];
  /** Made by De Morgan from a negated AND, not written as OR. */
  fromNegation?: boolean;
}
export type QueryNode = TermNode | NotNode | AndNode | OrNode;

export function parseQuery(query: string): QueryNode {
  return new Parser(query, lex(query)).parseQuery();
}

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly query: string,
    private readonly lexemes: Lexeme[],
  ) {}

  parseQuery(): QueryNode {
    const node = this.parseAnd();
    const stray = this.peek();
    if (stray?.type === 'rparen') fail('unmatched ): remove it or add an opening (', stray.offset, 1);
    if (node === null) {
      fail('empty query: write at least one word or "phrase"', 0, this.query.length);
    }
    return node;
  }

  private peek(): Lexeme | undefined {
    return this.lexemes[this.pos];
  }

  /** True when the next lexeme can begin an operand (a term, a negation or a group). */
  private startsOperand(): boolean {
    const next = this.peek();
    if (next === undefined) return false;
    return next.type !== 'rparen' && next.type !== 'and' && next.type !== 'or';
  }

  private parseAnd(): QueryNode | null {
    const children: QueryNode[] = [];
    for (let next = this.peek(); next !== undefined && next.type !== 'rparen'; next = this.peek()) {
      if (next.type === 'or') fail('OR needs a term on its left', next.offset, 2);
      if (next.type === 'and') {
        if (children.length === 0) fail('AND needs a term on its left', next.offset, 3);
        this.pos++;
        if (!this.startsOperand()) fail('AND needs a term on its right', next.offset, 3);
      }
      children.push(this.parseOr());
    }
    return combine('and', children);
  }

  private parseOr(): QueryNode {
    const children = [this.parseUnary()];
    for (let next = this.peek(); next?.type === 'or'; next = this.peek()) {
      this.pos++;
      if (!this.startsOperand()) fail('OR needs a term on its right', next.offset, 2);
      children.push(this.parseUnary());
    }
    return combine('or', children) as QueryNode;
  }

  // Iterative over the negations, so `NOT NOT NOT ... x` costs no stack.
  private parseUnary(): QueryNode {
    let negations = 0;
    let first: Lexeme | undefined;
    for (let next = this.peek(); next?.type === 'not' || next?.type === 'minus'; next = this.peek()) {
      first ??= next;
      negations++;
      this.pos++;
      if (this.startsOperand()) continue;
      if (next.type === 'not') fail('NOT needs a term after it', next.offset, 3);
      fail('- needs a term right after it, as in -jobs', next.offset, 1);
    }
    const operand = this.parsePrimary();
    if (negations % 2 === 0) return operand;
    const negated = negate(operand);
    const start = (first as Lexeme).offset;
    return { ...negated, offset: start, length: operand.offset + operand.length - start };
  }

  private parsePrimary(): QueryNode {
    const lexeme = this.lexemes[this.pos++] as Lexeme;
    if (lexeme.type === 'word' || lexeme.type === 'phrase') {
      return { type: 'term', term: buildTerm(lexeme), offset: lexeme.offset, length: lexeme.text.length };
    }
    // startsOperand() was checked by the caller, so this is an opening parenthesis.
    if (this.depth >= MAX_DEPTH) {
      fail(`too deeply nested: at most ${MAX_DEPTH} levels of parentheses`, lexeme.offset, 1);
    }
    this.depth++;
    const inner = this.parseAnd();
    const close = this.peek();
    if (close === undefined) fail('unclosed (: add a closing )', lexeme.offset, 1);
    this.pos++;
    this.depth--;
    if (inner === null) {
      fail('empty parentheses: put a term inside or remove them', lexeme.offset, close.offset + 1 - lexeme.offset);
    }
    return { ...inner, offset: lexeme.offset, length: close.offset + 1 - lexeme.offset };
  }
}

function fail(message: string, offset: number, length: number): never {
  throw new QuerySyntaxError(message, offset, length);
}

/** Builds an AND/OR node, merging same-type children and collapsing a single child. */
function combine(type: 'and' | 'or', children: QueryNode[]): QueryNode | null {
  const first = children[0];
  const last = children[children.length - 1];
  if (first === undefined || last === undefined) return null;
  if (children.length === 1) return first;
  const flat: QueryNode[] = [];
  for (const child of children) {
    if (child.type === type && !child.fromNegation) flat.push(...child.children);
    else flat.push(child);
  }
  return { type, children: flat, offset: first.offset, length: last.offset + last.length - first.offset };
}

/** The negation of `node`, in negation normal form. */
function negate(node: QueryNode): QueryNode {
  switch (node.type) {
    case 'term':
      return { ...node, type: 'not' };
    case 'not':
      return { ...node, type: 'term' };
    case 'and':
      return { ...node, type: 'or', children: node.children.map(negate), fromNegation: !node.fromNegation };
    case 'or':
      return { ...node, type: 'and', children: node.children.map(negate), fromNegation: !node.fromNegation };
  }
}
