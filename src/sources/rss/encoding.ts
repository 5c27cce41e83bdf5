/**
 * Bytes of a feed to a string. Order of authority (RFC 7303, as browsers and feed readers do it):
 *
 * 1. a byte order mark (UTF-8, UTF-16LE/BE);
 * 2. the charset of the HTTP Content-Type (it overrides the document's own declaration);
 * 3. the XML declaration's `encoding` (or UTF-16 recognised from the first bytes of `<?xml`);
 * 4. UTF-8 when the bytes are valid UTF-8;
 * 5. otherwise a guess: Shift_JIS, Cyrillic (windows-1251 / KOI8-R) or Hebrew (windows-1255)
 *    when the byte pattern says so unambiguously, else windows-1252.
 *
 * Unknown encoding names are ignored (the next rule applies); a declared encoding that does not
 * fit the bytes decodes with U+FFFD replacement characters rather than failing.
 */
import { lazy } from '../../core/lazy.js';

const iconvLite = lazy<typeof import('iconv-lite')>('iconv-lite');

export type EncodingSource = 'bom' | 'http' | 'declaration' | 'utf-8' | 'guess';

export interface DecodedDocument {
  text: string;
  /** The encoding used, as iconv-lite names it. */
  encoding: string;
  /** Which rule chose it. */
  source: EncodingSource;
}

/** Labels that browsers (WHATWG Encoding) decode as windows-1252, which is their superset. */
const LATIN1_ALIASES = new Set(['iso-8859-1', 'iso8859-1', 'latin1', 'latin-1', 'l1', 'us-ascii', 'ascii', 'iso_8859-1', 'cp819', 'ibm819', 'ansi_x3.4-1968']);

export function decodeFeedBytes(body: Buffer, contentType?: string | null): DecodedDocument {
  const bom = bomEncoding(body);
  if (bom) return { text: iconvLite().decode(body.subarray(bom.length), bom.encoding), encoding: bom.encoding, source: 'bom' };

  const httpCharset = usableEncoding(charsetFromContentType(contentType));
  if (httpCharset) return { text: stripBom(iconvLite().decode(body, httpCharset)), encoding: httpCharset, source: 'http' };

  const utf16 = utf16WithoutBom(body);
  if (utf16) return { text: iconvLite().decode(body, utf16), encoding: utf16, source: 'declaration' };

  const declared = usableEncoding(declaredEncoding(body));
  // A UTF-16 declaration read from ASCII-compatible bytes is false: the bytes are 8-bit.
  if (declared && !declared.startsWith('utf-16')) {
    return { text: iconvLite().decode(body, declared), encoding: declared, source: 'declaration' };
  }

  if (isValidUtf8(body)) return { text: body.toString('utf8'), encoding: 'utf-8', source: 'utf-8' };
  const guessed = guessLegacyEncoding(body);
  return { text: iconvLite().decode(body, guessed), encoding: guessed, source: 'guess' };
}

/** The charset parameter of a Content-Type header, lenient about spaces and quotes. */
export function charsetFromContentType(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  const match = /;\s*charset\s*=\s*("?)([^";\s]+)\1/i.exec(contentType);
  return match?.[2] ?? null;
}

/** The `encoding` of an XML declaration at the start of the document. */
export function declaredEncoding(body: Buffer): string | null {
  const head = body.subarray(0, 1024).toString('latin1');
  const decl = /^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head);
  return decl?.[1] ?? null;
}

/** An iconv-lite name for a label, or null when the label is unknown. */
export function usableEncoding(label: string | null | undefined): string | null {
  if (!label) return null;
  const name = label.trim().toLowerCase();
  if (LATIN1_ALIASES.has(name)) return 'windows-1252';
  if (name === 'utf8') return 'utf-8';
  if (name === 'utf-16' || name === 'utf16') return 'utf-16le';
  return iconvLite().encodingExists(name) ? name : null;
}

