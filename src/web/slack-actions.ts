/**
 * Slack buttons on mention alerts: receiving the clicks and keeping the messages up to date.
 *
 *   HTTP mode    POST /slack/actions (SLACK_SIGNING_SECRET): the signature is checked over the raw
 *                body before anything is parsed; a bad, stale (> 5 min) or replayed request gets
 *                401 and changes nothing. A good one is answered 200 at once (Slack wants the
 *                answer within 3 s) and the work happens after.
 *   Socket Mode  SLACK_APP_TOKEN: earshot opens the connection itself (no public URL); each
 *                envelope is acked, then handled the same way.
 *
 * A click goes through the triage domain (`applyAction`), exactly as the web UI's button: same
 * statuses, history with the Slack user as actor, idempotent repeats. The message is then
 * re-rendered and updated (chat.update) to say who did what. Changes made anywhere else (the web
 * UI, the API, a snooze ending) arrive as triage events and update the alert messages as well.
 *
 * Nothing here runs without SLACK_BOT_TOKEN: without it no alert was ever posted to Slack.
 */
import type { Logger } from '../core/log.js';
import { payloadFromForm, readSlackInteraction, SlackPayloadError, type SlackInteraction } from '../notifiers/slack/interaction.js';
import { replyEphemeral } from '../notifiers/slack/response-url.js';
import { createReplayGuard, verifySlackSignature } from '../notifiers/slack/signature.js';
import type { SlackSocketMode } from '../notifiers/slack/socket-mode.js';
import { createSlackMessageUpdater, type SlackMessageUpdater } from '../notifiers/slack/update.js';
import type { AlertRecord } from '../pipeline/alert-content.js';
import type { Actor, TriageStore } from '../store/triage-types.js';
import { applyAction, onTriageChange, TriageError } from '../triage/index.js';
import { createSlackRefresher, type SlackRefresher } from './slack-refresh.js';

/** Interaction payloads are a few KB; Slack's largest (a modal's full state) stay well under this. */
export const SLACK_MAX_BODY_BYTES = 1024 * 1024;

export interface SlackActionsOptions {
  env: Record<string, string | undefined>;
  triage: TriageStore;
  getAlert(id: number): Promise<AlertRecord | null>;
  brandName(brand: string): string;
  log: Logger;
  now?: () => Date;
  /** Replaces the chat.update client (tests that count calls use the real one against a fake Slack). */
  updater?: SlackMessageUpdater;
  /** Socket Mode back-off, for tests. */
  socketRetryDelayMs?: number;
  /** Counts for /metrics (`slackMetrics` in src/ops/metrics.ts); none by default. */
  observe?: SlackObserver;
  /**
   * Replays seen by any node of a cluster (PostgreSQL): resolves true the first time a verified
   * signature is seen anywhere. Asked after this process's own guard; an error lets the request
   * through (the click then fails or applies on its own, as without a cluster).
   */
  sharedReplayGuard?: (signature: string) => Promise<boolean>;
}

/** What happened, for metrics: clicks, refused requests, message edits, the Socket Mode connection. */
export interface SlackObserver {
  click(via: 'http' | 'socket', outcome: 'applied' | 'repeat' | 'refused'): void;
  refused(reason: string): void;
  update(outcome: 'sent' | 'retried' | 'failed'): void;
  socket(connected: boolean): void;
}

