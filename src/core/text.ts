/**
 * Plain text from the HTML and entity-laden strings sources hand us. Everything here only reads
 * markup; nothing is ever executed or passed through. The output of `htmlToText` is plain text:
 * paragraphs separated by one blank line, line breaks kept, runs of spaces collapsed.
 */
import { lazy } from './lazy.js';

const htmlparser2 = lazy<typeof import('htmlparser2')>('htmlparser2');
const entities = lazy<typeof import('entities')>('entities');

/** Elements whose content is never text a reader sees. */
const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'head', 'title', 'iframe', 'object', 'svg', 'math', 'select', 'textarea']);

/** Elements that start and end a paragraph. */
const PARAGRAPH = new Set([
  'p', 'div', 'section', 'article', 'header', 'footer', 'aside', 'nav', 'main', 'blockquote', 'pre',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'dl', 'table', 'figure', 'hr', 'address', 'details', 'form', 'fieldset',
]);

/** Elements that start a new line, but not a new paragraph. */
const LINE = new Set(['br', 'li', 'tr', 'dt', 'dd', 'figcaption', 'caption', 'summary']);

/** Decodes HTML character references (named, decimal, hex; lenient like a browser). */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return entities().decodeHTML(text);
}

/**
 * Spaces, tabs and no-break spaces collapse to one space; each line is trimmed; at most one
 * blank line separates paragraphs; leading and trailing blank space is removed.
 */
export function collapseWhitespace(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\t\f\v \u00a0\u2000-\u200a\u202f\u205f\u3000]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Strips markup (dropping script/style), decodes entities, keeps paragraph and line breaks. */
export function htmlToText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return collapseWhitespace(html);
  const parts: string[] = [];
  let skipDepth = 0;
  const parser = new (htmlparser2().Parser)(
    {
      onopentag(name) {
        if (SKIPPED.has(name)) skipDepth++;
        else if (PARAGRAPH.has(name)) parts.push('\n\n');
        else if (LINE.has(name)) parts.push('\n');
        else if (name === 'td' || name === 'th') parts.push(' ');
      },
      onclosetag(name) {
        if (SKIPPED.has(name)) skipDepth = Math.max(0, skipDepth - 1);
        else if (PARAGRAPH.has(name)) parts.push('\n\n');
      },
      ontext(text) {
        // Source newlines inside HTML are layout, not line breaks: only <br> and blocks break lines.
        if (skipDepth === 0) parts.push(text.replace(/[\r\n]+/g, ' '));
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  return collapseWhitespace(parts.join(''));
}

/**
 * Shortens text to at most `max` characters, ending with '…'. Cuts on a word boundary when one
 * lies in the last third of the allowed length, and never inside a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return '';
  if (max === 1) return '…';
  let cut = max - 1;
  if (isLowSurrogate(text.charCodeAt(cut))) cut--;
  let head = text.slice(0, cut);
  const boundary = head.search(/\s\S*$/);
  const nextIsSpace = /\s/.test(text.charAt(cut));
  if (!nextIsSpace && boundary >= Math.floor(cut * 0.66)) head = head.slice(0, boundary);
  return head.replace(/[\s,;:.\-–—]+$/u, '') + '…';
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** `1 mention`, `2 mentions`: a count with its noun, for every message that counts something. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
