/**
 * A mention's page (`/mentions/ID`): the whole text, why it was labelled, its status and the
 * actions, its history (who did what, when), its notes and tags, the alerts sent for it with each
 * delivery's state, the rest of its story and its reposts, and a link to the original. Forms post
 * and come back here; nothing needs JavaScript.
 */
import type { Mention } from '../core/types.js';
import type { AlertForMention, TriagedMention, TriageEvent } from '../store/triage-types.js';
import type { ExclusionSuggestion } from '../triage/exclusion.js';
import { authorName, reachText, raisedFlags, relativeTime, rowText, safeHttpUrl, scoreText, utcTime } from './format.js';
import { CsrfField, Layout, type PageContext } from './layout.js';
import { SentimentChip, SNOOZE_CHOICES, StatusChip, UrgencyChip } from './rows.js';

export interface MentionPageProps {
  ctx: PageContext;
  m: TriagedMention;
  events: TriageEvent[];
  alerts: AlertForMention[];
  related: Mention[];
  exclusions: ExclusionSuggestion[];
  brandFile: string | null;
  excludeTerm: string;
  message: string | null;
}

const ACTION_TEXT: Record<string, (e: TriageEvent) => string> = {
  handle: () => 'marked it handled',
  irrelevant: () => 'marked it not relevant',
  reopen: () => 'reopened it',
  snooze: (e) => `snoozed it until ${e.value ? utcTime(e.value) : '?'}`,
  wake: (e) => `reopened it (${e.value ?? 'snooze ended'})`,
  assign: (e) => (e.value ? `assigned it to ${e.value}` : 'unassigned it'),
  tag: (e) => `tagged it #${e.value ?? ''}`,
  untag: (e) => `removed the tag #${e.value ?? ''}`,
  note: () => 'added a note',
  sentiment: (e) => `corrected the sentiment to ${e.value ?? '?'}`,
  undo: (e) => `undid "${e.value ?? ''}"`,
};

export function describeEvent(e: TriageEvent): string {
  return (ACTION_TEXT[e.action] ?? ((x: TriageEvent) => `${x.action} ${x.value ?? ''}`.trim()))(e);
}

