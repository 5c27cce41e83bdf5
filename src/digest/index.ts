/**
 * Scheduled digests. Semantics:
 *   - A digest's period ends at each run of its cron `schedule` in its `timezone` (croner, so a
 *     daily 08:00 stays 08:00 local across DST changes: that period is 23 or 25 hours long) and
 *     starts at the run before.
 *   - Exactly once per period: the period is claimed in `digest_runs` before sending and marked
 *     sent after the SMTP server accepted it; a restart just before or after the run time
 *     neither skips nor repeats it. A crash between the server's acceptance and the mark can
 *     repeat it once; the Message-ID is stable per period, so mail clients see it as the same mail.
 *   - Catch-up: a period whose run time passed while earshot was down is sent when it comes
 *     back, if within `catch_up` (default 6h) of the run time; only the latest period is sent,
 *     older ones are recorded as missed and logged. Periods that ended before earshot first saw
 *     the digest (a digest just added to rules/) are not sent.
 *   - A failed send is logged and retried with backoff (1m, 2m, 4m ... 30m) until the catch-up
 *     window closes; then the period is marked failed.
 *   - A period without mentions gets a short quiet-day digest, or none with `quiet_day: skip`
 *     (unless a source failed or something was held back: a gap is never silent).
 */
import type { Config, DigestConfig } from '../config/load.js';
import type { Logger } from '../core/log.js';
import type { DigestRun, Store } from '../store/types.js';
import { createMailTransport, type MailTransport } from '../notifiers/email/index.js';
import { buildDigest } from './build.js';
import { composeDigest, digestMessageId } from './compose.js';
import { nothingToReport, type DigestModel } from './model.js';
import { latestRunAtOrBefore, previousPeriod, runAfter, scheduledPeriod, scheduleOf, type Period } from './period.js';

export { buildDigest } from './build.js';
export { composeDigest, digestSubject } from './compose.js';
export { renderDigestHtml } from './render-html.js';
export { renderDigestText } from './render-text.js';
export type { DigestModel } from './model.js';

export interface DigestDeps {
  store: Store;
  config: Config;
  log: Logger;
  now: () => Date;
}

/** A claim older than this belongs to a process that died mid-send and may be taken over. */
export const CLAIM_TIMEOUT_MS = 5 * 60_000;

const RETRY_BASE_MS = 60_000;
const RETRY_MAX_MS = 30 * 60_000;

export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts));
}

/** The brands a digest covers: its `brands`, or every configured brand. */
export function digestBrands(config: Config, digest: Pick<DigestConfig, 'brands'>): string[] {
  return digest.brands ?? [...config.brands.keys()].sort();
}

function firstSeenKey(name: string): string {
  return `digest.first_seen.${name}`;
}

/** When earshot first saw this digest; recorded on first sight. */
async function firstSeen(store: Store, name: string, now: Date): Promise<Date> {
  const stored = await store.meta.get(firstSeenKey(name));
  if (stored) return new Date(stored);
  await store.meta.set(firstSeenKey(name), now.toISOString());
  return now;
}

/** Builds the digest of a scheduled period. */
export function buildScheduled(deps: DigestDeps, digest: DigestConfig, period: Period, brands = digestBrands(deps.config, digest)): Promise<DigestModel> {
  const cron = scheduleOf(digest.schedule, digest.timezone);
  return buildDigest({
    store: deps.store,
    config: deps.config,
    digest,
    brands,
    period,
    previous: previousPeriod(period, cron, digest.timezone, 'scheduled'),
    kind: 'scheduled',
    now: deps.now(),
  });
}

interface DueCheck {
  digest: DigestConfig;
  period: Period;
  windowEnd: number;
}

/** The period a digest owes at `now`, if its run time has passed since earshot first saw it. */
async function duePeriod(deps: DigestDeps, digest: DigestConfig, now: Date): Promise<DueCheck | null> {
  const cron = scheduleOf(digest.schedule, digest.timezone);
  const seen = await firstSeen(deps.store, digest.name, now);
  const end = latestRunAtOrBefore(cron, now);
  if (!end || end.getTime() < seen.getTime()) return null;
  const period = scheduledPeriod(cron, end);
  if (!period) return null;
  return { digest, period, windowEnd: end.getTime() + digest.catchUpMs };
}

/**
 * Sends every digest whose period has ended and was not sent yet (exactly once per period;
 * catches up a missed one within its catch-up window). Never throws for a delivery failure: it
 * is logged and retried with backoff (the time is in nextDigestAt). Returns the digest names
 * sent and failed in this call. Call it from one place per process at a time.
 */
export async function runDueDigests(deps: DigestDeps): Promise<{ sent: string[]; failed: string[] }> {
  const sent: string[] = [];
  const failed: string[] = [];
  // Claim every due period first, then send: while one digest is being sent, nextDigestAt
  // already sees all of them claimed and does not report "due now" again.
  const claimed: Array<{ due: DueCheck; run: DigestRun; now: Date }> = [];
  for (const digest of deps.config.digests) {
    const now = deps.now();
    const due = await duePeriod(deps, digest, now);
    await closeStaleRuns(deps, digest, due, now);
    if (!due) continue;
    const claim = await claimDue(deps, due, now);
    if (claim === 'failed') failed.push(digest.name);
    else if (claim) claimed.push({ due, run: claim, now });
  }
  if (claimed.length === 0) return { sent, failed };
  const transport = createMailTransport(deps.config.env);
  try {
    for (const { due, run, now } of claimed) {
      const outcome = await deliver(deps, due, run, now, transport);
      if (outcome === 'sent') sent.push(due.digest.name);
      if (outcome === 'failed') failed.push(due.digest.name);
    }
  } finally {
    await transport.close();
  }
  return { sent, failed };
}

