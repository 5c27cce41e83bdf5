/**
 * Edits an alert message already in Slack (chat.update): after a triage action, the message says
 * who did what. Like the notifier, one call is one HTTP request (the SDK's retries are off and a
 * 429 is returned, not waited out): the caller (src/web/slack-refresh.ts) decides about retries,
 * and re-renders before each try so a retry never sends a stale state.
 *
 * chat.update accepts the channel's id only (a `#name` is channel_not_found); the notifier's
 * delivery ref carries it (`message-ref.ts`). The SDK is loaded on the first update.
 */
import type { KnownBlock, WebClient } from '@slack/web-api';
import type { DeliveryOutcome } from '../types.js';
import { classifySlackError, DEFAULT_SLACK_API_URL, slackClient } from './index.js';
import type { SlackMessage } from './render.js';

export interface SlackMessageUpdater {
  /** One chat.update; `sent` when Slack accepted it. */
  update(channel: string, ts: string, message: SlackMessage): Promise<DeliveryOutcome>;
  close(): Promise<void>;
}

export interface SlackUpdaterOptions {
  timeoutMs?: number;
}

/** chat.update errors that no retry can fix, with what they mean here. */
const FINAL_UPDATE_ERRORS: Record<string, string> = {
  message_not_found: 'the message was deleted',
  cant_update_message: 'the message was not posted with this SLACK_BOT_TOKEN (another app or token posted it)',
  edit_window_closed: "the workspace's settings no longer allow editing this message",
  channel_not_found: 'the channel is gone or the bot cannot see it any more',
  is_archived: 'the channel is archived',
};

export function createSlackMessageUpdater(env: Record<string, string | undefined>, options: SlackUpdaterOptions = {}): SlackMessageUpdater {
  const token = env.SLACK_BOT_TOKEN?.trim() ?? '';
  const apiUrl = env.SLACK_API_URL?.trim() || DEFAULT_SLACK_API_URL;
  let client: WebClient | undefined;

  async function getClient(): Promise<WebClient> {
    return (client ??= await slackClient(token, apiUrl, options.timeoutMs));
  }

  return {
    async update(channel, ts, message) {
      const where = `message ${ts} in ${channel}`;
      if (!token) return { status: 'failed', error: `Slack: SLACK_BOT_TOKEN is not set: cannot update ${where}` };
      try {
        const web = await getClient();
        await web.chat.update({ channel, ts, text: message.text, blocks: message.blocks as KnownBlock[], link_names: false, parse: 'none' });
        return { status: 'sent' };
      } catch (err) {
        const code = (err as { code?: unknown; data?: { error?: unknown } }).code === 'slack_webapi_platform_error' ? (err as { data?: { error?: unknown } }).data?.error : undefined;
        if (typeof code === 'string' && FINAL_UPDATE_ERRORS[code]) {
          return { status: 'failed', error: `Slack: ${code} updating ${where}: ${FINAL_UPDATE_ERRORS[code]}` };
        }
        return classifySlackError(err, where, [token]);
      }
    },
    async close() {
      client = undefined;
    },
  };
}
