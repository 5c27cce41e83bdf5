/**
 * A realistic alert for tests, previews and "send a test alert" commands: one negative Reddit
 * mention of Acme Cloud. Every field can be overridden; `sampleMention` builds extra mentions.
 */
import type { Mention } from '../core/types.js';
import type { AlertContent } from './types.js';

export function sampleMention(overrides: Partial<Mention> = {}): Mention {
  return {
    id: 1,
    brand: 'acme',
    source: 'reddit',
    sourceKey: 'acme/reddit',
    sourceId: 't3_abc123',
    url: 'https://www.reddit.com/r/devops/comments/abc123/acme_cloud_outage/',
    author: 'u/sre_jane',
    reach: 12_345,
    title: 'Acme Cloud down again?',
    text: 'Third outage this month. We lost a day of data and support has not answered. Looking at alternatives.',
    kind: 'post',
    linkUrl: null,
    language: 'en',
    publishedAt: '2026-11-23T08:00:00.000Z',
    fetchedAt: '2026-11-23T08:02:00.000Z',
    matchedTerms: ['acme cloud'],
    sentiment: { label: 'negative', score: -0.72, reasons: ['outage', 'lost a day of data', 'not answered'] },
    urgency: { level: 'high', score: 0.81, reasons: ['outage', 'data loss', 'reach 12.3k'] },
    duplicateOf: null,
    storyKey: null,
    metrics: { score: 42, comments: 17 },
    ...overrides,
  };
}

/** What the source registry says about the sample's sources (notifiers cannot import it). */
export const SAMPLE_SOURCES: AlertContent['sources'] = {
  reddit: { label: 'Reddit', reachUnit: 'karma' },
  twitter: { label: 'Twitter/X', reachUnit: 'followers' },
  hackernews: { label: 'Hacker News', reachUnit: 'points' },
  rss: { label: 'a feed', reachUnit: 'reach' },
  bluesky: { label: 'Bluesky', reachUnit: 'followers' },
  mastodon: { label: 'Mastodon', reachUnit: 'followers' },
};

export function sampleAlert(overrides: Partial<AlertContent> = {}): AlertContent {
  const mentions = overrides.mentions ?? [sampleMention()];
  return {
    alertId: 7,
    rule: 'negative-mention',
    ruleType: 'mention',
    brand: 'acme',
    brandName: 'Acme Cloud',
    summary: 'Negative mention of Acme Cloud on reddit',
    mentions,
    totalMentions: mentions.length,
    details: [],
    sources: SAMPLE_SOURCES,
    createdAt: '2026-11-23T08:02:05.000Z',
    ...overrides,
  };
}
