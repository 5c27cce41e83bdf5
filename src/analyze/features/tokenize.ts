/**
 * Text normalisation and tokenisation shared by training and analysis.
 *
 * Real mentions carry HTML entities, literal `\u2019` escapes and mojibake (the training data
 * does too), so those are repaired first. Tokens are lower-cased; mentions become `@user` and
 * links `<url>` (the training tweets were anonymised the same way), numbers `<num>`. Letters
 * repeated three times or more are cut to two ("soooo" -> "soo") and the token is flagged as
 * elongated; a word written in capitals is flagged as shouted. Words that follow a negator up
 * to the next punctuation mark are flagged as negated ("not [good]", "never [using you again]").
 */

import { hashString } from './hash.js';
import { WordTable } from './word-table.js';

export type TokenKind = 'word' | 'hashtag' | 'mention' | 'url' | 'emoticon' | 'emoji' | 'number' | 'punct';

export interface Token {
  /** Normalised form used for features. */
  norm: string;
  /** The text as written (for explanations). */
  raw: string;
  kind: TokenKind;
  negated: boolean;
  elongated: boolean;
  shouted: boolean;
  /** `hashString(norm) | 0` (features/hash.ts; a small integer, not a heap number): computed once here, used by features and word lookups. */
  hash: number;
}