function bomEncoding(body: Buffer): { encoding: string; length: number } | null {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return { encoding: 'utf-8', length: 3 };
  if (body[0] === 0xff && body[1] === 0xfe) return { encoding: 'utf-16le', length: 2 };
  if (body[0] === 0xfe && body[1] === 0xff) return { encoding: 'utf-16be', length: 2 };
  return null;
}

function utf16WithoutBom(body: Buffer): string | null {
  if (body[0] === 0x3c && body[1] === 0x00 && body[2] !== 0x00 && body[3] === 0x00) return 'utf-16le';
  if (body[0] === 0x00 && body[1] === 0x3c && body[2] === 0x00 && body[3] !== 0x00) return 'utf-16be';
  return null;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(body: Buffer): boolean {
  try {
    strictUtf8.decode(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Guesses the legacy encoding of bytes that are not UTF-8 and declare nothing. Only patterns
 * that are unambiguous are recognised; everything else is windows-1252 (the web's default).
 */
export function guessLegacyEncoding(body: Buffer): string {
  if (looksLikeShiftJis(body)) return 'shift_jis';
  const high = highByteStats(body);
  // Non-Latin alphabets write whole words in high bytes; Latin text has one or two accented letters per word.
  if (high.count < 8 || high.inWords / high.count < 0.6) return 'windows-1252';
  if (high.inC0toFF / high.count < 0.9) return 'windows-1252';
  if (high.inC0toDF === 0 && high.inFBtoFF === 0) return 'windows-1255';
  return russianScore(body, 'koi8-r') > russianScore(body, 'windows-1251') ? 'koi8-r' : 'windows-1251';
}

interface HighByteStats {
  count: number;
  /** High bytes in runs of three or more: whole words of a non-Latin alphabet. */
  inWords: number;
  inC0toFF: number;
  inC0toDF: number;
  inFBtoFF: number;
}

function highByteStats(body: Buffer): HighByteStats {
  const stats: HighByteStats = { count: 0, inWords: 0, inC0toFF: 0, inC0toDF: 0, inFBtoFF: 0 };
  let run = 0;
  const endRun = (): void => {
    if (run >= 3) stats.inWords += run;
    run = 0;
  };
  for (const byte of body) {
    if (byte < 0x80) {
      endRun();
      continue;
    }
    run++;
    stats.count++;
    if (byte >= 0xc0) stats.inC0toFF++;
    if (byte >= 0xc0 && byte <= 0xdf) stats.inC0toDF++;
    if (byte >= 0xfb) stats.inFBtoFF++;
  }
  endRun();
  return stats;
}

/** The most frequent Russian letters: right decoding of Russian text is full of them. */
const FREQUENT_RUSSIAN = new Set('оеаинтсрвлкмдпу');

function russianScore(body: Buffer, encoding: string): number {
  let score = 0;
  for (const char of iconvLite().decode(body, encoding)) if (FREQUENT_RUSSIAN.has(char)) score++;
  return score;
}

/** Every high byte forms a valid Shift_JIS double-byte pair, with lead bytes Cyrillic/Latin text would not use. */
function looksLikeShiftJis(body: Buffer): boolean {
  let pairs = 0;
  let lowLeads = 0;
  for (let i = 0; i < body.length; i++) {
    const lead = body[i]!;
    if (lead < 0x80) continue;
    if (lead >= 0xa1 && lead <= 0xdf) continue; // half-width katakana, single byte
    const isLead = (lead >= 0x81 && lead <= 0x9f) || (lead >= 0xe0 && lead <= 0xfc);
    const trail = body[i + 1] ?? 0;
    const isTrail = trail >= 0x40 && trail <= 0xfc && trail !== 0x7f;
    if (!isLead || !isTrail) return false;
    pairs++;
    if (lead <= 0x9f) lowLeads++;
    i++;
  }
  return pairs >= 4 && lowLeads / pairs >= 0.5;
}