function liveClaim(run: DigestRun, now: Date): boolean {
  return run.claimedAt !== null && Date.parse(run.claimedAt) + CLAIM_TIMEOUT_MS > now.getTime();
}

/** Gives up retrying periods that are over: a newer period is due, or their catch-up window passed. */
async function closeStaleRuns(deps: DigestDeps, digest: DigestConfig, due: DueCheck | null, now: Date): Promise<void> {
  const current = due?.period.end.toISOString();
  for (const run of await deps.store.digests.pending()) {
    if (run.digest !== digest.name || run.periodEnd === current || liveClaim(run, now)) continue;
    if (current === undefined && Date.parse(run.periodEnd) + digest.catchUpMs >= now.getTime()) continue;
    await deps.store.digests.markAttemptFailed(digest.name, run.periodEnd, run.lastError ?? 'superseded by a newer period', now.toISOString(), true);
    deps.log.error({ digest: digest.name, periodEnd: run.periodEnd, error: run.lastError }, 'digest failed: giving up, its period is over');
  }
}

/** Claims the due period for this process; records it as missed or failed when its window passed. */
async function claimDue(deps: DigestDeps, due: DueCheck, now: Date): Promise<DigestRun | 'failed' | null> {
  const { store, log } = deps;
  const { digest, period } = due;
  const start = period.start.toISOString();
  const end = period.end.toISOString();
  const at = now.toISOString();
  const existing = await store.digests.get(digest.name, end);
  if (existing && existing.status !== 'pending') return null;
  if (now.getTime() <= due.windowEnd) return store.digests.claim(digest.name, start, end, at, new Date(now.getTime() - CLAIM_TIMEOUT_MS).toISOString());
  if (!existing) {
    if (await store.digests.recordMissed(digest.name, start, end, at, 'earshot was not running at the digest time and the catch-up window passed')) {
      log.warn({ digest: digest.name, periodEnd: end }, 'digest missed: earshot was not running at its time (past catch_up)');
    }
    return null;
  }
  if (liveClaim(existing, now)) return null;
  await store.digests.markAttemptFailed(digest.name, end, existing.lastError ?? 'catch-up window passed', at, true);
  log.error({ digest: digest.name, periodEnd: end, error: existing.lastError }, 'digest failed: giving up after its catch-up window');
  return 'failed';
}

type RunOutcome = 'sent' | 'failed' | 'skipped';

async function deliver(deps: DigestDeps, due: DueCheck, run: DigestRun, now: Date, transport: MailTransport): Promise<RunOutcome> {
  const { store, log } = deps;
  const { digest, period } = due;
  const end = run.periodEnd;
  const fail = async (error: string): Promise<RunOutcome> => {
    const nextAt = new Date(now.getTime() + retryDelayMs(run.attempts));
    const final = nextAt.getTime() > due.windowEnd;
    await store.digests.markAttemptFailed(digest.name, end, error, nextAt.toISOString(), final);
    log[final ? 'error' : 'warn'](
      { digest: digest.name, periodEnd: end, attempts: run.attempts + 1, error, ...(final ? {} : { retryAt: nextAt.toISOString() }) },
      final ? 'digest failed: giving up' : 'digest not sent; will retry',
    );
    return 'failed';
  };
  let model: DigestModel;
  try {
    model = await buildScheduled(deps, digest, period);
  } catch (err) {
    log.error({ digest: digest.name, err }, 'digest could not be built');
    return fail(`internal error building the digest: ${(err as Error)?.message ?? String(err)}`);
  }
  if (digest.quietDay === 'skip' && nothingToReport(model)) {
    await store.digests.markSkipped(digest.name, end, now.toISOString(), 'quiet period (quiet_day: skip)');
    log.info({ digest: digest.name, periodEnd: end }, 'quiet period: digest skipped (quiet_day: skip)');
    return 'skipped';
  }
  const message = composeDigest(model, digest, { messageId: digestMessageId(digest.name, period.end, deps.config.env.EMAIL_FROM) });
  const outcome = await transport.send(message);
  if (outcome.status !== 'sent') return fail(outcome.error);
  await store.digests.markSent(digest.name, end, deps.now().toISOString(), outcome.ref ?? null, digest.to);
  log.info({ digest: digest.name, periodEnd: end, to: digest.to.length, mentions: model.brands.reduce((n, b) => n + b.total, 0) }, 'digest sent');
  return 'sent';
}

/**
 * When the next digest becomes due (for the daemon's timer): now when one is owed, else the
 * earliest retry or schedule run; null when no digest is configured. Records when it first saw
 * each digest (so a digest added at 10:00 does not send the 08:00 period it never knew).
 */
export async function nextDigestAt(deps: DigestDeps): Promise<Date | null> {
  const now = deps.now();
  let earliest: number | null = null;
  const consider = (t: number) => {
    if (earliest === null || t < earliest) earliest = t;
  };
  const pending = await deps.store.digests.pending();
  for (const digest of deps.config.digests) {
    const due = await duePeriod(deps, digest, now);
    if (due) {
      const run = await deps.store.digests.get(digest.name, due.period.end.toISOString());
      if (!run) consider(now.getTime());
    }
    for (const run of pending) {
      if (run.digest !== digest.name || Date.parse(run.periodEnd) + digest.catchUpMs < now.getTime()) continue;
      const claimedUntil = run.claimedAt ? Date.parse(run.claimedAt) + CLAIM_TIMEOUT_MS : 0;
      consider(Math.max(Date.parse(run.nextAttemptAt), claimedUntil, now.getTime()));
    }
    const next = runAfter(scheduleOf(digest.schedule, digest.timezone), now);
    if (next) consider(next.getTime());
  }
  return earliest === null ? null : new Date(earliest);
}
