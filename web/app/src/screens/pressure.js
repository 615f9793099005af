// Contact pressure: the contacts that got more outbound touches than the
// cap in some window, with what each team sent.
import { useState } from 'preact/hooks';
import { AccountLink, Chart, Field, Plot, Screen, Table, Tile, day, html, label, useQueries, when } from '../ui.js';

const pressureQuery = `query ContactPressure($window: PressureWindow!) {
  contactPressure(window: $window) {
    rules { from to window cap capSource }
    contacts {
      contact { id name email }
      account { id name }
      touches
      byTeam { team touches }
      worstWindow { start end touches byTeam { team touches } }
    }
    accounts { account { id name } saturatedContacts touches }
  }
}`;

const teamColors = { domain: ['MARKETING', 'SALES', 'ONBOARDING', 'CS', 'SUPPORT'], range: ['#8e6bbf', '#4a7fc1', '#2aa198', '#3a9d5d', '#e08a3c'], legend: true };

export function Pressure() {
  const [window, setWindow] = useState('DAY');
  const queries = [{ name: 'ContactPressure', text: pressureQuery, variables: { window } }];
  const state = useQueries(queries, window);
  const r = state.data && state.data.contactPressure;
  const controls = html`<${Field} label="Window"><select id="f-window" value=${window} onChange=${(e) => setWindow(e.target.value)}><option value="DAY">a day</option><option value="WEEK">a week</option></select><//>`;
  const top = r ? r.contacts.slice(0, 20) : [];
  const bars = top.flatMap((c) => c.worstWindow.byTeam.map((t) => ({ contact: c.contact.name + ' · ' + c.account.name, team: t.team, touches: t.touches })));
  return html`<${Screen} title="Contact pressure" queries=${queries} state=${state} controls=${controls}>${r && html`
    <section class="tiles">
      <${Tile} id="tile-saturated" name="Saturated contacts" value=${r.contacts.length} hint=${'over ' + r.rules.cap + ' outbound touches a ' + label(r.rules.window) + ' (' + label(r.rules.capSource) + ')'} />
      <${Tile} name="Accounts affected" value=${r.accounts.length} />
      <${Tile} name="Period" value=${day(r.rules.from) + ' → ' + day(r.rules.to)} />
    </section>
    ${bars.length > 0 && html`<${Chart} id="chart-pressure" label="Worst window of the 20 most pressed contacts, by team" data=${bars} make=${(data) => ({
      height: 40 + 24 * top.length, marginLeft: 260, x: { grid: true, label: 'outbound touches in the worst window' }, y: { label: null },
      color: teamColors,
      marks: [Plot.barX(data, { y: 'contact', x: 'touches', fill: 'team', tip: true, sort: { y: '-x' } }), Plot.ruleX([r.rules.cap], { stroke: '#d64545', strokeDasharray: '4 3' })],
    })} />`}
    <section class="panel"><h2>Saturated contacts</h2>
      <${Table} id="pressure" rows=${r.contacts} empty="No contact went over the cap." columns=${[
        ['Contact', (c) => c.contact.name], ['Account', (c) => html`<${AccountLink} account=${c.account} />`], ['Touches', (c) => c.touches],
        ['By team', (c) => c.byTeam.map((t) => label(t.team) + ' ' + t.touches).join(', ')],
        ['Worst window', (c) => when(c.worstWindow.start) + ': ' + c.worstWindow.touches],
      ]} />
    </section>`}<//>`;
}
