/**
 * Search text -> an FTS5 MATCH expression for the inbox and the API.
 *
 * INTERIM: the query-language -> FTS5 translator (earshot's own query language, as brand queries
 * use) is being written next to src/analyze/query/; until it lands, each word or "quoted phrase"
 * of the search is matched literally (all of them must occur). Every term is quoted, so no input
 * can be an FTS5 syntax error or reach FTS5's own operators.
 */
export function searchToFts(q: string): { fts: string } | { error: string } {
  const terms = [...q.matchAll(/"([^"]*)"|(\S+)/g)]
    .map((m) => (m[1] ?? m[2] ?? '').replace(/[^\p{L}\p{N}\s_'-]+/gu, ' ').trim())
    .filter((t) => /[\p{L}\p{N}]/u.test(t));
  if (terms.length === 0) return { error: 'nothing to search for: write a word or a "phrase"' };
  return { fts: terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(' ') };
}
