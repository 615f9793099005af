// The cohort triangle as a heat map: each month's new customers, and the
// share of them (or of their MRR) still there month by month.
import { useState } from 'preact/hooks';
import { Chart, Field, Plot, Screen, Table, html, label, pct, useQueries } from '../ui.js';

const cohortsQuery = `query Cohorts($from: Date!, $to: Date!, $measure: CohortMeasure!) {
  cohorts(from: $from, to: $to, measure: $measure) {
    measure
    cohorts { month partial size baseCount baseMrr cells { monthsAfter activeCount retention } }
  }
}`;

export function Cohorts() {
  const [measure, setMeasure] = useState('LOGOS');
  const now = new Date();
  const from = new Date(Date.UTC(now.getUTCFullYear() - 1, now.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
  const queries = [{ name: 'Cohorts', text: cohortsQuery, variables: { from, to, measure } }];
  const state = useQueries(queries, measure);
  const t = state.data && state.data.cohorts;
  const controls = html`<${Field} label="Measure"><select id="f-measure" value=${measure} onChange=${(e) => setMeasure(e.target.value)}><option value="LOGOS">logos</option><option value="MRR">MRR</option></select><//>`;
  const cells = t ? t.cohorts.flatMap((c) => c.cells.filter((x) => x.retention !== null).map((x) => ({ cohort: c.month.slice(0, 7), after: x.monthsAfter, retention: Number(x.retention) }))) : [];
  return html`<${Screen} title="Cohorts" queries=${queries} state=${state} controls=${controls}>${t && html`
    <${Chart} id="chart-cohorts" label=${'Retention of ' + label(t.measure) + ' by cohort, months after the first'} data=${cells} make=${(data) => ({
      height: 60 + 26 * t.cohorts.length, marginLeft: 70, padding: 0.05,
      x: { label: 'months after', axis: 'top' }, y: { label: null },
      color: { scheme: 'YlGn', domain: [0.5, 1], legend: true, label: 'retention', tickFormat: '.0%' },
      marks: [Plot.cell(data, { x: 'after', y: 'cohort', fill: 'retention', tip: true }), Plot.text(data, { x: 'after', y: 'cohort', text: (d) => Math.round(d.retention * 100), fill: 'black', fontSize: 10 })],
    })} />
    <section class="panel"><h2>Cohorts</h2>
      <${Table} id="cohorts" rows=${t.cohorts} columns=${[
        ['Month', (c) => c.month.slice(0, 7) + (c.partial ? ' (partial)' : '')], ['New accounts', (c) => c.size], ['Base', (c) => c.baseCount],
        ['Latest retention', (c) => (c.cells.length ? pct(c.cells[c.cells.length - 1].retention) : '—')],
      ]} />
    </section>`}<//>`;
}
