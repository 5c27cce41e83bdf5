/**
 * Slack interactivity payloads: what a click on an alert's buttons sends back, in HTTP mode (the
 * `payload` field of a form-encoded POST) and in Socket Mode (the `payload` of an `interactive`
 * envelope). Both carry the same JSON; this module turns it into earshot's own shape.
 *
 * The buttons and the sentiment menu are rendered by `triage-blocks.ts` with these ids:
 *   block_id   earshot_triage:<alert id>:<mention id>   (one actions block per mention shown)
 *   action_id  earshot_handle | earshot_irrelevant | earshot_reopen   value: <mention id>
 *              earshot_sentiment (static_select)          option value: <mention id>:<label>
 * Anything else (another app's action, a modal, a shortcut, a malformed value) is reported in
 * `ignored` and never acted on. Parsing is only as strict as needed: Slack adds fields over time.
 */
import { z } from 'zod';
import { SENTIMENT_LABELS } from '../../core/types.js';

export const SLACK_ACTION_IDS = {
  handle: 'earshot_handle',
  irrelevant: 'earshot_irrelevant',
  reopen: 'earshot_reopen',
  sentiment: 'earshot_sentiment',
} as const;

export type SlackTriageKind = keyof typeof SLACK_ACTION_IDS;
export type SlackSentimentChoice = (typeof SENTIMENT_LABELS)[number];

const KIND_BY_ACTION_ID = new Map<string, SlackTriageKind>(
  (Object.entries(SLACK_ACTION_IDS) as Array<[SlackTriageKind, string]>).map(([kind, id]) => [id, kind]),
);

const BLOCK_ID = /^earshot_triage:(\d{1,15}):(\d{1,15})$/;
const MENTION_ID = /^\d{1,15}$/;

export function triageBlockId(alertId: number, mentionId: number): string {
  return `earshot_triage:${alertId}:${mentionId}`;
}

export function sentimentOptionValue(mentionId: number, label: SlackSentimentChoice): string {
  return `${mentionId}:${label}`;
}

/** The Slack user who clicked. */
export interface SlackUser {
  id: string;
  /** The handle (`username`), else the `name`, else the id. */
  name: string;
  teamId: string | null;
}

/** Where the clicked message is: what chat.update needs. */
export interface SlackMessageRef {
  channel: string;
  ts: string;
}

export interface SlackTriageAction {
  kind: SlackTriageKind;
  mentionId: number;
  /** The alert whose message was clicked (from the block id), to re-render it. */
  alertId: number;
  /** For `sentiment`: the label chosen. */
  sentiment?: SlackSentimentChoice;
  /** Slack's action_ts: when the click happened (seconds.micros), for logs. */
  actionTs: string | null;
}

export interface SlackInteraction {
  /** `block_actions`, `view_submission`, `shortcut`, ... */
  type: string;
  user: SlackUser | null;
  message: SlackMessageRef | null;
  responseUrl: string | null;
  /** Earshot's own actions, valid; in the order Slack listed them. */
  actions: SlackTriageAction[];
  /** Why each other action (or the whole payload) was not taken. */
  ignored: string[];
}

export class SlackPayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SlackPayloadError';
  }
}

const textOrNull = z.string().nullish();

const actionSchema = z.object({
  action_id: z.string(),
  block_id: z.string().optional(),
  type: z.string(),
  value: z.string().optional(),
  selected_option: z.object({ value: z.string() }).nullish(),
  action_ts: textOrNull,
});

const userSchema = z.object({
  id: z.string().min(1),
  username: textOrNull,
  name: textOrNull,
  team_id: textOrNull,
});

const payloadSchema = z.object({
  type: z.string(),
  user: userSchema.nullish(),
  container: z
    .object({
      type: z.string(),
      message_ts: textOrNull,
      channel_id: textOrNull,
    })
    .nullish(),
  channel: z.object({ id: z.string() }).nullish(),
  message: z.object({ ts: z.string() }).nullish(),
  response_url: textOrNull,
  actions: z.array(z.unknown()).nullish(),
});

