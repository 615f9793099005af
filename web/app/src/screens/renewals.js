// Renewals ahead, by health band: the MRR renewing each month, and the
// accounts, overdue first.
import { useState } from 'preact/hooks';
import { AccountLink, Band, Chart, Field, Plot, Screen, Table, Tile, bandScale, day, env, html, label, money, useQueries } from '../ui.js';

const renewalsQuery = `query Renewals($withinDays: Int!, $band: HealthBand) {
  renewals(withinDays: $withinDays, band: $band, first: 400) {
    account { id name tier }
    renewalDate daysToRenewal overdue
    health { score band }
    mrr { amount currency }
    lastTouchAt lastTouchTeam
  }
}`;

export function Renewals() {
  const [withinDays, setWithin] = useState(90);
  const [band, setBand] = useState('');
  const variables = { withinDays, band: band || null };
  const queries = [{ name: 'Renewals', text: renewalsQuery, variables }];
  const state = useQueries(queries, withinDays + band);
  const rows = state.data ? state.data.renewals : [];
  const controls = html`
    <${Field} label="Within (days)"><select id="f-within" value=${withinDays} onChange=${(e) => setWithin(Number(e.target.value))}>${[30, 60, 90, 180, 365].map((n) => html`<option value=${n}>${n}</option>`)}</select><//>
    <${Field} label="Band"><select id="f-band" value=${band} onChange=${(e) => setBand(e.target.value)}><option value="">any</option>${['RED', 'YELLOW', 'GREEN'].map((b) => html`<option value=${b}>${label(b)}</option>`)}</select><//>`;
  const bars = rows.map((r) => ({ month: new Date(r.overdue ? new Date().toISOString().slice(0, 7) + '-01' : r.renewalDate.slice(0, 7) + '-01'), band: (r.health && r.health.band) || 'UNSCORED', mrr: Number(r.mrr.amount) }));
  const byBand = {};
  for (const r of rows) {
    const b = (r.health && r.health.band) || 'UNSCORED';
    byBand[b] = (byBand[b] || 0) + Number(r.mrr.amount);
  }
  return html`<${Screen} title="Renewals ahead" queries=${queries} state=${state} controls=${controls}>${state.data && html`
    <section class="tiles">
      <${Tile} id="tile-renewals" name="Renewals" value=${rows.length} hint=${rows.filter((r) => r.overdue).length + ' overdue'} />
      ${['RED', 'YELLOW', 'GREEN'].map((b) => html`<${Tile} name=${'MRR renewing, ' + label(b)} value=${money(byBand[b] || 0)} />`)}
    </section>
    <${Chart} id="chart-renewals" label=${'MRR renewing by month and band (' + env.currency + '; overdue in this month)'} data=${bars} make=${(data) => ({
      height: 260, marginLeft: 60, x: { type: 'band', label: null, tickFormat: (d) => new Date(d).toISOString().slice(0, 7) }, y: { grid: true, label: 'MRR', tickFormat: '~s' },
      color: { ...bandScale, legend: true },
      marks: [Plot.barY(data, Plot.groupX({ y: 'sum' }, { x: (d) => d.month.getTime(), y: 'mrr', fill: { value: 'band', scale: 'color' }, order: bandScale.domain, tip: true })), Plot.ruleY([0])],
    })} />
    <section class="panel"><h2>Accounts</h2>
      <${Table} id="renewals" rows=${rows} empty="No renewal in that window." columns=${[
        ['Account', (r) => html`<${AccountLink} account=${r.account} />`], ['Renews', (r) => day(r.renewalDate) + (r.overdue ? ' (overdue)' : ' (in ' + r.daysToRenewal + ' days)')],
        ['Health', (r) => html`<${Band} band=${r.health && r.health.band} /> ${r.health && r.health.score !== null ? r.health.score.toFixed(1) : ''}`],
        ['MRR', (r) => money(r.mrr.amount, r.mrr.currency)], ['Last touch', (r) => (r.lastTouchAt ? day(r.lastTouchAt) + ' · ' + label(r.lastTouchTeam) : '—')],
      ]} />
    </section>`}<//>`;
}
