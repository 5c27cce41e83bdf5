/** RSS documents for the polling benchmarks, built from generated mentions. */
import type { BenchMention } from './corpus.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function rssDocument(title: string, items: readonly BenchMention[]): string {
  const body = items
    .map(
      (m) =>
        `<item><guid isPermaLink="false">${esc(m.id)}</guid><title>${esc(m.title || m.text.slice(0, 60))}</title>` +
        `<link>${esc(m.url ?? `https://news.example.com/${m.id}`)}</link><author>${esc(m.author)}@example.com (${esc(m.author)})</author>` +
        `<description>${esc(m.text)}</description><pubDate>${new Date(m.published).toUTCString()}</pubDate></item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>${esc(title)}</title><link>https://news.example.com/</link><description>bench</description>\n${body}\n</channel></rss>`;
}