export interface SlackActions {
  /** HTTP mode is on (SLACK_SIGNING_SECRET). */
  readonly http: boolean;
  /** Socket Mode is on (SLACK_APP_TOKEN). */
  readonly socketMode: SlackSocketMode | null;
  /** The handler for POST /slack/actions (a Fetch API handler: Hono, or @hono/node-server's listener). */
  handleRequest(request: Request): Promise<Response>;
  /** Applies the actions of one interaction payload (from either mode) and updates the message. */
  handleInteraction(payload: unknown, via?: 'http' | 'socket'): Promise<void>;
  /** Resolves when every click received so far is applied and every message update settled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function slackInteractivity(env: Record<string, string | undefined>): { botToken: boolean; signingSecret: string | null; appToken: string | null } {
  return {
    botToken: Boolean(env.SLACK_BOT_TOKEN?.trim()),
    signingSecret: env.SLACK_SIGNING_SECRET?.trim() || null,
    appToken: env.SLACK_APP_TOKEN?.trim() || null,
  };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers } });
}

/** The body as bytes, or null when it is larger than `max` (read no further than that). */
async function readBody(request: Request, max: number): Promise<Uint8Array | null> {
  const declared = Number(request.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > max) return null;
  if (!request.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** What the clicker is told when the triage domain refused the action. */
export function refusal(err: TriageError): string {
  if (err.code === 'not_found') return 'earshot: this mention is no longer stored (older than the retention period, or deleted), so nothing was changed.';
  return `earshot: nothing was changed: ${err.message}`;
}

function slackActor(interaction: SlackInteraction): Actor | null {
  if (!interaction.user) return null;
  return { kind: 'slack', id: interaction.user.id, name: interaction.user.name };
}

/**
 * Builds the Slack side; null without SLACK_BOT_TOKEN. Socket Mode (if configured) connects in
 * the background: `socketMode.whenConnected()` tells when it is up.
 */
export async function startSlackActions(options: SlackActionsOptions): Promise<SlackActions | null> {
  const settings = slackInteractivity(options.env);
  const log = options.log.child({ component: 'slack-actions' });
  if (!settings.botToken) {
    if (settings.signingSecret || settings.appToken) {
      log.warn('SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Slack buttons are off (earshot posts no Slack alerts without it)');
    }
    return null;
  }
  const now = options.now ?? (() => new Date());
  const interactive = Boolean(settings.signingSecret || settings.appToken);
  const refresher: SlackRefresher = createSlackRefresher({
    triage: options.triage,
    getAlert: options.getAlert,
    brandName: options.brandName,
    updater: options.updater ?? createSlackMessageUpdater(options.env),
    interactive,
    log,
    ...(options.observe ? { onOutcome: options.observe.update } : {}),
  });
  const observe = options.observe;
  const replay = createReplayGuard();
  const work = new Set<Promise<void>>();
  const onListenerError = (err: unknown): void => log.error({ err }, 'a triage listener failed');

  function track(promise: Promise<void>): void {
    const tracked = promise.catch((err: unknown) => log.error({ err }, 'slack interaction failed')).finally(() => work.delete(tracked));
    work.add(tracked);
  }

  // Actions taken anywhere (web UI, API, Slack, a snooze ending) update the alert messages.
  const unsubscribe = onTriageChange(options.triage, ({ mention }) => track(refresher.refreshMention(mention.id)));

  async function handleInteraction(payload: unknown, via: 'http' | 'socket' = 'http'): Promise<void> {
    let interaction: SlackInteraction;
    try {
      interaction = readSlackInteraction(payload);
    } catch (err) {
      if (!(err instanceof SlackPayloadError)) throw err;
      log.warn({ reason: err.message }, 'slack interaction ignored');
      return;
    }
    for (const reason of interaction.ignored) log.debug({ reason }, 'slack action ignored');
    const actor = slackActor(interaction);
    if (!actor) return;
    for (const action of interaction.actions) {
      const value = action.kind === 'sentiment' ? (action.sentiment ?? null) : null;
      let changed: boolean;
      try {
        ({ changed } = await applyAction(options.triage, { mentionId: action.mentionId, action: action.kind, value, actor }, { now, onListenerError }));
      } catch (err) {
        if (!(err instanceof TriageError)) throw err;
        log.warn({ mention: action.mentionId, action: action.kind, user: actor.id, reason: err.message }, 'slack action refused');
        observe?.click(via, 'refused');
        if (interaction.responseUrl) await tellClicker(interaction.responseUrl, refusal(err));
        continue;
      }
      log.info({ mention: action.mentionId, action: action.kind, value, user: actor.id, changed }, 'slack action applied');
      observe?.click(via, changed ? 'applied' : 'repeat');
      const clicked = interaction.message;
      if (!clicked) continue;
      // A change updates every message of the mention through the listener above; the clicked
      // message is refreshed here when that does not cover it (a repeat, which changes nothing
      // but repairs a message left stale, or a message stored without its channel id).
      const covered = changed && (await refresher.messagesOf(action.mentionId)).some((t) => t.channel === clicked.channel && t.ts === clicked.ts);
      if (!covered) refresher.refresh({ alertId: action.alertId, channel: clicked.channel, ts: clicked.ts });
    }
  }

  /** Only the person who clicked sees it (see response-url.ts). */
  async function tellClicker(responseUrl: string, text: string): Promise<void> {
    const problem = await replyEphemeral(responseUrl, text, { apiUrl: options.env.SLACK_API_URL });
    if (problem) log.warn({ problem }, 'slack: could not tell the user why their click changed nothing');
  }

  async function handleRequest(request: Request): Promise<Response> {
    if (!settings.signingSecret) {
      return text(404, 'Slack interactivity over HTTP is off: set SLACK_SIGNING_SECRET (or use Socket Mode with SLACK_APP_TOKEN)\n');
    }
    if (request.method !== 'POST') return text(405, 'method not allowed: Slack sends POST\n', { allow: 'POST' });
    const body = await readBody(request, SLACK_MAX_BODY_BYTES);
    if (!body) return text(413, 'request body too large for a Slack interaction\n');
    const nowMs = now().getTime();
    const signature = request.headers.get('x-slack-signature');
    const check = verifySlackSignature({ secret: settings.signingSecret, timestamp: request.headers.get('x-slack-request-timestamp'), signature, body, nowMs });
    if (!check.ok) {
      log.warn({ problem: check.problem, reason: check.reason }, 'slack request refused');
      observe?.refused(check.problem);
      return text(401, `Slack request refused: ${check.reason}\n`);
    }
    const firstHere = replay.firstSeen(signature!, check.timestampMs, nowMs);
    const first = firstHere && (!options.sharedReplayGuard || (await options.sharedReplayGuard(signature!).catch(() => true)));
    if (!first) {
      log.warn({ problem: 'replayed' }, 'slack request refused');
      observe?.refused('replayed');
      return text(401, 'Slack request refused: this signed request was already received (a replay)\n');
    }
    let payload: unknown;
    try {
      payload = payloadFromForm(Buffer.from(body).toString('utf8'));
    } catch (err) {
      if (!(err instanceof SlackPayloadError)) throw err;
      log.warn({ reason: err.message }, 'slack request not understood');
      observe?.refused('not_a_payload');
      return text(400, `${err.message}\n`);
    }
    // Answer now; apply after (Slack shows the user an error if the answer takes over 3 s). The
    // store's calls on SQLite settle as microtasks, which would all run before the answer is
    // written: the work starts on the next turn of the event loop instead.
    track(new Promise<void>((resolve) => setImmediate(resolve)).then(() => handleInteraction(payload)));
    return new Response(null, { status: 200 });
  }

  let socketMode: SlackSocketMode | null = null;
  if (settings.appToken) {
    observe?.socket(false);
    const { startSlackSocketMode } = await import('../notifiers/slack/socket-mode.js');
    socketMode = await startSlackSocketMode({
      appToken: settings.appToken,
      apiUrl: options.env.SLACK_API_URL,
      log,
      onInteractive: (payload) => track(handleInteraction(payload, 'socket')),
      ...(observe ? { onState: (state: string) => observe.socket(state === 'connected') } : {}),
      ...(options.socketRetryDelayMs !== undefined ? { retryDelayMs: options.socketRetryDelayMs } : {}),
    });
  }

  async function idle(): Promise<void> {
    while (work.size > 0) await Promise.all([...work]);
    await refresher.idle();
  }

  return {
    http: settings.signingSecret !== null,
    socketMode,
    handleRequest,
    handleInteraction,
    idle,
    async stop() {
      unsubscribe();
      await socketMode?.stop();
      await idle();
      await refresher.close();
    },
  };
}
