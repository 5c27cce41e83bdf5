/**
 * A brand's `exclude:` (sources/*.yaml): mentions by these authors, or linking to these sites or
 * their subdomains, are never stored for the brand — what "Not relevant" in the web UI suggests.
 * Authors compare case-insensitively and without a leading `@` or `u/`, as each source writes
 * them; a site matches the item's link or the link it is about (`www.` ignored).
 */
import type { FetchedItem } from './types.js';

export interface BrandExclusions {
  /** Normalised author names (see normalizeAuthor). */
  authors: string[];
  /** Host names, lower case, without `www.`. */
  sites: string[];
}

export function normalizeAuthor(author: string): string {
  return author
    .trim()
    .toLowerCase()
    .replace(/^(@|u\/|\/u\/)/, '');
}

function host(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).hostname.toLowerCase().replace(/^www\./, '') || null;
  } catch {
    return null;
  }
}

export function brandExclusions(authors: readonly string[], sites: readonly string[]): BrandExclusions | null {
  if (authors.length === 0 && sites.length === 0) return null;
  return { authors: [...new Set(authors.map(normalizeAuthor))], sites: [...new Set(sites.map((s) => s.toLowerCase().replace(/^www\./, '')))] };
}

/** Why the item is excluded ('author x', 'site y'), or null when it is not. */
export function excludedBy(exclude: BrandExclusions, item: Pick<FetchedItem, 'author' | 'url' | 'linkUrl'>): string | null {
  if (item.author && exclude.authors.includes(normalizeAuthor(item.author))) return `author ${item.author}`;
  for (const h of [host(item.url), host(item.linkUrl)]) {
    if (!h) continue;
    const site = exclude.sites.find((s) => h === s || h.endsWith(`.${s}`));
    if (site) return `site ${site}`;
  }
  return null;
}
