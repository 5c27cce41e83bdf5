/**
 * The inbox (`/`): filters as URL parameters (src/triage/filter.ts), newest first, keyset-paged,
 * stories grouped, bulk actions, and the live "N new — press ." banner (assets/web/app.js asks
 * /inbox/new for the count when the event stream says mentions arrived; the rows it then inserts
 * go above the list's top, and the page scrolls by their height, so the row under the cursor
 * stays where it is).
 */
import { FLAG_NAMES, SENTIMENT_LABELS, URGENCY_LEVELS } from '../core/types.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import type { SavedView, TriagedMention } from '../store/triage-types.js';
import type { FilterProblem } from '../triage/filter.js';
import { CsrfField, Layout, type PageContext } from './layout.js';
import { groupStories, MentionRow, SNOOZE_CHOICES } from './rows.js';

export interface InboxProps {
  ctx: PageContext;
  params: URLSearchParams;
  /** The filter's query string (no cursor), for the banner, saved views and paging. */
  filterQuery: string;
  mentions: TriagedMention[];
  next: string | null;
  latestId: number;
  problems: FilterProblem[];
  views: SavedView[];
  tags: string[];
  assignees: string[];
  paged: boolean;
}

function Select(props: { name: string; label: string; value: string; options: ReadonlyArray<readonly [string, string]> }) {
  const id = `filter-${props.name}`;
  return (
    <span class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={value === props.value}>
            {text}
          </option>
        ))}
      </select>
    </span>
  );
}

const pairs = (values: readonly string[]) => values.map((v) => [v, v] as const);

function Filters(props: InboxProps) {
  const p = props.params;
  const get = (name: string) => p.get(name) ?? '';
  return (
    <form class="filters" method="get" action="/" role="search" aria-label="Filter mentions">
      <span class="field search">
        <label for="q">Search</label>
        <input id="q" type="search" name="q" value={get('q')} placeholder='refund OR "data loss"' autocomplete="off" />
      </span>
      <Select
        name="status"
        label="Status"
        value={p.has('status') ? get('status') : 'open'}
        options={[
          ['open', 'Open'],
          ['handled', 'Handled'],
          ['irrelevant', 'Not relevant'],
          ['snoozed', 'Snoozed'],
          ['all', 'All'],
        ]}
      />
      <Select name="brand" label="Brand" value={get('brand')} options={[['', 'All brands'], ...props.ctx.brands.map((b) => [b.id, b.name] as const)]} />
      <details class="more-filters" open={['source', 'sentiment', 'urgency', 'flag', 'language', 'reach', 'assignee', 'tag', 'since'].some((n) => p.get(n))}>
        <summary>More filters</summary>
        <div class="grid">
          <Select name="source" label="Source" value={get('source')} options={[['', 'All sources'], ...pairs(SOURCE_TYPES)]} />
          <Select name="sentiment" label="Sentiment" value={get('sentiment')} options={[['', 'Any sentiment'], ...pairs([...SENTIMENT_LABELS, 'unknown'])]} />
          <Select name="urgency" label="Urgency" value={get('urgency')} options={[['', 'Any urgency'], ...pairs(URGENCY_LEVELS), ['high,critical', 'high or critical']]} />
          <Select name="flag" label="Flag" value={get('flag')} options={[['', 'Any'], ...pairs(FLAG_NAMES)]} />
          <span class="field">
            <label for="filter-language">Language</label>
            <input id="filter-language" name="language" value={get('language')} placeholder="en" size={4} />
          </span>
          <span class="field">
            <label for="filter-reach">Reach at least</label>
            <input id="filter-reach" name="reach" value={get('reach')} inputmode="numeric" size={7} />
          </span>
          <Select name="assignee" label="Assignee" value={get('assignee')} options={[['', 'Anyone'], ['me', 'Me'], ...pairs(props.assignees)]} />
          <Select name="tag" label="Tag" value={get('tag')} options={[['', 'Any tag'], ...pairs(props.tags)]} />
          <Select
            name="since"
            label="Published"
            value={get('since')}
            options={[
              ['', 'Any time'],
              ['1h', 'Last hour'],
              ['24h', 'Last 24 hours'],
              ['7d', 'Last 7 days'],
              ['30d', 'Last 30 days'],
            ]}
          />
        </div>
      </details>
      <span class="buttons">
        <button type="submit">Apply</button>
        <a href="/">Clear</a>
      </span>
    </form>
  );
}

function Problems(props: { problems: FilterProblem[] }) {
  if (props.problems.length === 0) return null;
  return (
    <div class="problems" role="alert">
      <p>Some filters could not be used:</p>
      <ul>
        {props.problems.map((p) => (
          <li>{p.message}</li>
        ))}
      </ul>
    </div>
  );
}

