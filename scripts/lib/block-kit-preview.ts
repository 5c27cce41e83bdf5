/**
 * An HTML preview of a Slack message from its Block Kit payload, for the README's screenshot
 * (scripts/screenshots.ts): Slack itself cannot be reached from here, so the picture is a
 * rendering of the exact blocks earshot sent, drawn the way Slack's desktop client lays them out.
 * It covers the blocks earshot writes (header, divider, section with text or fields, context,
 * actions with buttons and a static select) and the mrkdwn it writes (links `<url|text>`, date
 * tokens `<!date^…|fallback>`, *bold*, _italic_, the &amp; &lt; &gt; escapes). Every text is
 * HTML-escaped; only http(s) links become anchors.
 */

export interface PreviewMessage {
  /** The app's name shown above the message. */
  appName: string;
  /** When the message was posted, shown beside the name (e.g. "10:42 AM"). */
  time: string;
  blocks: unknown[];
  /** Formats a `<!date^epoch^{time}|…>` token; by default h:mm AM/PM in UTC. */
  formatDate?: (epochSeconds: number) => string;
}

interface Text {
  type: 'plain_text' | 'mrkdwn';
  text: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function utcTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleTimeString('en-US', { hour: 'numeric', minute: '2-digit', timeZone: 'UTC' });
}

/** Slack's mrkdwn escapes (&amp; &lt; &gt;) undone, for text that is then HTML-escaped again. */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function styled(text: string): string {
  return escapeHtml(unescapeSlack(text))
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,!?:;])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,!?:;])/g, '$1<i>$2</i>');
}

function mrkdwn(text: string, formatDate: (s: number) => string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(/<([^<>]*)>/g)) {
    out += styled(text.slice(last, match.index));
    last = match.index + match[0].length;
    const [target, label] = splitOnce(match[1]!, '|');
    const date = /^!date\^(\d+)\^/.exec(target);
    if (date) out += escapeHtml(formatDate(Number(date[1])));
    else if (/^https?:\/\//i.test(target)) out += `<a href="${escapeHtml(unescapeSlack(target))}">${styled(label ?? target)}</a>`;
    else out += styled(label ?? target);
  }
  return out + styled(text.slice(last));
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

function textHtml(t: Text | undefined, formatDate: (s: number) => string): string {
  if (!t) return '';
  return t.type === 'mrkdwn' ? mrkdwn(t.text, formatDate) : escapeHtml(t.text);
}

function element(e: Record<string, unknown>, formatDate: (s: number) => string): string {
  if (e.type === 'button') {
    const style = e.style === 'primary' ? ' primary' : e.style === 'danger' ? ' danger' : '';
    return `<span class="button${style}">${textHtml(e.text as Text, formatDate)}</span>`;
  }
  if (e.type === 'static_select') {
    const chosen = (e.initial_option as { text?: Text } | undefined)?.text ?? (e.placeholder as Text | undefined);
    return `<span class="select">${textHtml(chosen, formatDate)}<span class="caret">▾</span></span>`;
  }
  return '';
}

function block(b: Record<string, unknown>, formatDate: (s: number) => string): string {
  switch (b.type) {
    case 'header':
      return `<div class="header">${textHtml(b.text as Text, formatDate)}</div>`;
    case 'divider':
      return '<hr>';
    case 'section': {
      const fields = (b.fields as Text[] | undefined) ?? [];
      const text = b.text ? `<div class="text">${textHtml(b.text as Text, formatDate)}</div>` : '';
      const grid = fields.length ? `<div class="fields">${fields.map((f) => `<div>${textHtml(f, formatDate)}</div>`).join('')}</div>` : '';
      return `<div class="section">${text}${grid}</div>`;
    }
    case 'context':
      return `<div class="context">${((b.elements as Text[] | undefined) ?? []).map((e) => `<span>${textHtml(e, formatDate)}</span>`).join('')}</div>`;
    case 'actions':
      return `<div class="actions">${((b.elements as Array<Record<string, unknown>> | undefined) ?? []).map((e) => element(e, formatDate)).join('')}</div>`;
    default:
      return '';
  }
}

const CSS = `
body { margin: 0; background: #fff; font: 15px/1.46668 "Lato", "Helvetica Neue", Arial, sans-serif; color: #1d1c1d; }
.message { display: flex; gap: 8px; padding: 12px 20px; max-width: 720px; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #3f5bd8; color: #fff; font-weight: 900; display: flex; align-items: center; justify-content: center; }
.who { font-weight: 900; } .who .app { font-size: 10px; font-weight: 700; color: #616061; background: #e8e8e8; border-radius: 2px; padding: 1px 3px; margin-left: 4px; vertical-align: 2px; }
.who time { font-weight: 400; font-size: 12px; color: #616061; margin-left: 6px; }
.body { flex: 1; min-width: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.header { font-size: 18px; font-weight: 900; margin: 4px 0; }
hr { border: 0; border-top: 1px solid #ddd; margin: 8px 0; }
.section { margin: 4px 0; } .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 4px 16px; margin-top: 4px; }
.context { font-size: 12px; color: #616061; margin: 4px 0; } .context span + span { margin-left: 8px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 4px; white-space: normal; }
.button, .select { display: inline-block; font-size: 13px; font-weight: 700; border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px; background: #fff; }
.button.primary { background: #007a5a; border-color: #007a5a; color: #fff; } .button.danger { background: #e01e5a; border-color: #e01e5a; color: #fff; }
.select { font-weight: 400; min-width: 110px; } .caret { float: right; margin-left: 12px; color: #616061; }
a { color: #1264a3; text-decoration: none; }
.note { font-size: 12px; color: #616061; padding: 0 20px 12px 64px; }
`;

/** A whole HTML page showing the message, with a line saying it is a rendering of the payload. */
export function blockKitPreviewHtml(message: PreviewMessage): string {
  const formatDate = message.formatDate ?? utcTime;
  const blocks = message.blocks.map((b) => block(b as Record<string, unknown>, formatDate)).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Slack message preview</title><style>${CSS}</style></head><body>
<div class="message"><div class="avatar" aria-hidden="true">e</div><div class="body"><div class="who">${escapeHtml(message.appName)}<span class="app">APP</span><time>${escapeHtml(message.time)}</time></div>${blocks}</div></div>
<div class="note">A rendering of the Block Kit payload earshot sent in chat.update (not a capture of Slack).</div>
</body></html>`;
}
