// Accounts: the list with every filter and order the API has, paged by
// cursor, and the page shown exported as CSV.
import { useState } from 'preact/hooks';
import { csvFormatRows } from 'd3-dsv';
import { AccountLink, Band, Field, Screen, html, label, money, useQueries, day } from '../ui.js';

const listQuery = `query Accounts($first: Int, $after: String, $last: Int, $before: String, $filter: AccountFilter, $orderBy: [AccountOrder!]) {
  accounts(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor hasPreviousPage startCursor }
    edges {
      node {
        id name domain tier segment lifecycle renewalDate
        health { score band }
        mrr { amount currency }
        lastTouch { occurredAt team }
        team { role person { name } }
      }
    }
  }
}`;

// The owners and segments to choose from, as the health summary counts them.
const choicesQuery = `query AccountChoices {
  healthSummary { bySegment { segment } byOwner { owner { id name } } }
}`;

const tiers = ['A', 'B', 'C'];
const lifecycles = ['PROSPECT', 'ONBOARDING', 'CUSTOMER', 'CHURNED'];
const bands = ['RED', 'YELLOW', 'GREEN'];
const orders = ['NAME', 'MRR', 'RENEWAL_DATE', 'LAST_TOUCH', 'CREATED_AT', 'TIER', 'SEGMENT', 'HEALTH_SCORE'];
const pageSize = 25;

// The list's state outlives the screen, so that coming back from an
// account finds the list as it was left.
const kept = { tier: [], segment: '', lifecycle: [], ownerId: '', band: [], name: '', field: 'NAME', direction: 'ASC', page: {} };

function variables(s) {
  const filter = {};
  if (s.tier.length) filter.tier = s.tier;
  if (s.segment) filter.segment = [s.segment];
  if (s.lifecycle.length) filter.lifecycle = s.lifecycle;
  if (s.ownerId) filter.ownerId = s.ownerId;
  if (s.band.length) filter.health = s.band;
  if (s.name.trim()) filter.nameContains = s.name.trim();
  const v = { orderBy: [{ field: s.field, direction: s.direction }], filter };
  if (s.page.before) Object.assign(v, { last: pageSize, before: s.page.before });
  else Object.assign(v, { first: pageSize }, s.page.after ? { after: s.page.after } : {});
  return v;
}

function owner(a) {
  const cs = a.team.filter((m) => m.role === 'CS').map((m) => m.person.name);
  return cs.join(', ');
}

// The columns shown, and exported: [header, cell for the CSV].
const columns = [
  ['Name', (a) => a.name],
  ['Domain', (a) => a.domain],
  ['Tier', (a) => a.tier || ''],
  ['Segment', (a) => a.segment],
  ['Lifecycle', (a) => a.lifecycle || ''],
  ['Health band', (a) => (a.health && a.health.band) || ''],
  ['Health score', (a) => (a.health && a.health.score !== null ? String(a.health.score) : '')],
  ['MRR', (a) => a.mrr.amount],
  ['Currency', (a) => a.mrr.currency],
  ['Renewal date', (a) => a.renewalDate || ''],
  ['Last touch', (a) => (a.lastTouch ? a.lastTouch.occurredAt : '')],
  ['CS owner', owner],
];

