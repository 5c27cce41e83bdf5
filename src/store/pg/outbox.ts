/**
 * The alert outbox on PostgreSQL (semantics: src/store/types.ts OutboxRepo). An alert, its
 * mention claims and its deliveries are written in one transaction before anything is sent.
 * (rule, mention_id) is the primary key of alert_mentions: when two nodes alert on the same
 * mention for one rule at once, the second waits for the first to commit and claims nothing,
 * and its alert is dropped.
 */
import type { FailedSettings } from '../outbox-report.js';
import { deliveryFromRow, outboxSummaryOf, type DeliveryDbRow, type FailureDbRow } from '../delivery-rows.js';
import type { AlertRow, DeliveryFilter, DeliveryListing, NewAlert, OutboxRepo, OutboxSummary } from '../types.js';
import type { Sql } from './sql.js';

export const DELIVERY_COLUMNS =
  'd.id, d.alert_id, d.notifier, d.target, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_error, d.sent_at, d.ref, d.hold_reason, d.retry_kind, d.retry_streak';

async function insertAlert(sql: Sql, a: NewAlert): Promise<number | null> {
  if (a.mentionIds.length > 0) {
    // Fast path: every mention already alerted for this rule (the usual case for a re-run).
    const taken = await sql.one<{ n: number }>('SELECT count(*) AS n FROM alert_mentions WHERE rule = $1 AND mention_id = ANY($2::bigint[])', [
      a.rule,
      a.mentionIds,
    ]);
    if ((taken?.n ?? 0) >= new Set(a.mentionIds).size) return null;
  }
  return sql.atomic(async (tx) => {
    const alert = await tx.one<{ id: number }>(
      `INSERT INTO alerts (rule, rule_hash, rule_type, group_key, brand, summary, details, total_mentions, created_at, sample_mention_ids)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [a.rule, a.ruleHash, a.ruleType, a.groupKey, a.brand, a.summary, JSON.stringify(a.details), a.totalMentions, a.createdAt, JSON.stringify(a.sampleMentionIds ?? [])],
    );
    const alertId = alert!.id;
    if (a.mentionIds.length > 0) {
      const claimed = await tx.rows<{ mention_id: number }>(
        `INSERT INTO alert_mentions (rule, mention_id, alert_id) SELECT $1, id, $2 FROM unnest($3::bigint[]) AS id
         ON CONFLICT DO NOTHING RETURNING mention_id`,
        [a.rule, alertId, [...new Set(a.mentionIds)]],
      );
      if (claimed.length === 0) {
        // Another writer claimed them all meanwhile: nothing new to say.
        await tx.run('DELETE FROM alerts WHERE id = $1', [alertId]);
        return null;
      }
    }
    for (const d of a.deliveries) {
      await tx.run(
        `INSERT INTO deliveries (alert_id, notifier, target, status, next_attempt_at, last_error, hold_reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
        [alertId, d.notifier, d.target, d.status ?? 'pending', d.notBefore ?? a.createdAt, d.error ?? null, d.holdReason ?? null],
      );
    }
    return alertId;
  });
}

interface AlertDbRow {
  id: number;
  rule: string;
  rule_hash: string;
  rule_type: string;
  group_key: string;
  brand: string;
  summary: string;
  details: string[];
  total_mentions: number;
  created_at: string;
  sample_mention_ids: number[];
  mention_ids: number[] | null;
}

async function getAlert(sql: Sql, id: number): Promise<AlertRow | null> {
  const row = await sql.one<AlertDbRow>(
    `SELECT a.id, a.rule, a.rule_hash, a.rule_type, a.group_key, a.brand, a.summary, a.details, a.total_mentions, a.created_at,
       a.sample_mention_ids,
       (SELECT array_agg(am.mention_id ORDER BY am.mention_id) FROM alert_mentions am WHERE am.alert_id = a.id) AS mention_ids
     FROM alerts a WHERE a.id = $1`,
    [id],
  );
  if (!row) return null;
  return {
    id: row.id,
    rule: row.rule,
    ruleHash: row.rule_hash,
    ruleType: row.rule_type,
    groupKey: row.group_key,
    brand: row.brand,
    summary: row.summary,
    details: row.details,
    totalMentions: row.total_mentions,
    createdAt: row.created_at,
    mentionIds: (row.mention_ids ?? []).map(Number),
    sampleMentionIds: row.sample_mention_ids,
  };
}

async function summary(sql: Sql, since: string): Promise<OutboxSummary> {
  const counts = await sql.rows<{ status: string; n: number }>(
    `SELECT d.status, count(*) AS n FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE d.status IN ('pending', 'held') OR a.created_at >= $1 GROUP BY d.status`,
    [since],
  );
  const oldest = await sql.one<{ at: string | null }>(
    "SELECT min(a.created_at) AS at FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.status = 'pending'",
  );
  const failures = await sql.rows<FailureDbRow>(
    `SELECT d.id, d.notifier, d.target, d.last_error, d.last_attempt_at FROM deliveries d JOIN alerts a ON a.id = d.alert_id
     WHERE d.status IN ('failed', 'skipped') AND a.created_at >= $1 ORDER BY d.id DESC LIMIT 5`,
    [since],
  );
  return outboxSummaryOf(counts, oldest?.at ?? null, failures);

}

