import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { payloadFromForm, readSlackInteraction, SlackPayloadError, triageBlockId } from './interaction.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/slack-interactivity');
const haveFixtures = existsSync(FIXTURES);

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
}

/** A recorded payload whose single action is replaced by `action` (as if it were earshot's). */
function withAction(name: string, action: Record<string, unknown>): Record<string, unknown> {
  const payload = fixture(name);
  const [recorded] = payload.actions as Array<Record<string, unknown>>;
  return { ...payload, actions: [{ ...recorded, ...action }] };
}

describe.skipIf(!haveFixtures)(`recorded Slack interaction payloads${haveFixtures ? '' : ` (skipped: ${FIXTURES} not found)`}`, () => {
  it('reads the user and the message of a recorded button click, and ignores an action that is not earshot’s', () => {
    expect(readSlackInteraction(fixture('block_actions__button__recorded.json'))).toEqual({
      type: 'block_actions',
      user: { id: 'U01NK1K9L68', name: 'opsdroid.test', teamId: 'T01ND2P8N91' },
      message: { channel: 'C01N9PM1D53', ts: '1613575038.002800' },
      responseUrl: 'https://hooks.slack.com/actions/T01ND2P8N91/1762059566786/SbuERthjFRJnSEB3FV9pGV7k',
      actions: [],
      ignored: ['action "button-action" is not earshot\'s'],
    });
  });

  it('reads earshot’s buttons in the recorded envelope', () => {
    const payload = withAction('block_actions__button__recorded.json', {
      action_id: 'earshot_handle',
      block_id: triageBlockId(7, 42),
      value: '42',
    });
    expect(readSlackInteraction(payload).actions).toEqual([{ kind: 'handle', mentionId: 42, alertId: 7, actionTs: '1613575488.406573' }]);
    for (const [actionId, kind] of [
      ['earshot_irrelevant', 'irrelevant'],
      ['earshot_reopen', 'reopen'],
    ] as const) {
      const other = withAction('block_actions__button__recorded.json', { action_id: actionId, block_id: triageBlockId(7, 42), value: '42' });
      expect(readSlackInteraction(other).actions[0]).toMatchObject({ kind, mentionId: 42, alertId: 7 });
    }
  });

  it('reads earshot’s sentiment menu in the recorded static_select envelope', () => {
    const payload = withAction('block_actions__static_select__recorded.json', {
      action_id: 'earshot_sentiment',
      block_id: triageBlockId(7, 42),
      selected_option: { text: { type: 'plain_text', text: 'Negative', emoji: false }, value: '42:negative' },
    });
    const interaction = readSlackInteraction(payload);
    expect(interaction.actions).toEqual([{ kind: 'sentiment', mentionId: 42, alertId: 7, sentiment: 'negative', actionTs: '1613575600.141689' }]);
    expect(interaction.message).toEqual({ channel: 'C01N9PM1D53', ts: '1613575038.002800' });
  });

  it('decodes the recorded form body into the same payload as its JSON', () => {
    const body = readFileSync(path.join(FIXTURES, 'block_actions__static_select__form_body__recorded.txt'), 'utf8').replace(/\n$/, '');
    expect(payloadFromForm(body)).toEqual(fixture('block_actions__static_select__recorded.json'));
  });

  it('reads an org-wide (Enterprise Grid) install: no team, an ephemeral container', () => {
    const payload = withAction('block_actions__button__org_wide_install__sdk_fixture.json', {
      action_id: 'earshot_irrelevant',
      block_id: triageBlockId(3, 9),
      value: '9',
    });
    const interaction = readSlackInteraction(payload);
    expect(interaction.user).toEqual({ id: 'W111', name: 'primary-owner', teamId: 'T_expected' });
    expect(interaction.message).toEqual({ channel: 'C111', ts: '1643113871.000700' });
    expect(interaction.actions).toEqual([{ kind: 'irrelevant', mentionId: 9, alertId: 3, actionTs: '1643113877.645417' }]);
  });

  it('reads the Socket Mode envelope’s payload (a modal: no message to update, not earshot’s action)', () => {
    const envelope = fixture('socket_mode_envelope__interactive_block_actions_static_select__sdk_fixture.json');
    const interaction = readSlackInteraction(envelope.payload);
    expect(interaction.type).toBe('block_actions');
    expect(interaction.user).toEqual({ id: 'U12345678', name: 'testxyz', teamId: 'T12345678' });
    expect(interaction.message).toBeNull();
    expect(interaction.actions).toEqual([]);
    expect(interaction.ignored).toEqual(['action "a" is not earshot\'s']);
  });
});

