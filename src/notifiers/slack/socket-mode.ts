/**
 * Slack Socket Mode: for a daemon with no public URL, the button clicks come over a WebSocket
 * that earshot opens itself (`SLACK_APP_TOKEN`, an app-level token with connections:write).
 *
 *   apps.connections.open (SLACK_API_URL, app token) -> a wss:// URL -> `hello` -> envelopes
 * Each envelope is acknowledged first (Slack wants the ack within 3 s), then its payload is
 * handed to `onInteractive` (only `interactive` envelopes; others are acked and dropped).
 *
 * Reconnecting is ours, not the SDK's: its built-in loop retries connections.open up to a
 * hundred times on its own and, when a reconnect fails, leaves a promise rejection nobody
 * handles (which would end the daemon). Here the SDK runs with `autoReconnectEnabled: false` and
 * `retries: 0`, and one loop connects, waits for the connection to end (Slack recycles them every
 * few hours, or the network drops), and connects again: at once after a connection that lived,
 * with a doubling back-off (1 s … 5 min) while connecting keeps failing. A token Slack refuses
 * (invalid_auth, not_allowed_token_type, …) stops the loop with an error that says what to fix.
 *
 * `@slack/socket-mode` (and its `ws`) is loaded when Socket Mode starts, never otherwise.
 */
import type { LogLevel, Logger as SdkLogger, SocketModeClient } from '@slack/socket-mode';
import type { Logger } from '../../core/log.js';
import { DEFAULT_SLACK_API_URL, SLACK_TIMEOUT_MS } from './index.js';
import { sleep } from '../../core/sleep.js';

export type SocketModeState = 'connecting' | 'connected' | 'waiting' | 'failed' | 'stopped';

export interface SlackSocketModeOptions {
  /** SLACK_APP_TOKEN (xapp-…). */
  appToken: string;
  /** SLACK_API_URL; default https://slack.com/api/. */
  apiUrl?: string;
  log: Logger;
  /** Called with each interactive payload after its envelope was acknowledged. */
  onInteractive(payload: unknown): void | Promise<void>;
  /** First back-off after a failed connect; default 1 s (doubles up to maxRetryDelayMs). */
  retryDelayMs?: number;
  /** Default 5 min. */
  maxRetryDelayMs?: number;
  /** A connection that lived at least this long is followed by an immediate reconnect; default 10 s. */
  stableAfterMs?: number;
  /** Called on every state change (for a metric). */
  onState?(state: SocketModeState): void;
}

export interface SlackSocketMode {
  readonly state: SocketModeState;
  /** Why the loop stopped for good (state 'failed'), else null. */
  readonly failure: string | null;
  /** Connections made so far. */
  readonly connections: number;
  /** Resolves once connected (now or later); rejects if the loop fails for good or stops first. */
  whenConnected(): Promise<void>;
  stop(): Promise<void>;
}

/** Platform errors from apps.connections.open that no retry fixes, with what to do. */
const FATAL: Record<string, string> = {
  not_authed: 'SLACK_APP_TOKEN is empty',
  invalid_auth: 'SLACK_APP_TOKEN was refused: create an app-level token with the connections:write scope (app settings → Basic Information → App-Level Tokens)',
  not_allowed_token_type:
    'SLACK_APP_TOKEN is not an app-level token: it starts with xapp- (Basic Information → App-Level Tokens), not xoxb- (that one is SLACK_BOT_TOKEN)',
  missing_scope: 'the app-level token lacks the connections:write scope: make a new token with it',
  account_inactive: 'the app or its workspace is deactivated',
  token_revoked: 'SLACK_APP_TOKEN was revoked: make a new app-level token',
  token_expired: 'SLACK_APP_TOKEN expired: make a new app-level token',
  team_disabled: 'the workspace is disabled',
  user_removed_from_team: 'the app was removed from the workspace',
};

interface SdkError {
  code?: unknown;
  message?: unknown;
  statusCode?: unknown;
  data?: { error?: unknown };
}

/** A reason for the log (never the token), and whether retrying can help. */
export function describeSocketModeError(err: unknown): { reason: string; fatal: boolean } {
  const e = (err ?? {}) as SdkError;
  if (e.code === 'slack_webapi_platform_error' && typeof e.data?.error === 'string') {
    const code = e.data.error;
    const hint = FATAL[code];
    if (hint) return { reason: `apps.connections.open: ${code}: ${hint}`, fatal: true };
    return { reason: `apps.connections.open: ${code}`, fatal: false };
  }
  if (e.code === 'slack_webapi_http_error') {
    const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
    const hint = status === 404 ? ': check SLACK_API_URL (it should end in /api/)' : '';
    return { reason: `apps.connections.open: HTTP ${status}${hint}`, fatal: false };
  }
  if (e.code === 'slack_webapi_rate_limited_error') return { reason: 'apps.connections.open: rate limited', fatal: false };
  if (err === undefined) return { reason: 'the WebSocket closed before Slack said hello', fatal: false };
  const message = typeof e.message === 'string' ? e.message : String(err);
  return { reason: message, fatal: false };
}

