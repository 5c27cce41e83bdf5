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

const EMOTICON_START = new Set('<>}:;=)]([^-xXT;'.split('').map((c) => c.charCodeAt(0)));
const PUNCT_SINGLE = new Set('.,;:()"'.split('').map((c) => c.charCodeAt(0)));

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}

function isAsciiDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return isAsciiLetter(c) || isAsciiDigit(c) || c === 95;
}

function isLetterAt(text: string, i: number, c: number): boolean {
  if (c < 0x80) return isAsciiLetter(c);
  return LETTER_RE.test(charAt(text, i));
}

function isNumberAt(text: string, i: number, c: number): boolean {
  if (c < 0x80) return isAsciiDigit(c);
  return NUMBER_CHAR_RE.test(charAt(text, i));
}

/** Word continuation: letters, marks, digits, apostrophe, underscore. */
function isWordBodyAt(text: string, i: number, c: number): boolean {
  if (c < 0x80) return isAsciiLetter(c) || isAsciiDigit(c) || c === 39 || c === 95;
  return WORD_BODY_RE.test(charAt(text, i));
}

/** The whole code point at `i` (a surrogate pair is one character). */
function charAt(text: string, i: number): string {
  const cp = text.codePointAt(i)!;
  return String.fromCodePoint(cp);
}

function width(text: string, i: number): number {
  return text.codePointAt(i)! > 0xffff ? 2 : 1;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

function isHashtagCharAt(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 0x80) return isWordChar(c);
  return HASHTAG_CHAR_RE.test(charAt(text, i));
}

type RawKind = TokenKind | 'skip';

