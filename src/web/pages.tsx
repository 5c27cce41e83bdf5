/** The small pages: sign-in, "the UI is off", saved views, settings, errors. */
import type { SavedView } from '../store/triage-types.js';
import { CsrfField, Layout, type PageContext } from './layout.js';

export function LoginPage(props: { ctx: PageContext; loginToken: string; next: string; error: string | null; proxyHint: boolean }) {
  return (
    <Layout ctx={props.ctx} title="Sign in" bodyClass="login">
      <h1>Sign in to earshot</h1>
      {props.error ? (
        <p class="problems" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/login" class="login-form">
        <input type="hidden" name="_login" value={props.loginToken} />
        <input type="hidden" name="next" value={props.next} />
        <p>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required autofocus />
        </p>
        <p>
          <label for="name">Your name (shown in history)</label>
          <input id="name" name="name" autocomplete="nickname" maxlength={60} />
        </p>
        <button type="submit">Sign in</button>
      </form>
      {props.proxyHint ? <p>Your team may also sign in through the single sign-on proxy in front of earshot.</p> : null}
    </Layout>
  );
}

export function UiOffPage(props: { ctx: PageContext }) {
  return (
    <Layout ctx={props.ctx} title="Web UI is off">
      <h1>The earshot web UI is off</h1>
      <p>It needs a password, so that it is never open to anyone. To turn it on:</p>
      <ol>
        <li>
          Run <code>earshot password</code> and type the password the team will use.
        </li>
        <li>
          Put the line it prints (<code>EARSHOT_UI_PASSWORD_HASH=scrypt:…</code>) in <code>.env</code>.
        </li>
        <li>
          Restart <code>earshot run --http</code>.
        </li>
      </ol>
      <p>
        Behind a single sign-on proxy (oauth2-proxy, Authelia), set <code>EARSHOT_UI_TRUSTED_HEADER</code> instead; see the README. For a quick try on
        your own machine, <code>EARSHOT_UI_PASSWORD</code> works too.
      </p>
      <p>
        <a href="/healthz">/healthz</a> and <a href="/metrics">/metrics</a> work without it.
      </p>
    </Layout>
  );
}

export function ViewsPage(props: { ctx: PageContext; views: SavedView[] }) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Saved views">
      <h1>Saved views</h1>
      <p>A view is an inbox filter with a name: save one from the inbox. Its address is a bookmark, too.</p>
      {props.views.length === 0 ? (
        <p class="empty">No saved views yet.</p>
      ) : (
        <table class="data">
          <caption class="visually-hidden">Saved views</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Filters</th>
              <th scope="col">Saved by</th>
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.views.map((v) => (
              <tr>
                <th scope="row">
                  <a href={`/?${v.query}`}>{v.name}</a>
                </th>
                <td>
                  <code>{v.query || '(open mentions)'}</code>
                </td>
                <td>{v.createdBy}</td>
                <td>
                  <form method="post" action={`/views/${v.id}/delete`} class="inline">
                    <CsrfField ctx={ctx} />
                    <button type="submit" aria-label={`Delete the view ${v.name}`}>
                      Delete
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

export function SettingsPage(props: { ctx: PageContext; saved: boolean }) {
  const { ctx } = props;
  return (
    <Layout ctx={ctx} title="Settings">
      <h1>Settings</h1>
      {props.saved ? (
        <p class="flash" role="status">
          Saved.
        </p>
      ) : null}
      <form method="post" action="/settings">
        <CsrfField ctx={ctx} />
        <fieldset>
          <legend>Keyboard shortcuts in the inbox</legend>
          <p>
            <input type="radio" id="keys-on" name="keyboard" value="on" checked={ctx.keyboard} />
            <label for="keys-on">On (press ? in the inbox for the list)</label>
          </p>
          <p>
            <input type="radio" id="keys-off" name="keyboard" value="off" checked={!ctx.keyboard} />
            <label for="keys-off">Off (for screen readers and other tools that use single keys)</label>
          </p>
        </fieldset>
        <button type="submit">Save</button>
      </form>
      <p>Signed in as {ctx.user?.name}. This setting is kept for that name.</p>
    </Layout>
  );
}

export function ErrorPage(props: { ctx: PageContext; status: number; title: string; message: string }) {
  return (
    <Layout ctx={props.ctx} title={props.title}>
      <h1>{props.title}</h1>
      <p>{props.message}</p>
      <p>
        <a href="/">Back to the inbox</a>
      </p>
    </Layout>
  );
}
