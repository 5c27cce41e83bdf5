/**
 * The UI's routes: inbox, rows for live updates, actions (single, bulk, undo), mention pages,
 * dashboards, saved views, settings and the event stream. Every action goes through the triage
 * domain (src/triage/actions.ts), exactly as the API and Slack do.
 */
import { Hono, type Context } from 'hono';
import type { Period } from '../digest/period.js';
import { buildDigest, countMentions } from '../digest/build.js';
import { CursorError } from '../store/triage-cursor.js';
import type { Actor, ResponseStats, TriagedMention } from '../store/triage-types.js';
import type { BrandDigest } from '../digest/model.js';
import { applyAction, applyBulk, TriageError, undoLast, type ActionResult } from '../triage/actions.js';
import { suggestExclusions } from '../triage/exclusion.js';
import { filterQuery, parseFilter, type FilterProblem } from '../triage/filter.js';
import { formOf, html, localPath, pageContext, type WebDeps, type WebEnv } from './app.js';
import { DashboardPage, RANGES } from './dashboard.js';
import { InboxPage, InboxRows } from './inbox.js';
import { MentionPage } from './mention-page.js';
import { ErrorPage, SettingsPage, ViewsPage } from './pages.js';
import { MentionRow, STATUS_LABEL } from './rows.js';

export const PAGE_SIZE = 50;

interface DashboardFacts {
  at: Date;
  digest: BrandDigest;
  shareOfVoice: Array<{ id: string; name: string; count: number }>;
  response: ResponseStats;
  openBacklog: number;
}

function actorOf(c: Context<WebEnv>): Actor {
  const user = c.get('user')!;
  return { kind: 'ui', id: user.name, name: user.name };
}

function isHtmx(c: Context): boolean {
  return c.req.header('hx-request') === 'true';
}

function Toast(props: { text: string; undo?: boolean; error?: boolean; link?: { href: string; text: string } }) {
  return (
    <div id="toast" class={`toast${props.error ? ' error' : ''}`} role="status" aria-live="polite" hx-swap-oob="true">
      <span>{props.text}</span>
      {props.link ? <a href={props.link.href}>{props.link.text}</a> : null}
      {props.undo ? (
        <button type="submit" form="undo">
          Undo
        </button>
      ) : null}
    </div>
  );
}

const DONE_TEXT: Record<string, (r: ActionResult) => string> = {
  handle: () => 'Marked handled.',
  irrelevant: () => 'Marked not relevant.',
  reopen: () => 'Reopened.',
  snooze: (r) => `Snoozed until ${r.mention.snoozedUntil?.slice(0, 16).replace('T', ' ')} UTC.`,
  assign: (r) => (r.mention.assignee ? `Assigned to ${r.mention.assignee}.` : 'Unassigned.'),
  tag: (r) => `Tagged #${r.event?.value ?? ''}.`,
  untag: (r) => `Removed #${r.event?.value ?? ''}.`,
  note: () => 'Note added.',
  sentiment: (r) => `Sentiment set to ${r.mention.sentiment.label}.`,
  undo: (r) => `Undid "${r.event?.value ?? ''}".`,
};

function errorStatus(err: TriageError): 400 | 404 | 409 {
  return err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400;
}

function formString(form: FormData | null, name: string): string | null {
  const v = form?.get(name);
  return typeof v === 'string' ? v : null;
}

/** The action's value: an explicit `value`, or the field named after the action (sentiment, snooze, tag, note, assign). */
function actionValue(action: string, form: FormData | null, me: string): string | null {
  const explicit = formString(form, 'value');
  if (explicit !== null && explicit !== '') return explicit;
  const field = formString(form, action);
  if (action === 'assign') return field === null ? me : field;
  return field;
}

function problemsOf(err: unknown): FilterProblem[] | null {
  if (err instanceof CursorError) return [{ param: 'cursor', message: err.message }];
  const message = (err as Error)?.message ?? '';
  if ((err as { code?: string })?.code?.startsWith('SQLITE_') && /fts5|MATCH/i.test(message)) return [{ param: 'q', message: `the search could not be run (${message})` }];
  return null;
}

function dashboardPeriod(params: URLSearchParams, now: Date): { period: Period; range: string | null } | { error: string } {
  const since = params.get('since');
  const until = params.get('until');
  if (since || until) {
    const start = Date.parse(since ?? '');
    const end = until ? Date.parse(until) : now.getTime();
    if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return { error: 'since and until must be times, since before until (e.g. since=2026-11-20T00:00Z&until=2026-11-21T00:00Z)' };
    if (end - start > 366 * 86_400_000) return { error: 'a period of at most a year' };
    return { period: { start: new Date(start), end: new Date(end) }, range: null };
  }
  const key = params.get('range') ?? '7d';
  const range = RANGES.find((r) => r.key === key);
  if (!range) return { error: `range=${key}: expected ${RANGES.map((r) => r.key).join(', ')}` };
  // Buckets start on the hour (24 hours) or at midnight UTC (longer ranges; the digest's daily buckets).
  const unit = range.ms <= 2 * 86_400_000 ? 3_600_000 : 86_400_000;
  const end = new Date(Math.ceil(now.getTime() / unit) * unit);
  return { period: { start: new Date(end.getTime() - range.ms), end }, range: range.key };
}

