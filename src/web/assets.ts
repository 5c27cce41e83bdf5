/**
 * The UI's static files, served by earshot itself (never a CDN): htmx from its npm package, and
 * the keyboard/live script and the stylesheet from assets/web/. Read once, gzipped once; their
 * URLs carry a content hash (?v=...), so browsers cache them for a year and a new earshot is
 * fetched at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);

export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

export interface Assets {
  version: string;
  get(name: string): Asset | undefined;
}

function load(path: string, type: string): Asset {
  const body = readFileSync(path);
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${hash}"` };
}

let cached: Assets | null = null;

export function loadAssets(): Assets {
  if (cached) return cached;
  const dir = fileURLToPath(new URL('../../assets/web/', import.meta.url));
  const files = new Map<string, Asset>([
    ['htmx.min.js', load(require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8')],
    ['app.js', load(`${dir}app.js`, 'text/javascript; charset=utf-8')],
    ['app.css', load(`${dir}app.css`, 'text/css; charset=utf-8')],
  ]);
  const version = createHash('sha256')
    .update([...files.values()].map((f) => f.etag).join(''))
    .digest('base64url')
    .slice(0, 10);
  cached = { version, get: (name) => files.get(name) };
  return cached;
}