function exportCSV(rows) {
  const text = csvFormatRows([columns.map(([h]) => h), ...rows.map((a) => columns.map(([, cell]) => cell(a)))]);
  const blob = new Blob([text + '\n'], { type: 'text/csv;charset=utf-8' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = 'pulse-accounts.csv';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

export function Accounts() {
  const [s, set] = useState({ ...kept });
  const update = (change) => {
    const next = { ...s, page: {}, ...change };
    Object.assign(kept, next);
    set(next);
  };
  const vars = variables(s);
  const queries = [
    { name: 'Accounts', text: listQuery, variables: vars },
    { name: 'AccountChoices', text: choicesQuery, variables: {} },
  ];
  const state = useQueries(queries, JSON.stringify(vars));
  const d = state.data;
  const toggle = (list, v) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  const checks = (name, values, chosen) => html`
    <fieldset class="checks"><legend>${name}</legend>
      ${values.map((v) => html`<label><input type="checkbox" name=${name.toLowerCase()} value=${v} checked=${chosen.includes(v)} onChange=${() => update({ [name.toLowerCase()]: toggle(chosen, v) })} /> ${label(v)}</label>`)}
    </fieldset>`;
  const controls = html`
    <${Field} label="Name contains"><input id="f-name" type="search" value=${s.name} onChange=${(e) => update({ name: e.target.value })} /><//>
    ${checks('Tier', tiers, s.tier)}
    ${checks('Lifecycle', lifecycles, s.lifecycle)}
    ${checks('Band', bands, s.band)}
    <${Field} label="Segment">
      <select id="f-segment" value=${s.segment} onChange=${(e) => update({ segment: e.target.value })}>
        <option value="">any</option>
        ${d && d.healthSummary.bySegment.map((x) => html`<option value=${x.segment}>${x.segment}</option>`)}
        ${s.segment && !(d && d.healthSummary.bySegment.some((x) => x.segment === s.segment)) && html`<option value=${s.segment}>${s.segment}</option>`}
      </select>
    <//>
    <${Field} label="CS owner">
      <select id="f-owner" value=${s.ownerId} onChange=${(e) => update({ ownerId: e.target.value })}>
        <option value="">anyone</option>
        ${d && d.healthSummary.byOwner.filter((x) => x.owner).map((x) => html`<option value=${x.owner.id}>${x.owner.name}</option>`)}
      </select>
    <//>
    <${Field} label="Order by">
      <select id="f-order" value=${s.field} onChange=${(e) => update({ field: e.target.value })}>
        ${orders.map((o) => html`<option value=${o}>${label(o)}</option>`)}
      </select>
    <//>
    <${Field} label="Direction">
      <select id="f-direction" value=${s.direction} onChange=${(e) => update({ direction: e.target.value })}>
        <option value="ASC">ascending</option><option value="DESC">descending</option>
      </select>
    <//>`;
  const conn = d && d.accounts;
  const rows = conn ? conn.edges.map((e) => e.node) : [];
  const go = (page) => { const next = { ...s, page }; Object.assign(kept, next); set(next); };
  return html`<${Screen} title="Accounts" queries=${queries} state=${state} controls=${controls}>
    ${conn && html`
      <div class="list-head">
        <span id="total" data-total=${conn.totalCount}>${conn.totalCount.toLocaleString('en-US')} accounts</span>
        <span class="pager">
          <button type="button" id="prev" disabled=${!conn.pageInfo.hasPreviousPage} onClick=${() => go({ before: conn.pageInfo.startCursor })}>← Previous</button>
          <button type="button" id="next" disabled=${!conn.pageInfo.hasNextPage} onClick=${() => go({ after: conn.pageInfo.endCursor })}>Next →</button>
          <button type="button" id="export" onClick=${() => exportCSV(rows)}>Export CSV (${rows.length} shown)</button>
        </span>
      </div>
      <div class="table-wrap"><table id="accounts">
        <thead><tr><th>Name</th><th>Tier</th><th>Segment</th><th>Lifecycle</th><th>Health</th><th class="num">MRR</th><th>Renewal</th><th>Last touch</th><th>CS owner</th></tr></thead>
        <tbody>${rows.map((a) => html`<tr data-id=${a.id}>
          <td><${AccountLink} account=${a} /><div class="muted small">${a.domain}</div></td>
          <td>${a.tier || '—'}</td><td>${a.segment || '—'}</td><td>${label(a.lifecycle)}</td>
          <td><${Band} band=${a.health && a.health.band} /> ${a.health && a.health.score !== null ? a.health.score.toFixed(1) : ''}</td>
          <td class="num">${money(a.mrr.amount, a.mrr.currency)}</td>
          <td>${day(a.renewalDate)}</td><td>${a.lastTouch ? day(a.lastTouch.occurredAt) + ' · ' + label(a.lastTouch.team) : '—'}</td>
          <td>${owner(a) || '—'}</td>
        </tr>`)}</tbody>
      </table></div>`}
  <//>`;
}
