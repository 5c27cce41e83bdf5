/**
 * The Socket Mode side of the fake Slack (test/helpers/slack-server.ts): a real WebSocket server
 * on the fake's own HTTP port, speaking Slack's Socket Mode protocol.
 *
 *   apps.connections.open (HTTP, app token)  ->  { ok: true, url: 'ws://127.0.0.1:PORT/link/?ticket=…' }
 *   client connects to that URL               ->  server sends `hello` (the captured frame)
 *   server.sendEnvelope(payload)              ->  { envelope_id, payload, type: 'interactive',
 *                                                   accepts_response_payload: false }
 *   client acks                               ->  { envelope_id, payload? }   (recorded in `acks`)
 *   server.requestReconnect()                 ->  { type: 'disconnect', reason: 'refresh_requested' }
 *
 * A ticket is good for one connection, as Slack's are; an unknown or used ticket is refused
 * with HTTP 401 at the upgrade. Envelopes go to the newest open connection.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { waitForCount } from './wait.js';

export interface SocketModeAck {
  envelopeId: string;
  /** The ack's payload, when it carried one. */
  payload: unknown;
  receivedAt: Date;
}

export interface SentEnvelope {
  envelopeId: string;
  type: string;
  payload: unknown;
  sentAt: Date;
}

export interface FakeSocketMode {
  /** Open connections now. */
  readonly connections: number;
  /** Connections accepted since the start (a reconnect adds one). */
  readonly accepted: number;
  /** Tickets issued by apps.connections.open. */
  readonly issued: number;
  acks: SocketModeAck[];
  sent: SentEnvelope[];
  /** Every text frame received that was not an ack (kept for assertions). */
  other: unknown[];
  /** Resolves once `n` connections have been accepted in total. */
  waitForAccepted(n: number, timeoutMs?: number): Promise<void>;
  /** Sends an envelope to the newest open connection; returns its envelope_id. */
  sendEnvelope(payload: unknown, options?: { type?: string; envelopeId?: string }): string;
  /** Resolves with the ack of `envelopeId`; rejects after `timeoutMs`. */
  waitForAck(envelopeId: string, timeoutMs?: number): Promise<SocketModeAck>;
  /** Asks every client to reconnect, as Slack does before recycling a server. */
  requestReconnect(reason?: string): void;
  /** Cuts every connection without a close frame (a network failure). */
  dropAll(): void;
}

export interface SocketModeInternals extends FakeSocketMode {
  /** Makes a one-use ws:// URL for apps.connections.open. */
  issueUrl(): string;
  close(): Promise<void>;
}

export function attachSocketMode(server: Server, hello: string): SocketModeInternals {
  const wss = new WebSocketServer({ noServer: true });
  const tickets = new Set<string>();
  const open: WebSocket[] = [];
  const acks: SocketModeAck[] = [];
  const sent: SentEnvelope[] = [];
  const other: unknown[] = [];
  const ackWaiters = new Set<() => void>();
  const acceptWaiters = new Set<() => void>();
  const acceptedList: Date[] = [];
  let issued = 0;

  function refuse(socket: Duplex, status: string): void {
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  }

  function onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      other.push(data.toString('utf8'));
      return;
    }
    const envelopeId = (frame as { envelope_id?: unknown } | null)?.envelope_id;
    if (typeof envelopeId === 'string') {
      acks.push({ envelopeId, payload: (frame as { payload?: unknown }).payload, receivedAt: new Date() });
      for (const wake of ackWaiters) wake();
    } else {
      other.push(frame);
    }
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/link/') return refuse(socket, '404 Not Found');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!tickets.delete(ticket)) return refuse(socket, '401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => {
      open.push(ws);
      acceptedList.push(new Date());
      ws.on('message', onMessage);
      ws.on('close', () => {
        const index = open.indexOf(ws);
        if (index >= 0) open.splice(index, 1);
      });
      ws.on('error', () => undefined);
      ws.send(hello);
      for (const wake of acceptWaiters) wake();
    });
  }

  server.on('upgrade', onUpgrade);

  return {
    get connections() {
      return open.length;
    },
    get accepted() {
      return acceptedList.length;
    },
    get issued() {
      return issued;
    },
    acks,
    sent,
    other,
    issueUrl() {
      const address = server.address();
      if (!address || typeof address === 'string') throw new Error('slack-socket-mode: no TCP address');
      const ticket = randomUUID();
      tickets.add(ticket);
      issued += 1;
      return `ws://127.0.0.1:${address.port}/link/?ticket=${ticket}&app_id=A0EARSHOT`;
    },
    async waitForAccepted(n, timeoutMs = 5_000) {
      await waitForCount(acceptedList, n, acceptWaiters, timeoutMs, 'slack-socket-mode', 'connection(s)');
    },
    sendEnvelope(payload, options = {}) {
      const ws = open.at(-1);
      if (!ws) throw new Error('slack-socket-mode: no open connection to send an envelope to');
      const envelopeId = options.envelopeId ?? randomUUID();
      const type = options.type ?? 'interactive';
      ws.send(JSON.stringify({ envelope_id: envelopeId, payload, type, accepts_response_payload: false }));
      sent.push({ envelopeId, type, payload, sentAt: new Date() });
      return envelopeId;
    },
    waitForAck(envelopeId, timeoutMs = 5_000) {
      const find = (): SocketModeAck | undefined => acks.find((a) => a.envelopeId === envelopeId);
      const found = find();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          const ack = find();
          if (!ack) return;
          clearTimeout(timer);
          ackWaiters.delete(wake);
          resolve(ack);
        };
        const timer = setTimeout(() => {
          ackWaiters.delete(wake);
          reject(new Error(`slack-socket-mode: no ack for envelope ${envelopeId} within ${timeoutMs} ms (${acks.length} acks so far)`));
        }, timeoutMs);
        ackWaiters.add(wake);
      });
    },
    requestReconnect(reason = 'refresh_requested') {
      for (const ws of open) ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-earshot-test' } }));
    },
    dropAll() {
      for (const ws of [...open]) ws.terminate();
    },
    async close() {
      server.off('upgrade', onUpgrade);
      for (const ws of [...open]) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