/**
 * The JSON of the `payload` field of a form-encoded interaction request. Throws SlackPayloadError
 * for a body that is not one (the caller answers 400; the signature was already checked).
 */
export function payloadFromForm(body: string): unknown {
  const field = new URLSearchParams(body).get('payload');
  if (field === null) throw new SlackPayloadError('the request has no "payload" form field (is this an interactivity request?)');
  try {
    return JSON.parse(field) as unknown;
  } catch {
    throw new SlackPayloadError('the "payload" form field is not JSON');
  }
}

function readUser(user: z.infer<typeof userSchema> | null | undefined): SlackUser | null {
  if (!user) return null;
  const name = user.username?.trim() || user.name?.trim() || user.id;
  return { id: user.id, name, teamId: user.team_id ?? null };
}

function readMessage(payload: z.infer<typeof payloadSchema>): SlackMessageRef | null {
  const channel = payload.container?.channel_id ?? payload.channel?.id ?? null;
  const ts = payload.container?.message_ts ?? payload.message?.ts ?? null;
  return channel && ts ? { channel, ts } : null;
}

function readAction(raw: unknown): SlackTriageAction | string {
  const parsed = actionSchema.safeParse(raw);
  if (!parsed.success) return 'an action without action_id or type';
  const action = parsed.data;
  const kind = KIND_BY_ACTION_ID.get(action.action_id);
  if (!kind) return `action ${JSON.stringify(action.action_id.slice(0, 80))} is not earshot's`;
  const block = BLOCK_ID.exec(action.block_id ?? '');
  if (!block) return `${action.action_id}: block_id ${JSON.stringify((action.block_id ?? '').slice(0, 80))} is not earshot_triage:<alert>:<mention>`;
  const alertId = Number(block[1]);
  const blockMentionId = Number(block[2]);
  const base = { alertId, actionTs: action.action_ts ?? null };

  if (kind === 'sentiment') {
    const value = action.selected_option?.value ?? '';
    const [idText, label] = value.split(':');
    if (!idText || !MENTION_ID.test(idText) || !SENTIMENT_LABELS.includes(label as SlackSentimentChoice)) {
      return `${action.action_id}: option ${JSON.stringify(value.slice(0, 80))} is not <mention id>:negative|neutral|positive`;
    }
    if (Number(idText) !== blockMentionId) return `${action.action_id}: the option names mention ${idText}, its block mention ${blockMentionId}`;
    return { kind, mentionId: blockMentionId, sentiment: label as SlackSentimentChoice, ...base };
  }

  const value = action.value ?? '';
  if (!MENTION_ID.test(value)) return `${action.action_id}: value ${JSON.stringify(value.slice(0, 80))} is not a mention id`;
  if (Number(value) !== blockMentionId) return `${action.action_id}: the value names mention ${value}, its block mention ${blockMentionId}`;
  return { kind, mentionId: blockMentionId, ...base };
}

/**
 * Reads an interaction payload (already JSON-decoded). Throws SlackPayloadError when it is not an
 * object with a `type`; a payload that is valid but not earshot's yields no actions.
 */
export function readSlackInteraction(payload: unknown): SlackInteraction {
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'payload';
    throw new SlackPayloadError(`not a Slack interaction payload: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  const data = parsed.data;
  const interaction: SlackInteraction = {
    type: data.type,
    user: readUser(data.user),
    message: readMessage(data),
    responseUrl: data.response_url ?? null,
    actions: [],
    ignored: [],
  };
  if (data.type !== 'block_actions') {
    interaction.ignored.push(`a ${data.type.slice(0, 40)} payload (earshot only handles block_actions)`);
    return interaction;
  }
  for (const raw of data.actions ?? []) {
    const result = readAction(raw);
    if (typeof result === 'string') interaction.ignored.push(result);
    else interaction.actions.push(result);
  }
  if (interaction.actions.length > 0 && !interaction.user) {
    interaction.ignored.push(...interaction.actions.map((a) => `${SLACK_ACTION_IDS[a.kind]}: no user in the payload`));
    interaction.actions = [];
  }
  return interaction;
}