const ENTITY_RE = /&(amp|lt|gt|quot|apos|#39|#x27|nbsp);/g;
const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  '#39': "'",
  '#x27': "'",
  nbsp: ' ',
};
const ESCAPE_RE = /\\u([0-9a-fA-F]{4})/g;
// UTF-8 read as Windows-1252: the usual suspects in scraped tweets.
const MOJIBAKE_RE = /â€[™˜œ\u009d"”“]|â€¦|Ã[©¨¢¡§³±¶¼]/g;
const MOJIBAKE: Record<string, string> = {
  'â€™': "'",
  'â€˜': "'",
  'â€œ': '"',
  'â€\u009d': '"',
  'â€"': '"',
  'â€”': '-',
  'â€“': '-',
  'â€¦': '...',
  'Ã©': 'é',
  'Ã¨': 'è',
  'Ã¢': 'â',
  'Ã¡': 'á',
  'Ã§': 'ç',
  'Ã³': 'ó',
  'Ã±': 'ñ',
  'Ã¶': 'ö',
  'Ã¼': 'ü',
};

/** Repairs entities, escapes and common mojibake; unifies quotes. */
export function normalizeText(text: string): string {
  let out = text;
  if (out.includes('&')) out = out.replace(ENTITY_RE, (_m, name: string) => ENTITIES[name] ?? _m);
  if (out.includes('\\u')) out = out.replace(ESCAPE_RE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  if (out.includes('Ã') || out.includes('â')) out = out.replace(MOJIBAKE_RE, (m) => MOJIBAKE[m] ?? m);
  return out.replace(/[’‘`´]/g, "'");
}

// Emoticons: eyes, optional nose, mouth; reversed; hearts; a few kaomoji. Tried (sticky) only
// where one can start, so the scanner below stays a plain loop over character codes.
const EMOTICON_RE =
  /<\/?3+|[>}]?[:;=][\-o^'*]?[)\](\[dDpPoO3\/\\|*@{}]+|[)\](\[][\-o^'*]?[:;=]|\^[_.]?\^|\b[xX][dD]+\b|-_-|T_T|;_;/y;
const EMOJI_RE = /\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic}|\p{Emoji_Modifier})*/uy;
const LETTER_RE = /^\p{L}$/u;
const WORD_BODY_RE = /^[\p{L}\p{M}\p{N}]$/u;
const NUMBER_CHAR_RE = /^\p{N}$/u;
const HASHTAG_CHAR_RE = /^[\p{L}\p{N}_]$/u;

// Character classes as bit flags, so the scanner does one table load per character instead of
// a chain of comparisons (ASCII) or a regular expression (other characters, cached below).
const LETTER = 1;
const NUMBER = 2;
/** Word continuation: letters, marks, digits, apostrophe, underscore. */
const WORD_BODY = 4;
/** Hashtag and mention body: letters, digits, underscore. */
const HASHTAG_CHAR = 8;
const EMOTICON_START = 16;
const PUNCT_SINGLE = 32;
/** ASCII capital, or any non-ASCII character: the word may change when lower-cased. */
const MAY_CASE = 64;
const CLASSIFIED = 128;
const APOSTROPHE = 256;

const ASCII_CLASS = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  const digit = c >= 48 && c <= 57;
  let cls = 0;
  if (letter) cls |= LETTER;
  if (digit) cls |= NUMBER;
  if (letter || digit || c === 39 || c === 95) cls |= WORD_BODY;
  if (letter || digit || c === 95) cls |= HASHTAG_CHAR;
  if ('<>}:;=)]([^-xXT;'.includes(String.fromCharCode(c))) cls |= EMOTICON_START;
  if ('.,;:()"'.includes(String.fromCharCode(c))) cls |= PUNCT_SINGLE;
  if (c >= 65 && c <= 90) cls |= MAY_CASE;
  if (c === 39) cls |= APOSTROPHE;
  ASCII_CLASS[c] = cls;
}

// Classes of the other BMP characters, computed with the regexes on first sight.
const BMP_CLASS = new Uint8Array(0x10000);

function classifyChar(ch: string): number {
  let cls = CLASSIFIED | MAY_CASE;
  if (LETTER_RE.test(ch)) cls |= LETTER;
  if (NUMBER_CHAR_RE.test(ch)) cls |= NUMBER;
  if (WORD_BODY_RE.test(ch)) cls |= WORD_BODY;
  if (HASHTAG_CHAR_RE.test(ch)) cls |= HASHTAG_CHAR;
  return cls;
}

/** Class flags of the character (code point) at `i`, whose code unit is `c`. */
function classAt(text: string, i: number, c: number): number {
  if (c < 0x80) return ASCII_CLASS[c]!;
  // Surrogates: the class belongs to the whole code point (rare enough not to cache).
  if (c >= 0xd800 && c <= 0xdfff) return classifyChar(charAt(text, i));
  let cls = BMP_CLASS[c]!;
  if (cls === 0) {
    cls = classifyChar(String.fromCharCode(c));
    BMP_CLASS[c] = cls;
  }
  return cls;
}

function isAsciiWordChar(c: number): boolean {
  return c < 0x80 && (ASCII_CLASS[c]! & HASHTAG_CHAR) !== 0;
}

/** The whole code point at `i` (a surrogate pair is one character). */
function charAt(text: string, i: number): string {
  const cp = text.codePointAt(i)!;
  return String.fromCodePoint(cp);
}

/** Code units taken by the character starting with code unit `c`: 2 for a surrogate pair. */
function width(text: string, i: number, c: number): number {
  return c >= 0xd800 && c <= 0xdbff && text.codePointAt(i)! > 0xffff ? 2 : 1;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || (c >= 0xa0 && (c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff));
}

// What scanAt found; small integers so the scanner allocates nothing.
const SKIP = 0;
const URL = 1;
const MENTION = 2;
const HASHTAG = 3;
const EMOTICON = 4;
const EMOJI = 5;
const WORD = 6;
const NUMBER_TOKEN = 7;
const PUNCT = 8;

/** Kind of the token scanAt found last (one of the constants above). */
let scannedKind = SKIP;
/** For a WORD: the class flags of its characters or-ed together. */
let scannedFlags = 0;

/** Finds the token starting at `i`: sets `scannedKind` (SKIP for one ignored character) and returns its end. */
function scanAt(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const len = text.length;
  const prefix = c === 104 ? (text.startsWith('https://', i) ? 8 : text.startsWith('http://', i) ? 7 : 0) : c === 119 && text.startsWith('www.', i) ? 4 : 0;
  if (prefix > 0 && i + prefix < len && !isSpace(text.charCodeAt(i + prefix))) {
    let end = i + prefix;
    while (end < len && !isSpace(text.charCodeAt(end))) end++;
    scannedKind = URL;
    return end;
  }
  if (c === 64 && i + 1 < len && isAsciiWordChar(text.charCodeAt(i + 1))) {
    let end = i + 1;
    while (end < len && isAsciiWordChar(text.charCodeAt(end))) end++;
    scannedKind = MENTION;
    return end;
  }
  if (c === 35 && i + 1 < len && (classAt(text, i + 1, text.charCodeAt(i + 1)) & HASHTAG_CHAR) !== 0) {
    let end = i + 1;
    while (end < len) {
      const d = text.charCodeAt(end);
      if ((classAt(text, end, d) & HASHTAG_CHAR) === 0) break;
      end += width(text, end, d);
    }
    scannedKind = HASHTAG;
    return end;
  }
  const cls = classAt(text, i, c);
  if (c < 0x80 && (cls & EMOTICON_START) !== 0) {
    EMOTICON_RE.lastIndex = i;
    if (EMOTICON_RE.test(text)) {
      scannedKind = EMOTICON;
      return EMOTICON_RE.lastIndex;
    }
  }
  if (c === 0xa9 || c === 0xae || c >= 0x203c) {
    EMOJI_RE.lastIndex = i;
    if (EMOJI_RE.test(text)) {
      scannedKind = EMOJI;
      return EMOJI_RE.lastIndex;
    }
  }
  if ((cls & LETTER) !== 0) {
    let end = i + width(text, i, c);
    let flags = cls;
    for (;;) {
      while (end < len) {
        const d = text.charCodeAt(end);
        const dcls = classAt(text, end, d);
        if ((dcls & WORD_BODY) === 0) break;
        flags |= dcls;
        end += width(text, end, d);
      }
      // "well-known": a hyphen joins two words.
      if (end + 1 < len && text.charCodeAt(end) === 45) {
        const d = text.charCodeAt(end + 1);
        const dcls = classAt(text, end + 1, d);
        if ((dcls & LETTER) !== 0) {
          flags |= dcls;
          end += 1 + width(text, end + 1, d);
          continue;
        }
      }
      scannedKind = WORD;
      scannedFlags = flags;
      return end;
    }
  }
  if ((cls & NUMBER) !== 0) {
    let end = i + width(text, i, c);
    for (;;) {
      while (end < len) {
        const d = text.charCodeAt(end);
        if ((classAt(text, end, d) & NUMBER) === 0) break;
        end += width(text, end, d);
      }
      const sep = text.charCodeAt(end);
      if ((sep === 46 || sep === 44 || sep === 58) && end + 1 < len && (classAt(text, end + 1, text.charCodeAt(end + 1)) & NUMBER) !== 0) {
        end += 1;
        continue;
      }
      if (sep === 37) end++;
      scannedKind = NUMBER_TOKEN;
      return end;
    }
  }
  if (c === 33 || c === 63) {
    let end = i + 1;
    while (end < len && (text.charCodeAt(end) === 33 || text.charCodeAt(end) === 63)) end++;
    scannedKind = PUNCT;
    return end;
  }
  if (c === 46 && text.charCodeAt(i + 1) === 46) {
    let end = i + 2;
    while (end < len && text.charCodeAt(end) === 46) end++;
    scannedKind = PUNCT;
    return end;
  }
  if (c === 0x2026 || (c < 0x80 && (cls & PUNCT_SINGLE) !== 0)) {
    scannedKind = PUNCT;
    return i + 1;
  }
  scannedKind = SKIP;
  return i + width(text, i, c);
}

const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'nothing',
  'nobody',
  'none',
  'nowhere',
  'neither',
  'nor',
  'cannot',
  'without',
  'hardly',
  'barely',
  'dont',
  'doesnt',
  'didnt',
  'cant',
  'wont',
  'isnt',
  'arent',
  'wasnt',
  'werent',
  'havent',
  'hasnt',
  'hadnt',
  'shouldnt',
  'wouldnt',
  'couldnt',
  'aint',
  'neva',
  'nope',
]);

/** Punctuation that ends a negation scope. */
const SCOPE_END = new Set('.,;:!?…()"'.split('').map((c) => c.charCodeAt(0)));
const ELONGATION_RE = /(\p{L})\1{2,}/gu;

// The same set by hash, for the tokenizer's per-word test.
const NEGATOR_TABLE = WordTable.of(NEGATORS, 1);

export function isNegator(word: string): boolean {
  return NEGATORS.has(word) || word.endsWith("n't");
}

/** isNegator() for a token from tokenize(), without hashing the string again. */
export function isNegatorToken(token: Token): boolean {
  // A word's norm has no apostrophe, so only the set can match.
  return token.kind === 'word' && NEGATOR_TABLE.get(token.norm, token.hash) !== 0;
}

function normalizePunct(raw: string): string {
  if (raw.includes('!') && raw.includes('?')) return '?!';
  if (raw[0] === '!') return raw.length > 1 ? '!!' : '!';
  if (raw[0] === '?') return raw.length > 1 ? '??' : '?';
  if (raw === '…' || raw.startsWith('..')) return '...';
  return raw;
}

/** Splits text into normalised tokens. */
/** `normalized`: the caller already ran normalizeText on `input`. */
export function tokenize(input: string, normalized = false): Token[] {
  const text = normalized ? input : normalizeText(input);
  const len = text.length;
  const tokens: Token[] = [];
  let negating = false;
  let i = 0;
  while (i < len) {
    if (isSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const end = scanAt(text, i);
    const kind = scannedKind;
    if (kind === SKIP) {
      i = end;
      continue;
    }
    const raw = text.slice(i, end);
    i = end;
    if (kind === WORD) {
      const token = wordToken(raw, (scannedFlags & MAY_CASE) !== 0, (scannedFlags & APOSTROPHE) !== 0);
      if (isNegatorToken(token)) negating = true;
      else if (negating) token.negated = true;
      tokens.push(token);
    } else if (kind === PUNCT) {
      const norm = normalizePunct(raw);
      if (SCOPE_END.has(norm.charCodeAt(0))) negating = false;
      tokens.push(make(norm, raw, 'punct'));
    } else if (kind === HASHTAG) {
      const token = make(wordForm(raw.toLowerCase(), true), raw, 'hashtag');
      token.negated = negating;
      tokens.push(token);
    } else if (kind === URL) tokens.push(make('<url>', raw, 'url'));
    else if (kind === MENTION) tokens.push(make('@user', raw, 'mention'));
    else if (kind === EMOTICON) tokens.push(make(raw.toLowerCase(), raw, 'emoticon'));
    else if (kind === EMOJI) tokens.push(make(raw.replace(/\uFE0F|\p{Emoji_Modifier}/gu, ''), raw, 'emoji'));
    else tokens.push(make('<num>', raw, 'number'));
  }
  return tokens;
}

function make(norm: string, raw: string, kind: TokenKind): Token {
  return { norm, raw, kind, negated: false, elongated: false, shouted: false, hash: hashString(norm) | 0 };
}

/** True when some character repeats three times in a row ("soooo"); cheaper than the regex. */
function hasTripleRun(word: string): boolean {
  for (let i = 2; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c === word.charCodeAt(i - 1) && c === word.charCodeAt(i - 2)) return true;
  }
  return false;
}

function wordForm(lower: string, elongated: boolean, apostrophe = true): string {
  const squeezed = elongated ? lower.replace(ELONGATION_RE, '$1$1') : lower;
  // "don't" and "dont" are the same word in tweets.
  return apostrophe && squeezed.includes("'") ? squeezed.replace(/'/g, '') : squeezed;
}

/** `mayCase`: the word has a capital or a non-ASCII letter; `apostrophe`: it has a `'`. */
function wordToken(raw: string, mayCase: boolean, apostrophe: boolean): Token {
  // All-lower-case ASCII needs neither case mapping nor the shouting test.
  const lower = mayCase ? raw.toLowerCase() : raw;
  const elongated = hasTripleRun(lower) && /(\p{L})\1{2,}/u.test(lower);
  const shouted = mayCase && raw.length >= 3 && raw !== lower && raw === raw.toUpperCase();
  const norm = wordForm(lower, elongated, apostrophe);
  return { norm, raw, kind: 'word', negated: false, elongated, shouted, hash: hashString(norm) | 0 };
}
