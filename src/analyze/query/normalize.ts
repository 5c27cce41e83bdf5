/**
 * Text normalisation shared by query terms and the texts they are matched against. Both sides go
 * through the same function, so whatever it folds ("Café" -> "cafe", full-width "ＡＣＭＥ" -> "acme")
 * matches in either direction.
 */

const ASCII_ONLY = /^[\x00-\x7f]*$/;
// Only the Latin/Greek/Cyrillic combining diacritics: other scripts' marks (Thai vowels, Japanese
// dakuten, Devanagari signs) change the letter and must survive.
const COMBINING_DIACRITICS = /[\u0300-\u036f]/g;
// Soft hyphens, zero-width spaces/joiners, BOMs and bidi marks hide inside words in scraped text.
const FORMAT_CHARS = /\p{Cf}/gu;

// Letters NFD does not decompose but that readers treat as the plain letter, plus apostrophes.
const SPECIAL_FOLDS: Readonly<Record<string, string>> = {
  'ß': 'ss',
  'æ': 'ae',
  'œ': 'oe',
  'ø': 'o',
  'đ': 'd',
  'ð': 'd',
  'ł': 'l',
  'ı': 'i',
  'ħ': 'h',
  'þ': 'th',
  'ς': 'σ',
  '\u2019': "'",
  '\u2018': "'",
  '\u02bc': "'",
};
const SPECIAL_FOLD_CHARS = new RegExp(`[${Object.keys(SPECIAL_FOLDS).join('')}]`, 'g');

/** Returns `text` in the comparison form: NFKC, lower case, Latin diacritics removed, apostrophes unified. */
export function normalizeText(text: string): string {
  if (ASCII_ONLY.test(text)) return text.toLowerCase();
  return text
    .normalize('NFKC')
    .toLowerCase()
    .normalize('NFD')
    .replace(COMBINING_DIACRITICS, '')
    .normalize('NFC')
    .replace(FORMAT_CHARS, '')
    .replace(SPECIAL_FOLD_CHARS, (ch) => SPECIAL_FOLDS[ch] ?? ch);
}
