/**
 * The JSON API (SPEC "Triage"): `Authorization: Bearer <EARSHOT_API_TOKEN>`, or a signed-in
 * browser session (writes then need the CSRF token; the app checks it before this runs).
 *
 *   GET  /api/mentions?brand=&status=&sentiment=&q=&limit=&cursor=   {"mentions": [...], "next": cursor|null}, newest first
 *   GET  /api/mentions/ID                                            one mention with "history" and "alerts"
 *   POST /api/mentions/ID/actions {"action", "value"}                the updated mention (same shape as GET ID)
 *   GET  /api/corrections?since=                                     sentiment corrections: labelled examples for the analyzer
 *
 * Errors are JSON `{"error": "..."}` saying what was wrong: 400 bad parameter or body, 401 no or
 * wrong token, 403 no CSRF token, 404 no such mention, 409 an undo of something changed since.
 */
import { Hono, type Context } from 'hono';
import { checkBearer } from './auth.js';
import { CursorError } from '../store/triage-cursor.js';
import type { Actor, AlertForMention, TriagedMention, TriageEvent } from '../store/triage-types.js';
import { applyAction, TriageError } from '../triage/actions.js';
import { FILTER_PARAMS, parseFilter } from '../triage/filter.js';
import type { WebDeps, WebEnv } from './app.js';

export const API_DEFAULT_LIMIT = 50;
export const API_MAX_LIMIT = 200;

export function apiMention(m: TriagedMention) {
  return {
    id: m.id,
    brand: m.brand,
    source: m.source,
    url: m.url,
    author: m.author,
    reach: m.reach,
    title: m.title,
    text: m.text,
    published: m.publishedAt,
    fetched: m.fetchedAt,
    language: m.language,
    sentiment: { label: m.sentiment.label, score: m.sentiment.score, reasons: m.sentiment.reasons, correctedFrom: m.sentimentCorrectedFrom },
    urgency: { level: m.urgency.level, score: m.urgency.score, reasons: m.urgency.reasons },
    flags: m.flags ?? null,
    status: m.status,
    statusAt: m.statusAt,
    snoozedUntil: m.snoozedUntil,
    assignee: m.assignee,
    tags: m.tags,
    story: m.storyKey,
    duplicateOf: m.duplicateOf,
  };
}

export function apiEvent(e: TriageEvent) {
  return { id: e.id, at: e.at, actor: e.actor, action: e.action, value: e.value, undone: e.undoneBy !== null, undoes: e.undoes };
}

function apiAlert(a: AlertForMention) {
  return { rule: a.rule, at: a.createdAt, summary: a.summary, deliveries: a.deliveries.map((d) => ({ notifier: d.notifier, target: d.target, status: d.status, attempts: d.attempts, sentAt: d.sentAt, error: d.lastError, held: d.holdReason })) };
}

const KNOWN_PARAMS = new Set<string>([...FILTER_PARAMS, 'limit', 'cursor']);

export function apiRoutes(deps: WebDeps): Hono<WebEnv> {
  const api = new Hono<WebEnv>();
  const { store } = deps;

  api.use('*', async (c, next) => {
    const bearer = c.req.header('authorization');
    if (bearer) {
      if (!checkBearer(deps.auth, bearer)) {
        c.header('www-authenticate', 'Bearer realm="earshot"');
        return c.json({ error: deps.auth.apiToken ? 'wrong API token' : 'the API is off: set EARSHOT_API_TOKEN in .env and restart earshot' }, 401);
      }
      c.set('actor', { kind: 'api', id: 'api', name: 'api' });
      return next();
    }
    const user = c.get('user');
    if (!user) {
      c.header('www-authenticate', 'Bearer realm="earshot"');
      return c.json({ error: deps.auth.apiToken ? 'send Authorization: Bearer <EARSHOT_API_TOKEN>' : 'the API is off: set EARSHOT_API_TOKEN in .env and restart earshot' }, 401);
    }
    c.set('actor', { kind: 'ui', id: user.name, name: user.name });
    return next();
  });

  api.get('/mentions', async (c) => {
    const url = new URL(c.req.url);
    const unknown = [...new Set(url.searchParams.keys())].filter((k) => !KNOWN_PARAMS.has(k));
    const parsed = parseFilter(url.searchParams, { now: deps.now(), me: c.get('actor').name });
    const problems = [...unknown.map((k) => `${k}: not a filter; use ${[...KNOWN_PARAMS].join(', ')}`), ...parsed.problems.map((p) => p.message)];
    const limitText = url.searchParams.get('limit');
    const limit = limitText === null || limitText === '' ? API_DEFAULT_LIMIT : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > API_MAX_LIMIT) problems.push(`limit=${limitText}: expected a whole number from 1 to ${API_MAX_LIMIT}`);
    if (problems.length) return c.json({ error: problems.join('; ') }, 400);
    await deps.wake();
    try {
      const page = await store.listInbox(parsed.filter, { cursor: url.searchParams.get('cursor'), limit });
      return c.json({ mentions: page.mentions.map(apiMention), next: page.next });
    } catch (err) {
      if (err instanceof CursorError) return c.json({ error: `cursor: ${err.message}` }, 400);
      throw err;
    }
  });

  const one = async (c: Context<WebEnv>, id: number) => {
    const m = await store.getMention(id);
    if (!m) return c.json({ error: `mention ${id} does not exist` }, 404);
    const [events, alerts] = await Promise.all([store.listEvents(id), store.alertsForMention(id)]);
    return c.json({ ...apiMention(m), history: events.map(apiEvent), alerts: alerts.map(apiAlert) });
  };

  const mentionId = (c: Context): number | null => {
    const id = Number(c.req.param('id'));
    return Number.isSafeInteger(id) && id > 0 ? id : null;
  };

  api.get('/mentions/:id', async (c) => {
    const id = mentionId(c);
    if (id === null) return c.json({ error: `mention id "${c.req.param('id')}": expected a number` }, 400);
    return one(c, id);
  });

  api.post('/mentions/:id/actions', async (c) => {
    const id = mentionId(c);
    if (id === null) return c.json({ error: `mention id "${c.req.param('id')}": expected a number` }, 400);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: 'the body must be JSON: {"action": "handle", "value": "..."}' }, 400);
    }
    const { action, value } = (body ?? {}) as { action?: unknown; value?: unknown };
    if (typeof action !== 'string') return c.json({ error: 'action: required, a string (handle, irrelevant, reopen, snooze, assign, tag, untag, note, sentiment, undo)' }, 400);
    if (value !== undefined && value !== null && typeof value !== 'string' && typeof value !== 'number') return c.json({ error: 'value: a string' }, 400);
    const actor: Actor = c.get('actor');
    try {
      await applyAction(
        store,
        { mentionId: id, action, value: value === undefined || value === null ? null : String(value), actor },
        { now: deps.now, onListenerError: (err) => deps.log.warn({ err }, 'triage listener failed') },
      );
    } catch (err) {
      if (!(err instanceof TriageError)) throw err;
      return c.json({ error: err.message }, err.code === 'not_found' ? 404 : err.code === 'conflict' ? 409 : 400);
    }
    return one(c, id);
  });

  api.get('/corrections', async (c) => {
    const since = c.req.query('since');
    if (since && Number.isNaN(Date.parse(since))) return c.json({ error: `since=${since}: expected a time (2026-11-01)` }, 400);
    const corrections = await store.listCorrections(since ? { since: new Date(since).toISOString() } : {});
    return c.json({ corrections });
  });

  return api;
}
