/**
 * Feed documents to earshot items: RSS 0.9x / 2.0, RSS 1.0 and 0.90 (RDF), Atom 0.3 / 1.0,
 * JSON Feed 1 / 1.1.
 *
 * XML is read with htmlparser2 in xmlMode, which is lenient: a truncated or unclosed document
 * still yields what it contains, and parsing is linear (no hang, no external entities, no
 * expansion bombs: DOCTYPE entities are substituted once, never recursively).
 *
 * Element names are matched by local name and namespace: `dc:creator` matches any prefix bound
 * to Dublin Core, or the `dc` prefix when a feed forgot to declare it.
 *
 * Text and titles become plain text (htmlToText) whatever the feed's content model; content that
 * is HTML escaped twice is unwrapped once more. Links are resolved against xml:base, the HTTP
 * Content-Location and the feed URL, in that order.
 */
import { createHash } from 'node:crypto';
import type { AnyNode, CDATA, Element } from 'domhandler';
import { z } from 'zod';
import { safeUrl } from '../http.js';
import { lazy } from '../../core/lazy.js';
import { collapseWhitespace, htmlToText } from '../../core/text.js';
import type { FetchedItem } from '../../core/types.js';
import { SourceError } from '../types.js';
import { parseFeedDate } from './dates.js';
import { decodeFeedBytes } from './encoding.js';

// Loaded with require(), like everywhere else in earshot (core/lazy.ts): mixing require() and
// import() of these ES modules can catch one half-loaded (ERR_INTERNAL_ASSERTION). This module
// itself is imported on the first poll, so start-up does not pay for them.
const { Parser, parseDocument } = lazy<typeof import('htmlparser2')>('htmlparser2')();
const { isCDATA, isTag, isText } = lazy<typeof import('domhandler')>('domhandler')();
const { decodeHTML } = lazy<typeof import('entities')>('entities')();

export type FeedFormat = 'rss' | 'atom' | 'rdf' | 'json';

export interface ParsedFeed {
  format: FeedFormat;
  title: string;
  items: FetchedItem[];
}

export interface ParseFeedOptions {
  /** The URL the document came from (final URL after redirects): base for relative links, named in errors. */
  url: string;
  contentType?: string | null;
  contentLocation?: string | null;
}

const NS = {
  atom: ['http://www.w3.org/2005/Atom', 'http://purl.org/atom/ns#'],
  dc: ['http://purl.org/dc/elements/1.1/'],
  dcterms: ['http://purl.org/dc/terms/'],
  content: ['http://purl.org/rss/1.0/modules/content/'],
  itunes: ['http://www.itunes.com/dtds/podcast-1.0.dtd'],
  rdf: ['http://www.w3.org/1999/02/22-rdf-syntax-ns#'],
  xhtml: ['http://www.w3.org/1999/xhtml'],
  feedburner: ['http://rssnamespace.org/feedburner/ext/1.0'],
} as const satisfies Record<string, readonly string[]>;

/** Namespaces whose elements count as the feed's own (unprefixed) vocabulary. */
const CORE_NS = new Set<string>([
  ...NS.atom,
  'http://purl.org/rss/1.0/',
  'http://backend.userland.com/rss2',
  'http://backend.userland.com/rss',
  'http://my.netscape.com/rdf/simple/0.9/',
  'http://channel.netscape.com/rdf/simple/0.9/',
]);

/** Tags left in text after one round of htmlToText: the content was HTML escaped twice. */
const LEFTOVER_MARKUP = /<\/?(?:p|div|br|a|img|span|b|i|u|em|strong|ul|ol|li|h[1-6]|table|tr|td|blockquote|pre|code|figure|iframe|script|style|font|center|small|big|sup|sub|hr)\b[^<>]*>/i;

/** The same tags, still escaped after one round. */
const ESCAPED_MARKUP = /&lt;(?:!--|\/?(?:p|div|br|a|img|span|b|i|em|strong|ul|ol|li|h[1-6]|table|tr|td|blockquote|pre|code)\b)/i;

