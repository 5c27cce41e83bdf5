/**
 * `earshot status [--json]`: per source last success, last error, mentions in 24 h, rate-limit
 * budget, next poll; the outbox (pending, failed, oldest); the daemon's last config reload.
 */
import { statSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { hasErrors } from '../config/problems.js';
import { formatDuration } from '../core/duration.js';
import { getMeta, schemaVersion } from '../store/db.js';
import { countStoredSince } from '../store/mentions.js';
import { outboxSummary } from '../store/outbox.js';
import { listSourceStates, pollSummarySince } from '../store/source-state.js';
import { openDb, type Context } from './context.js';
import { terminalSafe } from './mentions.js';

export interface StatusOptions {
  json?: boolean;
}

function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const d = now - Date.parse(iso);
  return d >= 0 ? `${formatDuration(Math.round(d / 1000) * 1000)} ago` : `in ${formatDuration(Math.round(-d / 1000) * 1000)}`;
}

export function statusCommand(ctx: Context, options: StatusOptions): number {
  const db = openDb(ctx, { readonly: true });
  try {
    const now = Date.now();
    const since = new Date(now - 86_400_000).toISOString();
    const { config, problems } = loadConfig(ctx.dir, ctx.env);
    const states = new Map(listSourceStates(db).map((s) => [s.sourceKey, s]));
    const stored = countStoredSince(db, since);
    const polls = new Map(pollSummarySince(db, since).map((p) => [p.sourceKey, p]));
    const keys = [...new Set([...config.sources.map((s) => s.key), ...states.keys()])].sort();
    const sources = keys.map((key) => {
      const cfg = config.sources.find((s) => s.key === key);
      const st = states.get(key);
      const p = polls.get(key);
      return {
        source: key,
        type: cfg?.type ?? st?.type ?? null,
        configured: Boolean(cfg),
        skipped: cfg && cfg.missingEnv.length ? `missing ${cfg.missingEnv.join(', ')}` : cfg && !cfg.enabled ? 'disabled' : null,
        lastSuccess: st?.lastSuccessAt ?? null,
        lastError: st?.lastError ?? null,
        lastErrorAt: st?.lastErrorAt ?? null,
        consecutiveFailures: st?.consecutiveFailures ?? 0,
        paused: st?.pausedReason ?? null,
        mentions24h: stored.get(key) ?? 0,
        polls24h: p?.polls ?? 0,
        errors24h: p?.errors ?? 0,
        rateLimit: st && st.rateRemaining !== null ? { remaining: st.rateRemaining, limit: st.rateLimit, resetAt: st.rateResetAt } : null,
        lastGap: st?.lastGap ?? null,
        nextPoll: st?.nextPollAt ?? null,
      };
    });
    const outbox = outboxSummary(db, since);
    const reload = {
      lastReloadAt: getMeta(db, 'config.last_reload_at'),
      lastReloadError: getMeta(db, 'config.last_reload_error'),
      daemonHeartbeatAt: getMeta(db, 'daemon.heartbeat_at'),
      configValidNow: !hasErrors(problems),
    };
    const database = { path: ctx.dbPath, bytes: statSync(ctx.dbPath).size, schemaVersion: schemaVersion(db) };
    if (options.json) {
      ctx.io.out(JSON.stringify({ sources, outbox, config: reload, database }));
      return 0;
    }
    ctx.io.out('SOURCES');
    for (const s of sources) {
      const budget = s.rateLimit ? ` budget ${s.rateLimit.remaining}${s.rateLimit.limit !== null ? `/${s.rateLimit.limit}` : ''}` : '';
      const state = s.skipped
        ? `skipped (${s.skipped})`
        : s.paused
          ? `PAUSED: ${terminalSafe(s.paused)}`
          : s.lastError && (!s.lastSuccess || (s.lastErrorAt ?? '') > s.lastSuccess)
            ? `FAILING (${s.consecutiveFailures}x): ${terminalSafe(s.lastError)}`
            : 'ok';
      ctx.io.out(
        `  ${s.source.padEnd(28)} ${state}\n      last success ${ago(s.lastSuccess, now)}, ${s.mentions24h} mentions/24h, ${s.polls24h} polls (${s.errors24h} failed)${budget}, next poll ${ago(s.nextPoll, now)}${s.lastGap ? `\n      gap: ${terminalSafe(s.lastGap)}` : ''}`,
      );
    }
    ctx.io.out('OUTBOX');
    ctx.io.out(
      `  ${outbox.pending} pending${outbox.oldestPendingAt ? ` (oldest ${ago(outbox.oldestPendingAt, now)})` : ''}, ${outbox.sent} sent, ${outbox.failed} failed, ${outbox.skipped} skipped in 24h`,
    );
    for (const f of outbox.recentFailures) ctx.io.out(`  ${f.notifier} ${f.target}: ${terminalSafe(f.error ?? '')}`);
    ctx.io.out('CONFIG');
    ctx.io.out(
      `  daemon last seen ${ago(reload.daemonHeartbeatAt, now)}; last reload ${ago(reload.lastReloadAt, now)}${reload.lastReloadError ? `; last reload FAILED: ${terminalSafe(reload.lastReloadError)}` : ''}; config on disk ${reload.configValidNow ? 'valid' : 'has errors (earshot check)'}`,
    );
    ctx.io.out(`DATABASE\n  ${database.path}: ${(database.bytes / 1024 / 1024).toFixed(1)} MB, schema v${database.schemaVersion}`);
    return 0;
  } finally {
    db.close();
  }
}
