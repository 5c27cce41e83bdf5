/**
 * A private answer to the person who clicked: Slack gives each interaction a `response_url`;
 * a message posted there with `response_type: ephemeral` is shown to that user only, under the
 * alert, and changes nothing else. Used when a click could not be applied (the mention is gone,
 * an undo conflicts), so that the click does not just seem to do nothing.
 *
 * The URL comes from Slack (a signed request or the Socket Mode connection), but is still only
 * followed to Slack's own hooks host or to the origin of SLACK_API_URL (a proxy, a test server):
 * earshot never posts to an address a payload names elsewhere.
 */
import { escapeMrkdwn } from './mrkdwn.js';

export const SLACK_HOOKS_ORIGIN = 'https://hooks.slack.com';

export interface EphemeralReplyOptions {
  /** SLACK_API_URL, whose origin is also allowed. */
  apiUrl?: string;
  timeoutMs?: number;
}

/** The origin the URL may be posted to, or null when it points anywhere else. */
export function allowedResponseUrl(responseUrl: string, apiUrl?: string): URL | null {
  let url: URL;
  try {
    url = new URL(responseUrl);
  } catch {
    return null;
  }
  const allowed = new Set([SLACK_HOOKS_ORIGIN]);
  if (apiUrl) {
    try {
      allowed.add(new URL(apiUrl).origin);
    } catch {
      // an invalid SLACK_API_URL is reported by the notifier
    }
  }
  return allowed.has(url.origin) && !url.username && !url.password ? url : null;
}

/** Posts `text` (plain words; escaped here) as an ephemeral reply. Resolves with an error string instead of throwing. */
export async function replyEphemeral(responseUrl: string, text: string, options: EphemeralReplyOptions = {}): Promise<string | null> {
  const url = allowedResponseUrl(responseUrl, options.apiUrl);
  if (!url) return `response_url ${JSON.stringify(responseUrl.slice(0, 80))} is not Slack's (${SLACK_HOOKS_ORIGIN})`;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: escapeMrkdwn(text) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: 'error',
    });
    await response.body?.cancel();
    return response.ok ? null : `response_url answered HTTP ${response.status}`;
  } catch (err) {
    return `response_url: ${(err as Error).message}`;
  }
}
