/**
 * Recognising the same mention seen again: a canonical form of URLs (so tracking parameters,
 * `www.`, fragments and trailing slashes don't make a repost look new) and a fingerprint of the
 * text (so a copy-pasted or retweeted text is recognised), both per brand.
 */
import { hash } from 'node:crypto';

const TRACKING_PARAMS = /^(utm_[a-z]+|fbclid|gclid|dclid|mc_cid|mc_eid|igshid|ref|ref_src|ref_url|s|si|cmpid|__twitter_impression|spm|yclid|_hsenc|_hsmi)$/i;

/** A canonical URL for duplicate detection, or null for anything that is not http(s). */
export function canonicalUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  const host = u.hostname.toLowerCase().replace(/^(www\.|m\.|mobile\.|amp\.)/, '').replace(/^twitter\.com$/, 'x.com');
  const params = [...u.searchParams.entries()].filter(([k]) => !TRACKING_PARAMS.test(k)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length ? `?${new URLSearchParams(params).toString()}` : '';
  let path = u.pathname.replace(/\/+$/, '').replace(/\/amp$/, '');
  if (path === '') path = '/';
  const port = u.port && u.port !== '80' && u.port !== '443' ? `:${u.port}` : '';
  return `${host}${port}${path}${query}`;
}

/** Texts shorter than this (after normalising) are too generic to call duplicates ("thanks!"). */
const MIN_FINGERPRINT_CHARS = 24;

/**
 * A fingerprint of the text that survives reposting: case, URLs, @handles, a leading "RT",
 * punctuation, emoji and spacing are ignored. Null for short texts.
 */
export function textFingerprint(title: string, text: string): string | null {
  const normal = fingerprintText(`${title} ${text}`);
  if (normal.length < MIN_FINGERPRINT_CHARS) return null;
  return hash('sha1', normal, 'base64url').slice(0, 22);
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * The normal form the fingerprint hashes: NFKC, lower case, without URLs, "RT @x:" and @handles,
 * every run of characters that are neither letters nor digits one space, trimmed. It runs for
 * every mention, so it skips the steps that cannot change the text (NFKC of ASCII, URL and
 * handle patterns without "http" or "@") and collapses the separators in one pass; the test
 * checks it against the plain regular-expression chain.
 */
export function fingerprintText(joined: string): string {
  let s = (NON_ASCII.test(joined) ? joined.normalize('NFKC') : joined).toLowerCase();
  if (s.includes('http')) s = s.replace(/https?:\/\/\S+/g, ' ');
  if (s.includes('@')) s = s.replace(/(^|\s)rt\s+@\w+:?/g, ' ').replace(/@[\p{L}\p{N}_.]+/gu, ' ');
  return words(s);
}

const WORD_CHAR = /^[\p{L}\p{N}]$/u;
const wordChars = new Map<number, boolean>();

function isWordCodePoint(cp: number): boolean {
  if (cp < 128) return (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || (cp >= 48 && cp <= 57);
  let word = wordChars.get(cp);
  if (word === undefined) {
    word = WORD_CHAR.test(String.fromCodePoint(cp));
    // Bounded: a text in many scripts must not grow the cache without limit.
    if (wordChars.size < 65_536) wordChars.set(cp, word);
  }
  return word;
}

/** `s.replace(/[^\p{L}\p{N}]+/gu, ' ').trim()` in one pass over the code points. */
function words(s: string): string {
  let out = '';
  let runStart = -1;
  let gap = false;
  for (let i = 0; i < s.length; ) {
    const c = s.charCodeAt(i);
    let cp = c;
    let width = 1;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    if (isWordCodePoint(cp)) {
      if (runStart < 0) {
        if (gap && out.length > 0) out += ' ';
        runStart = i;
        gap = false;
      }
    } else {
      if (runStart >= 0) out += s.slice(runStart, i);
      runStart = -1;
      gap = true;
    }
    i += width;
  }
  if (runStart >= 0) out += s.slice(runStart);
  return out;
}
