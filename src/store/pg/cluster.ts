/**
 * What nodes sharing one PostgreSQL database coordinate through, beside pg-boss's queues:
 *
 *   - nodes: each earshot process registers and writes a heartbeat; a node whose heartbeat is
 *     older than the lease is dead (its leases run out on their own; nothing has to clean up);
 *   - poll leases (source_state.poll_owner / poll_lease_until): a node polls a source only while
 *     it holds the lease, renewed while the poll runs; so a source is never polled by two nodes at
 *     once, and a dead node's source is polled again once its lease expired;
 *   - delivery claims: the head of each destination's queue is claimed with FOR UPDATE SKIP
 *     LOCKED, a random token and a lease; only the token holder can record the outcome. The
 *     destination's last send time is shared, so a minimum spacing (Slack: ~1 s per channel)
 *     holds across nodes; the next delivery of a destination is not claimable while its head is
 *     claimed or unsent, so order holds too. A node killed after sending but before recording it
 *     leaves a claim that expires and is sent again: at most one repeat per message in flight;
 *   - shared rate budgets (rate_buckets): token buckets consumed by one conditional UPDATE …
 *     RETURNING on the database's clock, so all nodes together stay within one API app's limit;
 *     a 429 blocks the bucket until its reset for everyone.
 *
 * Times of leases and buckets are the database's clock (clock_timestamp()), not the nodes':
 * nodes' clocks may disagree, the database's is the one they share.
 */
import { randomUUID } from 'node:crypto';
import type { DeliveryRow, RetryMark } from '../types.js';
import { deliveryFromRow, type DeliveryDbRow } from '../delivery-rows.js';
import { DELIVERY_COLUMNS } from './outbox.js';
import type { Sql } from './sql.js';

export interface NodeInfo {
  id: string;
  host: string;
  pid: number;
  version: string;
  /** What runs: 'run', 'poll --once', ... */
  command: string;
}

export interface NodeStatus extends NodeInfo {
  startedAt: string;
  heartbeatAt: string;
  stoppedAt: string | null;
  /** Heartbeat within the lease, and not stopped. */
  alive: boolean;
  /** Sources this node is polling now (unexpired poll leases). */
  polling: string[];
  /** Deliveries this node has claimed (unexpired claims). */
  sending: number;
}

export interface ClaimedDelivery extends DeliveryRow {
  /** Proof of the claim: recording the outcome needs it. */
  token: string;
  leaseUntil: string;
}

export interface ClaimOptions {
  nodeId: string;
  leaseMs: number;
  /** Minimum spacing per notifier type between two messages to one target (ms). */
  spacingMs: Record<string, number>;
  /** Default spacing for notifiers not listed. */
  defaultSpacingMs?: number;
  limit?: number;
}

export interface BucketSpec {
  /** Most tokens the bucket holds (the burst). */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
}

export interface TakeResult {
  granted: boolean;
  /** When not granted: how long until the tokens could be there (ms), or until the block ends. */
  waitMs: number;
  /** Set when a 429 blocked the bucket. */
  blockedReason: string | null;
}

export interface ClusterRepo {
  registerNode(node: NodeInfo): Promise<void>;
  heartbeat(nodeId: string): Promise<void>;
  stopNode(nodeId: string): Promise<void>;
  /** Nodes seen within `forgetAfterMs` (default a day), alive ones first. */
  nodes(leaseMs: number, forgetAfterMs?: number): Promise<NodeStatus[]>;

  /** Takes the poll lease of a source when it is due (or `force`) and nobody holds an unexpired lease. */
  claimPoll(sourceKey: string, nodeId: string, leaseMs: number, force?: boolean): Promise<boolean>;
  /** Extends this node's lease; false when it lost it (expired and taken). */
  renewPoll(sourceKey: string, nodeId: string, leaseMs: number): Promise<boolean>;
  releasePoll(sourceKey: string, nodeId: string): Promise<void>;
  /** Sources due now (next poll time passed or never polled) whose lease is free, most overdue first. */
  dueSources(sourceKeys: readonly string[], limit: number): Promise<string[]>;

