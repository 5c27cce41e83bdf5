/**
 * A small evaluator of Reddit search syntax for comments. Reddit's API has no documented comment
 * search (`/search` `type` takes sr, link, user), so comments are read from the newest-comments
 * stream of the subreddits and kept when they match the source's `search` words here.
 *
 * Supported: words and "quoted phrases" (all required), `OR` between alternatives, `-word` and
 * `NOT word` to exclude, `AND` (implicit anyway), parentheses (ignored: the alternatives are
 * read flat, which only widens matches), and field terms like `title:x` / `subreddit:x`, which
 * cannot be checked on a comment and are skipped. Case-insensitive; a word matches at word
 * boundaries. The brand query in sources/*.yaml is applied afterwards by the pipeline, so a loose
 * match here costs nothing but a little work.
 */

interface Alternative {
  include: string[];
  exclude: string[];
}

const TOKEN = /(-?)"([^"]*)"|(\S+)/g;

function tokenize(search: string): string[] {
  const tokens: string[] = [];
  for (const match of search.replace(/[()]/g, ' ').matchAll(TOKEN)) {
    if (match[2] !== undefined) tokens.push(`${match[1]}"${match[2]}`);
    else tokens.push(match[3]!);
  }
  return tokens;
}

export function parseSearch(search: string): Alternative[] {
  const alternatives: Alternative[] = [{ include: [], exclude: [] }];
  let negateNext = false;
  for (const token of tokenize(search)) {
    const current = alternatives[alternatives.length - 1]!;
    if (token === 'OR') {
      alternatives.push({ include: [], exclude: [] });
      continue;
    }
    if (token === 'AND') continue;
    if (token === 'NOT') {
      negateNext = true;
      continue;
    }
    let negated = negateNext;
    negateNext = false;
    let term = token;
    if (term.startsWith('-') && term.length > 1) {
      negated = true;
      term = term.slice(1);
    }
    const phrase = term.startsWith('"');
    if (phrase) term = term.slice(1);
    // A field term (title:x, subreddit:x) says nothing about a comment's body.
    else if (/^[a-z_]+:/i.test(term)) continue;
    term = term.trim().toLowerCase();
    if (!term) continue;
    (negated ? current.exclude : current.include).push(term);
  }
  return alternatives.filter((a) => a.include.length || a.exclude.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function contains(haystack: string, term: string): boolean {
  const pattern = escapeRegExp(term).replace(/\s+/g, '\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}_])${pattern}(?![\\p{L}\\p{N}_])`, 'iu').test(haystack);
}

/** True when `text` satisfies the search (an empty or field-only search matches everything). */
export function matchesSearch(text: string, alternatives: Alternative[]): boolean {
  if (!alternatives.length) return true;
  return alternatives.some(
    (alt) => alt.include.every((t) => contains(text, t)) && !alt.exclude.some((t) => contains(text, t)),
  );
}
