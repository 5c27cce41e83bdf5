/**
 * Generated but realistic mentions for the benchmarks, deterministic for a seed: brands with
 * multi-word names and queries, posts of very different lengths (a tweet, a Reddit post, a blog
 * article), complaints, praise and neutral news, several languages and scripts, emoji, URLs with
 * tracking parameters, and reposts (same text or same URL under another id) and repeated ids.
 */
import type { SourceType } from '../../src/core/types.js';
import type { Rng } from './rng.js';

export interface BenchBrand {
  id: string;
  name: string;
  /** One word, as a hashtag or handle would spell it. */
  compact: string;
  query: string;
}

export interface BenchMention {
  brand: string;
  source: SourceType;
  id: string;
  url: string | null;
  author: string;
  title: string;
  text: string;
  published: string;
  reach: number | null;
}

const FIRST = ['Acme', 'Borealis', 'Cobalt', 'Dunmore', 'Ember', 'Fjord', 'Granite', 'Halcyon', 'Ionic', 'Juniper', 'Kestrel', 'Lumen', 'Meridian', 'Nimbus', 'Orchid', 'Pioneer', 'Quartz', 'Redwood', 'Sable', 'Tundra', 'Umber', 'Vertex', 'Willow', 'Xenon', 'Yarrow', 'Zephyr', 'Café', 'Nordlicht', 'Über', 'Søren'];
const SECOND = ['Cloud', 'Pay', 'Bank', 'Mobile', 'Air', 'Energy', 'Health', 'Games', 'Foods', 'Motors'];

/** `count` distinct brands (count ≤ 300). */
export function makeBrands(count: number): BenchBrand[] {
  const brands: BenchBrand[] = [];
  for (let i = 0; i < count; i++) {
    // Distinct pairs for up to 300 brands, with the second word varying from the start.
    const name = `${FIRST[i % FIRST.length]} ${SECOND[(i + Math.floor(i / FIRST.length)) % SECOND.length]}`;
    const compact = name.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]/g, '');
    const id = name.toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-');
    brands.push({ id, name, compact, query: `"${name.toLowerCase()}" OR ${compact} OR @${compact} -jobs -hiring` });
  }
  return brands;
}

const COMPLAINTS = [
  '{b} has been down for three hours and nobody answers the support tickets.',
  'I was charged twice by {b} and they refuse to refund me. Unacceptable.',
  'Terrible experience with {b} today, the app keeps crashing on login.',
  'Is {b} having an outage? Everything times out for us since this morning.',
  '{b} lost our data after the migration, this is a disaster for our team.',
  'Worst customer service ever. {b} closed my ticket without reading it.',
  'Why does {b} keep raising prices while the service gets worse?',
  'Security question for {b}: why did I get a password reset email I never asked for?',
];
const PRAISE = [
  'Shout out to {b}, support fixed our issue in ten minutes. Great team!',
  'Loving the new {b} dashboard, it is fast and clean.',
  'Switched to {b} last month and it has been excellent so far.',
  '{b} just made my week, the migration went perfectly.',
  'Honestly impressed with {b}, the docs are great and pricing is fair.',
];
const NEUTRAL = [
  '{b} announced a new region in Frankfurt today, according to a press release.',
  'Does anyone know whether {b} supports single sign-on with Okta?',
  '{b} will publish its quarterly results next Tuesday.',
  'Comparing {b} with two competitors for a school project, any opinions?',
  'The {b} conference keynote is streamed at 10:00 UTC.',
];
const FILLER = [
  'We have been using it across three teams for about a year now.',
  'The rest of the stack is the usual: Postgres, Redis, a queue and a few cron tasks.',
  'Our CTO asked for a written summary before the board meeting on Friday.',
  'I tried the mobile app and the web console, both behave the same way.',
  'Pricing changed twice this year, which makes budgeting hard for a small company.',
  'Their status page said everything was operational the whole time.',
  'A colleague in Berlin saw the same thing, so it is not just our network.',
  'Happy to share logs if someone from the team reaches out.',
  'Edit: added the timeline below, times are in UTC.',
  'For context, we are a team of twelve running a small e-commerce shop.',
];
const FOREIGN = [
  '{b} ist seit heute Morgen nicht erreichbar, der Support antwortet nicht. Ärgerlich!',
  'Muy contentos con {b}, el soporte respondió en minutos. ¡Gracias!',
  '{b} a encore augmenté ses prix, c’est vraiment décevant.',
  '{b} のサービスが今朝から停止しています。いつ復旧しますか？',
  '{b} работает отлично, спасибо команде поддержки.',
  'O {b} caiu de novo, terceira vez nesta semana 😡',
];
const UNRELATED = [
  'The weather in Lisbon is lovely today and the tram was on time.',
  'Just finished a 10k run, new personal best! 🏃',
  'Does anyone have a good recipe for sourdough with rye flour?',
  'Traffic on the A9 is terrible again this morning.',
  'We are hiring backend engineers in Porto, remote friendly.',
];
const EMOJI = ['😡', '🙄', '🔥', '👍', '🎉', '💸', '⚠️', '🤔', '❤️', '😂'];
const DOMAINS = ['news.example.com', 'blog.example.org', 'forum.example.net', 'status.example.io', 'techdaily.example.com', 'www.example.co.uk'];
const SOURCES: SourceType[] = ['rss', 'reddit', 'twitter', 'hackernews', 'bluesky', 'mastodon'];

