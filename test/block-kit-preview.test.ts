/**
 * The README's Slack picture is an HTML rendering of earshot's Block Kit payload
 * (scripts/lib/block-kit-preview.ts): it must show what the blocks say and never turn mention text
 * into markup or links.
 */
import { describe, expect, it } from 'vitest';
import { blockKitPreviewHtml } from '../scripts/lib/block-kit-preview.js';

describe('Block Kit preview', () => {
  it('draws the blocks earshot sends, escaping every text, linking only http(s)', () => {
    const html = blockKitPreviewHtml({
      appName: 'earshot',
      time: '9:41 AM',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: 'Negative mention <b>of</b> Acme', emoji: false } },
        { type: 'divider' },
        { type: 'section', text: { type: 'plain_text', text: '<script>alert(1)</script> <img src=x onerror=alert(2)> *not bold*', emoji: false } },
        { type: 'section', fields: [{ type: 'plain_text', text: 'Brand: Acme' }, { type: 'plain_text', text: 'Source: twitter' }] },
        { type: 'section', text: { type: 'mrkdwn', text: '<https://x.com/a?b=1&amp;c=2|Open on twitter> <javascript:alert(3)|click>', verbatim: true } },
        { type: 'context', elements: [{ type: 'mrkdwn', text: '✓ Handled by @maria at <!date^1795427220^{time}|09:47 UTC>', verbatim: true }] },
        {
          type: 'actions',
          elements: [
            { type: 'button', text: { type: 'plain_text', text: 'Reopen' }, action_id: 'earshot_reopen' },
            { type: 'static_select', placeholder: { type: 'plain_text', text: 'Sentiment' }, initial_option: { text: { type: 'plain_text', text: 'Negative' } } },
          ],
        },
      ],
    });
    expect(html).not.toMatch(/<script>|<img|<b>of/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // plain_text is shown as written: no mrkdwn styling.
    expect(html).toContain('*not bold*');
    expect(html).toContain('<a href="https://x.com/a?b=1&amp;c=2">Open on twitter</a>');
    expect(html).not.toContain('javascript:alert(3)"');
    expect(html).toContain('✓ Handled by @maria at 9:47 AM');
    expect(html).toContain('<span class="button">Reopen</span>');
    expect(html).toContain('Negative<span class="caret">');
    expect(html).toContain('A rendering of the Block Kit payload earshot sent in chat.update');
  });
});
