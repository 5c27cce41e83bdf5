import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderSlackMessage } from './render.js';
import { sampleAlert, sampleMention } from '../sample-alert.js';
import { formatActor, slackTime, triageBlocks, type SlackTriageView } from './triage-blocks.js';

const plain = (text: string) => ({ type: 'plain_text', text, emoji: false });
const ZWJ = '\u200D';

const sentimentMenu = (mentionId: number, initial: 'negative' | 'neutral' | 'positive' | null) => {
  const options = [
    { text: plain('Negative'), value: `${mentionId}:negative` },
    { text: plain('Neutral'), value: `${mentionId}:neutral` },
    { text: plain('Positive'), value: `${mentionId}:positive` },
  ];
  const chosen = options.find((o) => o.value.endsWith(`:${initial}`));
  return {
    type: 'static_select',
    action_id: 'earshot_sentiment',
    placeholder: plain('Sentiment'),
    options,
    ...(chosen ? { initial_option: chosen } : {}),
  };
};

const OPEN_CONTROLS = (alertId: number, mentionId: number, sentiment: 'negative' | 'neutral' | 'positive' | null = 'negative') => ({
  type: 'actions',
  block_id: `earshot_triage:${alertId}:${mentionId}`,
  elements: [
    { type: 'button', action_id: 'earshot_handle', text: plain('Handled'), value: String(mentionId), style: 'primary' },
    { type: 'button', action_id: 'earshot_irrelevant', text: plain('Not relevant'), value: String(mentionId) },
    sentimentMenu(mentionId, sentiment),
  ],
});

const view = (overrides: Partial<SlackTriageView>): SlackTriageView => ({
  status: 'open',
  statusBy: null,
  statusAt: null,
  snoozedUntil: null,
  sentimentBy: null,
  sentimentAt: null,
  ...overrides,
});

const maria = { kind: 'slack', name: 'maria' };
// 2026-11-23T10:42:00Z
const AT = '2026-11-23T10:42:00.000Z';
const AT_TOKEN = '<!date^1795430520^{time}|10:42 UTC>';

