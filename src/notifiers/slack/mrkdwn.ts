/** Escaping for Slack's mrkdwn text: nothing a stranger writes may become a ping, a link or formatting. */

// Zero-width joiner: invisible, but breaks the word boundary Slack needs to start or end formatting.
const ZWJ = '\u200D';

/**
 * Escapes text for a Slack mrkdwn field: `&`, `<`, `>` become entities (so no `<!channel>`,
 * `<@U…>` or `<url|label>` control sequence survives) and `*`, `_`, `~`, `` ` `` are fenced
 * with zero-width joiners so they cannot open or close formatting.
 */
export function escapeMrkdwn(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[*_~`]/g, (ch) => `${ZWJ}${ch}${ZWJ}`);
}
