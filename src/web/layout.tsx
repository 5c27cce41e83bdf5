/**
 * The page frame: head (one stylesheet, two deferred scripts, all served by earshot itself; no
 * inline script or style anywhere, so the Content-Security-Policy can forbid them), navigation,
 * the toast region and the keyboard help. Every value goes through hono/jsx, which escapes it.
 */
import type { Child } from 'hono/jsx';
import { KEYS } from './keys.js';

export interface PageUser {
  name: string;
  via: 'password' | 'proxy';
}

export interface PageContext {
  user: PageUser | null;
  csrf: string | null;
  keyboard: boolean;
  brands: Array<{ id: string; name: string }>;
  assetVersion: string;
  now: Date;
  /** The request path + query, for "return to" fields and the current nav item. */
  url: string;
}

/** htmx settings: no eval, no script tags from responses, no inline indicator styles (CSP), same-origin only. */
const HTMX_CONFIG = JSON.stringify({
  allowEval: false,
  allowScriptTags: false,
  includeIndicatorStyles: false,
  selfRequestsOnly: true,
  historyCacheSize: 0,
  defaultSwapStyle: 'outerHTML',
});

export function CsrfField(props: { ctx: PageContext }) {
  return props.ctx.csrf ? <input type="hidden" name="_csrf" value={props.ctx.csrf} /> : null;
}

function NavLink(props: { href: string; ctx: PageContext; children: Child }) {
  const path = props.ctx.url.split('?')[0];
  const current = props.href === '/' ? path === '/' : path === props.href || path?.startsWith(`${props.href}/`);
  return (
    <a href={props.href} aria-current={current ? 'page' : undefined}>
      {props.children}
    </a>
  );
}

export function Layout(props: { ctx: PageContext; title: string; children: Child; bodyClass?: string }) {
  const { ctx } = props;
  const v = ctx.assetVersion;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${props.title} · earshot`}</title>
        <link rel="stylesheet" href={`/static/app.css?v=${v}`} />
        <script src={`/static/htmx.min.js?v=${v}`} defer></script>
        <script src={`/static/app.js?v=${v}`} defer></script>
      </head>
      <body
        class={props.bodyClass}
        data-keys={ctx.keyboard ? 'on' : 'off'}
        data-user={ctx.user?.name}
        hx-headers={ctx.csrf ? JSON.stringify({ 'X-CSRF-Token': ctx.csrf }) : undefined}
      >
        <a class="skip" href="#main">
          Skip to content
        </a>
        {ctx.user ? (
          <header class="top">
            <nav aria-label="Main">
              <a class="brand-mark" href="/">
                earshot
              </a>
              <NavLink href="/" ctx={ctx}>
                Inbox
              </NavLink>
              {ctx.brands.map((b) => (
                <NavLink href={`/brands/${encodeURIComponent(b.id)}`} ctx={ctx}>
                  {b.name}
                </NavLink>
              ))}
              <NavLink href="/views" ctx={ctx}>
                Views
              </NavLink>
              <NavLink href="/settings" ctx={ctx}>
                Settings
              </NavLink>
            </nav>
            <form class="signout" method="post" action="/logout">
              <CsrfField ctx={ctx} />
              <span class="who">{ctx.user.name}</span>
              {ctx.user.via === 'password' ? <button type="submit">Sign out</button> : null}
            </form>
          </header>
        ) : null}
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <div id="toast" class="toast" role="status" aria-live="polite"></div>
        {ctx.user ? <KeyHelp /> : null}
      </body>
    </html>
  );
}

export function KeyHelp() {
  return (
    <dialog id="help" aria-labelledby="help-title">
      <h2 id="help-title">Keyboard</h2>
      <table class="keys">
        <tbody>
          {KEYS.map((k) => (
            <tr>
              <th scope="row">
                <kbd>{k.key}</kbd>
              </th>
              <td>{k.does}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        Keys do nothing while you type in a field. Turn them off in <a href="/settings">Settings</a>.
      </p>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}

export function renderPage(node: unknown): string {
  return `<!doctype html>${String(node)}`;
}
