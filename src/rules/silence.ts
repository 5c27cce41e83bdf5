/**
 * `type: silence`: a matching source with no successful poll, or a matching brand with no new
 * mention, for `for`. Alerts once per silence, again after it ended. Matches on brand and source
 * only; it watches polls, so it is evaluated live only (not replayed).
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { durationSchema } from '../core/primitives.js';
import { sourceLabel } from '../sources/registry.js';
import { settle } from './alerts.js';
import { commonFields, compileBase, type CompileContext } from './common.js';
import type { SilenceRule, WatchedSource } from './model.js';
import type { EngineDeps } from './rule-store.js';

export const silenceRuleSchema = z
  .strictObject({
    ...commonFields,
    type: z.literal('silence'),
    /** Fires when nothing happened for this long. */
    for: durationSchema,
    /** mentions: no new mentions; polls: no successful poll; either (default): whichever comes first. */
    of: z.enum(['mentions', 'polls', 'either']).default('either'),
  })
  .superRefine((rule, ctx) => {
    const allowed = new Set(['brand', 'source']);
    for (const key of Object.keys(rule.match)) {
      if (!allowed.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['match', key], message: 'a silence rule matches on brand and source only' });
      }
    }
  });

export function compileSilenceRule(rule: z.output<typeof silenceRuleSchema>, ctx: CompileContext): SilenceRule {
  return { ...compileBase(rule, ctx), type: 'silence', forMs: rule.for, of: rule.of };
}

/** The configured sources a silence rule watches: polled ones (enabled, with credentials) it matches. */
function watched(rule: SilenceRule, sources: readonly WatchedSource[]): WatchedSource[] {
  return sources.filter(
    (s) =>
      s.enabled &&
      s.missingEnv.length === 0 &&
      (!rule.match.brands || rule.match.brands.includes(s.brand)) &&
      (!rule.match.sources || rule.match.sources.includes(s.type)),
  );
}

/** Alerts per source with no successful poll, and per brand with no new mention, for `for`. */
export async function evaluateSilenceRule(deps: EngineDeps, rule: SilenceRule, now: Date): Promise<number[]> {
  const { store, config } = deps;
  const created: number[] = [];
  const t = now.getTime();
  const cutoff = t - rule.forMs;
  const states = new Map((await store.sources.list()).map((s) => [s.sourceKey, s]));
  const sources = watched(rule, config.sources);

  if (rule.of !== 'mentions') {
    for (const s of sources) {
      const st = states.get(s.key);
      const since = st?.lastSuccessAt ?? st?.createdAt ?? null;
      const firing = since !== null && Date.parse(since) <= cutoff;
      const id = await settle(deps, rule, `source=${s.key}`, firing, now, async () => {
        const name = config.brands.get(s.brand)?.name ?? s.brand;
        const what = st?.lastSuccessAt ? `since ${st.lastSuccessAt}` : 'ever';
        return {
          brand: s.brand,
          summary: `Silence: no successful poll of ${s.key} (${name}, ${sourceLabel(s.type)}) for ${formatDuration(t - Date.parse(since!))}`,
          details: [`no successful poll ${what}`, ...(st?.lastError ? [`last error: ${st.lastError}`] : [])],
          mentions: [],
          totalMentions: 0,
        };
      });
      if (id !== null) created.push(id);
    }
  }

  if (rule.of !== 'polls') {
    const brands = [...new Set(sources.map((s) => s.brand))];
    for (const brand of brands) {
      const keys = sources.filter((s) => s.brand === brand).map((s) => s.key);
      const lastAt = await store.mentions.lastFetchedAt(brand, keys);
      const watching = keys
        .map((k) => states.get(k)?.firstSuccessAt)
        .filter((x): x is string => Boolean(x))
        .sort()[0];
      const since = lastAt ?? watching ?? null;
      const firing = since !== null && Date.parse(since) <= cutoff;
      const id = await settle(deps, rule, `brand=${brand}`, firing, now, async () => ({
        brand,
        summary: `Silence: no new mentions of ${config.brands.get(brand)?.name ?? brand} for ${formatDuration(t - Date.parse(since!))}`,
        details: [lastAt ? `last mention fetched at ${lastAt}` : 'no mention stored since the sources started'],
        mentions: [],
        totalMentions: 0,
      }));
      if (id !== null) created.push(id);
    }
  }
  return created;
}
