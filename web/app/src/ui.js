// Shared pieces of every screen: data loading, the query panel that shows
// what a screen asked the API and opens it in GraphiQL, charts, tables,
// and formatting. Decimals arrive as strings and are shown, never summed.
import { h } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import * as Plot from '@observablehq/plot';
import { query } from './api.js';

export const html = htm.bind(h);

// graphiqlAvailable is false under serve --production, which serves no
// GraphiQL; main.js sets it once signed in.
export const env = { graphiql: true, admin: false, currency: 'USD', timezone: 'UTC' };

// useQueries runs a screen's queries, each { name, text, variables }, one
// after the other, and runs them again when key changes.
export function useQueries(queries, key) {
  const [state, setState] = useState({ loading: true, data: null, error: null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    (async () => {
      const data = {};
      for (const q of queries) {
        Object.assign(data, await query(q.text, q.variables));
      }
      return data;
    })().then(
      (data) => live && setState({ loading: false, data, error: null }),
      (error) => live && setState({ loading: false, data: null, error }),
    );
    return () => { live = false; };
  }, [key, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

// openInGraphiQL opens GraphiQL in a new tab with q: the operation goes in
// the session storage, which the browser copies to a tab the page opens
// (with its key), and GraphiQL takes it from there; nothing in a URL.
function openInGraphiQL(q) {
  const variables = q.variables && Object.keys(q.variables).length ? JSON.stringify(q.variables, null, 2) : '';
  sessionStorage.setItem('pulse.graphiql.open', JSON.stringify({ query: q.text.trim(), variables }));
  window.open('/', '_blank');
  // Once the new tab has its copy.
  setTimeout(() => sessionStorage.removeItem('pulse.graphiql.open'), 2000);
}

// Screen frames a screen: its title, its controls, the queries it ran and
// its body; data-ready marks the moment its data is drawn.
export function Screen({ title, queries, state, controls, children }) {
  const [show, setShow] = useState(false);
  const ready = state && !state.loading && !state.error;
  return html`
    <main id="screen" data-ready=${ready ? 'true' : 'false'} aria-busy=${state && state.loading ? 'true' : 'false'}>
      <header class="screen-head">
        <h1>${title}</h1>
        <div class="screen-tools">
          <button type="button" class="ghost" aria-expanded=${show} onClick=${() => setShow(!show)}>
            ${show ? 'Hide' : 'Show'} GraphQL
          </button>
        </div>
      </header>
      ${show && html`
        <section class="query-panel" aria-label="The GraphQL this screen ran">
          ${queries.map((q) => html`
            <div class="query">
              <div class="query-head">
                <strong>${q.name}</strong>
                ${env.graphiql && html`<button type="button" class="ghost" onClick=${() => openInGraphiQL(q)}>Open in GraphiQL</button>`}
              </div>
              <pre class="query-text">${q.text.trim()}</pre>
              ${q.variables && Object.keys(q.variables).length > 0 && html`<pre class="query-vars">${JSON.stringify(q.variables, null, 2)}</pre>`}
            </div>`)}
        </section>`}
      ${controls && html`<form class="controls" onSubmit=${(e) => e.preventDefault()}>${controls}</form>`}
      ${state && state.error && html`<p class="error" role="alert">${state.error.message}</p>`}
      ${state && state.loading && !state.data && html`<p class="muted" role="status">Loading…</p>`}
      ${state && state.data && children}
    </main>`;
}

// Chart draws an Observable Plot figure of data: make(data) returns the
// figure's options. It draws again when data changes.
export function Chart({ id, label, data, make }) {
  const ref = useRef(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return undefined;
    const fig = Plot.plot({ style: { fontSize: '12px', background: 'transparent', overflow: 'visible' }, ...make(data) });
    fig.setAttribute('aria-label', label);
    el.replaceChildren(fig);
    return () => el.replaceChildren();
  }, [data]);
  return html`<figure class="chart" id=${id}><figcaption>${label}</figcaption><div ref=${ref}></div></figure>`;
}

export { Plot };

// The bands' colours. Their names are CSS colours too, which Plot would
// paint literally: marks name the color scale for them explicitly.
export const bandColors = { RED: '#d64545', YELLOW: '#e8b923', GREEN: '#3a9d5d', UNSCORED: '#a0a7b4' };
export const bandScale = { domain: ['RED', 'YELLOW', 'GREEN', 'UNSCORED'], range: [bandColors.RED, bandColors.YELLOW, bandColors.GREEN, bandColors.UNSCORED] };

export function money(amount, currency = env.currency) {
  if (amount === null || amount === undefined) return '—';
  const n = typeof amount === 'string' ? Number(amount) : amount;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(n);
}

export function pct(ratio, digits = 1) {
  if (ratio === null || ratio === undefined) return '—';
  return (Number(ratio) * 100).toFixed(digits) + '%';
}

export function day(t) {
  if (!t) return '—';
  return String(t).slice(0, 10);
}

export function when(t) {
  if (!t) return '—';
  return String(t).slice(0, 16).replace('T', ' ');
}

export function label(s) {
  if (s === null || s === undefined || s === '') return '—';
  return String(s).toLowerCase().replace(/_/g, ' ');
}

export function Band({ band }) {
  const b = band || 'UNSCORED';
  return html`<span class=${'band band-' + b.toLowerCase()}>${label(b)}</span>`;
}

export function Tile({ name, value, hint, id }) {
  return html`<div class="tile" id=${id}><div class="tile-name">${name}</div><div class="tile-value">${value}</div>${hint && html`<div class="tile-hint">${hint}</div>`}</div>`;
}

// Table is a plain table; columns are [header, row => cell].
export function Table({ id, columns, rows, empty = 'None.' }) {
  if (!rows.length) return html`<p class="muted" id=${id}>${empty}</p>`;
  return html`
    <div class="table-wrap"><table id=${id}>
      <thead><tr>${columns.map(([head]) => html`<th scope="col">${head}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>${columns.map(([, cell]) => html`<td>${cell(r)}</td>`)}</tr>`)}</tbody>
    </table></div>`;
}

export function AccountLink({ account }) {
  return html`<a href=${'#/accounts/' + encodeURIComponent(account.id)}>${account.name}</a>`;
}

// Source names where a record came from.
export function Origin({ provenance }) {
  if (!provenance || !provenance.source) return html`<span class="muted">entered in Pulse</span>`;
  return html`<span class="origin" title=${'external id ' + provenance.externalId + (provenance.syncedAt ? ', synced ' + when(provenance.syncedAt) : '')}>${provenance.source.name}</span>`;
}

export function isoDay(d) {
  return d.toISOString().slice(0, 10);
}

export function daysAgo(n, from = new Date()) {
  const d = new Date(from);
  d.setUTCDate(d.getUTCDate() - n);
  return d;
}

export function Field({ label: text, children }) {
  return html`<label class="field"><span>${text}</span>${children}</label>`;
}
