/** A query that cannot be compiled; `offset`/`length` point at the offending part of the query text. */
export class QuerySyntaxError extends Error {
  /** 0-based character (UTF-16 code unit) offset in the query; equals the query's length for "missing at the end". */
  readonly offset: number;
  /** Length of the offending span, at least 1. */
  readonly length: number;

  constructor(message: string, offset: number, length: number) {
    super(message);
    this.name = 'QuerySyntaxError';
    this.offset = offset;
    this.length = Math.max(1, length);
  }
}
