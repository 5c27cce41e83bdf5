/**
 * The compiled rule: what the engine and the replay run. A discriminated union on `type`, one
 * member per rule type, each defined with its schema, compile step and evaluation in its own file
 * (mention.ts, volume.ts, spike.ts, silence.ts); the fields every rule has are in `RuleBase`.
 *
 * Rules own this model: src/config/ builds it (config may import rules) and the rules never
 * import config. What the rules need to know about the rest of a deployment (brand names, the
 * configured sources, budgets, the environment) is `RuleContext`, which config's `Config`
 * satisfies.
 */
import type { CompiledQuery } from '../analyze/query/index.js';
import type { FlagName, SourceType, UrgencyLevel } from '../core/types.js';

export const RULE_TYPES = ['mention', 'volume', 'spike', 'silence'] as const;
export type RuleType = (typeof RULE_TYPES)[number];
export const GROUP_FIELDS = ['brand', 'source', 'author', 'story'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];
export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Day = (typeof DAYS)[number];

export interface NotifyTarget {
  /** A registered notifier type ('slack', 'email', 'webhook', ...). */
  type: string;
  /** As written in the YAML: a channel, an address, a URL, or `${NAME}` read when sending. */
  target: string;
}

export interface CompiledMatch {
  brands: string[] | null;
  sources: SourceType[] | null;
  sentimentLabels: string[] | null;
  sentimentBelow: number | null;
  sentimentAbove: number | null;
  urgencyAtLeast: UrgencyLevel | null;
  text: CompiledQuery | null;
  authors: string[] | null;
  reachAtLeast: number | null;
  languages: string[] | null;
  firstFromAuthor: boolean;
  /** Flag -> threshold; the mention matches when any named flag reaches its threshold. */
  flagsAtLeast: Partial<Record<FlagName, number>> | null;
}

export interface ThrottleConfig {
  initialMs: number;
  /** Growth per consecutive throttled alert (1 = fixed). */
  factor: number;
  maxMs: number;
}

/** `quiet_hours` / `active_hours`. */
export interface HoursWindow {
  from: string;
  to: string;
  days?: Day[] | undefined;
  timezone: string;
  then: 'deliver' | 'digest';
}

/** What every rule has, whatever its type. */
export interface RuleBase {
  name: string;
  description: string | null;
  enabled: boolean;
  match: CompiledMatch;
  /** The base throttle (throttle.initialMs), 0 when none. */
  throttleMs: number;
  throttle: ThrottleConfig | null;
  quietHours: HoursWindow | null;
  activeHours: HoursWindow | null;
  breakThrough: UrgencyLevel | null;
  thread: boolean;
  notify: NotifyTarget[];
  /** Checksum of the rule's definition: editing a rule resets its state. */
  hash: string;
  file: string;
  line: number;
  col: number;
}

/** Fires per matching mention; a group's waiting mentions go out as one alert (mention.ts). */
export interface MentionRule extends RuleBase {
  type: 'mention';
  groupBy: GroupField[];
  groupWaitMs: number;
}

/** At least `count` matching mentions within `windowMs` (volume.ts). */
export interface VolumeRule extends RuleBase {
  type: 'volume';
  groupBy: GroupField[];
  windowMs: number;
  count: number;
}

/** The window's count against the average of `baseline` windows before it (spike.ts). */
export interface SpikeRule extends RuleBase {
  type: 'spike';
  groupBy: GroupField[];
  windowMs: number;
  /** min_count: never fires below this many mentions in the window. */
  minCount: number;
  factor: number;
  baseline: number;
  direction: 'up' | 'down' | 'both';
}

/** Nothing for `forMs`: no successful poll, no new mention, or either (silence.ts). */
export interface SilenceRule extends RuleBase {
  type: 'silence';
  forMs: number;
  of: 'mentions' | 'polls' | 'either';
}

export type RuleConfig = MentionRule | VolumeRule | SpikeRule | SilenceRule;
/** The rules that count matching mentions in windows. */
export type CountingRule = VolumeRule | SpikeRule;

export function isCounting(rule: RuleConfig): rule is CountingRule {
  return rule.type === 'volume' || rule.type === 'spike';
}

/** The fields a rule groups its mentions by (silence rules group by source or brand themselves). */
export function groupByOf(rule: RuleConfig): GroupField[] {
  return rule.type === 'silence' ? [] : rule.groupBy;
}

export interface BudgetConfig {
  destination: NotifyTarget;
  max: number;
  perMs: number;
  breakThrough: UrgencyLevel | null;
  file: string;
  line: number;
}

/** A configured source, as far as rules care (silence rules, spike baselines). */
export interface WatchedSource {
  key: string;
  brand: string;
  type: SourceType;
  enabled: boolean;
  /** Credentials it lacks: it is not polled, so it cannot fall silent either. */
  missingEnv: string[];
}

/** What rules know about the deployment around them; config's `Config` is one. */
export interface RuleContext {
  rules: RuleConfig[];
  brands: ReadonlyMap<string, { name: string }>;
  sources: readonly WatchedSource[];
  budgets: readonly BudgetConfig[];
  env: Record<string, string | undefined>;
}
