/**
 * Live updates for open inboxes, as server-sent events on GET /events:
 *   - `mentions` {latest}: mentions were stored (by this daemon's polls, `earshot import`, another
 *     node): the page asks /inbox/new how many match its filters and shows "N new — press .";
 *   - `change` {id}: a mention's triage changed (here, via the API, a Slack button, a snooze
 *     ending): a page showing that row reloads it.
 * One timer per process looks for new mentions (one indexed max(id) per second) and only while
 * someone listens. Through proxies: a comment every 20 s keeps idle connections open, and
 * `X-Accel-Buffering: no` asks nginx not to buffer; the page falls back to polling when the
 * stream keeps failing (assets/web/app.js).
 */
import type { Logger } from '../core/log.js';
import type { TriageStore } from '../store/triage-types.js';
import { onTriageChange } from '../triage/events.js';

export type LiveEvent = { type: 'mentions'; latest: number } | { type: 'change'; id: number; status: string };

export interface LiveHubOptions {
  store: TriageStore;
  log: Logger;
  intervalMs?: number;
  /** Called when new mentions were seen (snoozed mentions of their stories wake up). */
  onNewMentions?: () => Promise<void>;
}

export const KEEPALIVE_MS = 20_000;

export class LiveHub {
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  private latest = -1;
  private checking = false;
  private readonly stopChanges: () => void;

  constructor(private readonly options: LiveHubOptions) {
    this.stopChanges = onTriageChange(options.store, (change) => this.broadcast({ type: 'change', id: change.mention.id, status: change.mention.status }));
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  async latestId(): Promise<number> {
    if (this.latest < 0) this.latest = await this.options.store.latestMentionId();
    return this.latest;
  }

  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.timer) this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 1_000);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  private broadcast(e: LiveEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.options.log.warn({ err }, 'live update listener failed');
      }
    }
  }

  /** Looks for new mentions now (the timer calls it; tests may too). */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      const before = this.latest;
      const latest = await this.options.store.latestMentionId();
      this.latest = latest;
      if (before >= 0 && latest > before) {
        await this.options.onNewMentions?.();
        this.broadcast({ type: 'mentions', latest });
      }
    } catch (err) {
      this.options.log.warn({ err }, 'checking for new mentions failed');
    } finally {
      this.checking = false;
    }
  }

  /** An SSE response that lasts until the client goes away. */
  async response(signal: AbortSignal): Promise<Response> {
    const encoder = new TextEncoder();
    const latest = await this.latestId();
    let cleanup = () => undefined as void;
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const send = (text: string) => {
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            cleanup();
          }
        };
        send(`retry: 5000\nevent: hello\ndata: ${JSON.stringify({ latest })}\n\n`);
        const unsubscribe = this.subscribe((e) => send(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`));
        const keepalive = setInterval(() => send(': keepalive\n\n'), KEEPALIVE_MS);
        cleanup = () => {
          unsubscribe();
          clearInterval(keepalive);
          signal.removeEventListener('abort', onAbort);
        };
        const onAbort = () => {
          cleanup();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        signal.addEventListener('abort', onAbort);
      },
      cancel: () => cleanup(),
    });
    return new Response(stream, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      },
    });
  }

  close(): void {
    this.stopChanges();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
  }
}
