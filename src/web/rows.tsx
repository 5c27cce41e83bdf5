/**
 * One mention as an inbox row: who said it where, the text (escaped, one line, capped), why the
 * analyzer labelled it (on hover and on expand), its story, its status, and the actions. The row's
 * form works without JavaScript (POST, then back to the same page); with htmx it posts in the
 * background and the server answers with the updated row.
 */
import { SOURCE_TYPES } from '../sources/registry.js';
import type { TriagedMention } from '../store/triage-types.js';
import { authorName, reachText, raisedFlags, relativeTime, rowText, safeHttpUrl, scoreText, utcTime } from './format.js';
import { CsrfField, type PageContext } from './layout.js';

export const STATUS_LABEL: Record<TriagedMention['status'], string> = {
  open: 'Open',
  handled: 'Handled',
  irrelevant: 'Not relevant',
  snoozed: 'Snoozed',
};

export const SNOOZE_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: '1h', label: '1 hour' },
  { value: '4h', label: '4 hours' },
  { value: '1d', label: '1 day' },
  { value: '3d', label: '3 days' },
  { value: '1w', label: '1 week' },
];

const SENTIMENT_TEXT: Record<string, string> = { negative: 'Negative', neutral: 'Neutral', positive: 'Positive', unknown: 'Unknown' };

export function sourceLabel(source: string): string {
  return (SOURCE_TYPES as readonly string[]).includes(source) ? source : 'other';
}

export function SentimentChip(props: { m: TriagedMention }) {
  const { sentiment } = props.m;
  const corrected = props.m.sentimentCorrectedFrom;
  const why = sentiment.reasons.length ? sentiment.reasons.join('; ') : 'no strong signal';
  return (
    <details class={`chip sent sent-${sentiment.label}`}>
      <summary title={`Why: ${why}`}>
        {SENTIMENT_TEXT[sentiment.label] ?? sentiment.label} {scoreText(sentiment.score)}
        {corrected ? <span class="corrected"> (corrected)</span> : null}
      </summary>
      <div class="why">
        {corrected ? <p>Corrected from {corrected}.</p> : null}
        <p>Why: {why}</p>
      </div>
    </details>
  );
}

export function UrgencyChip(props: { m: TriagedMention }) {
  const { urgency } = props.m;
  const why = urgency.reasons.length ? urgency.reasons.join('; ') : 'no urgency signal';
  return (
    <details class={`chip urg urg-${urgency.level}`}>
      <summary title={`Why: ${why}`}>
        {urgency.level} urgency
      </summary>
      <div class="why">
        <p>Why: {why}</p>
      </div>
    </details>
  );
}

export function StatusChip(props: { m: TriagedMention; ctx: PageContext }) {
  const { m, ctx } = props;
  if (m.status === 'open') return <span class="chip status status-open">Open</span>;
  const when = m.statusAt ? relativeTime(m.statusAt, ctx.now) : '';
  const label = m.status === 'snoozed' && m.snoozedUntil ? `Snoozed until ${utcTime(m.snoozedUntil)}` : `${STATUS_LABEL[m.status]} ${when}`;
  return <span class={`chip status status-${m.status}`}>{label}</span>;
}

function MentionMeta(props: { m: TriagedMention; ctx: PageContext }) {
  const { m, ctx } = props;
  const reach = reachText(m);
  return (
    <p class="meta">
      <span class={`src src-${sourceLabel(m.source)}`}>{m.source}</span>
      <span class="author">{authorName(m)}</span>
      {reach ? <span class="reach">{reach}</span> : null}
      <time datetime={m.publishedAt} title={utcTime(m.publishedAt)}>
        {relativeTime(m.publishedAt, ctx.now)}
      </time>
      <span class="brand">{m.brand}</span>
    </p>
  );
}