/** Parses a feed document; throws SourceError('parse') when it is not a feed. */
export function parseFeed(body: Buffer, opts: ParseFeedOptions): ParsedFeed {
  const where = safeUrl(opts.url);
  const { text } = decodeFeedBytes(body, opts.contentType);
  const start = text.replace(/^\uFEFF/, '').trimStart();
  if (start === '') throw new SourceError('parse', `${where}: the response is empty; expected an RSS, Atom or JSON feed`);
  const base = documentBase(opts.url, opts.contentLocation);
  if (start.startsWith('{') || start.startsWith('[')) return parseJsonFeed(start, where, base);
  return parseXmlFeed(text, where, base, opts.url);
}

// ---------------------------------------------------------------------------------------------
// XML feeds

interface Context {
  base: string;
  entities: Map<string, string>;
}

/** A document cut off inside `<![CDATA[` would leave the fragment as text. */
const TRUNCATED_CDATA = /<!\[(?:C(?:D(?:A(?:T(?:A(?:\[)?)?)?)?)?)?\s*$/;

function parseXmlFeed(text: string, where: string, base: string, pageUrl: string): ParsedFeed {
  const doc = parseDocument(text.replace(TRUNCATED_CDATA, ''), { xmlMode: true, decodeEntities: false });
  const root = doc.children.find(isTag);
  if (!root) {
    if (/^\s*</.test(text)) throw new SourceError('parse', `${where}: not a feed: the document has no root element (empty or only comments); expected <rss>, <feed> or <rdf:RDF>`);
    throw new SourceError('parse', `${where}: not a feed: the response is not XML or JSON (it starts with ${JSON.stringify(text.trim().slice(0, 40))})`);
  }
  const ctx: Context = { base, entities: doctypeEntities(text) };
  const rootName = localName(root);
  switch (rootName) {
    case 'rss':
    case 'channel':
      return parseRss(root, ctx, 'rss');
    case 'rdf':
      return parseRss(root, ctx, 'rdf');
    case 'feed':
      return parseAtom(root, ctx);
    default:
      if (['html', 'head', 'body'].includes(rootName) || /<!doctype\s+html/i.test(text.slice(0, 2048))) {
        throw htmlPageError(text, where, pageUrl);
      }
      throw new SourceError('parse', `${where}: not a feed: the root element is <${root.name}>, expected <rss>, <feed> or <rdf:RDF>`);
  }
}

function parseRss(root: Element, ctx: Context, format: 'rss' | 'rdf'): ParsedFeed {
  const channel = child(root, 'channel');
  // RDF puts items beside the channel; broken RSS sometimes does too.
  const itemEls = [...(channel ? children(channel, 'item') : []), ...children(root, 'item')];
  const language = firstText(ctx, channel, ['language', 'dc:language']) || attr(root, 'xml:lang') || null;
  const items = itemEls.map((el) => rssItem(el, ctx, language));
  const titleEl = channel ? child(channel, 'title') ?? child(channel, 'dc:title') : undefined;
  return { format, title: titleEl ? oneLine(htmlText(titleEl, ctx)) : '', items };
}

function rssItem(el: Element, ctx: Context, language: string | null): FetchedItem {
  const guidEl = child(el, 'guid');
  const guid = guidEl ? plainText(guidEl, ctx) : '';
  const about = attr(el, 'rdf:about') ?? '';
  const linkEl = children(el, 'link').find((l) => plainText(l, ctx) !== '');
  let url = originalLink(el, ctx) ?? (linkEl ? resolveUrl(plainText(linkEl, ctx), baseOf(linkEl, ctx)) : null);
  url ??= atomAlternate(el, ctx, 'atom:link');
  const guidIsPermalink = guidEl !== undefined && (attr(guidEl, 'isPermaLink') ?? 'true').toLowerCase() !== 'false';
  if (url === null && guidIsPermalink) url = resolveUrl(guid, baseOf(guidEl, ctx), true);
  if (url === null && about !== '') url = resolveUrl(about, baseOf(el, ctx), true);

  const titleEl = child(el, 'title') ?? child(el, 'dc:title');
  const title = titleEl ? oneLine(htmlText(titleEl, ctx)) : '';
  const text = firstNonEmpty([child(el, 'content:encoded'), child(el, 'description'), child(el, 'dc:description'), child(el, 'atom:content'), child(el, 'atom:summary')], (e) =>
    localName(e) === 'content' || localName(e) === 'summary' ? atomText(e, ctx) : htmlText(e, ctx),
  );
  const published = firstDate(ctx, el, ['pubDate', 'dc:date', 'dcterms:issued', 'dcterms:created', 'dcterms:modified', 'atom:published', 'atom:updated']);
  const author = rssAuthor(el, ctx);
  const itemLanguage = firstText(ctx, el, ['dc:language']) || attr(el, 'xml:lang') || language;
  return item({ id: guid || about, url, title, text, author, published, language: itemLanguage });
}

function rssAuthor(el: Element, ctx: Context): string | null {
  const plain = firstText(ctx, el, ['dc:creator', 'itunes:author', 'author']);
  const atomName = child(el, 'atom:author');
  const name = plain || (atomName ? firstText(ctx, atomName, ['atom:name']) : '');
  if (!name) return null;
  // RSS 2.0 <author> is "email (Name)": the name is what people recognise.
  const named = /^\S+@\S+\s*\((.+)\)$/.exec(name);
  return oneLine(named?.[1] ?? name) || null;
}

function parseAtom(root: Element, ctx: Context): ParsedFeed {
  const language = attr(root, 'xml:lang') || firstText(ctx, root, ['dc:language']) || null;
  const feedAuthor = atomAuthor(root, ctx);
  const items = children(root, 'entry').map((el) => atomEntry(el, ctx, language, feedAuthor));
  const titleEl = child(root, 'title');
  return { format: 'atom', title: titleEl ? oneLine(atomText(titleEl, ctx)) : '', items };
}

function atomEntry(el: Element, ctx: Context, language: string | null, feedAuthor: string | null): FetchedItem {
  const id = firstText(ctx, el, ['id']);
  const url = originalLink(el, ctx) ?? atomAlternate(el, ctx, 'link');
  const titleEl = child(el, 'title');
  const title = titleEl ? oneLine(atomText(titleEl, ctx)) : '';
  const text = firstNonEmpty([...children(el, 'content'), child(el, 'summary'), child(el, 'media:group')], (e) =>
    localName(e) === 'group' ? mediaDescription(e, ctx) : atomText(e, ctx),
  );
  const published = firstDate(ctx, el, ['published', 'issued', 'created', 'dc:date', 'dcterms:issued', 'updated', 'modified']);
  const source = child(el, 'source');
  const author = atomAuthor(el, ctx) ?? (source ? atomAuthor(source, ctx) : null) ?? (firstText(ctx, el, ['dc:creator']) || feedAuthor);
  const entryLanguage = attr(el, 'xml:lang') || language;
  return item({ id, url, title, text, author: author || null, published, language: entryLanguage });
}

function atomAuthor(el: Element, ctx: Context): string | null {
  for (const authorEl of [...children(el, 'author'), ...children(el, 'contributor')]) {
    const name = firstText(ctx, authorEl, ['name']) || firstText(ctx, authorEl, ['email']) || (children(authorEl).length === 0 ? plainText(authorEl, ctx) : '');
    if (name) return oneLine(name);
  }
  return null;
}

/** The entry's rel="alternate" link (HTML preferred), resolved against its xml:base. */
function atomAlternate(el: Element, ctx: Context, name: string): string | null {
  const links = children(el, name).filter((l) => (attr(l, 'rel') ?? 'alternate').toLowerCase() === 'alternate' && attr(l, 'href'));
  const best = links.find((l) => /html/i.test(attr(l, 'type') ?? 'text/html')) ?? links[0];
  if (!best) return null;
  return resolveUrl(attr(best, 'href') ?? '', baseOf(best, ctx));
}

/** FeedBurner wraps links in a tracking redirect and keeps the article's own URL in origLink. */
function originalLink(el: Element, ctx: Context): string | null {
  const orig = child(el, 'feedburner:origLink');
  return orig ? resolveUrl(plainText(orig, ctx), baseOf(orig, ctx), true) : null;
}

function mediaDescription(group: Element, ctx: Context): string {
  const description = children(group).find((c) => localName(c) === 'description');
  return description ? collapseWhitespace(plainText(description, ctx)) : '';
}

/** Atom text constructs (1.0 type=text|html|xhtml; 0.3 mode=xml|escaped|base64 with a MIME type). */
function atomText(el: Element, ctx: Context): string {
  const type = (attr(el, 'type') ?? 'text').toLowerCase();
  const mode = (attr(el, 'mode') ?? '').toLowerCase();
  if (mode === 'base64') {
    const decoded = Buffer.from(plainText(el, ctx).replace(/\s+/g, ''), 'base64').toString('utf8');
    return /html/.test(type) ? unwrapHtml(decoded) : collapseWhitespace(decoded);
  }
  if (hasElementChildren(el)) return unwrapHtml(markup(el, ctx));
  if (type === 'html' || type.includes('html') || mode === 'escaped') return unwrapHtml(plainText(el, ctx));
  return collapseWhitespace(plainText(el, ctx));
}

/** RSS text (title, description, content:encoded): HTML by convention, escaped or inline. */
function htmlText(el: Element, ctx: Context): string {
  return unwrapHtml(hasElementChildren(el) ? markup(el, ctx) : plainText(el, ctx));
}

/**
 * HTML to text, unwrapping content that was escaped more than once (common in aggregators:
 * Reddit's RSS escapes its HTML twice inside markup that is escaped once).
 */
function unwrapHtml(html: string): string {
  let text = htmlToText(html);
  for (let round = 0; round < 3 && (LEFTOVER_MARKUP.test(text) || ESCAPED_MARKUP.test(text)); round++) {
    // Line breaks of the previous round are text now; keep them through the next one.
    text = htmlToText(text.replace(/\n/g, '<br>'));
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// JSON Feed

const jsonAuthor = z.object({ name: z.string().optional().catch(undefined) }).loose();
const optionalString = z.string().optional().catch(undefined);
const jsonItem = z
  .object({
    id: z.union([z.string(), z.number()]).optional().catch(undefined),
    url: optionalString,
    external_url: optionalString,
    title: optionalString,
    content_html: optionalString,
    content_text: optionalString,
    summary: optionalString,
    date_published: optionalString,
    date_modified: optionalString,
    author: jsonAuthor.optional().catch(undefined),
    authors: z.array(jsonAuthor).optional().catch(undefined),
    language: optionalString,
  })
  .loose();
const jsonFeed = z
  .object({
    version: optionalString,
    title: optionalString,
    feed_url: optionalString,
    home_page_url: optionalString,
    language: optionalString,
    author: jsonAuthor.optional().catch(undefined),
    authors: z.array(jsonAuthor).optional().catch(undefined),
    items: z.array(z.unknown()),
  })
  .loose();

function parseJsonFeed(text: string, where: string, base: string): ParsedFeed {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new SourceError('parse', `${where}: not a feed: invalid JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = jsonFeed.safeParse(data);
  const version = parsed.success ? parsed.data.version : undefined;
  if (!parsed.success || (version !== undefined && !/jsonfeed\.org\/version\//i.test(version))) {
    throw new SourceError('parse', `${where}: not a feed: this JSON is not a JSON Feed (expected "version": "https://jsonfeed.org/version/1.1" and an "items" array)`);
  }
  const feed = parsed.data;
  const feedAuthor = authorName(feed.author, feed.authors);
  const items: FetchedItem[] = [];
  for (const raw of feed.items) {
    const entry = jsonItem.safeParse(raw);
    if (!entry.success) continue;
    const it = entry.data;
    const url = resolveUrl(it.url ?? it.external_url ?? '', base);
    const text = it.content_html ? unwrapHtml(it.content_html) : collapseWhitespace(it.content_text ?? it.summary ?? '');
    items.push(
      item({
        id: it.id === undefined ? '' : String(it.id).trim(),
        url,
        title: oneLine(it.title ?? ''),
        text,
        author: authorName(it.author, it.authors) ?? feedAuthor,
        published: parseFeedDate(it.date_published) ?? parseFeedDate(it.date_modified),
        language: it.language ?? feed.language ?? null,
      }),
    );
  }
  return { format: 'json', title: oneLine(feed.title ?? ''), items };
}

function authorName(author: { name?: string | undefined } | undefined, authors: { name?: string | undefined }[] | undefined): string | null {
  const name = author?.name ?? authors?.find((a) => a.name)?.name;
  return name ? oneLine(name) : null;
}

// ---------------------------------------------------------------------------------------------
// Items

interface ItemFields {
  id: string;
  url: string | null;
  title: string;
  text: string;
  author: string | null;
  published: string | null;
  language: string | null;
}

function item(f: ItemFields): FetchedItem {
  const sourceId = f.id.trim() || f.url || `sha1:${hash(`${f.title}\n${f.published ?? ''}${f.title || f.published ? '' : `\n${f.text}`}`)}`;
  return {
    sourceId,
    url: f.url,
    author: f.author,
    reach: null,
    title: f.title,
    text: f.text,
    published: f.published,
    language: f.language ? f.language.trim() : null,
    kind: 'article',
    linkUrl: f.url,
  };
}

function hash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function firstNonEmpty(els: (Element | undefined)[], read: (el: Element) => string): string {
  for (const el of els) {
    if (!el) continue;
    const value = read(el);
    if (value !== '') return value;
  }
  return '';
}

function firstText(ctx: Context, el: Element | undefined, names: string[]): string {
  if (!el) return '';
  for (const name of names) {
    for (const found of children(el, name)) {
      const value = oneLine(plainText(found, ctx));
      if (value) return value;
    }
  }
  return '';
}

function firstDate(ctx: Context, el: Element, names: string[]): string | null {
  for (const name of names) {
    for (const found of children(el, name)) {
      const date = parseFeedDate(plainText(found, ctx));
      if (date) return date;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Elements, names and namespaces

function localName(el: Element): string {
  const colon = el.name.indexOf(':');
  return (colon === -1 ? el.name : el.name.slice(colon + 1)).toLowerCase();
}

function prefixOf(el: Element): string {
  const colon = el.name.indexOf(':');
  return colon === -1 ? '' : el.name.slice(0, colon);
}

function namespaceOf(el: Element): string | null {
  const prefix = prefixOf(el);
  const attrName = prefix ? `xmlns:${prefix}` : 'xmlns';
  for (let node: Element | null = el; node; node = parentElement(node)) {
    const uri = node.attribs[attrName];
    if (uri !== undefined) return uri;
  }
  return null;
}

function parentElement(el: Element): Element | null {
  const parent = el.parent;
  return parent && isTag(parent) ? parent : null;
}

/**
 * Does `el` match `name` ('title', 'dc:creator')? An unprefixed name matches unprefixed elements
 * and elements in a feed-core namespace; a prefixed name matches its namespace under any prefix,
 * or the literal prefix when the feed did not declare it.
 */
function matches(el: Element, name: string): boolean {
  const colon = name.indexOf(':');
  const local = (colon === -1 ? name : name.slice(colon + 1)).toLowerCase();
  if (localName(el) !== local) return false;
  const ns = namespaceOf(el);
  if (colon === -1) return prefixOf(el) === '' ? ns === null || !isForeignNs(ns) : ns !== null && CORE_NS.has(ns);
  const wanted = name.slice(0, colon);
  const uris: readonly string[] = (NS as Record<string, readonly string[]>)[wanted] ?? [];
  if (ns !== null && uris.includes(ns)) return true;
  return prefixOf(el).toLowerCase() === wanted && (ns === null || uris.length === 0);
}

/** An unprefixed element in a module namespace (e.g. xmlns="http://purl.org/dc/...") is not core. */
function isForeignNs(ns: string): boolean {
  return Object.values(NS).some((uris: readonly string[]) => uris.includes(ns)) && !CORE_NS.has(ns);
}

function children(el: Element, name?: string): Element[] {
  const out: Element[] = [];
  for (const node of el.children) if (isTag(node) && (name === undefined || matches(node, name))) out.push(node);
  return out;
}

function child(el: Element, name: string): Element | undefined {
  return el.children.find((node): node is Element => isTag(node) && matches(node, name));
}

function hasElementChildren(el: Element): boolean {
  return el.children.some(isTag);
}

/** An attribute, entity-decoded; `name` may carry a prefix (`xml:lang`, `rdf:about`), matched literally then by local name. */
function attr(el: Element, name: string): string | undefined {
  let raw = el.attribs[name];
  if (raw === undefined && name.includes(':')) {
    const local = name.slice(name.indexOf(':') + 1);
    const key = Object.keys(el.attribs).find((k) => k.endsWith(`:${local}`) && !k.startsWith('xmlns'));
    raw = key === undefined ? undefined : el.attribs[key];
  }
  if (raw === undefined && !name.includes(':')) {
    const key = Object.keys(el.attribs).find((k) => k.toLowerCase() === name.toLowerCase());
    raw = key === undefined ? undefined : el.attribs[key];
  }
  return raw === undefined ? undefined : decodeHTML(raw).trim();
}

// ---------------------------------------------------------------------------------------------
// Text content

/**
 * The element's character data: entities decoded, CDATA verbatim, child elements' text included.
 * Walks with an explicit stack: a hostile feed can nest elements deeper than the call stack.
 */
function plainText(el: Element, ctx: Context): string {
  let out = '';
  const stack: AnyNode[] = [...el.children].reverse();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (isText(node)) out += decodeXmlText(node.data, ctx);
    else if (isCDATA(node)) out += cdataText(node);
    else if (isTag(node)) pushChildren(stack, node);
  }
  return out.trim();
}

/** The element's content as an HTML string (inline markup kept, CDATA escaped). */
function markup(el: Element, ctx: Context): string {
  let out = '';
  const stack: (AnyNode | string)[] = [...el.children].reverse();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (typeof node === 'string') out += node;
    else if (isText(node)) out += substituteEntities(node.data, ctx.entities, true);
    else if (isCDATA(node)) out += escapeHtml(cdataText(node));
    else if (isTag(node)) {
      const name = localName(node);
      out += `<${name}${markupAttributes(node)}>`;
      if (VOID_ELEMENTS.has(name)) continue;
      stack.push(`</${name}>`);
      pushChildren(stack, node);
    }
  }
  return out;
}

function pushChildren(stack: (AnyNode | string)[], el: Element): void {
  for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
}

function cdataText(node: CDATA): string {
  return node.children.map((c) => (isText(c) ? c.data : '')).join('');
}

function markupAttributes(el: Element): string {
  return Object.entries(el.attribs)
    .filter(([key]) => !key.startsWith('xmlns'))
    .map(([key, value]) => ` ${key}="${value.replace(/"/g, '&quot;')}"`)
    .join('');
}

/** HTML elements without an end tag: `</br>` would read as a second <br>. */
const VOID_ELEMENTS = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

function decodeXmlText(text: string, ctx: Context): string {
  if (!text.includes('&')) return text;
  return decodeHTML(substituteEntities(text, ctx.entities, false));
}

function substituteEntities(text: string, entities: Map<string, string>, escape: boolean): string {
  if (entities.size === 0 || !text.includes('&')) return text;
  return text.replace(/&([A-Za-z_][\w.-]*);/g, (whole, name: string) => {
    const value = entities.get(name);
    if (value === undefined) return whole;
    return escape ? escapeHtml(value) : value.replace(/&/g, '&amp;');
  });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** General entities declared in an internal DOCTYPE subset (`<!ENTITY name "value">`); parameter entities are ignored. */
function doctypeEntities(text: string): Map<string, string> {
  const entities = new Map<string, string>();
  const doctype = /<!DOCTYPE[^[>]*\[([\s\S]*?)\]\s*>/i.exec(text.slice(0, 65_536));
  if (!doctype) return entities;
  for (const m of doctype[1]!.matchAll(/<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>/g)) {
    if (entities.size >= 256) break;
    entities.set(m[1]!, decodeHTML(m[2] ?? m[3] ?? ''));
  }
  return entities;
}

// ---------------------------------------------------------------------------------------------
// URLs

function documentBase(url: string, contentLocation: string | null | undefined): string {
  if (!contentLocation) return url;
  try {
    return new URL(contentLocation.trim(), url).href;
  } catch {
    return url;
  }
}

/** The base URL in effect for an element: the document base, then each xml:base from the root down. */
function baseOf(el: Element, ctx: Context): string {
  const bases: string[] = [];
  for (let node: Element | null = el; node; node = parentElement(node)) {
    const xmlBase = node.attribs['xml:base'];
    if (xmlBase !== undefined) bases.push(decodeHTML(xmlBase).trim());
  }
  let base = ctx.base;
  for (const next of bases.reverse()) {
    try {
      base = new URL(next, base).href;
    } catch {
      // A malformed xml:base is ignored; the outer base stays in force.
    }
  }
  return base;
}

/** Resolves a link; only http(s) results are kept. `absoluteOnly`: the value must already be an absolute URL (guid, rdf:about). */
function resolveUrl(ref: string, base: string, absoluteOnly = false): string | null {
  const value = ref.trim();
  if (value === '') return null;
  if (absoluteOnly && !/^https?:\/\//i.test(value)) return null;
  try {
    const url = new URL(value, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// HTML pages where a feed was expected

const FEED_TYPES = /^application\/(?:rss|atom|rdf|feed)\+(?:xml|json)$/i;

/** Feed URLs a page announces with <link rel="alternate" type="application/rss+xml" href="...">, resolved. */
export function discoverFeedLinks(html: string, pageUrl: string): string[] {
  const found: { url: string; type: string }[] = [];
  let base = pageUrl;
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (name === 'base' && attribs.href) base = resolveUrl(attribs.href, pageUrl) ?? base;
        if (name !== 'link' && name !== 'a') return;
        const rel = (attribs.rel ?? '').toLowerCase().split(/\s+/);
        const type = (attribs.type ?? '').trim().toLowerCase();
        if (!rel.includes('alternate') || !FEED_TYPES.test(type) || !attribs.href) return;
        const url = resolveUrl(attribs.href, base);
        if (url && !found.some((f) => f.url === url)) found.push({ url, type });
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  // RSS and Atom first: every reader understands them.
  const common = (f: { type: string }): boolean => /rss|atom/.test(f.type);
  return [...found.filter(common), ...found.filter((f) => !common(f))].map((f) => f.url);
}

function htmlPageError(html: string, where: string, pageUrl: string): SourceError {
  const feeds = discoverFeedLinks(html, pageUrl);
  if (feeds.length === 0) {
    return new SourceError('parse', `${where}: this is an HTML page, not a feed, and it announces no feed (no <link rel="alternate" type="application/rss+xml">); find the site's RSS or Atom URL and put it in sources/`);
  }
  const others = feeds.length > 1 ? ` (it also lists ${feeds.slice(1).map(safeUrl).join(', ')})` : '';
  return new SourceError('parse', `${where}: this is an HTML page, not a feed; use the feed it announces instead: ${safeUrl(feeds[0]!)}${others}`);
}
