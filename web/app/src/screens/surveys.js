// NPS by touchpoint, and CSAT from surveys and tickets.
import { useState } from 'preact/hooks';
import { Chart, Field, Plot, Screen, Table, Tile, daysAgo, html, label, pct, useQueries } from '../ui.js';

const surveysQuery = `query Surveys($from: Time!, $to: Time!) {
  nps(from: $from, to: $to) {
    score responses promoters passives detractors
    byTouchpoint { touchpoint score responses promoters passives detractors }
  }
  csat(from: $from, to: $to) {
    score rated positive unratedTickets
    bySource { source score rated positive }
  }
}`;

export function Surveys() {
  const [days, setDays] = useState(90);
  const now = new Date();
  const variables = { from: daysAgo(days, now).toISOString().slice(0, 10) + 'T00:00:00Z', to: now.toISOString().slice(0, 10) + 'T00:00:00Z' };
  const queries = [{ name: 'Surveys', text: surveysQuery, variables }];
  const state = useQueries(queries, days);
  const d = state.data;
  const controls = html`<${Field} label="Period"><select id="f-period" value=${days} onChange=${(e) => setDays(Number(e.target.value))}>${[30, 90, 180, 365].map((n) => html`<option value=${n}>last ${n} days</option>`)}</select><//>`;
  const mix = d ? d.nps.byTouchpoint.flatMap((t) => [
    { touchpoint: label(t.touchpoint), kind: 'detractors', n: t.detractors },
    { touchpoint: label(t.touchpoint), kind: 'passives', n: t.passives },
    { touchpoint: label(t.touchpoint), kind: 'promoters', n: t.promoters },
  ]) : [];
  const scores = d ? d.nps.byTouchpoint.filter((t) => t.score !== null).map((t) => ({ touchpoint: label(t.touchpoint), score: t.score })) : [];
  return html`<${Screen} title="NPS & CSAT" queries=${queries} state=${state} controls=${controls}>${d && html`
    <section class="tiles">
      <${Tile} id="tile-nps" name="NPS" value=${d.nps.score === null ? '—' : d.nps.score.toFixed(0)} hint=${d.nps.responses + ' responses'} />
      <${Tile} id="tile-csat" name="CSAT" value=${pct(d.csat.score === null ? null : d.csat.score)} hint=${d.csat.positive + ' positive of ' + d.csat.rated + ' rated'} />
      <${Tile} name="Tickets without a rating" value=${d.csat.unratedTickets} />
    </section>
    <section class="grid">
      <${Chart} id="chart-nps" label="NPS by touchpoint" data=${scores} make=${(data) => ({
        height: 220, marginLeft: 150, x: { domain: [-100, 100], grid: true, label: 'NPS' }, y: { label: null },
        marks: [Plot.barX(data, { y: 'touchpoint', x: 'score', fill: (x) => (x.score >= 0 ? '#3a9d5d' : '#d64545'), tip: true }), Plot.ruleX([0])],
      })} />
      <${Chart} id="chart-nps-mix" label="Responses by touchpoint" data=${mix} make=${(data) => ({
        height: 220, marginLeft: 150, x: { grid: true, label: 'responses' }, y: { label: null },
        color: { domain: ['detractors', 'passives', 'promoters'], range: ['#d64545', '#c9ced8', '#3a9d5d'], legend: true },
        marks: [Plot.barX(data, { y: 'touchpoint', x: 'n', fill: 'kind', order: ['detractors', 'passives', 'promoters'], tip: true }), Plot.ruleX([0])],
      })} />
    </section>
    <section class="two">
      <div class="panel"><h2>NPS by touchpoint</h2><${Table} id="nps" rows=${d.nps.byTouchpoint} columns=${[
        ['Touchpoint', (t) => label(t.touchpoint)], ['NPS', (t) => (t.score === null ? '—' : t.score.toFixed(0))], ['Responses', (t) => t.responses], ['Promoters', (t) => t.promoters], ['Passives', (t) => t.passives], ['Detractors', (t) => t.detractors],
      ]} /></div>
      <div class="panel"><h2>CSAT by source</h2><${Table} id="csat" rows=${d.csat.bySource} columns=${[
        ['Source', (s) => label(s.source)], ['CSAT', (s) => pct(s.score)], ['Rated', (s) => s.rated], ['Positive', (s) => s.positive],
      ]} /></div>
    </section>`}<//>`;
}
