/**
 * Scripted failures for the fake API servers (Twitter/X, Bluesky, Mastodon): a queue of faults
 * that the next matching requests get instead of a real answer, and how each fault is served.
 */
import type { ServerResponse } from 'node:http';

export type ScriptedFailure =
  /** Any status with an optional body (JSON unless contentType says otherwise). */
  | { kind: 'status'; status: number; body?: string; contentType?: string; headers?: Record<string, string> }
  /** An HTML error page, as a proxy or a CDN in front of the API sends one. */
  | { kind: 'html'; status?: number }
  /** 200 with a JSON content type and a truncated body. */
  | { kind: 'invalid-json' }
  /** Never answers (until the server closes): for client timeouts. */
  | { kind: 'hang' };

/** Faults waiting for requests; each applies once, to the first request its `when` accepts. */
export class FailureScript<R> {
  private readonly queue: Array<{ failure: ScriptedFailure; when?: (req: R) => boolean }> = [];

  push(failure: ScriptedFailure, times = 1, when?: (req: R) => boolean): void {
    for (let i = 0; i < times; i++) this.queue.push(when ? { failure, when } : { failure });
  }

  /** The fault for this request, removed from the queue, or undefined. */
  take(req: R): ScriptedFailure | undefined {
    const index = this.queue.findIndex((f) => !f.when || f.when(req));
    return index >= 0 ? this.queue.splice(index, 1)[0]!.failure : undefined;
  }
}

export interface FailureLook {
  /** The server's JSON answer (with its usual headers). */
  send(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void;
  /** The HTML error page and its default status. */
  htmlPage: string;
  htmlStatus: number;
  /** A 200 body cut off mid-JSON. */
  truncatedJson: string;
  /** The API's own error body for a status (when the script gives none). */
  errorBody(status: number): string;
}

export function serveFailure(res: ServerResponse, failure: ScriptedFailure, look: FailureLook): void {
  switch (failure.kind) {
    case 'hang':
      return;
    case 'html':
      res.writeHead(failure.status ?? look.htmlStatus, { 'content-type': 'text/html; charset=utf-8' });
      res.end(look.htmlPage);
      return;
    case 'invalid-json':
      look.send(res, 200, look.truncatedJson);
      return;
    case 'status':
      look.send(res, failure.status, failure.body ?? look.errorBody(failure.status), {
        ...(failure.contentType ? { 'content-type': failure.contentType } : {}),
        ...failure.headers,
      });
  }
}