function Views(props: InboxProps) {
  return (
    <div class="views">
      {props.views.length ? (
        <nav aria-label="Saved views">
          <span>Views:</span>
          {props.views.map((v) => (
            <a href={`/?${v.query}`} aria-current={v.query === props.filterQuery ? 'page' : undefined}>
              {v.name}
            </a>
          ))}
        </nav>
      ) : null}
      <form method="post" action="/views" class="save-view">
        <CsrfField ctx={props.ctx} />
        <input type="hidden" name="query" value={props.filterQuery} />
        <label for="view-name">Save this view as</label>
        <input id="view-name" name="name" required maxlength={60} size={14} />
        <button type="submit">Save view</button>
      </form>
    </div>
  );
}

const BULK_ACTIONS: ReadonlyArray<readonly [string, string]> = [
  ['handle', 'Mark handled'],
  ['irrelevant', 'Mark not relevant'],
  ['reopen', 'Reopen'],
  ['assign', 'Assign to me'],
  ...SNOOZE_CHOICES.map((c) => [`snooze:${c.value}`, `Snooze for ${c.label}`] as const),
  ['sentiment:negative', 'Sentiment: negative'],
  ['sentiment:neutral', 'Sentiment: neutral'],
  ['sentiment:positive', 'Sentiment: positive'],
  ['tag', 'Add tag…'],
];

function BulkBar(props: { ctx: PageContext; returnTo: string }) {
  return (
    <form id="bulk" class="bulk" method="post" action="/bulk" hx-post="/bulk" hx-swap="none" aria-label="Bulk actions">
      <CsrfField ctx={props.ctx} />
      <input type="hidden" name="return" value={props.returnTo} />
      <span class="field select-all" hidden>
        <input type="checkbox" id="select-all" />
        <label for="select-all">Select all on this page</label>
      </span>
      <span class="count" id="selected-count" aria-live="polite"></span>
      <span class="field">
        <label for="bulk-action">With the selected</label>
        <select id="bulk-action" name="action">
          {BULK_ACTIONS.map(([v, t]) => (
            <option value={v}>{t}</option>
          ))}
        </select>
      </span>
      <span class="field">
        <label for="bulk-tag">Tag</label>
        <input id="bulk-tag" name="tag" size={10} maxlength={50} />
      </span>
      <button type="submit">Apply to selected</button>
    </form>
  );
}

export function UndoForm(props: { ctx: PageContext; returnTo: string }) {
  return (
    <form id="undo" method="post" action="/undo" hx-post="/undo" hx-swap="none" class="undo">
      <CsrfField ctx={props.ctx} />
      <input type="hidden" name="return" value={props.returnTo} />
      <button type="submit">Undo my last action</button>
    </form>
  );
}

export function InboxRows(props: { ctx: PageContext; mentions: TriagedMention[]; returnTo: string }) {
  return (
    <>
      {groupStories(props.mentions).map((r) => (
        <MentionRow m={r.m} ctx={props.ctx} returnTo={props.returnTo} options={{ inStory: r.inStory, storySize: r.storySize }} />
      ))}
    </>
  );
}

export function InboxPage(props: InboxProps) {
  const { ctx } = props;
  const returnTo = ctx.url;
  const count = props.mentions.length;
  return (
    <Layout ctx={ctx} title="Inbox">
      <h1>Inbox</h1>
      <Filters {...props} />
      <Problems problems={props.problems} />
      <Views {...props} />
      <div class="toolbar">
        <BulkBar ctx={ctx} returnTo={returnTo} />
        <UndoForm ctx={ctx} returnTo={returnTo} />
        <button type="button" class="help-button" data-help aria-label="Keyboard shortcuts" hidden>
          ?
        </button>
      </div>
      <button type="button" id="banner" class="banner" hidden aria-live="polite">
        New mentions — press .
      </button>
      <p class="summary">
        {count === 0 ? 'No mentions match these filters.' : `Showing ${count} mention${count === 1 ? '' : 's'}${props.paged ? ' (older page)' : ''}, newest first.`}
      </p>
      <ol id="rows" class="rows" data-latest={props.latestId} data-filter={props.filterQuery} data-live={props.paged ? undefined : '1'}>
        <InboxRows ctx={ctx} mentions={props.mentions} returnTo={returnTo} />
      </ol>
      <nav class="pages" aria-label="Pages">
        {props.paged ? <a href={`/?${props.filterQuery}`}>Newest</a> : null}
        {props.next ? (
          <a href={`/?${props.filterQuery}${props.filterQuery ? '&' : ''}cursor=${encodeURIComponent(props.next)}`} rel="next">
            Older mentions
          </a>
        ) : null}
      </nav>
    </Layout>
  );
}
