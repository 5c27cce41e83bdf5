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

const TOKEN_RE = new RegExp(
  [
    String.raw`(https?:\/\/\S+|www\.\S+)`, // 1 url
    String.raw`(@\w+)`, // 2 mention
    String.raw`(#[\p{L}\p{N}_]+)`, // 3 hashtag
    // 4 emoticon: eyes, optional nose, mouth; reversed; hearts
    String.raw`(<\/?3+|[>}]?[:;=][\-o^'*]?[)\](\[dDpPoO3\/\\|*@{}]+|[)\](\[][\-o^'*]?[:;=]|\^[_.]?\^|\b[xX][dD]+\b|-_-|T_T|;_;)`,
    String.raw`(\p{Extended_Pictographic}(?:\uFE0F|\u200D\p{Extended_Pictographic}|\p{Emoji_Modifier})*)`, // 5 emoji
    String.raw`(\p{L}[\p{L}\p{M}\p{N}'_]*(?:-\p{L}[\p{L}\p{M}\p{N}'_]*)*)`, // 6 word
    String.raw`(\p{N}+(?:[.,:]\p{N}+)*%?)`, // 7 number
    String.raw`([!?]+|\.{2,}|…|[.,;:()"])`, // 8 punctuation
  ].join('|'),
  'gu',
);

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
  TOKEN_RE.lastIndex = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const raw = m[0];
    let token: Token;
    if (m[1] !== undefined) token = make('<url>', raw, 'url');
    else if (m[2] !== undefined) token = make('@user', raw, 'mention');
    else if (m[3] !== undefined) token = make(wordForm(raw.toLowerCase(), true), raw, 'hashtag');
    else if (m[4] !== undefined) token = make(raw.toLowerCase(), raw, 'emoticon');
    else if (m[5] !== undefined) token = make(raw.replace(/\uFE0F|\p{Emoji_Modifier}/gu, ''), raw, 'emoji');
    else if (m[6] !== undefined) token = wordToken(raw);
    else if (m[7] !== undefined) token = make('<num>', raw, 'number');
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
