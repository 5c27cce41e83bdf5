/**
 * `earshot check --online` and `earshot notify test`: what a static check cannot know. Is the
 * Slack token accepted, is the bot in each channel, does the SMTP server take the login, do the
 * sources' credentials work? Each notifier and source answers through its own optional
 * `verify()` (one cheap call per thing, nothing sent); a plugin without one is reported as not
 * checked. `notify test` sends a sample alert, marked as a test, to a rule's destinations or to
 * one target.
 */
import type { Config } from '../config/load.js';
import { sampleAlert, sampleMention } from '../notifiers/sample-alert.js';
import { notifierPlugin } from '../notifiers/registry.js';
import { missingReferencesHint, resolveTarget } from '../notifiers/target-env.js';
import type { VerifyResult } from '../notifiers/types.js';
import { sourceManifest } from '../sources/registry.js';
import type { Context } from './context.js';
import { UserError } from './context.js';
import { terminalSafe } from './mentions.js';

/** One online check takes at most this long; a hanging service is a failure, not a hang. */
const VERIFY_TIMEOUT_MS = 15_000;

interface Destination {
  type: string;
  /** As written in rules/*.yaml (`${NAME}` kept): what is printed. */
  written: string;
}

/** Every destination the config sends to: rules' notify entries and digests' recipients. */
function destinations(config: Config): Destination[] {
  const seen = new Set<string>();
  const out: Destination[] = [];
  const add = (type: string, written: string) => {
    const key = `${type}\u0000${written}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ type, written });
  };
  for (const rule of config.rules) for (const n of rule.notify) add(n.type, n.target);
  for (const digest of config.digests) for (const to of digest.to) add('email', to);
  return out;
}

/** Replaces resolved secret values (webhook URLs from .env) by the target as written. */
function conceal(text: string, pairs: ReadonlyArray<{ written: string; value: string }>): string {
  let out = text;
  for (const p of pairs) if (p.value !== p.written) out = out.split(p.value).join(p.written);
  return out;
}

async function verifyNotifiers(config: Config, env: Record<string, string | undefined>): Promise<VerifyResult[]> {
  const byType = new Map<string, Destination[]>();
  for (const d of destinations(config)) byType.set(d.type, [...(byType.get(d.type) ?? []), d]);
  const results: VerifyResult[] = [];
  for (const [type, targets] of byType) {
    const plugin = notifierPlugin(type);
    if (!plugin) continue;
    const missing = plugin.requiredEnv.filter((name) => !env[name]?.trim());
    if (missing.length > 0) {
      results.push({ subject: type, status: 'failed', message: `not configured: ${missingReferencesHint(missing)}` });
      continue;
    }
    const pairs: Array<{ written: string; value: string }> = [];
    for (const t of targets) {
      const resolved = resolveTarget(t.written, env);
      if (resolved.ok) pairs.push({ written: t.written, value: resolved.value });
      else results.push({ subject: `${type} ${t.written}`, status: 'failed', message: missingReferencesHint(resolved.missing) });
    }
    const notifier = plugin.create(env);
    try {
      const found = await withTimeout(notifier.verify?.(pairs.map((p) => p.value), { signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS) }), type);
      for (const r of found) results.push({ ...r, subject: conceal(r.subject, pairs), message: conceal(r.message, pairs) });
    } finally {
      await notifier.close?.();
    }
  }
  return results;
}

async function withTimeout(check: Promise<VerifyResult[]> | undefined, subject: string): Promise<VerifyResult[]> {
  if (!check) return [{ subject, status: 'unchecked', message: 'no online check for this notifier: `earshot notify test` sends a sample alert' }];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<VerifyResult[]>((resolve) => {
    timer = setTimeout(() => resolve([{ subject, status: 'failed', message: `no answer within ${VERIFY_TIMEOUT_MS / 1000} s` }]), VERIFY_TIMEOUT_MS + 1000);
  });
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function verifySources(ctx: Context, config: Config): Promise<VerifyResult[]> {
  const results: VerifyResult[] = [];
  for (const source of config.sources) {
    const manifest = sourceManifest(source.type);
    if (!manifest) continue;
    const missing = source.missingEnv;
    if (missing.length > 0) {
      results.push({ subject: `source ${source.key}`, status: 'failed', message: `not configured: ${missingReferencesHint(missing)}` });
      continue;
    }
    const plugin = await manifest.load();
    if (!plugin.verify) {
      results.push({ subject: `source ${source.key}`, status: 'unchecked', message: 'needs no credentials' });
      continue;
    }
    const signal = AbortSignal.timeout(VERIFY_TIMEOUT_MS);
    try {
      const r = await plugin.verify({ key: source.key, brand: source.brand, config: source.settings, env: ctx.env, log: ctx.log, signal, now: () => new Date() });
      results.push({ ...r, subject: `source ${source.key}` });
    } catch (err) {
      results.push({ subject: `source ${source.key}`, status: 'failed', message: (err as Error).message });
    }
  }
  return results;
}

const LABEL: Readonly<Record<VerifyResult['status'], string>> = { ok: 'ok', failed: 'FAILED', unchecked: 'not checked' };

/** Prints each result; returns how many failed. */
export async function runOnlineChecks(ctx: Context, config: Config): Promise<number> {
  const results = [...(await verifyNotifiers(config, ctx.env)), ...(await verifySources(ctx, config))];
  for (const r of results) ctx.io.out(`online: ${LABEL[r.status]}: ${terminalSafe(r.subject)}: ${terminalSafe(r.message)}`);
  const count = (status: VerifyResult['status']) => results.filter((r) => r.status === status).length;
  ctx.io.out(`online: ${count('ok')} ok, ${count('failed')} failed, ${count('unchecked')} not checked`);
  return count('failed');
}

/** `earshot notify test RULE|TYPE:TARGET`: sends a sample alert, marked as a test. */
export async function notifyTestCommand(ctx: Context, config: Config, what: string): Promise<number> {
  const rule = config.rules.find((r) => r.name === what);
  let targets: Destination[];
  if (rule) {
    targets = rule.notify.map((n) => ({ type: n.type, written: n.target }));
  } else {
    const m = /^([a-z][a-z0-9-]*):(.+)$/s.exec(what);
    if (!m || !notifierPlugin(m[1]!)) {
      const rules = config.rules.map((r) => r.name);
      throw new UserError(
        `notify test ${what}: not a rule name${rules.length ? ` (rules are ${rules.join(', ')})` : ''} nor TYPE:TARGET like slack:#brand-alerts or email:pr@example.com`,
      );
    }
    const problem = notifierPlugin(m[1]!)!.validateTarget(m[2]!);
    if (problem && !m[2]!.includes('${')) throw new UserError(`notify test ${what}: ${problem}`);
    targets = [{ type: m[1]!, written: m[2]! }];
  }
  const brand = rule?.match.brands?.[0] ?? [...config.brands.keys()][0];
  const brandName = (brand && config.brands.get(brand)?.name) || 'Acme Cloud';
  const alert = sampleAlert({
    rule: rule?.name ?? 'notify-test',
    brand: brand ?? 'acme',
    brandName,
    summary: `Test alert from earshot (${rule ? `rule ${rule.name}` : 'notify test'}): a sample mention, nothing happened`,
    mentions: [sampleMention({ brand: brand ?? 'acme', title: `${brandName}: sample mention for a test alert` })],
    details: ['Sent by `earshot notify test`. If you can read this, alerts reach this destination.'],
    createdAt: new Date().toISOString(),
  });
  let failed = 0;
  for (const t of targets) {
    const plugin = notifierPlugin(t.type)!;
    const resolved = resolveTarget(t.written, ctx.env);
    if (!resolved.ok) {
      ctx.io.out(`${t.type} ${t.written}: FAILED: ${missingReferencesHint(resolved.missing)}`);
      failed++;
      continue;
    }
    const notifier = plugin.create(ctx.env);
    try {
      const outcome = await notifier.send(resolved.value, alert, { signal: AbortSignal.timeout(VERIFY_TIMEOUT_MS) });
      const shown = conceal;
      const pairs = [{ written: t.written, value: resolved.value }];
      if (outcome.status === 'sent') {
        ctx.io.out(`${t.type} ${t.written}: sent${outcome.ref ? ` (${shown(outcome.ref, pairs)})` : ''}`);
      } else {
        failed++;
        ctx.io.out(`${t.type} ${t.written}: ${outcome.status === 'retry' ? 'not sent (temporary, try again)' : 'FAILED'}: ${shown(outcome.error, pairs)}`);
      }
    } finally {
      await notifier.close?.();
    }
  }
  return failed > 0 ? 1 : 0;
}