export function RowActions(props: { m: TriagedMention; ctx: PageContext; returnTo: string }) {
  const { m, ctx } = props;
  const id = m.id;
  const done = m.status === 'handled' || m.status === 'irrelevant' || m.status === 'snoozed';
  return (
    <form
      id={`f-${id}`}
      class="actions"
      method="post"
      action={`/mentions/${id}/actions`}
      hx-post={`/mentions/${id}/actions`}
      hx-target={`#m-${id}`}
      hx-swap="outerHTML"
    >
      <CsrfField ctx={ctx} />
      <input type="hidden" name="return" value={props.returnTo} />
      {done ? (
        <button type="submit" name="action" value="reopen" data-key="reopen">
          Reopen
        </button>
      ) : (
        <>
          <button type="submit" name="action" value="handle" data-key="handle">
            Handled
          </button>
          <button type="submit" name="action" value="irrelevant" data-key="irrelevant">
            Not relevant
          </button>
        </>
      )}
      <details class="more">
        <summary>More</summary>
        <div class="more-body">
          <span class="pick">
            <label for={`sent-${id}`}>Sentiment</label>
            <select id={`sent-${id}`} name="sentiment">
              {(['negative', 'neutral', 'positive'] as const).map((s) => (
                <option value={s} selected={m.sentiment.label === s}>
                  {SENTIMENT_TEXT[s]}
                </option>
              ))}
            </select>
            <button type="submit" name="action" value="sentiment" data-key="sentiment">
              Set
            </button>
          </span>
          <span class="pick">
            <label for={`snooze-${id}`}>Snooze for</label>
            <select id={`snooze-${id}`} name="snooze">
              {SNOOZE_CHOICES.map((c) => (
                <option value={c.value} selected={c.value === '1d'}>
                  {c.label}
                </option>
              ))}
            </select>
            <button type="submit" name="action" value="snooze" data-key="snooze">
              Snooze
            </button>
          </span>
          {ctx.user && m.assignee !== ctx.user.name ? (
            <button type="submit" name="action" value="assign" data-key="assign">
              Assign to me
            </button>
          ) : null}
        </div>
      </details>
    </form>
  );
}

export interface RowOptions {
  /** Rows of a story after its first one on the page are drawn under it. */
  inStory?: boolean;
  /** Mentions in the same story elsewhere (a link to them). */
  storySize?: number;
  /** Swapped in by id wherever it is on the page (htmx out-of-band): bulk actions and undo. */
  oob?: boolean;
}

export function MentionRow(props: { m: TriagedMention; ctx: PageContext; returnTo: string; options?: RowOptions }) {
  const { m, ctx } = props;
  const { title, text } = rowText(m);
  const flags = raisedFlags(m);
  const original = safeHttpUrl(m.url);
  const classes = ['row', `status-${m.status}`, props.options?.inStory ? 'in-story' : ''].filter(Boolean).join(' ');
  return (
    <li class={classes} id={`m-${m.id}`} data-id={m.id} tabindex={-1} aria-labelledby={`t-${m.id}`} hx-swap-oob={props.options?.oob ? 'true' : undefined}>
      <div class="select">
        <input type="checkbox" form="bulk" name="ids" value={m.id} id={`x-${m.id}`} aria-label={`Select the mention by ${authorName(m)}`} />
      </div>
      <div class="body">
        <MentionMeta m={m} ctx={ctx} />
        <a class="text" id={`t-${m.id}`} href={`/mentions/${m.id}`}>
          {title ? <strong>{title}</strong> : null}
          {title && text ? ' — ' : null}
          {text}
        </a>
        <div class="chips">
          <SentimentChip m={m} />
          <UrgencyChip m={m} />
          {flags.map((f) => (
            <span class={`chip flag flag-${f.name}`} title={`${f.name} score ${f.score.toFixed(2)}`}>
              {f.name}
            </span>
          ))}
          <StatusChip m={m} ctx={ctx} />
          {m.assignee ? <span class="chip assignee">Assigned to {m.assignee}</span> : null}
          {m.tags.map((t) => (
            <a class="chip tag" href={`/?tag=${encodeURIComponent(t)}&status=all`}>
              #{t}
            </a>
          ))}
          {props.options?.inStory ? <span class="chip story">Same story</span> : null}
          {!props.options?.inStory && m.storyKey && (props.options?.storySize ?? 0) > 0 ? (
            <a class="chip story" href={`/?story=${encodeURIComponent(m.storyKey)}&status=all`}>
              Story: {props.options?.storySize} more
            </a>
          ) : null}
          {original ? (
            <a class="chip orig" href={original} rel="noopener noreferrer nofollow" target="_blank">
              Original
            </a>
          ) : null}
        </div>
      </div>
      <RowActions m={m} ctx={ctx} returnTo={props.returnTo} />
    </li>
  );
}

/**
 * Orders a page's mentions so that mentions of one story follow its newest one (cross-posts
 * grouped); everything else keeps its newest-first order.
 */
export function groupStories(mentions: TriagedMention[]): Array<{ m: TriagedMention; inStory: boolean; storySize: number }> {
  const byStory = new Map<string, TriagedMention[]>();
  for (const m of mentions) if (m.storyKey) byStory.set(m.storyKey, [...(byStory.get(m.storyKey) ?? []), m]);
  const out: Array<{ m: TriagedMention; inStory: boolean; storySize: number }> = [];
  const placed = new Set<number>();
  for (const m of mentions) {
    if (placed.has(m.id)) continue;
    const group = m.storyKey ? (byStory.get(m.storyKey) ?? [m]) : [m];
    group.forEach((g, i) => {
      placed.add(g.id);
      out.push({ m: g, inStory: i > 0, storySize: group.length - 1 });
    });
  }
  return out;
}
