/**
 * "Not relevant" teaches the brand's config: for a mention marked not relevant, the changes to
 * the brand's YAML that would keep such mentions out — its author, its site, or a word or phrase
 * added to the query as `-term` — each shown as the edit to make. earshot never edits the user's
 * files: sources/ lives in git, and the change should go through review like any other.
 */
import type { Mention } from '../core/types.js';

export interface ExclusionSuggestion {
  kind: 'author' | 'site' | 'term';
  /** What is excluded, as shown to the user. */
  value: string;
  /** The YAML to write, in the brand's file. */
  yaml: string;
  /** One sentence: what the change does. */
  effect: string;
}

/** A YAML single-quoted scalar: quotes doubled, nothing else is special inside. */
export function yamlQuote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A query term for the word or phrase: quoted when it is more than one plain word. */
export function queryTerm(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ').replace(/"/g, '');
  return /^[\p{L}\p{N}_]+$/u.test(t) ? t : `"${t}"`;
}

export function siteOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return u.hostname.toLowerCase().replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

/** Sources whose authors are the site (feeds) get a site exclusion; the others an author one. */
export function suggestExclusions(mention: Pick<Mention, 'author' | 'url' | 'source'>, brandQuery: string, term?: string): ExclusionSuggestion[] {
  const out: ExclusionSuggestion[] = [];
  const author = mention.author?.trim();
  if (author) {
    out.push({
      kind: 'author',
      value: author,
      yaml: `exclude:\n  authors: [${yamlQuote(author)}]`,
      effect: `Mentions by ${author} are no longer stored for this brand (any source).`,
    });
  }
  const site = siteOf(mention.url);
  if (site && (mention.source === 'rss' || !author)) {
    out.push({
      kind: 'site',
      value: site,
      yaml: `exclude:\n  sites: [${yamlQuote(site)}]`,
      effect: `Mentions linking to ${site} (and its subdomains) are no longer stored for this brand.`,
    });
  }
  const word = term?.trim();
  if (word && /[\p{L}\p{N}]/u.test(word)) {
    const next = `${brandQuery.trim()} -${queryTerm(word)}`;
    out.push({
      kind: 'term',
      value: word,
      yaml: `query: ${yamlQuote(next)}`,
      effect: `Mentions containing ${queryTerm(word)} no longer match the brand's query.`,
    });
  }
  return out;
}