  claimDeliveries(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** Extends a claim while a send is slow; false when it was lost. */
  renewClaim(id: number, token: string, leaseMs: number): Promise<boolean>;
  /** Records a send; false when the claim was lost (another node may have sent it too). */
  markSent(id: number, token: string, at: string, ref: string | null): Promise<boolean>;
  markRetry(id: number, token: string, mark: RetryMark): Promise<boolean>;
  markFailed(id: number, token: string, at: string, error: string, settings?: string | null): Promise<boolean>;
  /**
   * The earliest time the head of some destination's queue can be claimed — its retry time, the
   * end of another node's claim, the destination's spacing — or null when nothing is pending.
   */
  nextClaimAt(spacing: Pick<ClaimOptions, 'spacingMs' | 'defaultSpacingMs'>): Promise<string | null>;

  /**
   * Records a signed Slack request's signature for `keepMs`: true the first time any node sees
   * it, false for a replay (expired ones are forgotten on the way).
   */
  firstSlackRequest(signature: string, keepMs: number): Promise<boolean>;
  /** Defines (or redefines) a bucket; a new bucket starts full. */
  defineBucket(key: string, spec: BucketSpec): Promise<void>;
  /** Takes `n` tokens when they are there and the bucket is not blocked. */
  take(key: string, n?: number): Promise<TakeResult>;
  /** After a 429: nobody takes from the bucket before `until`. */
  block(key: string, until: string, reason: string): Promise<void>;
  /** The service reported fewer requests left than we think: lower our count to it. */
  lowerTo(key: string, remaining: number): Promise<void>;
}

interface NodeRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  command: string;
  started_at: string;
  heartbeat_at: string;
  stopped_at: string | null;
  alive: boolean;
  polling: string[] | null;
  sending: number;
}

const lease = (ms: number): string => `${Math.max(1, Math.round(ms))} milliseconds`;

