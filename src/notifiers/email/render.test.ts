import { Parser } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { sampleAlert, sampleMention } from '../sample-alert.js';
import { escapeHtml, renderAlertEmail, sanitizeHeaderText, SUBJECT_LIMIT } from './render.js';

describe('renderAlertEmail', () => {
  it('builds the subject from summary and rule', () => {
    expect(renderAlertEmail(sampleAlert()).subject).toBe(
      '[earshot] Negative mention of Acme Cloud on reddit (negative-mention)',
    );
  });

  it('writes a plain-text part that reads well alone', () => {
    expect(renderAlertEmail(sampleAlert()).text).toBe(
      [
        'Negative mention of Acme Cloud on reddit',
        'Rule: negative-mention (mention)',
        '',
        '1. Acme Cloud on reddit post, by u/sre_jane (12.3k karma)',
        '   Published: 2026-11-23 08:00 UTC',
        '   Acme Cloud down again?',
        '   Third outage this month. We lost a day of data and support has not answered. Looking at alternatives.',
        '   Link: https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/',
        '   Sentiment: negative (-0.72): outage, lost a day of data, not answered',
        '   Urgency: high (0.81): outage, data loss, reach 12.3k',
        '',
        '-- ',
        'earshot · rule: negative-mention',
        '',
      ].join('\n'),
    );
  });

  it('puts the same fields in the HTML part, with inline styles', () => {
    const { html } = renderAlertEmail(sampleAlert({ details: ['64 mentions in 1h'] }));
    for (const expected of [
      '>Negative mention of Acme Cloud on reddit</h1>',
      'Rule: negative-mention (mention)',
      '64 mentions in 1h',
      'Acme Cloud on reddit post · by u/sre_jane (12.3k karma) · 2026-11-23 08:00 UTC',
      '>Acme Cloud down again?</p>',
      '<b>Sentiment:</b> negative (-0.72): outage, lost a day of data, not answered',
      '<b>Urgency:</b> high (0.81): outage, data loss, reach 12.3k',
      'href="https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/"',
      'earshot · rule: negative-mention',
    ]) {
      expect(html).toContain(expected);
    }
    expect(html).not.toContain('<style');
    expect(html).toMatch(/<body style="/);
  });

  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['"><a href=javascript:alert(1)>x</a>', '&quot;&gt;&lt;a href=javascript:alert(1)&gt;x&lt;/a&gt;'],
    ["it's & <b>", 'it&#39;s &amp; &lt;b&gt;'],
  ])('escapes %j everywhere in the HTML part', (input, escaped) => {
    const alert = sampleAlert({
      summary: `Mention ${input}`,
      rule: 'negative-mention',
      mentions: [sampleMention({ title: input, text: input, author: input, sentiment: { label: 'negative', score: -0.5, reasons: [input] } })],
    });
    const { html, text } = renderAlertEmail(alert);
    expect(html).toContain(`>${escaped}</p>`);
    expect(html).toContain(`by ${escaped} (12.3k karma)`);
    expect(html).toContain(`>Mention ${escaped}</h1>`);
    expect(html).not.toContain(input);
    // Parsed as a browser would: only our own tags, no handlers, only the one https link.
    const { tags, hrefs, handlers } = parseHtml(html);
    expect([...tags].sort()).toEqual(['a', 'b', 'body', 'br', 'div', 'h1', 'head', 'html', 'meta', 'p', 'title']);
    expect(hrefs).toEqual(['https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/']);
    expect(handlers).toEqual([]);
    // The plain-text part shows the text as written.
    expect(text).toContain(input);
  });

  it.each(['javascript:alert(1)', 'data:text/html,<b>x</b>', 'vbscript:x'])('never links %s', (url) => {
    const { html, text } = renderAlertEmail(sampleAlert({ mentions: [sampleMention({ url })] }));
    expect(html).not.toContain('<a ');
    expect(text).not.toContain('Link:');
  });

  it('strips CR/LF and control characters from the subject and caps its length', () => {
    const subject = renderAlertEmail(sampleAlert({ summary: 'Hi\r\nBcc: x@evil.example\u0000\u0007 there' })).subject;
    expect(subject).toBe('[earshot] Hi Bcc: x@evil.example there (negative-mention)');
    const long = renderAlertEmail(sampleAlert({ summary: 'x'.repeat(500) })).subject;
    expect(Array.from(long)).toHaveLength(SUBJECT_LIMIT);
    expect(long.endsWith('…')).toBe(true);
  });

  it('renders a spike alert without listed mentions', () => {
    const { text } = renderAlertEmail(
      sampleAlert({
        rule: 'volume-spike',
        ruleType: 'spike',
        summary: 'Volume spike: 64 mentions of Acme Cloud in 1h',
        details: ['64 mentions in the last hour'],
        mentions: [],
        totalMentions: 64,
      }),
    );
    expect(text).toBe(
      'Volume spike: 64 mentions of Acme Cloud in 1h\nRule: volume-spike (spike)\n\n64 mentions in the last hour\n\n-- \nearshot · rule: volume-spike\n',
    );
  });

  it('lists at most 10 mentions and counts the rest', () => {
    const mentions = Array.from({ length: 12 }, (_, i) => sampleMention({ id: i + 1, title: `post #${i + 1}` }));
    const { text, html } = renderAlertEmail(sampleAlert({ mentions, totalMentions: 30 }));
    expect(text).toContain('10. Acme Cloud');
    expect(text).not.toContain('11. Acme Cloud');
    expect(text).toContain('…and 20 more mentions');
    expect(html).toContain('…and 20 more mentions');
    expect(html).not.toContain('post #11');
  });
});

describe('escapeHtml and sanitizeHeaderText', () => {
  it.each([
    ['&', '&amp;'],
    ['<>', '&lt;&gt;'],
    ['"\'', '&quot;&#39;'],
    ['&amp;', '&amp;amp;'],
  ])('escapeHtml(%j) = %j', (input, expected) => {
    expect(escapeHtml(input)).toBe(expected);
  });

  it.each([
    ['a\r\nb', 'a b'],
    ['a\nb', 'a b'],
    ['a\u2028b', 'a b'],
    ['a\u0085b', 'a b'],
    ['  spaced\t\tout  ', 'spaced out'],
  ])('sanitizeHeaderText(%j) = %j', (input, expected) => {
    expect(sanitizeHeaderText(input)).toBe(expected);
  });
});

function parseHtml(html: string): { tags: Set<string>; hrefs: string[]; handlers: string[] } {
  const tags = new Set<string>();
  const hrefs: string[] = [];
  const handlers: string[] = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      tags.add(name);
      if (attributes.href !== undefined) hrefs.push(attributes.href);
      for (const key of Object.keys(attributes)) if (key.startsWith('on')) handlers.push(`${name}.${key}`);
    },
  });
  parser.write(html);
  parser.end();
  return { tags, hrefs, handlers };
}
