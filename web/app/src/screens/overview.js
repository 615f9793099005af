// Overview: accounts and MRR by health band and their trend, the period's
// NRR, GRR and logo retention with its MRR movement waterfall, the MRR
// trend by month, and the revenue from existing customers.
import { useState } from 'preact/hooks';
import { Chart, Field, Plot, Screen, Tile, bandScale, daysAgo, env, html, isoDay, money, pct, useQueries } from '../ui.js';

const summaryQuery = `query OverviewHealth {
  healthSummary {
    day
    all { accounts red yellow green unscored mrr { amount currency } }
    mrrByBand { band accounts mrr { amount currency } }
  }
}`;

// The health trend: one healthSummary per week, as aliases; each is a
// report priced by the workspace's size, so the weeks come in two requests.
function trendQuery(name, weeks) {
  const fields = weeks.map(([alias, at]) => `  ${alias}: healthSummary(asOf: "${at}") { day all { red yellow green unscored } }`).join('\n');
  return `query ${name} {\n${fields}\n}`;
}

const retentionQuery = `query OverviewRetention($from: Date!, $to: Date!, $trendFrom: Date!) {
  retention(from: $from, to: $to) {
    nrr grr logoRetention
    startMrr newMrr reactivationMrr expansionMrr contractionMrr churnMrr endMrr
    startCount endCount newCount reactivatedCount churnedCount
  }
  revenueFromExisting(from: $from, to: $to) { share existingMrr newMrr totalMrr existingCount totalCount }
  mrrMovements(from: $trendFrom, to: $to) { rows { from startMrr endMrr newMrr expansionMrr contractionMrr churnMrr } }
}`;

const periods = [
  ['30', 'Last 30 days'],
  ['90', 'Last 90 days'],
  ['182', 'Last 6 months'],
  ['365', 'Last 12 months'],
];

export function Overview() {
  const [period, setPeriod] = useState('90');
  const today = new Date();
  const to = isoDay(today);
  const from = isoDay(daysAgo(Number(period), today));
  const trendFrom = isoDay(new Date(Date.UTC(today.getUTCFullYear() - 1, today.getUTCMonth(), 1)));
  const weeks = Array.from({ length: 12 }, (_, i) => [`w${i}`, isoDay(daysAgo(7 * (11 - i), today)) + "T12:00:00Z"]);
  const queries = [
    { name: 'OverviewHealth', text: summaryQuery, variables: {} },
    { name: 'OverviewTrendEarlier', text: trendQuery('OverviewTrendEarlier', weeks.slice(0, 6)), variables: {} },
    { name: 'OverviewTrendLater', text: trendQuery('OverviewTrendLater', weeks.slice(6)), variables: {} },
    { name: 'OverviewRetention', text: retentionQuery, variables: { from, to, trendFrom } },
  ];
  const state = useQueries(queries, period);
  const d = state.data;
  const controls = html`
    <${Field} label="Period">
      <select id="period" value=${period} onChange=${(e) => setPeriod(e.target.value)}>
        ${periods.map(([v, t]) => html`<option value=${v}>${t}</option>`)}
      </select>
    <//>
    <span class="muted">${from} → ${to}</span>`;
  return html`<${Screen} title="Overview" queries=${queries} state=${state} controls=${controls}>${d && html`<${OverviewBody} d=${d} weeks=${weeks} />`}<//>`;
}

// waterfallDomain is the y range of the waterfall: from a little below the
// lowest level reached to a little above the highest.
function waterfallDomain(data) {
  const levels = data.flatMap((x) => (x.kind === 'total' ? [x.y2] : [x.y1, x.y2]));
  const lo = Math.min(...levels);
  const hi = Math.max(...levels);
  const pad = Math.max((hi - lo) * 0.15, 1);
  return [Math.max(0, lo - pad), hi + pad];
}

