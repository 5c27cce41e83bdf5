/**
 * A brand's dashboard (`/brands/ID`): the period's facts as the digest computes them (volume by
 * sentiment, share of sentiment, top sources, authors and terms, alerts sent and held back,
 * source health: src/digest/build.ts, one computation for both), share of voice across brands,
 * the team's response (time to handled, open backlog by age: the triage store), and each
 * source's live state as `earshot status` reads it (source_state). Zoom: the range links, and
 * each bar of the volume chart opens that bar's period.
 */
import { phraseSampleNote } from '../digest/format.js';
import type { BrandDigest, HeldBack } from '../digest/model.js';
import type { SourceState } from '../store/types.js';
import type { ResponseStats } from '../store/triage-types.js';
import { BarList, SENTIMENT_KEYS, ShareBar, VolumeChart } from './charts.js';
import { durationText, relativeTime, utcTime } from './format.js';
import { Layout, type PageContext } from './layout.js';

export const RANGES: ReadonlyArray<{ key: string; label: string; ms: number }> = [
  { key: '24h', label: '24 hours', ms: 86_400_000 },
  { key: '7d', label: '7 days', ms: 7 * 86_400_000 },
  { key: '30d', label: '30 days', ms: 30 * 86_400_000 },
  { key: '90d', label: '90 days', ms: 90 * 86_400_000 },
];

export interface DashboardProps {
  ctx: PageContext;
  brand: { id: string; name: string };
  digest: BrandDigest;
  period: { start: Date; end: Date };
  /** The selected range key, or null for a zoomed custom period. */
  range: string | null;
  shareOfVoice: Array<{ id: string; name: string; count: number }>;
  response: ResponseStats;
  sources: SourceState[];
  openBacklog: number;
  /** When these figures were computed (they are kept for a minute). */
  computedAt: Date;
}

const SENTIMENT_TEXT: Record<string, string> = { negative: 'Negative', neutral: 'Neutral', positive: 'Positive', unknown: 'Other language' };

function inboxLink(brand: string, extra: Record<string, string>): string {
  return `/?${new URLSearchParams({ brand, status: 'all', ...extra }).toString()}`;
}

function bucketLabel(start: Date, bucketMs: number): string {
  const iso = start.toISOString();
  return bucketMs < 86_400_000 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso.slice(0, 10);
}

function Change(props: { now: number; before: number }) {
  const diff = props.now - props.before;
  if (diff === 0) return <span class="change">same as the period before</span>;
  const pct = props.before ? ` (${diff > 0 ? '+' : '−'}${Math.round((Math.abs(diff) / props.before) * 100)}%)` : '';
  return (
    <span class={`change ${diff > 0 ? 'up' : 'down'}`}>
      {diff > 0 ? '+' : '−'}
      {Math.abs(diff)}
      {pct} vs the period before
    </span>
  );
}

function HeldBackList(props: { items: HeldBack[] }) {
  if (props.items.length === 0) return <p class="empty">Nothing was held back.</p>;
  return (
    <ul>
      {props.items.map((h) => (
        <li>{h.text}</li>
      ))}
    </ul>
  );
}