/** Finds the token starting at `i`: its kind and end, or 'skip' for one ignored character. */
function scanAt(text: string, i: number): { kind: RawKind; end: number } {
  const c = text.charCodeAt(i);
  const len = text.length;
  const prefix = c === 104 ? (text.startsWith('https://', i) ? 8 : text.startsWith('http://', i) ? 7 : 0) : c === 119 && text.startsWith('www.', i) ? 4 : 0;
  if (prefix > 0 && i + prefix < len && !isSpace(text.charCodeAt(i + prefix))) {
    let end = i + prefix;
    while (end < len && !isSpace(text.charCodeAt(end))) end++;
    return { kind: 'url', end };
  }
  if (c === 64 && i + 1 < len && isWordChar(text.charCodeAt(i + 1))) {
    let end = i + 1;
    while (end < len && isWordChar(text.charCodeAt(end))) end++;
    return { kind: 'mention', end };
  }
  if (c === 35 && i + 1 < len && isHashtagCharAt(text, i + 1)) {
    let end = i + 1;
    while (end < len && isHashtagCharAt(text, end)) end += width(text, end);
    return { kind: 'hashtag', end };
  }
  if (EMOTICON_START.has(c)) {
    EMOTICON_RE.lastIndex = i;
    if (EMOTICON_RE.test(text)) return { kind: 'emoticon', end: EMOTICON_RE.lastIndex };
  }
  if (c === 0xa9 || c === 0xae || c >= 0x203c) {
    EMOJI_RE.lastIndex = i;
    if (EMOJI_RE.test(text)) return { kind: 'emoji', end: EMOJI_RE.lastIndex };
  }
  if (isLetterAt(text, i, c)) {
    let end = i + width(text, i);
    for (;;) {
      while (end < len && isWordBodyAt(text, end, text.charCodeAt(end))) end += width(text, end);
      // "well-known": a hyphen joins two words.
      if (end + 1 < len && text.charCodeAt(end) === 45 && isLetterAt(text, end + 1, text.charCodeAt(end + 1))) {
        end += 1 + width(text, end + 1);
        continue;
      }
      return { kind: 'word', end };
    }
  }
  if (isNumberAt(text, i, c)) {
    let end = i + width(text, i);
    for (;;) {
      while (end < len && isNumberAt(text, end, text.charCodeAt(end))) end += width(text, end);
      const sep = text.charCodeAt(end);
      if ((sep === 46 || sep === 44 || sep === 58) && end + 1 < len && isNumberAt(text, end + 1, text.charCodeAt(end + 1))) {
        end += 1;
        continue;
      }
      if (sep === 37) end++;
      return { kind: 'number', end };
    }
  }
  if (c === 33 || c === 63) {
    let end = i + 1;
    while (end < len && (text.charCodeAt(end) === 33 || text.charCodeAt(end) === 63)) end++;
    return { kind: 'punct', end };
  }
  if (c === 46 && text.charCodeAt(i + 1) === 46) {
    let end = i + 2;
    while (end < len && text.charCodeAt(end) === 46) end++;
    return { kind: 'punct', end };
  }
  if (c === 0x2026 || PUNCT_SINGLE.has(c)) return { kind: 'punct', end: i + 1 };
  return { kind: 'skip', end: i + width(text, i) };
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
const SCOPE_END = /^[.,;:!?…()"]/;
const ELONGATION_RE = /(\p{L})\1{2,}/gu;

export function isNegator(word: string): boolean {
  return NEGATORS.has(word) || word.endsWith("n't");
}

function normalizePunct(raw: string): string {
  if (raw.includes('!') && raw.includes('?')) return '?!';
  if (raw[0] === '!') return raw.length > 1 ? '!!' : '!';
  if (raw[0] === '?') return raw.length > 1 ? '??' : '?';
  if (raw === '…' || raw.startsWith('..')) return '...';
  return raw;
}

/** Splits text into normalised tokens. */
export function tokenize(input: string): Token[] {
  const text = normalizeText(input);
  const tokens: Token[] = [];
  let negating = false;
  let i = 0;
  while (i < text.length) {
    if (isSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const { kind, end } = scanAt(text, i);
    const raw = text.slice(i, end);
    i = end;
    if (kind === 'skip') continue;
    let token: Token;
    if (kind === 'url') token = make('<url>', raw, 'url');
    else if (kind === 'mention') token = make('@user', raw, 'mention');
    else if (kind === 'hashtag') token = make(wordForm(raw.toLowerCase(), true), raw, 'hashtag');
    else if (kind === 'emoticon') token = make(raw.toLowerCase(), raw, 'emoticon');
    else if (kind === 'emoji') token = make(raw.replace(/\uFE0F|\p{Emoji_Modifier}/gu, ''), raw, 'emoji');
    else if (kind === 'word') token = wordToken(raw);
    else if (kind === 'number') token = make('<num>', raw, 'number');
    else token = make(normalizePunct(raw), raw, 'punct');

    if (token.kind === 'punct' && SCOPE_END.test(token.norm)) {
      negating = false;
    } else if (token.kind === 'word' && isNegator(token.norm)) {
      negating = true;
    } else if (negating && (token.kind === 'word' || token.kind === 'hashtag')) {
      token.negated = true;
    }
    tokens.push(token);
  }
  return tokens;
}

function make(norm: string, raw: string, kind: TokenKind): Token {
  return { norm, raw, kind, negated: false, elongated: false, shouted: false };
}

/** True when some character repeats three times in a row ("soooo"); cheaper than the regex. */
function hasTripleRun(word: string): boolean {
  for (let i = 2; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c === word.charCodeAt(i - 1) && c === word.charCodeAt(i - 2)) return true;
  }
  return false;
}

function wordForm(lower: string, elongated: boolean): string {
  const squeezed = elongated ? lower.replace(ELONGATION_RE, '$1$1') : lower;
  // "don't" and "dont" are the same word in tweets.
  return squeezed.includes("'") ? squeezed.replace(/'/g, '') : squeezed;
}

function wordToken(raw: string): Token {
  const lower = raw.toLowerCase();
  const elongated = hasTripleRun(lower) && /(\p{L})\1{2,}/u.test(lower);
  const token = make(wordForm(lower, elongated), raw, 'word');
  token.elongated = elongated;
  token.shouted = raw.length >= 3 && raw !== lower && raw === raw.toUpperCase();
  return token;
}
