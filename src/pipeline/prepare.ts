/**
 * The part of ingesting an item that needs no database: the brand query match, the analysis, the
 * canonical URL and the text fingerprint. It depends on the item and the brand alone, so it can
 * run ahead of storage, in another thread (`earshot import`, see prepare-worker.ts), with
 * exactly the result it would have inline.
 */
import { prepareText, type CompiledQuery } from '../analyze/query/index.js';
import { excludedBy, type BrandExclusions } from '../core/exclude.js';
import type { Analysis, Analyzer, BrandContext, FetchedItem } from '../core/types.js';
import { canonicalUrl, textFingerprint } from '../core/dedup.js';

/** Max stored text length: a mention is a post, not a book (and the database stays bounded). */
export const MAX_TEXT = 20_000;
export const MAX_TITLE = 1_000;

export interface PrepareBrand {
  matcher: CompiledQuery;
  context: BrandContext;
  /** Languages the brand keeps (two-letter codes), or null for all. */
  languages: string[] | null;
  /** Authors and sites never stored for the brand (`exclude:`). */
  exclude?: BrandExclusions | null;
}

export interface PreparedItem {
  /** Query terms the item matched; null: it does not mention the brand (nothing else is set). */
  terms: string[] | null;
  analysis: Analysis | null;
  /** The item's language (the source's, else the detected one); null when unknown. */
  language: string | null;
  /** False when the brand lists languages and this is another one (not stored). */
  keep: boolean;
  canonicalUrl: string | null;
  fingerprint: string | null;
  storyKey: string | null;
}

const NO_MATCH: PreparedItem = { terms: null, analysis: null, language: null, keep: false, canonicalUrl: null, fingerprint: null, storyKey: null };

export function prepareItem(brand: PrepareBrand, analyzer: Analyzer, item: FetchedItem): PreparedItem {
  // Excluded like a mention that does not match the brand: not stored, not analysed.
  if (brand.exclude && excludedBy(brand.exclude, item)) return NO_MATCH;
  const title = item.title.slice(0, MAX_TITLE);
  const text = item.text.slice(0, MAX_TEXT);
  const terms = brand.matcher.match(prepareText(`${title}\n${text}`));
  if (!terms) return NO_MATCH;
  const analysis = analyzer.analyze({ title, text, reach: item.reach, brand: brand.context, ...(item.metrics ? { metrics: item.metrics } : {}) });
  const language = item.language ?? analysis.language;
  // An undetectable language is kept rather than lost.
  if (brand.languages && language && !brand.languages.includes(language.slice(0, 2))) {
    return { ...NO_MATCH, terms, analysis, language };
  }
  const canonical = canonicalUrl(item.url);
  return {
    terms,
    analysis,
    language,
    keep: true,
    canonicalUrl: canonical,
    fingerprint: textFingerprint(title, text),
    storyKey: item.linkUrl ? canonicalUrl(item.linkUrl) : canonical,
  };
}
