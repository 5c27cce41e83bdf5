/**
 * Does a webhook URL written in a YAML file carry a credential? Webhook services put the key in
 * the URL itself (Discord: /api/webhooks/<id>/<token>; Power Automate: ?sig=...; others a token
 * in the path or the query), so anyone who can read the repository can post to the channel.
 * `earshot check` warns about such URLs and suggests `${NAME}` from the environment.
 */

/** Query parameter names that carry a key. */
const SECRET_PARAM = /^(sig|signature|token|access_token|key|api_key|apikey|secret|code|auth|password|pass)$/i;

/** A path segment that looks generated: 16+ characters of letters, digits, - and _, with letters and digits. */
function looksGenerated(segment: string): boolean {
  return segment.length >= 16 && /^[A-Za-z0-9_-]+$/.test(segment) && /[A-Za-z]/.test(segment) && /[0-9]/.test(segment);
}

export function urlHasCredential(target: string): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.password || url.username) return true;
  for (const [name, value] of url.searchParams) if (value && SECRET_PARAM.test(name)) return true;
  return url.pathname.split('/').some((segment) => looksGenerated(decodeURIComponent(segment)));
}

/** A problem with a webhook URL target (not an http(s) URL), or null. Never repeats the URL: it may be a secret. */
export function webhookUrlProblem(target: string, what: string, example: string): string | null {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return `this is not a URL: ${what} is a URL like ${example}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${what} must be an http(s) URL like ${example} (got ${url.protocol}//)`;
  if (!url.hostname) return `${what} has no host: write a URL like ${example}`;
  return null;
}

/** Where a request went, for messages: the host only (the path and query may hold the token). */
export function hostOf(target: string): string {
  try {
    return new URL(target).host || 'the webhook';
  } catch {
    return 'the webhook';
  }
}
