// Admin: the API keys (made, listed and revoked here) and the workspace's
// settings. Only an admin key sees this screen; the API refuses the rest.
import { useState } from 'preact/hooks';
import { mutate } from '../api.js';
import { Field, Screen, Table, html, label, when, useQueries } from '../ui.js';

const adminQuery = `query Admin {
  apiKeys { id name role prefix createdBy createdAt lastUsedAt revokedAt }
  settings { baseCurrency timezone contactPressureCap updatedAt }
}`;

const createKey = `mutation CreateApiKey($name: String!, $role: ApiKeyRole!) {
  createApiKey(name: $name, role: $role) { secret key { id name role } }
}`;

const revokeKey = `mutation RevokeApiKey($name: String!) { revokeApiKey(name: $name) { id revokedAt } }`;

export function Admin() {
  const queries = [{ name: 'Admin', text: adminQuery, variables: {} }];
  const state = useQueries(queries, 'admin');
  const [name, setName] = useState('');
  const [role, setRole] = useState('VIEWER');
  const [made, setMade] = useState(null);
  const [error, setError] = useState('');
  async function create(e) {
    e.preventDefault();
    setError('');
    try {
      const d = await mutate(createKey, { name: name.trim(), role });
      setMade(d.createApiKey);
      setName('');
      state.reload();
    } catch (err) {
      setError(err.message);
    }
  }
  async function revoke(k) {
    if (!confirm('Revoke the key ' + k.name + '? Its holder is refused from now on.')) return;
    setError('');
    try {
      await mutate(revokeKey, { name: k.name });
      state.reload();
    } catch (err) {
      setError(err.message);
    }
  }
  const d = state.data;
  return html`<${Screen} title="API keys & settings" queries=${queries} state=${state}>${d && html`
    <section class="panel">
      <h2>New API key</h2>
      <form class="inline" id="new-key" onSubmit=${create}>
        <${Field} label="Name"><input id="key-name" value=${name} onInput=${(e) => setName(e.target.value)} required /><//>
        <${Field} label="Role"><select id="key-role" value=${role} onChange=${(e) => setRole(e.target.value)}>${['VIEWER', 'EDITOR', 'ADMIN'].map((r) => html`<option value=${r}>${label(r)}</option>`)}</select><//>
        <button type="submit">Create key</button>
      </form>
      ${made && html`<p class="notice" role="status">The key ${made.key.name} (${label(made.key.role)}): <code id="new-secret">${made.secret}</code>. Copy it now: it is shown once.</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </section>
    <section class="panel"><h2>API keys</h2>
      <${Table} id="keys" rows=${d.apiKeys} columns=${[
        ['Name', (k) => k.name], ['Role', (k) => label(k.role)], ['Prefix', (k) => html`<code>${k.prefix}</code>`], ['Made by', (k) => k.createdBy], ['Made', (k) => when(k.createdAt)], ['Last used', (k) => when(k.lastUsedAt)],
        ['', (k) => (k.revokedAt ? 'revoked ' + when(k.revokedAt) : html`<button type="button" class="ghost" onClick=${() => revoke(k)}>Revoke</button>`)],
      ]} />
    </section>
    <section class="panel"><h2>Workspace settings</h2>
      <dl class="settings"><dt>Base currency</dt><dd>${d.settings.baseCurrency}</dd><dt>Timezone</dt><dd>${d.settings.timezone}</dd><dt>Contact pressure cap</dt><dd>${d.settings.contactPressureCap} outbound touches a day</dd><dt>Updated</dt><dd>${when(d.settings.updatedAt)}</dd></dl>
      <p class="muted">Change them with the <code>updateSettings</code> mutation, in GraphiQL for one.</p>
    </section>`}<//>`;
}