describe('interactive mention alerts', () => {
  it('put Handled, Not relevant and a sentiment menu (showing the current label) under the mention, exactly', () => {
    const plainBlocks = renderSlackMessage(sampleAlert()).blocks;
    const { blocks, text } = renderSlackMessage(sampleAlert(), { interactive: true });
    expect(text).toBe(renderSlackMessage(sampleAlert()).text);
    // The same message, with the controls after the mention's link and before the rule line.
    expect(blocks).toEqual([...plainBlocks.slice(0, -1), OPEN_CONTROLS(7, 1), plainBlocks.at(-1)]);
  });

  it('give each mention of a grouped alert its own controls (block ids stay unique)', () => {
    const mentions = [sampleMention({ id: 11 }), sampleMention({ id: 12, sentiment: { label: 'unknown', score: 0, reasons: [] } })];
    const { blocks } = renderSlackMessage(sampleAlert({ mentions, totalMentions: 2 }), { interactive: true });
    const actions = blocks.filter((b) => (b as { type: string }).type === 'actions');
    expect(actions).toEqual([OPEN_CONTROLS(7, 11), OPEN_CONTROLS(7, 12, null)]);
  });

  it('stay under Slack’s 50-block limit with the most mentions a message shows', () => {
    const mentions = Array.from({ length: 9 }, (_, i) => sampleMention({ id: i + 1 }));
    const triage = new Map(mentions.map((m) => [m.id, view({ status: 'handled', statusBy: maria, statusAt: AT, sentimentBy: maria, sentimentAt: AT })]));
    const { blocks } = renderSlackMessage(sampleAlert({ mentions, details: ['a'], totalMentions: 9 }), { interactive: true, triage });
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it.each(['volume', 'spike', 'silence'])('leave %s alerts without controls', (ruleType) => {
    const alert = sampleAlert({ ruleType });
    expect(renderSlackMessage(alert, { interactive: true })).toEqual(renderSlackMessage(alert));
  });

  it('are not interactive unless asked', () => {
    expect(JSON.stringify(renderSlackMessage(sampleAlert()).blocks)).not.toContain('earshot_handle');
  });
});

describe('who did what', () => {
  it.each([
    ['handled', view({ status: 'handled', statusBy: maria, statusAt: AT }), `✓ Handled by @maria at ${AT_TOKEN}`],
    ['irrelevant', view({ status: 'irrelevant', statusBy: maria, statusAt: AT }), `✗ Marked not relevant by @maria at ${AT_TOKEN}`],
    ['reopened', view({ status: 'open', statusBy: maria, statusAt: AT }), `↺ Reopened by @maria at ${AT_TOKEN}`],
    [
      'snoozed',
      view({ status: 'snoozed', statusBy: { kind: 'ui', name: 'Jo Admin' }, statusAt: AT, snoozedUntil: '2026-11-24T09:00:00.000Z' }),
      '⏸ Snoozed until <!date^1795510800^{date_short_pretty} {time}|2026-11-24 09:00 UTC> by Jo Admin (earshot)',
    ],
  ])('%s: a context line above the controls', (_name, state, line) => {
    const blocks = triageBlocks(7, sampleMention({ id: 42 }), state);
    expect(blocks[0]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: line, verbatim: true }] });
    const controls = blocks[1] as { type: string; block_id: string; elements: Array<{ action_id: string }> };
    expect(controls.type).toBe('actions');
    expect(controls.block_id).toBe('earshot_triage:7:42');
    expect(controls.elements.map((e) => e.action_id)).toEqual(state.status === 'open' ? ['earshot_handle', 'earshot_irrelevant', 'earshot_sentiment'] : ['earshot_reopen', 'earshot_sentiment']);
  });

  it('handled, with a sentiment correction: both lines, then Reopen and the menu on the new label', () => {
    const mention = sampleMention({ id: 42, sentiment: { label: 'positive', score: 0.4, reasons: ['corrected'] } });
    const state = view({ status: 'handled', statusBy: maria, statusAt: AT, sentimentBy: { kind: 'slack', name: 'sam' }, sentimentAt: '2026-11-23T10:43:00.000Z' });
    expect(triageBlocks(7, mention, state)).toEqual([
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `✓ Handled by @maria at ${AT_TOKEN}`, verbatim: true },
          { type: 'mrkdwn', text: 'Sentiment set to positive by @sam at <!date^1795430580^{time}|10:43 UTC>', verbatim: true },
        ],
      },
      {
        type: 'actions',
        block_id: 'earshot_triage:7:42',
        elements: [{ type: 'button', action_id: 'earshot_reopen', text: plain('Reopen'), value: '42' }, sentimentMenu(42, 'positive')],
      },
    ]);
  });

  it('without controls (Slack interactivity off), only the line: a web UI action still shows in Slack', () => {
    const state = view({ status: 'handled', statusBy: { kind: 'ui', name: 'Jo' }, statusAt: AT });
    expect(triageBlocks(7, sampleMention({ id: 3 }), state, false)).toEqual([
      { type: 'context', elements: [{ type: 'mrkdwn', text: `✓ Handled by Jo (earshot) at ${AT_TOKEN}`, verbatim: true }] },
    ]);
    expect(triageBlocks(7, sampleMention({ id: 3 }), view({}), false)).toEqual([]);
    const triage = new Map([[1, state]]);
    const { blocks } = renderSlackMessage(sampleAlert(), { triage });
    expect(JSON.stringify(blocks)).toContain('Handled by Jo (earshot)');
    expect(JSON.stringify(blocks)).not.toContain('earshot_handle');
  });

  it('a snooze that ended: reopened by earshot itself', () => {
    const state = view({ status: 'open', statusBy: { kind: 'system', name: 'earshot' }, statusAt: AT });
    expect((triageBlocks(7, sampleMention({ id: 3 }), state)[0] as { elements: Array<{ text: string }> }).elements[0]!.text).toBe(`↺ Reopened by earshot at ${AT_TOKEN}`);
  });

  it('an open mention nobody touched: controls only', () => {
    expect(triageBlocks(7, sampleMention({ id: 3 }), view({}))).toEqual([OPEN_CONTROLS(7, 3)]);
    expect(triageBlocks(7, sampleMention({ id: 3 }), undefined)).toEqual([OPEN_CONTROLS(7, 3)]);
  });

  it.each([
    ['<!channel>', { kind: 'ui', name: '<!channel>' }, '&lt;!channel&gt; (earshot)'],
    ['a link', { kind: 'slack', name: '<https://evil.example|boss>' }, '@&lt;https://evil.example|boss&gt;'],
    ['formatting', { kind: 'slack', name: '*maria_k*' }, `@${ZWJ}*${ZWJ}maria${ZWJ}_${ZWJ}k${ZWJ}*${ZWJ}`],
    ['a newline and a bell', { kind: 'slack', name: 'a\nb\u0007c' }, '@a bc'],
    ['an empty name', { kind: 'ui', name: '  ' }, 'someone (earshot)'],
    ['a Slack name that already has its @', { kind: 'slack', name: '@jo' }, '@jo'],
    ['the API token', { kind: 'api', name: 'api' }, 'the earshot API'],
    ['a named API client', { kind: 'api', name: 'crm<sync>' }, 'crm&lt;sync&gt; (earshot API)'],
  ])('escapes an actor name with %s', (_name, actor, shown) => {
    expect(formatActor(actor)).toBe(shown);
    const blocks = triageBlocks(7, sampleMention(), view({ status: 'handled', statusBy: actor, statusAt: AT }));
    expect(JSON.stringify(blocks)).not.toMatch(/<!channel>|<https:\/\/evil/);
  });

  it('shows an unreadable time as escaped text rather than a broken token', () => {
    expect(slackTime('not a time')).toBe('not a time');
    expect(slackTime('<!here>')).toBe('&lt;!here&gt;');
  });
});