async function listDeliveries(sql: Sql, filter: DeliveryFilter): Promise<DeliveryListing[]> {
  const params: unknown[] = [[...filter.statuses]];
  const where = ['d.status = ANY($1::text[])'];
  if (filter.rule !== undefined) {
    params.push(filter.rule);
    where.push(`a.rule = $${params.length}`);
  }
  if (filter.notifier !== undefined) {
    params.push(filter.notifier);
    where.push(`d.notifier = $${params.length}`);
  }
  if (filter.headsOnly) where.push("d.id IN (SELECT min(id) FROM deliveries WHERE status = 'pending' GROUP BY notifier, target)");
  const limit = filter.limit ? ` LIMIT ${Math.floor(filter.limit)}` : '';
  const rows = await sql.rows<DeliveryDbRow & { rule: string; brand: string; summary: string; alert_created_at: string; failed_settings: string | null }>(
    `SELECT ${DELIVERY_COLUMNS}, d.failed_settings, a.rule, a.brand, a.summary, a.created_at AS alert_created_at
     FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE ${where.join(' AND ')} ORDER BY d.id${limit}`,
    params,
  );
  return rows.map((r) => ({ ...deliveryFromRow(r), rule: r.rule, brand: r.brand, summary: r.summary, alertCreatedAt: r.alert_created_at, failedSettings: r.failed_settings }));
}

export function outboxRepo(sql: Sql): OutboxRepo {
  return {
    insertAlert: (a) => insertAlert(sql, a),
    getAlert: (id) => getAlert(sql, id),
    async deliveriesOf(alertId) {
      const rows = await sql.rows<DeliveryDbRow>(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d WHERE d.alert_id = $1 ORDER BY d.id`, [alertId]);
      return rows.map(deliveryFromRow);
    },
    releaseHeld: (now) => sql.run("UPDATE deliveries SET status = 'pending' WHERE status = 'held' AND next_attempt_at <= $1", [now]),
    async countDeliveriesSince(notifier, target, since) {
      const row = await sql.one<{ n: number }>(
        `SELECT count(*) AS n FROM deliveries d JOIN alerts a ON a.id = d.alert_id
         WHERE d.notifier = $1 AND d.target = $2 AND d.status IN ('pending', 'sent', 'held', 'failed') AND a.created_at > $3`,
        [notifier, target, since],
      );
      return row?.n ?? 0;
    },
    async threadRoot(rule, groupKey, notifier, target, since) {
      const row = await sql.one<{ ref: string | null }>(
        `SELECT d.ref FROM deliveries d JOIN alerts a ON a.id = d.alert_id
         WHERE a.rule = $1 AND a.group_key = $2 AND d.notifier = $3 AND d.target = $4 AND d.status = 'sent' AND d.ref IS NOT NULL
           AND a.created_at > $5
         ORDER BY d.id LIMIT 1`,
        [rule, groupKey, notifier, target, since],
      );
      return row?.ref ?? null;
    },
    async dueDeliveries(now) {
      const rows = await sql.rows<DeliveryDbRow>(
        `SELECT ${DELIVERY_COLUMNS} FROM deliveries d
         JOIN (SELECT min(id) AS id FROM deliveries WHERE status = 'pending' GROUP BY notifier, target) head ON head.id = d.id
         WHERE d.next_attempt_at <= $1 ORDER BY d.id`,
        [now],
      );
      return rows.map(deliveryFromRow);
    },
    async nextDeliveryAt() {
      // Queue heads and held deliveries only: one waiting behind its head is not due before it.
      return (
        (
          await sql.one<{ at: string | null }>(
            `SELECT min(at) AS at FROM (
               SELECT d.next_attempt_at AS at FROM deliveries d
               JOIN (SELECT min(id) AS id FROM deliveries WHERE status = 'pending' GROUP BY notifier, target) head ON head.id = d.id
               UNION ALL
               SELECT min(next_attempt_at) FROM deliveries WHERE status = 'held') t`,
          )
        )?.at ?? null
      );
    },
    async markSent(id, at, ref) {
      await sql.run(
        `UPDATE deliveries SET status = 'sent', sent_at = $1, last_attempt_at = $1, attempts = attempts + 1, ref = $2, last_error = NULL,
           claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE id = $3`,
        [at, ref, id],
      );
    },
    async markRetry(id, mark) {
      await sql.run(
        `UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = $1, next_attempt_at = $2, last_error = $3, retry_kind = $4, retry_streak = $5,
           claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE id = $6`,
        [mark.at, mark.nextAt, mark.error, mark.kind, mark.streak, id],
      );
    },
    async markFailed(id, at, error, settings = null) {
      await sql.run(
        `UPDATE deliveries SET status = 'failed', attempts = attempts + 1, last_attempt_at = $1, last_error = $2, failed_settings = $3,
           claim_token = NULL, claimed_by = NULL, lease_until = NULL WHERE id = $4`,
        [at, error, settings, id],
      );
    },
    list: (filter) => listDeliveries(sql, filter),
    async requeue(filter, now) {
      const where = ['status = ANY($2::text[])'];
      const params: unknown[] = [now, [...filter.statuses]];
      if (filter.rule !== undefined) {
        params.push(filter.rule);
        where.push(`alert_id IN (SELECT id FROM alerts WHERE rule = $${params.length})`);
      }
      if (filter.notifier !== undefined) {
        params.push(filter.notifier);
        where.push(`notifier = $${params.length}`);
      }
      return sql.run(
        `UPDATE deliveries SET status = 'pending', next_attempt_at = $1, retry_kind = NULL, retry_streak = 0, failed_settings = NULL,
           claim_token = NULL, claimed_by = NULL, lease_until = NULL
         WHERE ${where.join(' AND ')}`,
        params,
      );
    },
    failedSettings: () =>
      sql.rows<FailedSettings>(
        "SELECT notifier, failed_settings AS settings, count(*) AS count FROM deliveries WHERE status = 'failed' AND failed_settings IS NOT NULL GROUP BY notifier, failed_settings",
      ),
    async rules() {
      return (await sql.rows<{ rule: string }>('SELECT DISTINCT rule FROM alerts ORDER BY rule')).map((r) => r.rule);
    },
    summary: (since) => summary(sql, since),
  };
}