describe('readSlackInteraction', () => {
  const base = {
    type: 'block_actions',
    user: { id: 'U1', username: 'maria', name: 'maria', team_id: 'T1' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C1' },
    actions: [] as unknown[],
  };
  const button = (value: string, blockId = triageBlockId(7, 42), actionId = 'earshot_handle') => ({
    ...base,
    actions: [{ type: 'button', action_id: actionId, block_id: blockId, value, action_ts: '1700000001.000001' }],
  });
  const select = (value: string) => ({
    ...base,
    actions: [{ type: 'static_select', action_id: 'earshot_sentiment', block_id: triageBlockId(7, 42), selected_option: { value } }],
  });

  it.each([
    ['a value that is not a number', button('42; DROP TABLE'), 'earshot_handle: value "42; DROP TABLE" is not a mention id'],
    ['a value naming another mention than its block', button('43'), 'earshot_handle: the value names mention 43, its block mention 42'],
    ['a block id that is not earshot’s', button('42', 'other:7:42'), 'earshot_handle: block_id "other:7:42" is not earshot_triage:<alert>:<mention>'],
    ['an unknown earshot-looking action', button('42', triageBlockId(7, 42), 'earshot_delete'), 'action "earshot_delete" is not earshot\'s'],
    ['an unknown sentiment', select('42:furious'), 'earshot_sentiment: option "42:furious" is not <mention id>:negative|neutral|positive'],
    ['a sentiment for another mention', select('41:negative'), 'earshot_sentiment: the option names mention 41, its block mention 42'],
    ['an action with no action_id', { ...base, actions: [{ type: 'button' }] }, 'an action without action_id or type'],
  ])('ignores %s, saying why', (_name, payload, reason) => {
    const interaction = readSlackInteraction(payload);
    expect(interaction.actions).toEqual([]);
    expect(interaction.ignored).toEqual([reason]);
  });

  it('ignores every action when the payload names no user (no actor to record)', () => {
    const { user: _user, ...anonymous } = button('42');
    expect(readSlackInteraction(anonymous)).toMatchObject({ user: null, actions: [], ignored: ['earshot_handle: no user in the payload'] });
  });

  it('takes several actions in order and falls back to name, then id, for the user’s name', () => {
    const payload = {
      ...button('42'),
      user: { id: 'U9', name: 'Jo' },
      actions: [...button('42').actions, ...select('42:positive').actions],
    };
    const interaction = readSlackInteraction(payload);
    expect(interaction.user).toEqual({ id: 'U9', name: 'Jo', teamId: null });
    expect(interaction.actions.map((a) => a.kind)).toEqual(['handle', 'sentiment']);
    expect(readSlackInteraction({ ...payload, user: { id: 'U9' } }).user?.name).toBe('U9');
  });

  it('acts on nothing in other payload types', () => {
    expect(readSlackInteraction({ type: 'view_submission', user: base.user })).toMatchObject({
      actions: [],
      ignored: ['a view_submission payload (earshot only handles block_actions)'],
    });
  });

  it.each([
    ['an array', [], 'not a Slack interaction payload: payload: Invalid input: expected object, received array'],
    ['no type', { user: base.user }, 'not a Slack interaction payload: type: Invalid input: expected string, received undefined'],
    ['actions that are not a list', { ...base, actions: 'x' }, 'not a Slack interaction payload: actions: Invalid input: expected array, received string'],
  ])('throws a SlackPayloadError for %s', (_name, payload, message) => {
    expect(() => readSlackInteraction(payload)).toThrow(new SlackPayloadError(message));
  });
});

describe('payloadFromForm', () => {
  it('decodes the payload field (+ for spaces, %-escapes)', () => {
    expect(payloadFromForm('payload=%7B%22type%22%3A%22block_actions%22%2C%22x%22%3A%22a+b%22%7D')).toEqual({ type: 'block_actions', x: 'a b' });
  });

  it.each([
    ['no payload field', 'token=abc&command=%2Fx', 'the request has no "payload" form field (is this an interactivity request?)'],
    ['a payload that is not JSON', 'payload=%7Bnot+json', 'the "payload" form field is not JSON'],
  ])('throws for %s', (_name, body, message) => {
    expect(() => payloadFromForm(body)).toThrow(new SlackPayloadError(message));
  });
});
