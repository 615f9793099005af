// Coverage: how much of each owner's book a team touched in the window,
// by tier, with the accounts left untouched.
import { useState } from 'preact/hooks';
import { AccountLink, Chart, Field, Plot, Screen, Table, Tile, day, html, label, pct, useQueries } from '../ui.js';

const coverageQuery = `query Coverage($team: Team!, $days: Int!) {
  coverage(team: $team, days: $days) {
    bookSize touched ratio
    rules { from to definitions }
    owners {
      owner { id name }
      bookSize touched ratio
      untouched { tier accounts { account { id name } lastTouchAt } }
    }
  }
}`;

const teams = ['CS', 'SALES', 'ONBOARDING', 'SUPPORT', 'MARKETING'];

export function Coverage() {
  const [team, setTeam] = useState('CS');
  const [days, setDays] = useState(30);
  const variables = { team, days };
  const queries = [{ name: 'Coverage', text: coverageQuery, variables }];
  const state = useQueries(queries, team + days);
  const c = state.data && state.data.coverage;
  const controls = html`
    <${Field} label="Team"><select id="f-team" value=${team} onChange=${(e) => setTeam(e.target.value)}>${teams.map((t) => html`<option value=${t}>${label(t)}</option>`)}</select><//>
    <${Field} label="Window (days)"><select id="f-days" value=${days} onChange=${(e) => setDays(Number(e.target.value))}>${[7, 14, 30, 60, 90].map((n) => html`<option value=${n}>${n}</option>`)}</select><//>`;
  let bars = [];
  let untouched = [];
  if (c) {
    bars = c.owners.flatMap((o) => [
      { owner: o.owner.name, state: 'touched', accounts: o.touched },
      { owner: o.owner.name, state: 'untouched', accounts: o.bookSize - o.touched },
    ]);
    untouched = c.owners.flatMap((o) => o.untouched.flatMap((t) => t.accounts.map((x) => ({ owner: o.owner.name, tier: t.tier, ...x }))));
  }
  return html`<${Screen} title="Coverage" queries=${queries} state=${state} controls=${controls}>${c && html`
    <section class="tiles">
      <${Tile} name="Accounts in books" value=${c.bookSize} />
      <${Tile} name="Touched" value=${c.touched} />
      <${Tile} id="tile-coverage" name="Coverage" value=${pct(c.ratio)} hint=${day(c.rules.from) + ' → ' + day(c.rules.to)} />
    </section>
    <${Chart} id="chart-coverage" label=${'Each owner\'s book, touched by ' + label(team) + ' in ' + days + ' days'} data=${bars} make=${(data) => ({
      height: 40 + 30 * c.owners.length, marginLeft: 140, x: { grid: true, label: 'accounts' }, y: { label: null },
      color: { domain: ['touched', 'untouched'], range: ['#3a9d5d', '#d9dde5'], legend: true },
      marks: [Plot.barX(data, { y: 'owner', x: 'accounts', fill: 'state', tip: true }), Plot.ruleX([0])],
    })} />
    <section class="panel"><h2>Untouched accounts (${untouched.length})</h2>
      <${Table} id="untouched" rows=${untouched} empty="Every account was touched." columns=${[
        ['Owner', (x) => x.owner], ['Tier', (x) => x.tier || '—'], ['Account', (x) => html`<${AccountLink} account=${x.account} />`], ['Last touch', (x) => day(x.lastTouchAt)],
      ]} />
    </section>`}<//>`;
}
