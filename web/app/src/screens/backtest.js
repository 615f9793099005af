// The back-test: how well the scorecard foresaw a period's churn, as the
// churn rate of each band.
import { useState } from 'preact/hooks';
import { AccountLink, Band, Chart, Field, Plot, Screen, Table, Tile, bandScale, day, html, pct, useQueries } from '../ui.js';

const backtestQuery = `query Backtest($from: Time!, $to: Time!, $leadDays: Int!) {
  healthBacktest(from: $from, to: $to, leadDays: $leadDays) {
    scorecard { name version }
    cohort precision recall baseRate lift
    truePositives falsePositives falseNegatives trueNegatives
    byBand { band accounts churned }
    churned { account { id name } churnedAt scoredAt score band }
  }
}`;

export function Backtest() {
  const [months, setMonths] = useState(6);
  const [leadDays, setLead] = useState(30);
  const now = new Date();
  const to = now.toISOString().slice(0, 10) + 'T00:00:00Z';
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, now.getUTCDate())).toISOString().slice(0, 10) + 'T00:00:00Z';
  const queries = [{ name: 'Backtest', text: backtestQuery, variables: { from, to, leadDays } }];
  const state = useQueries(queries, months + ':' + leadDays);
  const b = state.data && state.data.healthBacktest;
  const controls = html`
    <${Field} label="Period"><select id="f-months" value=${months} onChange=${(e) => setMonths(Number(e.target.value))}>${[3, 6, 12].map((n) => html`<option value=${n}>last ${n} months</option>`)}</select><//>
    <${Field} label="Scored days before"><select id="f-lead" value=${leadDays} onChange=${(e) => setLead(Number(e.target.value))}>${[0, 30, 60, 90].map((n) => html`<option value=${n}>${n}</option>`)}</select><//>`;
  const rates = b ? b.byBand.map((x) => ({ band: x.band || 'UNSCORED', rate: x.accounts ? x.churned / x.accounts : 0, churned: x.churned, accounts: x.accounts })) : [];
  return html`<${Screen} title="Back-test" queries=${queries} state=${state} controls=${controls}>${b && html`
    <section class="tiles">
      <${Tile} name="Scorecard" value=${b.scorecard.name + ' v' + b.scorecard.version} />
      <${Tile} name="Accounts scored" value=${b.cohort} />
      <${Tile} id="tile-precision" name="Precision of red" value=${pct(b.precision)} />
      <${Tile} name="Recall of red" value=${pct(b.recall)} />
      <${Tile} name="Lift over the base rate" value=${b.lift === null ? '—' : b.lift.toFixed(2) + '×'} hint=${'base rate ' + pct(b.baseRate)} />
    </section>
    <${Chart} id="chart-backtest" label="Churn rate of each band" data=${rates} make=${(data) => ({
      height: 240, marginLeft: 50, x: { label: null, domain: bandScale.domain }, y: { grid: true, label: 'churned', tickFormat: '.0%' },
      color: bandScale,
      marks: [Plot.barY(data, { x: 'band', y: 'rate', fill: { value: 'band', scale: 'color' }, title: (d) => d.churned + ' of ' + d.accounts }), Plot.text(data, { x: 'band', y: 'rate', text: (d) => d.churned + ' / ' + d.accounts, dy: -8 }), Plot.ruleY([0])],
    })} />
    <section class="panel"><h2>Accounts that churned (${b.churned.length})</h2>
      <${Table} id="backtest" rows=${b.churned} empty="None churned in the period." columns=${[
        ['Account', (x) => html`<${AccountLink} account=${x.account} />`], ['Churned', (x) => day(x.churnedAt)], ['Scored', (x) => day(x.scoredAt)], ['Band then', (x) => html`<${Band} band=${x.band} /> ${x.score === null ? '' : x.score.toFixed(1)}`],
      ]} />
    </section>`}<//>`;
}