function fill(template: string, brand: string): string {
  return template.replaceAll('{b}', brand);
}

function brandSpelling(rng: Rng, brand: BenchBrand): string {
  const r = rng.next();
  if (r < 0.7) return brand.name;
  if (r < 0.8) return brand.name.toUpperCase();
  if (r < 0.9) return `@${brand.compact}`;
  return `#${brand.compact}`;
}

const CITIES = ['Berlin', 'Lyon', 'Austin', 'Osaka', 'Kraków', 'São Paulo', 'Nairobi', 'Leeds'];

/** What makes two complaints from the same template different people's posts. */
function detail(rng: Rng): string {
  switch (rng.int(5)) {
    case 0:
      return `(ticket #${100_000 + rng.int(900_000)})`;
    case 1:
      return `since ${String(rng.int(24)).padStart(2, '0')}:${String(rng.int(60)).padStart(2, '0')}`;
    case 2:
      return `here in ${rng.pick(CITIES)}`;
    case 3:
      return `day ${1 + rng.int(30)} of this`;
    default:
      return `cc @user${rng.int(50_000)}, order ${rng.int(1e6).toString(36).toUpperCase()}`;
  }
}

function sentence(rng: Rng, mentioned: string | null): string {
  if (mentioned === null) return rng.pick(UNRELATED);
  const r = rng.next();
  const pool = r < 0.35 ? COMPLAINTS : r < 0.6 ? PRAISE : r < 0.85 ? NEUTRAL : FOREIGN;
  const text = fill(rng.pick(pool), mentioned);
  return rng.chance(0.85) ? `${text} ${detail(rng)}` : text;
}

function url(rng: Rng, i: number): string {
  const domain = rng.pick(DOMAINS);
  const tracking = rng.chance(0.3) ? `?utm_source=${rng.pick(['twitter', 'newsletter', 'rss'])}&utm_medium=social` : '';
  return `https://${domain}/${2026 - rng.int(3)}/${String(1 + rng.int(12)).padStart(2, '0')}/post-${i}-${rng.int(1e6).toString(36)}${tracking}`;
}

/** A body of 1 sentence (a tweet) to ~25 (a blog post), with optional links and emoji. */
function body(rng: Rng, mentioned: string | null, i: number): string {
  const shape = rng.next();
  const sentences = shape < 0.45 ? 1 : shape < 0.8 ? 2 + rng.int(4) : 6 + rng.int(20);
  const parts = [sentence(rng, mentioned)];
  for (let s = 1; s < sentences; s++) parts.push(rng.chance(0.15) && mentioned ? sentence(rng, mentioned) : rng.pick(FILLER));
  if (rng.chance(0.4)) parts.splice(rng.int(parts.length + 1), 0, url(rng, i));
  if (rng.chance(0.3)) parts.push(rng.pick(EMOJI));
  // The brand's sentence can come anywhere, not always first.
  const lead = parts.shift()!;
  parts.splice(rng.int(parts.length + 1), 0, lead);
  return parts.join(' ');
}

export interface CorpusOptions {
  count: number;
  brands: BenchBrand[];
  rng: Rng;
  /** Reference time: mentions are published over the 7 days before it. */
  now: Date;
}

/**
 * `count` mentions: about 80% mention their brand, 3% repost an earlier mention under a new id
 * (same text and URL), 1% repeat an earlier id exactly (an overlapping page).
 */
export function makeMentions(options: CorpusOptions): BenchMention[] {
  const { rng, brands, now } = options;
  const out: BenchMention[] = [];
  for (let i = 0; i < options.count; i++) {
    const r = rng.next();
    if (out.length > 100 && r < 0.01) {
      out.push({ ...out[rng.int(out.length)]! });
      continue;
    }
    if (out.length > 100 && r < 0.04) {
      const original = out[rng.int(out.length)]!;
      out.push({ ...original, id: `${original.source}-${i}`, author: `user${rng.int(50_000)}` });
      continue;
    }
    const brand = rng.pick(brands);
    const source = rng.pick(SOURCES);
    const mentioned = rng.chance(0.8) ? brandSpelling(rng, brand) : null;
    const withTitle = source === 'rss' || source === 'reddit' || source === 'hackernews';
    out.push({
      brand: brand.id,
      source,
      id: `${source}-${i}`,
      url: rng.chance(0.95) ? url(rng, i) : null,
      author: `user${rng.int(50_000)}`,
      title: withTitle ? (mentioned && rng.chance(0.5) ? `${mentioned}: ${rng.pick(['an update', 'a question', 'what happened', 'review'])}` : rng.pick(['Weekly thread', 'Ask: help needed', 'News roundup', 'Show: my project'])) : '',
      text: body(rng, mentioned, i),
      published: new Date(now.getTime() - rng.int(7 * 86_400_000)).toISOString(),
      reach: rng.chance(0.9) ? Math.floor(10 ** (rng.next() * 6)) : null,
    });
  }
  return out;
}
