/** A Slack button click as Slack sends it to `POST /slack/actions`: the form body and its signed request. */
import { slackSignature } from '../../src/notifiers/slack/signature.js';

/** The `payload=` form body of a block_actions click by @maria on an earshot alert's triage block. */
export function blockActionsBody(ids: { alert: number; mention: number }, message: { channel: string; ts: string }, action: Record<string, unknown>): string {
  const payload = {
    type: 'block_actions',
    user: { id: 'U024BE7LH', username: 'maria', name: 'maria', team_id: 'T0001' },
    api_app_id: 'A0001',
    container: { type: 'message', message_ts: message.ts, channel_id: message.channel, is_ephemeral: false },
    channel: { id: message.channel, name: 'brand-alerts' },
    response_url: 'https://hooks.slack.com/actions/T0001/1/x',
    actions: [{ block_id: `earshot_triage:${ids.alert}:${ids.mention}`, action_ts: `${Date.now() / 1000}`, ...action }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** POSTs `body` to the server's /slack/actions signed with `secret` (v0 HMAC over timestamp and raw body). */
export function postSignedAction(url: string, body: string, secret: string, timestamp = String(Math.floor(Date.now() / 1000))): Promise<Response> {
  return fetch(`${url}/slack/actions`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) },
  });
}
