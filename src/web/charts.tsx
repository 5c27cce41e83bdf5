/**
 * Charts as server-rendered SVG: no chart library, no script. Colours come from CSS classes (the
 * stylesheet), so the Content-Security-Policy needs no inline styles. Every chart has a table
 * with the same numbers next to it, for screen readers and for copying.
 */
import type { SentimentMix, VolumeBucket } from '../digest/model.js';

export const SENTIMENT_KEYS: ReadonlyArray<keyof SentimentMix> = ['negative', 'neutral', 'positive', 'unknown'];

const W = 720;
const H = 180;
const PAD_BOTTOM = 22;
const PAD_LEFT = 34;
const PAD_TOP = 12;

export interface VolumeChartProps {
  buckets: VolumeBucket[];
  bucketMs: number;
  /** Link for a bucket (zoom in), or null. */
  href: (bucket: VolumeBucket) => string | null;
  label: (bucket: VolumeBucket) => string;
  tick: (bucket: VolumeBucket, index: number) => string | null;
}

function niceMax(n: number): number {
  if (n <= 5) return 5;
  const magnitude = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= n) return step * magnitude;
  return 10 * magnitude;
}

export function VolumeChart(props: VolumeChartProps) {
  const { buckets } = props;
  const max = niceMax(Math.max(1, ...buckets.map((b) => b.count)));
  const plotW = W - PAD_LEFT;
  const plotH = H - PAD_BOTTOM;
  const slot = plotW / Math.max(1, buckets.length);
  const barW = Math.max(1, slot * 0.8);
  const y = (v: number) => PAD_TOP + (plotH - PAD_TOP) - (v / max) * (plotH - PAD_TOP);
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="group" aria-labelledby="volume-title volume-desc">
      <title id="volume-title">Mentions over time by sentiment</title>
      <desc id="volume-desc">A stacked bar per period; the table below has the same numbers.</desc>
      {[0, 0.5, 1].map((f) => (
        <g class="grid">
          <line x1={PAD_LEFT} x2={W} y1={y(max * f)} y2={y(max * f)} />
          <text x={PAD_LEFT - 4} y={y(max * f) + 4} text-anchor="end">
            {String(Math.round(max * f))}
          </text>
        </g>
      ))}
      {buckets.map((b, i) => {
        let base = 0;
        const x = PAD_LEFT + i * slot + (slot - barW) / 2;
        const href = props.href(b);
        const bars = SENTIMENT_KEYS.map((k) => {
          const v = b.sentiment[k];
          if (v === 0) return null;
          const top = y(base + v);
          const rect = <rect class={`s-${k}`} x={x} y={top} width={barW} height={y(base) - top} />;
          base += v;
          return rect;
        });
        const title = `${props.label(b)}: ${b.count} mention${b.count === 1 ? '' : 's'} (${SENTIMENT_KEYS.filter((k) => b.sentiment[k]).map((k) => `${b.sentiment[k]} ${k}`).join(', ') || 'none'})`;
        const tick = props.tick(b, i);
        const group = (
          <g class="bar">
            <title>{title}</title>
            <rect class="hit" x={PAD_LEFT + i * slot} y={0} width={slot} height={plotH} />
            {bars}
          </g>
        );
        return (
          <>
            {href ? <a href={href}>{group}</a> : group}
            {tick ? (
              <text class="tick" x={x + barW / 2} y={H - 6} text-anchor="middle">
                {tick}
              </text>
            ) : null}
          </>
        );
      })}
    </svg>
  );
}

/** A single horizontal stacked bar: the share of each part. */
export function ShareBar(props: { parts: Array<{ key: string; value: number; label: string }>; title: string }) {
  const total = props.parts.reduce((s, p) => s + p.value, 0);
  let x = 0;
  return (
    <svg class="share" viewBox="0 0 100 8" role="img" aria-label={props.title} preserveAspectRatio="none">
      {props.parts.map((p) => {
        if (total === 0 || p.value === 0) return null;
        const w = (p.value / total) * 100;
        const rect = (
          <rect class={`s-${p.key}`} x={x} y={0} width={w} height={8}>
            <title>{`${p.label}: ${p.value} (${Math.round((p.value / total) * 100)}%)`}</title>
          </rect>
        );
        x += w;
        return rect;
      })}
    </svg>
  );
}

/** A ranked list with proportional bars (top sources, authors, terms, share of voice). */
export function BarList(props: { items: Array<{ label: string; value: number; href?: string | null; note?: string }>; caption: string; unit?: string }) {
  const max = Math.max(1, ...props.items.map((i) => i.value));
  if (props.items.length === 0) return <p class="empty">Nothing in this period.</p>;
  return (
    <table class="barlist">
      <caption class="visually-hidden">{props.caption}</caption>
      <tbody>
        {props.items.map((i) => (
          <tr>
            <th scope="row">{i.href ? <a href={i.href}>{i.label}</a> : i.label}</th>
            <td class="num">{i.value}</td>
            <td class="barcell" aria-hidden="true">
              <svg viewBox="0 0 100 6" preserveAspectRatio="none" class="minibar">
                <rect x={0} y={0} width={(i.value / max) * 100} height={6} />
              </svg>
            </td>
            {i.note !== undefined ? <td class="note">{i.note}</td> : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