describe('interactive messages stay safe with hostile content (property)', () => {
  // Strings heavy in Slack's control characters, so that escaping is exercised on every run.
  const hostile = fc.string({ unit: fc.constantFrom('<', '>', '&', '|', '!', '@', '#', '*', '_', '~', '`', '^', 'a', ' ', '\n', 'h', 't', 'p', ':', '/'), maxLength: 60 });
  const label = fc.constantFrom('negative', 'neutral', 'positive', 'unknown') as fc.Arbitrary<'negative' | 'neutral' | 'positive' | 'unknown'>;

  function texts(blocks: unknown, out: Array<{ type: string; text: string }> = []): Array<{ type: string; text: string }> {
    if (Array.isArray(blocks)) for (const b of blocks) texts(b, out);
    else if (blocks && typeof blocks === 'object') {
      const o = blocks as Record<string, unknown>;
      if ((o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string') out.push({ type: o.type, text: o.text });
      for (const v of Object.values(o)) texts(v, out);
    }
    return out;
  }

  it('mention content never reaches mrkdwn; control values carry ids only; names cannot open a control sequence', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, label, fc.boolean(), (title, text, author, actorName, sentiment, slackActor) => {
        const mention = sampleMention({ id: 42, title, text, author, sentiment: { label: sentiment, score: 0, reasons: [text] } });
        const state = view({ status: 'handled', statusBy: { kind: slackActor ? 'slack' : 'ui', name: actorName }, statusAt: AT, sentimentBy: { kind: 'slack', name: actorName }, sentimentAt: AT });
        const { blocks } = renderSlackMessage(sampleAlert({ mentions: [mention] }), { interactive: true, triage: new Map([[42, state]]) });
        for (const { type, text: shown } of texts(blocks)) {
          if (type !== 'mrkdwn') continue;
          // The only control sequences in mrkdwn are the ones earshot builds: the link and the date tokens.
          const rest = shown.replace(/<https:\/\/www\.reddit\.com\/[^|<>]*\|Open on reddit>/g, '').replace(/<!date\^\d+\^\{time\}\|\d\d:\d\d UTC>/g, '');
          expect(rest).not.toMatch(/[<>]/);
        }
        const json = JSON.stringify(blocks);
        for (const [, value] of json.matchAll(/"value":"([^"]*)"/g)) expect(value).toMatch(/^42(:(negative|neutral|positive))?$/);
        for (const [, id] of json.matchAll(/"block_id":"([^"]*)"/g)) expect(id).toBe('earshot_triage:7:42');
      }),
      { numRuns: 300 },
    );
  });
});