export function clusterRepo(sql: Sql): ClusterRepo {
  return {
    async registerNode(node) {
      await sql.run(
        `INSERT INTO nodes (id, host, pid, version, command, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, clock_timestamp(), clock_timestamp())
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version, command = excluded.command,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, stopped_at = NULL`,
        [node.id, node.host, node.pid, node.version, node.command],
      );
    },
    async heartbeat(nodeId) {
      await sql.run('UPDATE nodes SET heartbeat_at = clock_timestamp() WHERE id = $1', [nodeId]);
    },
    async stopNode(nodeId) {
      await sql.run('UPDATE nodes SET stopped_at = clock_timestamp() WHERE id = $1', [nodeId]);
      // Whatever it still held is free at once: a clean stop should not make others wait out a lease.
      await sql.run('UPDATE source_state SET poll_owner = NULL, poll_lease_until = NULL WHERE poll_owner = $1', [nodeId]);
      await sql.run('UPDATE deliveries SET claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1', [nodeId]);
    },
    async nodes(leaseMs, forgetAfterMs = 86_400_000) {
      const rows = await sql.rows<NodeRow>(
        `SELECT n.id, n.host, n.pid, n.version, n.command, n.started_at, n.heartbeat_at, n.stopped_at,
           (n.stopped_at IS NULL AND n.heartbeat_at > clock_timestamp() - $1::interval) AS alive,
           (SELECT array_agg(s.source_key ORDER BY s.source_key COLLATE "C") FROM source_state s
              WHERE s.poll_owner = n.id AND s.poll_lease_until > clock_timestamp()) AS polling,
           (SELECT count(*) FROM deliveries d WHERE d.claimed_by = n.id AND d.lease_until > clock_timestamp()) AS sending
         FROM nodes n WHERE n.heartbeat_at > clock_timestamp() - $2::interval
         ORDER BY alive DESC, n.started_at, n.id`,
        [lease(leaseMs), lease(forgetAfterMs)],
      );
      return rows.map((r) => ({
        id: r.id,
        host: r.host,
        pid: r.pid,
        version: r.version,
        command: r.command,
        startedAt: r.started_at,
        heartbeatAt: r.heartbeat_at,
        stoppedAt: r.stopped_at,
        alive: r.alive,
        polling: r.polling ?? [],
        sending: r.sending,
      }));
    },

    async claimPoll(sourceKey, nodeId, leaseMs, force = false) {
      const n = await sql.run(
        `UPDATE source_state SET poll_owner = $2, poll_lease_until = clock_timestamp() + $3::interval
         WHERE source_key = $1 AND (poll_owner IS NULL OR poll_lease_until < clock_timestamp())
           AND ($4::boolean OR next_poll_at IS NULL OR next_poll_at <= clock_timestamp())`,
        [sourceKey, nodeId, lease(leaseMs), force],
      );
      return n === 1;
    },
    async renewPoll(sourceKey, nodeId, leaseMs) {
      const n = await sql.run(
        `UPDATE source_state SET poll_lease_until = clock_timestamp() + $3::interval
         WHERE source_key = $1 AND poll_owner = $2 AND poll_lease_until >= clock_timestamp()`,
        [sourceKey, nodeId, lease(leaseMs)],
      );
      return n === 1;
    },
    async releasePoll(sourceKey, nodeId) {
      await sql.run('UPDATE source_state SET poll_owner = NULL, poll_lease_until = NULL WHERE source_key = $1 AND poll_owner = $2', [sourceKey, nodeId]);
    },
    async dueSources(sourceKeys, limit) {
      if (sourceKeys.length === 0) return [];
      const rows = await sql.rows<{ source_key: string }>(
        `SELECT source_key FROM source_state
         WHERE source_key = ANY($1::text[]) AND (next_poll_at IS NULL OR next_poll_at <= clock_timestamp())
           AND (poll_owner IS NULL OR poll_lease_until < clock_timestamp())
         ORDER BY next_poll_at NULLS FIRST, source_key COLLATE "C" LIMIT $2`,
        [sourceKeys, limit],
      );
      return rows.map((r) => r.source_key);
    },

    async claimDeliveries(options) {
      const notifiers = Object.keys(options.spacingMs);
      const rows = await sql.rows<DeliveryDbRow & { claim_token: string; lease_until: string }>(
        `WITH spacing AS (SELECT * FROM unnest($4::text[], $5::int[]) AS s(notifier, ms)),
         candidates AS (
           SELECT d.id FROM deliveries d
           WHERE d.id IN (SELECT min(id) FROM deliveries WHERE status = 'pending' GROUP BY notifier, target)
             -- Checked again on the row itself: when another node sent it (and cleared its claim)
             -- after this statement's snapshot, the row lock re-reads it and this drops it; the
             -- head list above, read from the snapshot, would not.
             AND d.status = 'pending'
             AND d.next_attempt_at <= clock_timestamp()
             AND (d.claim_token IS NULL OR d.lease_until < clock_timestamp())
             AND NOT EXISTS (
               SELECT 1 FROM destinations t LEFT JOIN spacing s ON s.notifier = t.notifier
               WHERE t.notifier = d.notifier AND t.target = d.target
                 AND t.last_sent_at + coalesce(s.ms, $6) * interval '1 millisecond' > clock_timestamp())
           ORDER BY d.id LIMIT $7 FOR UPDATE OF d SKIP LOCKED
         )
         UPDATE deliveries d SET claim_token = $1 || '-' || d.id, claimed_by = $2, lease_until = clock_timestamp() + $3::interval
         FROM candidates c WHERE d.id = c.id AND d.status = 'pending'
         RETURNING ${DELIVERY_COLUMNS}, d.claim_token, d.lease_until`,
        [
          randomUUID(),
          options.nodeId,
          lease(options.leaseMs),
          notifiers,
          notifiers.map((n) => Math.round(options.spacingMs[n] ?? 0)),
          Math.round(options.defaultSpacingMs ?? 0),
          options.limit ?? 100,
        ],
      );
      return rows.sort((a, b) => a.id - b.id).map((r) => ({ ...deliveryFromRow(r), token: r.claim_token, leaseUntil: r.lease_until }));
    },
    async renewClaim(id, token, leaseMs) {
      const n = await sql.run('UPDATE deliveries SET lease_until = clock_timestamp() + $3::interval WHERE id = $1 AND claim_token = $2', [id, token, lease(leaseMs)]);
      return n === 1;
    },
    markSent: (id, token, at, ref) =>
      sql.atomic(async (tx) => {
        const row = await tx.one<{ notifier: string; target: string }>(
          `UPDATE deliveries SET status = 'sent', sent_at = $3, last_attempt_at = $3, attempts = attempts + 1, ref = $4, last_error = NULL,
             retry_kind = NULL, retry_streak = 0, claim_token = NULL, claimed_by = NULL, lease_until = NULL
           WHERE id = $1 AND claim_token = $2 RETURNING notifier, target`,
          [id, token, at, ref],
        );
        if (!row) return false;
        await tx.run(
          `INSERT INTO destinations (notifier, target, last_sent_at) VALUES ($1, $2, clock_timestamp())
           ON CONFLICT (notifier, target) DO UPDATE SET last_sent_at = excluded.last_sent_at`,
          [row.notifier, row.target],
        );
        return true;
      }),
    async markRetry(id, token, mark) {
      const n = await sql.run(
        `UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = $3, next_attempt_at = $4, last_error = $5, retry_kind = $6, retry_streak = $7,
           claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claim_token = $2`,
        [id, token, mark.at, mark.nextAt, mark.error, mark.kind, mark.streak],
      );
      return n === 1;
    },
    async markFailed(id, token, at, error, settings = null) {
      const n = await sql.run(
        `UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_attempt_at = $3, last_error = $4, failed_settings = $5,
           claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE id = $1 AND claim_token = $2`,
        [id, token, at, error, settings],
      );
      return n === 1;
    },
    async nextClaimAt(spacing) {
      const notifiers = Object.keys(spacing.spacingMs);
      const row = await sql.one<{ at: string | null }>(
        `WITH spacing AS (SELECT * FROM unnest($1::text[], $2::int[]) AS s(notifier, ms))
         SELECT min(greatest(d.next_attempt_at,
             CASE WHEN d.claim_token IS NOT NULL THEN d.lease_until END,
             t.last_sent_at + coalesce(s.ms, $3) * interval '1 millisecond')) AS at
         FROM deliveries d
         LEFT JOIN destinations t ON t.notifier = d.notifier AND t.target = d.target
         LEFT JOIN spacing s ON s.notifier = d.notifier
         WHERE d.id IN (SELECT min(id) FROM deliveries WHERE status = 'pending' GROUP BY notifier, target)`,
        [notifiers, notifiers.map((n) => Math.round(spacing.spacingMs[n] ?? 0)), Math.round(spacing.defaultSpacingMs ?? 0)],
      );
      return row?.at ?? null;
    },

    async firstSlackRequest(signature, keepMs) {
      const rows = await sql.rows(
        `WITH forgotten AS (DELETE FROM slack_requests WHERE expires_at < clock_timestamp())
         INSERT INTO slack_requests (signature, expires_at) VALUES ($1, clock_timestamp() + $2::interval)
         ON CONFLICT (signature) DO NOTHING RETURNING 1`,
        [signature, lease(keepMs)],
      );
      return rows.length === 1;
    },
    async defineBucket(key, spec) {
      await sql.run(
        `INSERT INTO rate_buckets (key, capacity, refill_per_second, tokens, updated_at) VALUES ($1, $2, $3, $2, clock_timestamp())
         ON CONFLICT (key) DO UPDATE SET capacity = excluded.capacity, refill_per_second = excluded.refill_per_second,
           tokens = least(rate_buckets.tokens, excluded.capacity)
         WHERE rate_buckets.capacity <> excluded.capacity OR rate_buckets.refill_per_second <> excluded.refill_per_second`,
        [key, spec.capacity, spec.refillPerSecond],
      );
    },
    async take(key, n = 1) {
      // One conditional UPDATE: the row lock serialises takers, and PostgreSQL re-checks the
      // condition on the row as the previous taker left it, so tokens are never spent twice.
      const granted = await sql.one<{ tokens: number }>(
        `UPDATE rate_buckets SET
           tokens = least(capacity, tokens + extract(epoch FROM clock_timestamp() - updated_at) * refill_per_second) - $2,
           updated_at = clock_timestamp()
         WHERE key = $1 AND (blocked_until IS NULL OR blocked_until <= clock_timestamp())
           AND least(capacity, tokens + extract(epoch FROM clock_timestamp() - updated_at) * refill_per_second) >= $2
         RETURNING tokens`,
        [key, n],
      );
      if (granted) return { granted: true, waitMs: 0, blockedReason: null };
      const state = await sql.one<{ wait_ms: number | null; blocked_reason: string | null; blocked: boolean }>(
        `SELECT (blocked_until IS NOT NULL AND blocked_until > clock_timestamp()) AS blocked, blocked_reason,
           CASE WHEN blocked_until IS NOT NULL AND blocked_until > clock_timestamp()
                THEN extract(epoch FROM blocked_until - clock_timestamp()) * 1000
                WHEN refill_per_second > 0
                THEN greatest(0, $2 - least(capacity, tokens + extract(epoch FROM clock_timestamp() - updated_at) * refill_per_second)) / refill_per_second * 1000
           END AS wait_ms
         FROM rate_buckets WHERE key = $1`,
        [key, n],
      );
      if (!state) throw new Error(`rate bucket ${key} is not defined`);
      return { granted: false, waitMs: Math.ceil(state.wait_ms ?? 60_000), blockedReason: state.blocked ? state.blocked_reason : null };
    },
    async block(key, until, reason) {
      await sql.run(
        `UPDATE rate_buckets SET blocked_until = greatest(coalesce(blocked_until, $2::timestamptz), $2::timestamptz), blocked_reason = $3, tokens = 0,
           updated_at = greatest(clock_timestamp(), $2::timestamptz)
         WHERE key = $1`,
        [key, until, reason],
      );
    },
    async lowerTo(key, remaining) {
      await sql.run(
        `UPDATE rate_buckets SET tokens = least(least(capacity, tokens + extract(epoch FROM clock_timestamp() - updated_at) * refill_per_second), $2),
           updated_at = clock_timestamp() WHERE key = $1`,
        [key, remaining],
      );
    },
  };
}
