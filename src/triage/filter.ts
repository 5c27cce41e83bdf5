/**
 * Inbox filters as URL query parameters, shared by the web inbox (a filter set is a URL, so a
 * saved view is a bookmark) and GET /api/mentions. Parsing collects every problem, each naming
 * its parameter and what to write instead; nothing is silently ignored.
 *
 *   brand, source, status, sentiment, urgency, language, flag   one value, several comma-separated, or repeated
 *                      (flag=offensive,hate: both flags raised)
 *   reach=1000         at least this reach (followers, karma, points)
 *   assignee=NAME      assigned to NAME ("me": the signed-in user)
 *   tag=TAG  story=KEY  since=7d|2026-11-01  until=...   q=earshot query language
 *   duplicates=1       include reposts (hidden by default)
 */
import { parseDuration } from '../core/duration.js';
import { FLAG_NAMES, SENTIMENT_LABELS, URGENCY_LEVELS } from '../core/types.js';
import { SOURCE_TYPES } from '../sources/registry.js';
import { TRIAGE_STATUSES, type InboxFilter } from '../store/triage-types.js';
import { QuerySyntaxError } from '../analyze/query/errors.js';
import { planMentionSearch } from '../analyze/query/fts.js';

export interface FilterProblem {
  param: string;
  message: string;
}

export interface ParsedFilter {
  filter: InboxFilter;
  /** The user's search text, as written. */
  q: string;
  problems: FilterProblem[];
}

export const LIST_PARAMS = ['brand', 'source', 'status', 'sentiment', 'urgency', 'language', 'flag'] as const;
export const FILTER_PARAMS = [...LIST_PARAMS, 'reach', 'assignee', 'tag', 'story', 'since', 'until', 'q', 'duplicates'] as const;

const ALLOWED: Partial<Record<(typeof LIST_PARAMS)[number], readonly string[]>> = {
  source: SOURCE_TYPES,
  status: TRIAGE_STATUSES,
  sentiment: [...SENTIMENT_LABELS, 'unknown'],
  urgency: URGENCY_LEVELS,
  flag: FLAG_NAMES,
};

function listOf(params: URLSearchParams, name: string): string[] {
  return [
    ...new Set(
      params
        .getAll(name)
        .flatMap((v) => v.split(','))
        .map((v) => v.trim())
        .filter((v) => v !== ''),
    ),
  ];
}

function parseTime(value: string, now: Date): string | null {
  const ms = parseDuration(value);
  if (ms !== null) return new Date(now.getTime() - ms).toISOString();
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export interface ParseOptions {
  now: Date;
  /** Resolves assignee=me. */
  me?: string;
  /** Applied when the URL has no status parameter (the inbox shows open mentions; the API everything). */
  defaultStatus?: InboxFilter['status'];
}

export function parseFilter(params: URLSearchParams, options: ParseOptions): ParsedFilter {
  const problems: FilterProblem[] = [];
  const filter: InboxFilter = {};
  for (const name of LIST_PARAMS) {
    const values = listOf(params, name);
    if (name === 'status' && values.includes('all')) continue;
    if (values.length === 0) continue;
    const allowed = ALLOWED[name];
    const bad = allowed ? values.filter((v) => !allowed.includes(v)) : values.filter((v) => !/^[a-z0-9-]{1,64}$/i.test(v));
    if (bad.length) {
      problems.push({
        param: name,
        message: allowed ? `${name}=${bad.join(',')}: expected ${allowed.join(', ')}${name === 'status' ? ' or all' : ''}` : `${name}=${bad.join(',')}: not a ${name} id`,
      });
      continue;
    }
    if (name === 'flag') filter.flags = values as NonNullable<InboxFilter['flags']>;
    else (filter as Record<string, string[]>)[name] = name === 'language' ? values.map((v) => v.toLowerCase()) : values;
  }
  if (!params.has('status') && options.defaultStatus) filter.status = options.defaultStatus;
  const reach = params.get('reach')?.trim();
  if (reach) {
    if (/^\d{1,12}$/.test(reach)) filter.reachAtLeast = Number(reach);
    else problems.push({ param: 'reach', message: `reach=${reach}: expected a whole number (the least reach to show)` });
  }
  const assignee = params.get('assignee')?.trim();
  if (assignee) filter.assignee = assignee === 'me' && options.me ? options.me : assignee;
  const tag = params.get('tag')?.trim();
  if (tag) filter.tag = tag.toLowerCase();
  const story = params.get('story')?.trim();
  if (story) filter.story = story;
  for (const name of ['since', 'until'] as const) {
    const value = params.get(name)?.trim();
    if (!value) continue;
    const time = parseTime(value, options.now);
    if (time) filter[name] = time;
    else problems.push({ param: name, message: `${name}=${value}: expected a duration ago (24h, 7d) or a date (2026-11-01)` });
  }
  if (params.get('duplicates') === '1') filter.includeDuplicates = true;
  const q = params.get('q')?.trim() ?? '';
  if (q) {
    try {
      planMentionSearch(q);
      filter.q = q;
    } catch (err) {
      if (!(err instanceof QuerySyntaxError)) throw err;
      problems.push({ param: 'q', message: `q=${q}: ${err.message} (at character ${Array.from(q.slice(0, err.offset)).length + 1})` });
    }
  }
  return { filter, q, problems };
}

/** The query string for a filter form's values, without empty parameters (stable, for URLs and saved views). */
export function filterQuery(params: URLSearchParams): string {
  const out = new URLSearchParams();
  for (const name of FILTER_PARAMS) {
    const values = name === 'q' || name === 'since' || name === 'until' ? params.getAll(name).slice(0, 1) : params.getAll(name);
    const joined = (LIST_PARAMS as readonly string[]).includes(name) ? listOf(params, name).join(',') : values.map((v) => v.trim()).join(',');
    if (joined !== '') out.set(name, joined);
  }
  return out.toString();
}
