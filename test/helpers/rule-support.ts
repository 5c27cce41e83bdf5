/** Building compiled rules in tests without repeating every field, one builder per rule type. */
import type { CompiledMatch, MentionRule, RuleBase, SilenceRule, SpikeRule, VolumeRule } from '../../src/rules/model.js';

/** A match on nothing in particular: every mention. */
export function anyMatch(): CompiledMatch {
  return {
    brands: null,
    sources: null,
    sentimentLabels: null,
    sentimentBelow: null,
    sentimentAbove: null,
    urgencyAtLeast: null,
    text: null,
    authors: null,
    reachAtLeast: null,
    languages: null,
    firstFromAuthor: false,
    flagsAtLeast: null,
  };
}

function base(): RuleBase {
  return {
    name: 'r',
    description: null,
    enabled: true,
    match: anyMatch(),
    throttleMs: 0,
    throttle: null,
    quietHours: null,
    activeHours: null,
    breakThrough: null,
    thread: false,
    notify: [],
    hash: 'h',
    file: 'rules/a.yaml',
    line: 1,
    col: 1,
  };
}

export function mentionRule(over: Partial<Omit<MentionRule, 'type'>> = {}): MentionRule {
  return { ...base(), type: 'mention', groupBy: [], groupWaitMs: 0, ...over };
}

export function volumeRule(over: Partial<Omit<VolumeRule, 'type'>> = {}): VolumeRule {
  return { ...base(), type: 'volume', groupBy: [], windowMs: 3_600_000, count: 1, ...over };
}

export function spikeRule(over: Partial<Omit<SpikeRule, 'type'>> = {}): SpikeRule {
  return { ...base(), type: 'spike', groupBy: [], windowMs: 3_600_000, minCount: 10, factor: 3, baseline: 24, direction: 'up', ...over };
}

export function silenceRule(over: Partial<Omit<SilenceRule, 'type'>> = {}): SilenceRule {
  return { ...base(), type: 'silence', forMs: 3_600_000, of: 'either', ...over };
}