function OverviewBody({ d, weeks }) {
  const s = d.healthSummary;
  const r = d.retention;
  const rfe = d.revenueFromExisting;
  const bands = [
    { band: 'RED', accounts: s.all.red },
    { band: 'YELLOW', accounts: s.all.yellow },
    { band: 'GREEN', accounts: s.all.green },
    { band: 'UNSCORED', accounts: s.all.unscored },
  ];
  const mrr = s.mrrByBand.map((b) => ({ band: b.band || 'UNSCORED', mrr: Number(b.mrr.amount), accounts: b.accounts }));
  const trend = weeks.flatMap(([alias]) => {
    const w = d[alias];
    return ['red', 'yellow', 'green', 'unscored'].map((b) => ({ day: new Date(w.day), band: b.toUpperCase(), accounts: w.all[b] }));
  }).filter((p) => p.band !== 'UNSCORED');
  const scoredWeeks = weeks.filter(([alias]) => { const a = d[alias].all; return a.red + a.yellow + a.green > 0; }).length;
  const steps = [
    ['Start', r.startMrr, 'total'],
    ['New', r.newMrr, 'up'],
    ['Reactivation', r.reactivationMrr, 'up'],
    ['Expansion', r.expansionMrr, 'up'],
    ['Contraction', r.contractionMrr, 'down'],
    ['Churn', r.churnMrr, 'down'],
    ['End', r.endMrr, 'total'],
  ];
  let level = 0;
  const waterfall = steps.map(([step, amount, kind]) => {
    const v = Number(amount);
    let y1;
    let y2;
    if (kind === 'total') { y1 = 0; y2 = v; level = v; } else if (kind === 'up') { y1 = level; y2 = level + v; level = y2; } else { y1 = level - v; y2 = level; level = y1; }
    return { step, y1, y2, kind, amount };
  });
  const months = d.mrrMovements.rows.map((row) => ({ month: new Date(row.from), mrr: Number(row.endMrr) }));
  return html`
    <section class="tiles" aria-label="Key figures">
      <${Tile} id="tile-accounts" name="Accounts" value=${s.all.accounts.toLocaleString('en-US')} hint=${'health as of ' + s.day} />
      <${Tile} id="tile-mrr" name="MRR" value=${money(s.all.mrr.amount, s.all.mrr.currency)} />
      <${Tile} id="tile-nrr" name="Net revenue retention" value=${pct(r.nrr)} />
      <${Tile} id="tile-grr" name="Gross revenue retention" value=${pct(r.grr)} />
      <${Tile} id="tile-logo" name="Logo retention" value=${pct(r.logoRetention)} hint=${r.churnedCount + ' churned of ' + r.startCount} />
      <${Tile} id="tile-existing" name="Revenue from existing customers" value=${pct(rfe.share)} hint=${money(rfe.existingMrr) + ' of ' + money(rfe.totalMrr)} />
    </section>
    <section class="grid">
      <${Chart} id="chart-bands" label="Accounts by health band" data=${bands} make=${(data) => ({
        height: 220, marginLeft: 80, x: { grid: true, label: 'accounts' }, y: { label: null, domain: bandScale.domain },
        color: bandScale,
        marks: [Plot.barX(data, { y: 'band', x: 'accounts', fill: { value: 'band', scale: 'color' }, tip: true }), Plot.text(data, { y: 'band', x: 'accounts', text: (x) => x.accounts, dx: 14 }), Plot.ruleX([0])],
      })} />
      <${Chart} id="chart-mrr-bands" label=${'MRR by health band (' + env.currency + ')'} data=${mrr} make=${(data) => ({
        height: 220, marginLeft: 80, x: { grid: true, label: 'MRR', tickFormat: '~s' }, y: { label: null, domain: bandScale.domain },
        color: bandScale,
        marks: [Plot.barX(data, { y: 'band', x: 'mrr', fill: { value: 'band', scale: 'color' }, tip: true }), Plot.ruleX([0])],
      })} />
      <${Chart} id="chart-waterfall" label=${'MRR movements, ' + r.startCount + ' → ' + r.endCount + ' paying accounts'} data=${waterfall} make=${(data) => ({
        // The movements are small beside the totals: the axis starts near
        // the lowest level reached, as waterfalls do, and says so.
        height: 260, marginLeft: 60, x: { label: null, domain: data.map((x) => x.step), padding: 0.25 },
        y: { grid: true, label: 'MRR (axis not from zero)', tickFormat: '~s', domain: waterfallDomain(data), clamp: true },
        color: { domain: ['total', 'up', 'down'], range: ['#5b6b8c', '#3a9d5d', '#d64545'] },
        marks: [
          Plot.barY(data, { x: 'step', y1: (x) => (x.kind === 'total' ? waterfallDomain(data)[0] : x.y1), y2: 'y2', fill: 'kind', title: (x) => x.step + ': ' + money(x.amount) }),
          Plot.text(data, { x: 'step', y: 'y2', text: (x) => (x.kind === 'down' ? '−' : x.kind === 'up' ? '+' : '') + money(x.amount), dy: -8, fontSize: 10 }),
        ],
      })} />
      <${Chart} id="chart-trend" label=${'Accounts by band, weekly' + (scoredWeeks < 2 ? ' (scores are kept daily from the first sync: the trend fills in as weeks pass)' : '')} data=${trend} make=${(data) => ({
        height: 260, marginLeft: 50, x: { label: null, type: 'utc' }, y: { grid: true, label: 'accounts' },
        color: bandScale,
        marks: [Plot.areaY(data, { x: 'day', y: 'accounts', fill: { value: 'band', scale: 'color' }, order: bandScale.domain, curve: 'step-after' }), Plot.dot(data.filter((p) => p.accounts > 0), Plot.stackY({ x: 'day', y: 'accounts', fill: { value: 'band', scale: 'color' }, order: bandScale.domain, r: 2.5, stroke: 'white' })), Plot.ruleY([0])],
      })} />
      <${Chart} id="chart-mrr-trend" label=${'MRR at the end of each month (' + env.currency + ')'} data=${months} make=${(data) => ({
        height: 260, marginLeft: 60, x: { label: null, type: 'utc' }, y: { grid: true, label: 'MRR', tickFormat: '~s', zero: true },
        marks: [Plot.areaY(data, { x: 'month', y: 'mrr', fill: '#5b6b8c', fillOpacity: 0.15 }), Plot.lineY(data, { x: 'month', y: 'mrr', stroke: '#5b6b8c', marker: 'circle', tip: true })],
      })} />
    </section>`;
}