function SourceHealthTable(props: DashboardProps) {
  const states = new Map(props.sources.map((s) => [s.sourceKey, s]));
  const rows = props.digest.health;
  if (rows.length === 0) return <p class="empty">No sources configured for this brand.</p>;
  return (
    <table class="data">
      <caption class="visually-hidden">Source health</caption>
      <thead>
        <tr>
          <th scope="col">Source</th>
          <th scope="col">State</th>
          <th scope="col">Last poll</th>
          <th scope="col">Polls / errors</th>
          <th scope="col">Rate budget</th>
          <th scope="col">Notes</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((h) => {
          const s = states.get(h.sourceKey);
          return (
            <tr>
              <th scope="row">{h.sourceKey}</th>
              <td>
                <span class={`health health-${h.status}`}>{s?.pausedReason ? 'paused' : h.status.replace('_', ' ')}</span>
              </td>
              <td>{s?.lastAttemptAt ? <time datetime={s.lastAttemptAt}>{relativeTime(s.lastAttemptAt, props.ctx.now)}</time> : 'never'}</td>
              <td>
                {h.polls} / {h.errors + h.rateLimited}
              </td>
              <td>{s && s.rateRemaining !== null ? `${s.rateRemaining}${s.rateLimit !== null ? ` of ${s.rateLimit}` : ''}` : '–'}</td>
              <td>
                {[h.detail, s?.pausedReason ? `paused: ${s.pausedReason}` : '', s?.lastGap && h.status !== 'gaps' ? `last gap: ${s.lastGap}` : '']
                  .filter(Boolean)
                  .join(' · ') || 'ok'}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function DashboardPage(props: DashboardProps) {
  const { ctx, digest: d, brand } = props;
  const sentimentParts = SENTIMENT_KEYS.map((k) => ({ key: k, value: d.sentiment[k], label: SENTIMENT_TEXT[k]! }));
  const zoomable = d.bucketMs >= 86_400_000;
  const periodText = `${utcTime(props.period.start.toISOString())} – ${utcTime(props.period.end.toISOString())}`;
  return (
    <Layout ctx={ctx} title={`${brand.name} dashboard`}>
      <h1>{brand.name}</h1>
      <nav class="ranges" aria-label="Period">
        {RANGES.map((r) => (
          <a href={`/brands/${encodeURIComponent(brand.id)}?range=${r.key}`} aria-current={props.range === r.key ? 'page' : undefined}>
            {r.label}
          </a>
        ))}
        {props.range === null ? <span class="zoomed">Zoomed: {periodText}</span> : null}
      </nav>
      <p class="period">
        {periodText} · figures as of{' '}
        <time datetime={props.computedAt.toISOString()}>{utcTime(props.computedAt.toISOString()).slice(11)}</time> (refreshed every minute)
      </p>
      <div class="cards">
        <div class="card">
          <p class="big">{d.total}</p>
          <p>mentions</p>
          <Change now={d.total} before={d.previousTotal} />
        </div>
        <div class="card">
          <p class="big">
            <a href={inboxLink(brand.id, { status: 'open', sentiment: 'negative' })}>{d.needsReplyTotal}</a>
          </p>
          <p>need a reply</p>
        </div>
        <div class="card">
          <p class="big">
            <a href={inboxLink(brand.id, { status: 'open' })}>{props.openBacklog}</a>
          </p>
          <p>open (all time)</p>
        </div>
        <div class="card">
          <p class="big">{durationText(props.response.medianToHandledMs)}</p>
          <p>median time to handled</p>
        </div>
      </div>

      <section aria-labelledby="volume-h">
        <h2 id="volume-h">Volume by sentiment</h2>
        <VolumeChart
          buckets={d.volume}
          bucketMs={d.bucketMs}
          label={(b) => bucketLabel(b.start, d.bucketMs)}
          href={(b) =>
            zoomable
              ? `/brands/${encodeURIComponent(brand.id)}?since=${encodeURIComponent(b.start.toISOString())}&until=${encodeURIComponent(new Date(b.start.getTime() + d.bucketMs).toISOString())}`
              : inboxLink(brand.id, { since: b.start.toISOString(), until: new Date(b.start.getTime() + d.bucketMs).toISOString() })
          }
          tick={(b, i) => {
            const every = Math.max(1, Math.ceil(d.volume.length / 8));
            if (i % every !== 0) return null;
            const iso = b.start.toISOString();
            return d.bucketMs < 86_400_000 ? iso.slice(11, 16) : iso.slice(5, 10);
          }}
        />
        <p class="legend">
          {SENTIMENT_KEYS.map((k) => (
            <span class={`key s-${k}`}>{SENTIMENT_TEXT[k]}</span>
          ))}
          {zoomable ? <span>Select a bar to zoom into that day.</span> : <span>Select a bar to list its mentions.</span>}
        </p>
        <details>
          <summary>Volume as a table</summary>
          <table class="data">
            <caption class="visually-hidden">Mentions per period by sentiment</caption>
            <thead>
              <tr>
                <th scope="col">Period (UTC)</th>
                <th scope="col">Total</th>
                {SENTIMENT_KEYS.map((k) => (
                  <th scope="col">{SENTIMENT_TEXT[k]}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {d.volume.map((b) => (
                <tr>
                  <th scope="row">{bucketLabel(b.start, d.bucketMs)}</th>
                  <td>{b.count}</td>
                  {SENTIMENT_KEYS.map((k) => (
                    <td>{b.sentiment[k]}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      </section>

      <div class="columns">
        <section aria-labelledby="share-h">
          <h2 id="share-h">Share of sentiment</h2>
          <ShareBar parts={sentimentParts} title="Share of sentiment" />
          <BarList
            caption="Mentions by sentiment"
            items={sentimentParts.map((p) => ({ label: p.label, value: p.value, href: p.key === 'unknown' ? null : inboxLink(brand.id, { sentiment: p.key, since: props.period.start.toISOString() }) }))}
          />
        </section>
        <section aria-labelledby="sov-h">
          <h2 id="sov-h">Share of voice</h2>
          <BarList
            caption="Mentions per brand in this period"
            items={props.shareOfVoice.map((b) => ({ label: b.name, value: b.count, href: `/brands/${encodeURIComponent(b.id)}${props.range ? `?range=${props.range}` : ''}` }))}
          />
        </section>
        <section aria-labelledby="sources-h">
          <h2 id="sources-h">Top sources</h2>
          <BarList caption="Mentions per source" items={d.bySource.map((s) => ({ label: s.source, value: s.count, href: inboxLink(brand.id, { source: s.source, since: props.period.start.toISOString() }) }))} />
        </section>
        <section aria-labelledby="authors-h">
          <h2 id="authors-h">Top authors</h2>
          <BarList caption="Authors with the most mentions" items={d.topAuthors.map((a) => ({ label: `${a.name} (${a.source})`, value: a.mentions }))} />
        </section>
        <section aria-labelledby="terms-h">
          <h2 id="terms-h">Top terms</h2>
          <BarList caption="Recurring words and phrases (mentions they appear in)" items={d.phrases.map((p) => ({ label: p.phrase, value: p.mentions, href: inboxLink(brand.id, { q: `"${p.phrase}"` }) }))} />
          {d.phrasesSample ? <p class="period">Phrases {phraseSampleNote(d)}.</p> : null}
        </section>
        <section aria-labelledby="response-h">
          <h2 id="response-h">Response</h2>
          <p>
            {props.response.handled} handled in this period (median {durationText(props.response.medianToHandledMs)}, 90% within{' '}
            {durationText(props.response.p90ToHandledMs)} of arriving); {props.response.irrelevant} marked not relevant.
          </p>
          <BarList caption="Open mentions by age" items={props.response.backlog.map((b) => ({ label: b.label, value: b.count }))} />
        </section>
      </div>

      <section aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        {d.alerts.length ? (
          <ul>
            {d.alerts.map((a) => (
              <li>
                <time datetime={a.at}>{utcTime(a.at)}</time> {a.rule}: {a.summary} → {a.destinations.join(', ')}
              </li>
            ))}
          </ul>
        ) : (
          <p class="empty">No alerts were sent in this period.</p>
        )}
        <h3>Held back</h3>
        <HeldBackList items={d.heldBack} />
      </section>

      <section aria-labelledby="health-h">
        <h2 id="health-h">Sources</h2>
        <SourceHealthTable {...props} />
      </section>
    </Layout>
  );
}
