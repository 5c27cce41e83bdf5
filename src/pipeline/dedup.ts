/**
 * Recognising the same mention seen again: a canonical form of URLs (so tracking parameters,
 * `www.`, fragments and trailing slashes don't make a repost look new) and a fingerprint of the
 * text (so a copy-pasted or retweeted text is recognised), both per brand.
 */
import { createHash } from 'node:crypto';

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
  const normal = `${title} ${text}`
    .normalize('NFKC')
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/(^|\s)rt\s+@\w+:?/g, ' ')
    .replace(/@[\p{L}\p{N}_.]+/gu, ' ')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  if (normal.length < MIN_FINGERPRINT_CHARS) return null;
  return createHash('sha1').update(normal).digest('base64url').slice(0, 22);
}
