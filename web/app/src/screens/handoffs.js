// Hand-off gaps: won deals without onboarding, customers without a CS
// owner, and customers their CS owner has not touched since the hand-off.
import { useState } from 'preact/hooks';
import { AccountLink, Chart, Field, Plot, Screen, Table, Tile, day, html, label, money, useQueries } from '../ui.js';

const gapsQuery = `query HandoffGaps($days: Int!) {
  handoffGaps(days: $days) {
    rules { asOf days }
    dealsWithoutOnboarding { deal { id name amount currency } account { id name } closedAt dueBy firstOnboardingTouchAt }
    customersWithoutCsOwner { id name tier }
    customersNotTouchedByCs { account { id name } csOwners { name } handoffAt handoffBasis lastCsOwnerTouchAt }
  }
}`;

export function Handoffs() {
  const [days, setDays] = useState(7);
  const queries = [{ name: 'HandoffGaps', text: gapsQuery, variables: { days } }];
  const state = useQueries(queries, days);
  const g = state.data && state.data.handoffGaps;
  const controls = html`<${Field} label="Grace period (days)"><select id="f-grace" value=${days} onChange=${(e) => setDays(Number(e.target.value))}>${[3, 7, 14, 30].map((n) => html`<option value=${n}>${n}</option>`)}</select><//>`;
  const counts = g ? [
    { gap: 'Won, no onboarding', accounts: g.dealsWithoutOnboarding.length },
    { gap: 'No CS owner', accounts: g.customersWithoutCsOwner.length },
    { gap: 'CS owner never touched', accounts: g.customersNotTouchedByCs.length },
  ] : [];
  return html`<${Screen} title="Hand-off gaps" queries=${queries} state=${state} controls=${controls}>${g && html`
    <section class="tiles">${counts.map((c) => html`<${Tile} name=${c.gap} value=${c.accounts} />`)}</section>
    <${Chart} id="chart-handoffs" label="Dropped hand-offs" data=${counts} make=${(data) => ({
      height: 150, marginLeft: 170, x: { grid: true, label: 'count' }, y: { label: null },
      marks: [Plot.barX(data, { y: 'gap', x: 'accounts', fill: '#e08a3c', tip: true }), Plot.ruleX([0])],
    })} />
    <section class="panel"><h2>Won deals without an onboarding touch within ${days} days</h2>
      <${Table} id="gap-deals" rows=${g.dealsWithoutOnboarding} columns=${[
        ['Account', (x) => html`<${AccountLink} account=${x.account} />`], ['Deal', (x) => x.deal.name], ['Amount', (x) => money(x.deal.amount, x.deal.currency)], ['Closed', (x) => day(x.closedAt)], ['Due by', (x) => day(x.dueBy)], ['First onboarding touch', (x) => day(x.firstOnboardingTouchAt)],
      ]} />
    </section>
    <section class="panel"><h2>Customers without a CS owner</h2>
      <${Table} id="gap-owner" rows=${g.customersWithoutCsOwner} columns=${[['Account', (x) => html`<${AccountLink} account=${x} />`], ['Tier', (x) => x.tier || '—']]} />
    </section>
    <section class="panel"><h2>Customers their CS owner has not touched since the hand-off</h2>
      <${Table} id="gap-untouched" rows=${g.customersNotTouchedByCs} columns=${[
        ['Account', (x) => html`<${AccountLink} account=${x.account} />`], ['CS owners', (x) => x.csOwners.map((p) => p.name).join(', ')], ['Hand-off', (x) => day(x.handoffAt) + ' (' + label(x.handoffBasis) + ')'], ['Last CS owner touch', (x) => day(x.lastCsOwnerTouchAt)],
      ]} />
    </section>`}<//>`;
}