export function uiRoutes(deps: WebDeps): Hono<WebEnv> {
  const ui = new Hono<WebEnv>();
  const { store } = deps;
  const listenerError = (err: unknown) => deps.log.warn({ err }, 'triage listener failed');

  const context = async (c: Context<WebEnv>) => pageContext(c, deps, await deps.keyboard(c.get('user')!.name));

  /**
   * A dashboard's numbers, computed by the digest's own code (buildDigest). On a big database that
   * reads every mention of the period (about a second for 7 days of a million mentions), so the
   * figures are kept: a view within `dashboardCacheMs` (a minute) of the last computation gets them
   * as they are; a later view also gets them at once, and a fresh computation starts behind it
   * (stale while revalidating), so only the first view of a brand and range waits.
   */
  const dashboards = new Map<string, DashboardFacts>();
  const refreshing = new Map<string, Promise<DashboardFacts>>();
  const dashboardFacts = async (brandId: string, period: Period, now: Date): Promise<DashboardFacts> => {
    const key = `${brandId}|${period.start.toISOString()}|${period.end.toISOString()}`;
    const cached = dashboards.get(key);
    if (cached && now.getTime() - cached.at.getTime() < deps.dashboardCacheMs && cached.at <= now) return cached;
    let running = refreshing.get(key);
    if (!running) {
      running = computeDashboard(key, brandId, period, now).finally(() => refreshing.delete(key));
      refreshing.set(key, running);
    }
    if (cached && deps.dashboardCacheMs > 0) {
      running.catch((err: unknown) => deps.log.warn({ err, brand: brandId }, 'dashboard refresh failed'));
      return cached;
    }
    return running;
  };
  const computeDashboard = async (key: string, brandId: string, period: Period, now: Date): Promise<DashboardFacts> => {
    const config = deps.config();
    const length = period.end.getTime() - period.start.getTime();
    const previous = { start: new Date(period.start.getTime() - length), end: period.start };
    const model = await buildDigest({ store: deps.dataStore, config, digest: { name: 'dashboard', timezone: 'UTC' }, brands: [brandId], period, previous, kind: 'day', now, skipNewVoices: true });
    const digest = model.brands[0]!;
    const shareOfVoice: Array<{ id: string; name: string; count: number }> = [];
    for (const b of config.brands.values()) {
      shareOfVoice.push({ id: b.id, name: b.name, count: b.id === brandId ? digest.total : await countMentions(deps.dataStore, b.id, period) });
    }
    shareOfVoice.sort((a, b) => b.count - a.count);
    const response = await store.responseStats(brandId, period.start.toISOString(), period.end.toISOString(), now.toISOString());
    const facts = { at: now, digest, shareOfVoice, response, openBacklog: response.backlog.reduce((s, b) => s + b.count, 0) };
    dashboards.delete(key);
    if (dashboards.size >= 50) dashboards.delete(dashboards.keys().next().value!);
    dashboards.set(key, facts);
    return facts;
  };

  ui.get('/', async (c) => {
    const ctx = await context(c);
    const url = new URL(c.req.url);
    const parsed = parseFilter(url.searchParams, { now: deps.now(), me: c.get('user')!.name, defaultStatus: ['open'] });
    const cursor = url.searchParams.get('cursor');
    await deps.wake();
    let mentions: TriagedMention[] = [];
    let next: string | null = null;
    const problems = [...parsed.problems];
    try {
      const page = await store.listInbox(parsed.filter, { cursor, limit: PAGE_SIZE });
      mentions = page.mentions;
      next = page.next;
    } catch (err) {
      const p = problemsOf(err);
      if (!p) throw err;
      problems.push(...p);
    }
    const [latestId, views, tags, assignees] = await Promise.all([deps.live.latestId(), store.listViews(), store.tagsInUse(50), store.assigneesInUse(50)]);
    return html(
      c,
      <InboxPage
        ctx={ctx}
        params={url.searchParams}
        filterQuery={filterQuery(url.searchParams)}
        mentions={mentions}
        next={next}
        latestId={latestId}
        problems={problems}
        views={views}
        tags={tags}
        assignees={assignees}
        paged={Boolean(cursor)}
      />,
      problems.length ? 400 : 200,
    );
  });

  /** How many mentions matching the inbox's filters arrived after `after` (the banner). */
  ui.get('/inbox/new', async (c) => {
    const url = new URL(c.req.url);
    const after = Number(url.searchParams.get('after'));
    if (!Number.isInteger(after) || after < 0) return c.json({ error: 'after: expected a mention id' }, 400);
    const parsed = parseFilter(url.searchParams, { now: deps.now(), me: c.get('user')!.name, defaultStatus: ['open'] });
    if (parsed.problems.length) return c.json({ error: parsed.problems.map((p) => p.message).join('; ') }, 400);
    const [count, latest] = await Promise.all([store.countNewer(parsed.filter, after), store.latestMentionId()]);
    return c.json({ count, latest });
  });

  /** The rows of those new mentions, newest first, to insert at the top of the list. */
  ui.get('/inbox/rows', async (c) => {
    const ctx = await context(c);
    const url = new URL(c.req.url);
    const after = Number(url.searchParams.get('after'));
    if (!Number.isInteger(after) || after < 0) return c.text('after: expected a mention id', 400);
    const parsed = parseFilter(url.searchParams, { now: deps.now(), me: c.get('user')!.name, defaultStatus: ['open'] });
    if (parsed.problems.length) return c.text(parsed.problems.map((p) => p.message).join('; '), 400);
    const latest = await store.latestMentionId();
    const mentions = await store.listNewer(parsed.filter, after, 200);
    c.header('x-earshot-latest', String(latest));
    const returnTo = localPath(url.searchParams.get('return'), `/?${filterQuery(url.searchParams)}`);
    return c.html(String(<InboxRows ctx={ctx} mentions={mentions} returnTo={returnTo} />));
  });

  ui.get('/mentions/:id/row', async (c) => {
    const ctx = await context(c);
    const m = await store.getMention(Number(c.req.param('id')));
    if (!m) return c.text('no such mention', 404);
    return c.html(String(<MentionRow m={m} ctx={ctx} returnTo={localPath(c.req.query('return'))} />));
  });

  ui.post('/mentions/:id/actions', async (c) => {
    const form = await formOf(c);
    const id = Number(c.req.param('id'));
    const action = formString(form, 'action') ?? '';
    const back = localPath(formString(form, 'return'), `/mentions/${id}`);
    const me = c.get('user')!.name;
    try {
      const result = await applyAction(store, { mentionId: id, action, value: actionValue(action, form, me), actor: actorOf(c) }, { now: deps.now, onListenerError: listenerError });
      if (!isHtmx(c)) return c.redirect(back, 303);
      const ctx = await context(c);
      const text = result.changed ? (DONE_TEXT[action] ?? (() => 'Done.'))(result) : `Already ${STATUS_LABEL[result.mention.status].toLowerCase()}: nothing to change.`;
      // "Not relevant" offers the config change that keeps such mentions out (on the mention's page).
      const link = action === 'irrelevant' && result.changed ? { href: `/mentions/${id}#exclude-title`, text: 'Keep such mentions out' } : undefined;
      return c.html(String(<MentionRow m={result.mention} ctx={ctx} returnTo={back} />) + String(<Toast text={text} undo={result.changed} {...(link ? { link } : {})} />));
    } catch (err) {
      if (!(err instanceof TriageError)) throw err;
      if (isHtmx(c)) {
        c.header('hx-reswap', 'none');
        return c.html(String(<Toast text={err.message} error />));
      }
      return html(c, <ErrorPage ctx={await context(c)} status={errorStatus(err)} title="Not done" message={err.message} />, errorStatus(err));
    }
  });

  const rowsAndToast = async (c: Context<WebEnv>, mentions: TriagedMention[], text: string, undo: boolean, back: string) => {
    const ctx = await context(c);
    const rows = mentions.map((m) => String(<MentionRow m={m} ctx={ctx} returnTo={back} options={{ oob: true }} />)).join('');
    return c.html(rows + String(<Toast text={text} undo={undo} />));
  };

  ui.post('/bulk', async (c) => {
    const form = await formOf(c);
    const back = localPath(formString(form, 'return'));
    const ids = (form?.getAll('ids') ?? []).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const [action = '', preset] = (formString(form, 'action') ?? '').split(':');
    const value = preset ?? (action === 'tag' ? formString(form, 'tag') : action === 'assign' ? c.get('user')!.name : null);
    if (ids.length === 0) {
      if (isHtmx(c)) return c.html(String(<Toast text="Select mentions first (x, or the boxes)." error />));
      return c.redirect(back, 303);
    }
    try {
      const bulk = await applyBulk(store, ids, { action, value, actor: actorOf(c) }, { now: deps.now, onListenerError: listenerError });
      if (!isHtmx(c)) return c.redirect(back, 303);
      const changed = bulk.results.filter((r) => r.changed).length;
      const failed = bulk.failed.length ? ` ${bulk.failed.length} could not be changed: ${bulk.failed[0]!.error}` : '';
      return rowsAndToast(c, bulk.results.map((r) => r.mention), `${changed} of ${ids.length} mention${ids.length === 1 ? '' : 's'} changed.${failed}`, changed > 0, back);
    } catch (err) {
      if (!(err instanceof TriageError)) throw err;
      if (isHtmx(c)) return c.html(String(<Toast text={err.message} error />));
      return html(c, <ErrorPage ctx={await context(c)} status={400} title="Not done" message={err.message} />, 400);
    }
  });

  ui.post('/undo', async (c) => {
    const form = await formOf(c);
    const back = localPath(formString(form, 'return'));
    const result = await undoLast(store, actorOf(c), { now: deps.now, onListenerError: listenerError });
    if (!isHtmx(c)) return c.redirect(back, 303);
    const text =
      result.undone === null
        ? 'Nothing to undo.'
        : result.failed.length
          ? `Could not undo everything: ${result.failed[0]!.error}`
          : `Undid "${result.undone}"${result.results.length > 1 ? ` on ${result.results.length} mentions` : ''}.`;
    return rowsAndToast(c, result.results.map((r) => r.mention), text, false, back);
  });

  ui.get('/mentions/:id', async (c) => {
    const ctx = await context(c);
    const id = Number(c.req.param('id'));
    const m = Number.isInteger(id) ? await store.getMention(id) : null;
    if (!m) return html(c, <ErrorPage ctx={ctx} status={404} title="No such mention" message={`There is no mention ${c.req.param('id')} (retention may have removed it).`} />, 404);
    const [events, alerts, related] = await Promise.all([store.listEvents(id), store.alertsForMention(id), store.related(m, 20)]);
    const brand = deps.config().brands.get(m.brand);
    const term = c.req.query('exclude') ?? '';
    return html(
      c,
      <MentionPage
        ctx={ctx}
        m={m}
        events={events}
        alerts={alerts}
        related={related}
        exclusions={suggestExclusions(m, brand?.query ?? '', term)}
        brandFile={brand?.file ?? null}
        excludeTerm={term}
        message={null}
      />,
    );
  });

  ui.get('/brands/:id', async (c) => {
    const ctx = await context(c);
    const config = deps.config();
    const brandId = c.req.param('id');
    const brand = config.brands.get(brandId);
    if (!brand) return html(c, <ErrorPage ctx={ctx} status={404} title="No such brand" message={`No brand ${brandId} is configured in sources/.`} />, 404);
    const now = deps.now();
    const chosen = dashboardPeriod(new URL(c.req.url).searchParams, now);
    if ('error' in chosen) return html(c, <ErrorPage ctx={ctx} status={400} title="Cannot show that period" message={chosen.error} />, 400);
    const { period } = chosen;
    const facts = await dashboardFacts(brandId, period, now);
    const sources = (await deps.dataStore.sources.list()).filter((s) => s.brand === brandId);
    return html(
      c,
      <DashboardPage
        ctx={ctx}
        brand={{ id: brand.id, name: brand.name }}
        digest={facts.digest}
        period={period}
        range={chosen.range}
        shareOfVoice={facts.shareOfVoice}
        response={facts.response}
        sources={sources}
        openBacklog={facts.openBacklog}
        computedAt={facts.at}
      />,
    );
  });

  ui.get('/views', async (c) => html(c, <ViewsPage ctx={await context(c)} views={await store.listViews()} />));

  ui.post('/views', async (c) => {
    const form = await formOf(c);
    const name = (formString(form, 'name') ?? '').trim().slice(0, 60);
    const query = filterQuery(new URLSearchParams(formString(form, 'query') ?? ''));
    if (!name) return html(c, <ErrorPage ctx={await context(c)} status={400} title="Not saved" message="A view needs a name." />, 400);
    await store.saveView(name, query, c.get('user')!.name, deps.now().toISOString());
    return c.redirect(`/?${query}`, 303);
  });

  ui.post('/views/:id/delete', async (c) => {
    await store.deleteView(Number(c.req.param('id')));
    return c.redirect('/views', 303);
  });

  ui.get('/settings', async (c) => html(c, <SettingsPage ctx={await context(c)} saved={c.req.query('saved') === '1'} />));

  ui.post('/settings', async (c) => {
    const form = await formOf(c);
    await store.setKeyboardPreference(c.get('user')!.name, formString(form, 'keyboard') !== 'off');
    return c.redirect('/settings?saved=1', 303);
  });

  ui.get('/events', async (c) => deps.live.response(c.req.raw.signal));

  return ui;
}
