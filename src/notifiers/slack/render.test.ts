import { describe, expect, it } from 'vitest';
import { escapeMrkdwn, renderSlackMessage, SLACK_MAX_MENTIONS } from './render.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';

const plain = (text: string) => ({ type: 'plain_text', text, emoji: false });

describe('renderSlackMessage', () => {
  it('renders one mention as an exact Block Kit payload', () => {
    expect(renderSlackMessage(sampleAlert())).toEqual({
      text: 'Negative mention of Acme Cloud on reddit (rule: negative-mention)',
      blocks: [
        { type: 'header', text: plain('Negative mention of Acme Cloud on reddit') },
        { type: 'divider' },
        {
          type: 'section',
          text: plain(
            'Acme Cloud down again?\nThird outage this month. We lost a day of data and support has not answered. Looking at alternatives.',
          ),
        },
        {
          type: 'section',
          fields: [
            plain('Brand: Acme Cloud'),
            plain('Source: reddit post'),
            plain('Author: u/sre_jane (12.3k karma)'),
            plain('Published: 2026-11-23 08:00 UTC'),
            plain('Sentiment: negative (-0.72): outage, lost a day of data, not answered'),
            plain('Urgency: high (0.81): outage, data loss, reach 12.3k'),
          ],
        },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '<https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/|Open on reddit>',
            verbatim: true,
          },
        },
        { type: 'context', elements: [plain('rule: negative-mention · earshot')] },
      ],
    });
  });

  it('includes detail lines after the header', () => {
    const { blocks } = renderSlackMessage(
      sampleAlert({ details: ['64 mentions in 1h', 'baseline 12/h'], summary: 'Volume spike: 64 mentions of Acme Cloud in 1h' }),
    );
    expect(blocks[1]).toEqual({ type: 'section', text: plain('64 mentions in 1h\nbaseline 12/h') });
  });

  it(`caps the list at ${SLACK_MAX_MENTIONS} mentions and counts the rest`, () => {
    const mentions = Array.from({ length: 7 }, (_, i) => sampleMention({ id: i + 1, title: `post ${i + 1}` }));
    const { blocks } = renderSlackMessage(sampleAlert({ mentions, totalMentions: 12 }));
    const dividers = blocks.filter((b) => (b as { type: string }).type === 'divider');
    expect(dividers).toHaveLength(5);
    expect(JSON.stringify(blocks)).toContain('post 5');
    expect(JSON.stringify(blocks)).not.toContain('post 6');
    expect(blocks.at(-2)).toEqual({ type: 'context', elements: [plain('…and 7 more mentions')] });
  });

  it('renders a spike alert without listed mentions as header, details and rule only', () => {
    const alert = sampleAlert({
      rule: 'volume-spike',
      ruleType: 'spike',
      summary: 'Volume spike: 64 mentions of Acme Cloud in 1h (baseline 12/h)',
      details: ['64 mentions in the last hour', 'factor 5.3 over the baseline'],
      mentions: [],
      totalMentions: 64,
    });
    expect(renderSlackMessage(alert)).toEqual({
      text: 'Volume spike: 64 mentions of Acme Cloud in 1h (baseline 12/h) (rule: volume-spike)',
      blocks: [
        { type: 'header', text: plain('Volume spike: 64 mentions of Acme Cloud in 1h (baseline 12/h)') },
        { type: 'section', text: plain('64 mentions in the last hour\nfactor 5.3 over the baseline') },
        { type: 'context', elements: [plain('rule: volume-spike · earshot')] },
      ],
    });
  });

  it('says "1 more mention" in the singular', () => {
    const mentions = Array.from({ length: 6 }, (_, i) => sampleMention({ id: i + 1 }));
    const { blocks } = renderSlackMessage(sampleAlert({ mentions, totalMentions: 6 }));
    expect(blocks.at(-2)).toEqual({ type: 'context', elements: [plain('…and 1 more mention')] });
  });

  it('truncates long mention text to about 500 characters and long headers to 150', () => {
    const { blocks } = renderSlackMessage(
      sampleAlert({ summary: 'S'.repeat(300), mentions: [sampleMention({ title: '', text: 'x'.repeat(5000) })] }),
    );
    const header = blocks[0] as { text: { text: string } };
    expect(Array.from(header.text.text)).toHaveLength(150);
    const body = (blocks[2] as { text: { text: string } }).text.text;
    expect(Array.from(body)).toHaveLength(500);
    expect(body.endsWith('…')).toBe(true);
  });

  it('never splits an emoji when truncating', () => {
    const { blocks } = renderSlackMessage(sampleAlert({ mentions: [sampleMention({ title: '', text: '😡'.repeat(600) })] }));
    const body = (blocks[2] as { text: { text: string } }).text.text;
    expect(body).toBe(`${'😡'.repeat(499)}…`);
  });

  it.each([
    ['javascript:alert(1)'],
    ['data:text/html,<script>alert(1)</script>'],
    ['ftp://example.com/file'],
    ['not a url'],
  ])('does not link %s', (url) => {
    const { blocks } = renderSlackMessage(sampleAlert({ mentions: [sampleMention({ url })] }));
    expect(JSON.stringify(blocks)).not.toContain('mrkdwn');
    expect(JSON.stringify(blocks)).not.toContain(url.slice(0, 8));
  });

  it('escapes a link URL so it cannot break out of <url|label>', () => {
    const { blocks } = renderSlackMessage(
      sampleAlert({ mentions: [sampleMention({ url: 'https://example.com/a|b?x=1&y=<2>' })] }),
    );
    const link = blocks.find((b) => JSON.stringify(b).includes('mrkdwn')) as { text: { text: string } };
    expect(link.text.text).toBe('<https://example.com/a%7Cb?x=1&amp;y=%3C2%3E|Open on reddit>');
  });

  it('shows a missing author and reach plainly', () => {
    const { blocks } = renderSlackMessage(sampleAlert({ mentions: [sampleMention({ author: null, reach: null, source: 'rss', kind: null })] }));
    const fields = (blocks[3] as { fields: { text: string }[] }).fields.map((f) => f.text);
    expect(fields).toContain('Author: unknown author');
    expect(fields).toContain('Source: rss');
  });

  it.each([
    ['twitter', 1_234_567, '1.2M followers'],
    ['hackernews', 312, '312 points'],
    ['mastodon', 1000, '1k followers'],
  ] as const)('shows %s reach %d as "%s"', (source, reach, expected) => {
    const { blocks } = renderSlackMessage(sampleAlert({ mentions: [sampleMention({ source, reach })] }));
    expect(JSON.stringify(blocks)).toContain(`(${expected})`);
  });
});

describe('escapeMrkdwn', () => {
  const ZWJ = '\u200D';
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<@U123>', '&lt;@U123&gt;'],
    ['<https://evil.example|click me>', '&lt;https://evil.example|click me&gt;'],
    ['a &amp; b', 'a &amp;amp; b'],
    ['*bold*', `${ZWJ}*${ZWJ}bold${ZWJ}*${ZWJ}`],
    ['_it_', `${ZWJ}_${ZWJ}it${ZWJ}_${ZWJ}`],
    ['~s~', `${ZWJ}~${ZWJ}s${ZWJ}~${ZWJ}`],
    ['`code`', `${ZWJ}\`${ZWJ}code${ZWJ}\`${ZWJ}`],
    ['plain words', 'plain words'],
  ])('escapes %j', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });

  it('escapes user content that reaches the fallback text', () => {
    const { text } = renderSlackMessage(sampleAlert({ summary: 'Spike for <!here> *now*' }));
    expect(text).not.toMatch(/<[!@#]|<http/);
    expect(text).toContain('&lt;!here&gt;');
  });
});