/** The SDK's own logging is dropped but for warnings and errors, which go to debug: earshot logs the connection's story itself. */
function sdkLogger(log: Logger, info: LogLevel): SdkLogger {
  const forward = (...msg: unknown[]): void => log.debug({ sdk: msg.map(String).join(' ') }, 'slack socket mode: sdk message');
  return {
    debug() {},
    info() {},
    warn: forward,
    error: forward,
    setLevel() {},
    getLevel: () => info,
    setName() {},
  };
}

export async function startSlackSocketMode(options: SlackSocketModeOptions): Promise<SlackSocketMode> {
  const sdk = await import('@slack/socket-mode');
  const log = options.log.child({ component: 'slack-socket-mode' });
  const firstDelay = options.retryDelayMs ?? 1_000;
  const maxDelay = options.maxRetryDelayMs ?? 5 * 60_000;
  const stableAfter = options.stableAfterMs ?? 10_000;
  const stopping = new AbortController();

  const client: SocketModeClient = new sdk.SocketModeClient({
    appToken: options.appToken,
    autoReconnectEnabled: false,
    logger: sdkLogger(log, sdk.LogLevel.INFO),
    clientOptions: {
      slackApiUrl: options.apiUrl?.trim() || DEFAULT_SLACK_API_URL,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: SLACK_TIMEOUT_MS,
    },
  });

  let state: SocketModeState = 'connecting';
  let failure: string | null = null;
  let connections = 0;
  const waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();
  const settle = (): void => {
    for (const waiter of waiters) {
      if (state === 'connected') waiter.resolve();
      else if (state === 'failed' || state === 'stopped') waiter.reject(new Error(failure ?? 'Slack Socket Mode was stopped'));
      else continue;
      waiters.delete(waiter);
    }
  };
  const setState = (next: SocketModeState): void => {
    if (next !== state) options.onState?.(next);
    state = next;
    settle();
  };

  // Every envelope is acked at once; only interactive ones carry clicks.
  client.on('slack_event', (event: { ack: () => Promise<void>; type: string; body: unknown; envelope_id?: string }) => {
    void (async () => {
      try {
        await event.ack();
      } catch (err) {
        log.warn({ envelope: event.envelope_id, error: (err as Error).message }, 'slack socket mode: could not acknowledge an envelope (the connection closed)');
      }
      if (event.type !== 'interactive') return;
      try {
        await options.onInteractive(event.body);
      } catch (err) {
        log.error({ err, envelope: event.envelope_id }, 'slack socket mode: handling an interaction failed');
      }
    })();
  });
  // The SDK also emits 'error' for WebSocket errors; without a listener an EventEmitter would throw.
  client.on('error', () => undefined);

  async function connectOnce(): Promise<{ lived: number } | { failed: string; fatal: boolean }> {
    try {
      await client.start();
    } catch (err) {
      const { reason, fatal } = describeSocketModeError(err);
      return { failed: reason, fatal };
    }
    // Registered only now: start() resolves on `hello`, and nothing can close the socket before
    // this continuation runs (that takes I/O); a listener added before a failed start would leak.
    const ended = new Promise<void>((resolve) => client.once('disconnected', () => resolve()));
    const since = Date.now();
    connections += 1;
    if (stopping.signal.aborted) {
      await client.disconnect();
      return { lived: 0 };
    }
    setState('connected');
    log.info({ connections }, 'slack socket mode connected');
    await ended;
    return { lived: Date.now() - since };
  }

  async function loop(): Promise<void> {
    let delay = firstDelay;
    while (!stopping.signal.aborted) {
      setState('connecting');
      const result = await connectOnce();
      if (stopping.signal.aborted) break;
      if ('lived' in result) {
        log.info({ livedMs: result.lived }, 'slack socket mode connection closed; reconnecting');
        if (result.lived >= stableAfter) {
          delay = firstDelay;
          continue;
        }
      } else if (result.fatal) {
        failure = `Slack Socket Mode: ${result.failed}`;
        log.error({ reason: result.failed }, 'slack socket mode stopped: Slack refused the app token; button clicks will not arrive until it is fixed');
        setState('failed');
        return;
      } else {
        log.warn({ reason: result.failed, retryInMs: delay }, 'slack socket mode: connecting failed; will retry');
      }
      setState('waiting');
      await sleep(delay, stopping.signal);
      delay = Math.min(delay * 2, maxDelay);
    }
  }

  const running = loop().catch((err: unknown) => {
    failure = `Slack Socket Mode: ${(err as Error).message}`;
    log.error({ err }, 'slack socket mode loop failed');
    setState('failed');
  });

  return {
    get state() {
      return state;
    },
    get failure() {
      return failure;
    },
    get connections() {
      return connections;
    },
    whenConnected() {
      return new Promise<void>((resolve, reject) => {
        waiters.add({ resolve, reject });
        settle();
      });
    },
    async stop() {
      if (stopping.signal.aborted) return running;
      stopping.abort();
      await client.disconnect().catch(() => undefined);
      await running;
      client.removeAllListeners();
      setState('stopped');
    },
  };
}