function History(props: { ctx: PageContext; m: TriagedMention; events: TriageEvent[] }) {
  const { ctx, m } = props;
  if (props.events.length === 0) return <p>Nothing has been done with this mention yet.</p>;
  return (
    <ol class="history">
      {props.events.map((e) => (
        <li class={e.undoneBy ? 'undone' : undefined}>
          <time datetime={e.at} title={utcTime(e.at)}>
            {relativeTime(e.at, ctx.now)}
          </time>{' '}
          <strong>{e.actor.name}</strong> <span class="via">({e.actor.kind})</span> {describeEvent(e)}
          {e.undoneBy ? <span class="chip">undone</span> : null}
          {e.action === 'note' && !e.undoneBy ? <blockquote>{e.value}</blockquote> : null}
          {!e.undoneBy && e.undoes === null && e.action !== 'wake' ? (
            <form method="post" action={`/mentions/${m.id}/actions`} class="inline">
              <CsrfField ctx={ctx} />
              <input type="hidden" name="action" value="undo" />
              <input type="hidden" name="value" value={e.id} />
              <input type="hidden" name="return" value={`/mentions/${m.id}`} />
              <button type="submit" aria-label={`Undo: ${e.actor.name} ${describeEvent(e)}`}>
                Undo
              </button>
            </form>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

function Alerts(props: { alerts: AlertForMention[]; ctx: PageContext }) {
  if (props.alerts.length === 0) return <p>No alert was sent for this mention.</p>;
  return (
    <table class="data">
      <caption class="visually-hidden">Alerts sent for this mention</caption>
      <thead>
        <tr>
          <th scope="col">Rule</th>
          <th scope="col">Destination</th>
          <th scope="col">Time</th>
          <th scope="col">Delivery</th>
        </tr>
      </thead>
      <tbody>
        {props.alerts.flatMap((a) =>
          (a.deliveries.length ? a.deliveries : [null]).map((d) => (
            <tr>
              <td>{a.rule}</td>
              <td>{d ? `${d.notifier} ${d.target}` : '–'}</td>
              <td>
                <time datetime={d?.sentAt ?? a.createdAt}>{utcTime(d?.sentAt ?? a.createdAt)}</time>
              </td>
              <td>
                {d ? (
                  <span class={`delivery delivery-${d.status}`}>
                    {d.status}
                    {d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}
                    {d.holdReason ? ` (${d.holdReason})` : ''}
                    {d.lastError && d.status !== 'sent' ? `: ${d.lastError}` : ''}
                  </span>
                ) : (
                  'no destination'
                )}
              </td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}

function Actions(props: { ctx: PageContext; m: TriagedMention }) {
  const { ctx, m } = props;
  const back = `/mentions/${m.id}`;
  const Hidden = () => (
    <>
      <CsrfField ctx={ctx} />
      <input type="hidden" name="return" value={back} />
    </>
  );
  return (
    <div class="page-actions">
      <form method="post" action={`/mentions/${m.id}/actions`} class="actions">
        <Hidden />
        {m.status === 'open' ? (
          <>
            <button type="submit" name="action" value="handle">
              Handled
            </button>
            <button type="submit" name="action" value="irrelevant">
              Not relevant
            </button>
          </>
        ) : (
          <button type="submit" name="action" value="reopen">
            Reopen
          </button>
        )}
        <span class="pick">
          <label for="page-sentiment">Sentiment</label>
          <select id="page-sentiment" name="sentiment">
            {(['negative', 'neutral', 'positive'] as const).map((s) => (
              <option value={s} selected={m.sentiment.label === s}>
                {s}
              </option>
            ))}
          </select>
          <button type="submit" name="action" value="sentiment">
            Set sentiment
          </button>
        </span>
        <span class="pick">
          <label for="page-snooze">Snooze for</label>
          <select id="page-snooze" name="snooze">
            {SNOOZE_CHOICES.map((c) => (
              <option value={c.value} selected={c.value === '1d'}>
                {c.label}
              </option>
            ))}
          </select>
          <button type="submit" name="action" value="snooze">
            Snooze
          </button>
        </span>
      </form>
      <form method="post" action={`/mentions/${m.id}/actions`} class="actions">
        <Hidden />
        <span class="pick">
          <label for="page-assign">Assignee</label>
          <input id="page-assign" name="assign" value={m.assignee ?? ''} size={14} maxlength={100} />
          <button type="submit" name="action" value="assign">
            Assign
          </button>
        </span>
      </form>
      <form method="post" action={`/mentions/${m.id}/actions`} class="actions">
        <Hidden />
        <span class="pick">
          <label for="page-tag">Add a tag</label>
          <input id="page-tag" name="tag" size={14} maxlength={50} />
          <button type="submit" name="action" value="tag">
            Add tag
          </button>
        </span>
      </form>
      {m.tags.length ? (
        <form method="post" action={`/mentions/${m.id}/actions`} class="actions tags">
          <Hidden />
          <input type="hidden" name="action" value="untag" />
          <span>Tags:</span>
          {m.tags.map((t) => (
            <button type="submit" name="value" value={t} aria-label={`Remove the tag ${t}`}>
              #{t} ×
            </button>
          ))}
        </form>
      ) : null}
      <form method="post" action={`/mentions/${m.id}/actions`} class="note">
        <Hidden />
        <label for="page-note">Add a note</label>
        <textarea id="page-note" name="note" rows={3} maxlength={5000}></textarea>
        <button type="submit" name="action" value="note">
          Add note
        </button>
      </form>
    </div>
  );
}

function Exclusions(props: MentionPageProps) {
  const { m } = props;
  if (m.status !== 'irrelevant') return null;
  return (
    <section aria-labelledby="exclude-title" class="exclude">
      <h2 id="exclude-title">Keep mentions like this out</h2>
      <p>
        Add one of these to {props.brandFile ? <code>{props.brandFile}</code> : `the file of brand ${m.brand}`} (earshot reloads it on save; commit it like any
        config change).
      </p>
      {props.exclusions.map((s) => (
        <div class="suggestion">
          <h3>
            {s.kind === 'author' ? 'Its author' : s.kind === 'site' ? 'Its site' : 'A word or phrase'}: {s.value}
          </h3>
          <pre>
            <code>{s.yaml}</code>
          </pre>
          <p>{s.effect}</p>
        </div>
      ))}
      <form method="get" action={`/mentions/${m.id}`} class="pick">
        <label for="exclude-term">Exclude a word or phrase</label>
        <input id="exclude-term" name="exclude" value={props.excludeTerm} size={20} maxlength={80} />
        <button type="submit">Show the change</button>
      </form>
    </section>
  );
}

function Related(props: { related: Mention[]; m: TriagedMention; ctx: PageContext }) {
  if (props.related.length === 0) return null;
  return (
    <section aria-labelledby="related-title">
      <h2 id="related-title">Same story and reposts</h2>
      <ul class="related">
        {props.related.map((r) => {
          const { title, text } = rowText(r, 140);
          return (
            <li>
              <a href={`/mentions/${r.id}`}>
                {r.source} · {authorName(r)} · {relativeTime(r.publishedAt, props.ctx.now)}
                {r.duplicateOf !== null || r.id === props.m.duplicateOf ? ' (repost)' : ''}: {title || text}
              </a>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

export function MentionPage(props: MentionPageProps) {
  const { ctx, m } = props;
  const original = safeHttpUrl(m.url);
  const reach = reachText(m);
  const flags = raisedFlags(m);
  const notes = props.events.filter((e) => e.action === 'note' && e.undoneBy === null);
  return (
    <Layout ctx={ctx} title={`Mention by ${authorName(m)}`}>
      <p class="crumbs">
        <a href="/">Inbox</a> › mention {m.id}
      </p>
      {props.message ? (
        <p class="flash" role="status">
          {props.message}
        </p>
      ) : null}
      <article class="mention" aria-labelledby="mention-title">
        <h1 id="mention-title">
          {authorName(m)} on {m.source}
        </h1>
        <p class="meta">
          {reach ? <span>{reach}</span> : null}
          <time datetime={m.publishedAt}>{utcTime(m.publishedAt)}</time>
          <span>brand {m.brand}</span>
          {m.language ? <span>language {m.language}</span> : null}
          {m.matchedTerms.length ? <span>matched {m.matchedTerms.join(', ')}</span> : null}
        </p>
        {m.title ? <h2 class="title">{m.title}</h2> : null}
        <div class="fulltext">{m.text}</div>
        <p>
          {original ? (
            <a href={original} rel="noopener noreferrer nofollow" target="_blank">
              Open the original
            </a>
          ) : (
            <span>No link to the original{m.url ? ` (not an http link: ${m.url})` : ''}</span>
          )}
        </p>
        <div class="chips">
          <SentimentChip m={m} />
          <UrgencyChip m={m} />
          {flags.map((f) => (
            <span class={`chip flag flag-${f.name}`}>
              {f.name} {f.score.toFixed(2)}
            </span>
          ))}
          <StatusChip m={m} ctx={ctx} />
          {m.assignee ? <span class="chip assignee">Assigned to {m.assignee}</span> : null}
        </div>
        <dl class="why-list">
          <dt>Sentiment {scoreText(m.sentiment.score)}</dt>
          <dd>{m.sentiment.reasons.join('; ') || 'no strong signal'}</dd>
          <dt>Urgency {m.urgency.score.toFixed(2)}</dt>
          <dd>{m.urgency.reasons.join('; ') || 'no urgency signal'}</dd>
        </dl>
      </article>
      <Actions ctx={ctx} m={m} />
      <Exclusions {...props} />
      <section aria-labelledby="notes-title">
        <h2 id="notes-title">Notes</h2>
        {notes.length ? (
          <ul class="notes">
            {notes.map((n) => (
              <li>
                <blockquote>{n.value}</blockquote>
                <p class="meta">
                  {n.actor.name}, {relativeTime(n.at, ctx.now)}
                </p>
              </li>
            ))}
          </ul>
        ) : (
          <p>No notes.</p>
        )}
      </section>
      <section aria-labelledby="history-title">
        <h2 id="history-title">History</h2>
        <History ctx={ctx} m={m} events={props.events} />
      </section>
      <section aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts sent</h2>
        <Alerts alerts={props.alerts} ctx={ctx} />
      </section>
      <Related related={props.related} m={m} ctx={ctx} />
    </Layout>
  );
}
