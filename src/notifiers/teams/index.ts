/**
 * Microsoft Teams notifier: posts an Adaptive Card (render.ts) to a Workflows (Power Automate)
 * webhook URL, or to an older incoming-webhook URL.
 *
 * Outcomes: 202 Accepted (Workflows) and 200 are sent, except that the old connectors answer
 * 200 with an error in the body ("Webhook message delivery failed with error: Microsoft Teams
 * endpoint returned HTTP error 429 ..."): that inner status decides, like a real one. 429 waits
 * for Retry-After; 408, 5xx, network errors and timeouts are retried with back-off; other 4xx
 * fail with what to do. The URL carries its key (`sig=`): no message names more than its host.
 */
import { registerSecret } from '../../core/log.js';
import { outcomeOf, postBody, type PostResponse } from '../http-post.js';
import type { AlertContent, DeliveryOutcome, Env, Notifier, SendOptions } from '../types.js';
import { validateTeamsTarget } from './manifest.js';
import { renderTeamsMessage } from './render.js';

export { validateTeamsTarget } from './manifest.js';
export { renderTeamsMessage, type TeamsMessage } from './render.js';

const RULES_HINT = 'notify.teams in rules/*.yaml';
const DELIVERY_FAILED = /delivery failed.*?HTTP error (\d{3})/i;

function hintFor(status: number): string {
  if (status === 401 || status === 403) return `the URL's signature was refused: copy the workflow's URL again into ${RULES_HINT} (or the variable it comes from)`;
  if (status === 404) return `the workflow or connector no longer exists: create it again and update ${RULES_HINT}`;
  if (status === 400 || status === 413) return 'Teams refused the card itself; please report this as a bug in earshot';
  return `check ${RULES_HINT}`;
}

/** An old connector's 200 whose body reports a failure, seen as the status it reports. */
function effectiveResponse(res: PostResponse): PostResponse {
  if (res.status !== 200) return res;
  const inner = DELIVERY_FAILED.exec(res.body);
  return inner ? { ...res, status: Number(inner[1]) } : res;
}

export interface TeamsNotifierOptions {
  /** Per-request time limit in ms; default 15 s. */
  timeoutMs?: number;
}

export function createTeamsNotifier(_env: Env, options: TeamsNotifierOptions = {}): Notifier {
  return {
    type: 'teams',
    async send(target: string, alert: AlertContent, sendOptions: SendOptions = {}): Promise<DeliveryOutcome> {
      const problem = validateTeamsTarget(target);
      if (problem) return { status: 'failed', error: `Teams: ${problem} (${RULES_HINT})` };
      registerSecret(target);
      const result = await postBody(target, JSON.stringify(renderTeamsMessage(alert)), {
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(sendOptions.signal ? { signal: sendOptions.signal } : {}),
      });
      return outcomeOf(result.ok ? effectiveResponse(result) : result, target, { service: 'Teams', hintFor });
    },
  };
}
