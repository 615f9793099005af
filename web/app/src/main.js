// The Pulse app: sign-in, navigation and the screens, all on the public
// GraphQL API. Routes live in the URL's fragment (#/accounts/…), so the
// server serves one page; the API key never goes into a URL.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './style.css';
import { connect, disconnect, forgetKey, saveKey, savedKey, whoAmI } from './api.js';
import { env, html } from './ui.js';
import { Overview } from './screens/overview.js';
import { Accounts } from './screens/accounts.js';
import { AccountPage } from './screens/account.js';
import { Coverage } from './screens/coverage.js';
import { Pressure } from './screens/pressure.js';
import { Handoffs } from './screens/handoffs.js';
import { Surveys } from './screens/surveys.js';
import { Renewals } from './screens/renewals.js';
import { Cohorts } from './screens/cohorts.js';
import { Backtest } from './screens/backtest.js';
import { Sources } from './screens/sources.js';
import { Admin } from './screens/admin.js';

const screens = [
  { path: 'overview', title: 'Overview', view: Overview },
  { path: 'accounts', title: 'Accounts', view: Accounts },
  { path: 'coverage', title: 'Coverage', view: Coverage },
  { path: 'pressure', title: 'Contact pressure', view: Pressure },
  { path: 'handoffs', title: 'Hand-off gaps', view: Handoffs },
  { path: 'surveys', title: 'NPS & CSAT', view: Surveys },
  { path: 'renewals', title: 'Renewals', view: Renewals },
  { path: 'cohorts', title: 'Cohorts', view: Cohorts },
  { path: 'backtest', title: 'Back-test', view: Backtest },
  { path: 'sources', title: 'Sources', view: Sources },
  { path: 'admin', title: 'API keys & settings', view: Admin, admin: true },
];

function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { path: parts[0] || 'overview', id: parts[1] };
}

function SignIn({ onSignedIn, problem }) {
  const [error, setError] = useState(problem || '');
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    // Read from the field itself, as a password manager may fill it
    // without an input event.
    const k = e.currentTarget.elements['api-key'].value.trim().replace(/^Bearer\s+/i, '');
    if (!k) {
      setError('Enter an API key.');
      return;
    }
    setBusy(true);
    setError('');
    connect(k);
    try {
      const me = await whoAmI();
      saveKey(k);
      onSignedIn(me);
    } catch (err) {
      disconnect();
      setError(err.status === 401 ? 'That key is not valid: ' + err.message : err.message);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <div class="signin">
      <form id="signin" onSubmit=${submit} autocomplete="off">
        <h1><span class="logo" aria-hidden="true">◉</span> Pulse</h1>
        <p>Customer health for marketing, sales, CS and support.</p>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" placeholder="pulse_…" autofocus />
        <p class="muted small">Kept in this tab only, until you sign out or close it. <code>pulse serve --demo</code> prints an admin key; <code>pulse apikey create NAME --role viewer</code> makes one.</p>
        <button type="submit" disabled=${busy}>${busy ? 'Checking…' : 'Sign in'}</button>
        ${error && html`<p class="error" role="alert">${error}</p>`}
      </form>
    </div>`;
}

function App() {
  const [me, setMe] = useState(null);
  const [checking, setChecking] = useState(Boolean(savedKey()));
  const [problem, setProblem] = useState('');
  const [where, setWhere] = useState(route());

  useEffect(() => {
    const onHash = () => setWhere(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    // GraphiQL is off under serve --production: then no screen offers it.
    fetch('/', { method: 'HEAD' }).then((r) => { env.graphiql = r.ok; }, () => { env.graphiql = false; });
    const k = savedKey();
    if (!k) return;
    connect(k);
    whoAmI().then(signedIn, (err) => {
      // A key refused is forgotten; one the server could not check now is
      // kept for the next try.
      if (err.status === 401) forgetKey();
      disconnect();
      setProblem((err.status === 401 ? 'Sign in again: ' : 'Could not reach Pulse: ') + (err.message || 'no answer'));
      setChecking(false);
    });
  }, []);

  function signedIn(who) {
    env.admin = who.admin;
    env.currency = who.settings.baseCurrency;
    env.timezone = who.settings.timezone;
    setMe(who);
    setChecking(false);
  }

  function signOut() {
    forgetKey();
    disconnect();
    env.admin = false;
    setMe(null);
    setProblem('');
    location.hash = '#/overview';
  }

  if (checking) return html`<p class="muted" role="status">Checking your key…</p>`;
  if (!me) return html`<${SignIn} onSignedIn=${signedIn} problem=${problem} />`;

  const visible = screens.filter((s) => !s.admin || me.admin);
  const current = visible.find((s) => s.path === where.path);
  let body;
  if (where.path === 'accounts' && where.id) body = html`<${AccountPage} id=${where.id} />`;
  else if (current) body = html`<${current.view} />`;
  else body = html`<main id="screen" data-ready="true"><h1>Not found</h1><p>There is no screen ${where.path}${screens.some((s) => s.path === where.path) ? ' for this key' : ''}.</p></main>`;

  return html`
    <div class="shell">
      <nav aria-label="Screens">
        <div class="brand"><span class="logo" aria-hidden="true">◉</span> Pulse</div>
        <ul>
          ${visible.map((s) => html`
            <li><a href=${'#/' + s.path} aria-current=${s.path === where.path ? 'page' : undefined} class=${s.admin ? 'admin' : ''}>${s.title}</a></li>`)}
        </ul>
        <div class="who">
          <span class="role">${me.admin ? 'admin key' : 'viewer/editor key'}</span>
          ${env.graphiql && html`<button type="button" class="ghost" onClick=${() => { sessionStorage.removeItem('pulse.graphiql.open'); window.open('/', '_blank'); }}>GraphiQL</button>`}
          <button type="button" id="signout" class="ghost" onClick=${signOut}>Sign out</button>
        </div>
      </nav>
      ${body}
    </div>`;
}

render(html`<${App} />`, document.getElementById('app'));
