// The account page: score with its factors and why it changed, score and
// MRR history, team, contacts, the timeline across every tool, success
// plan, deals, tickets, surveys, and the source of each record.
import { Band, Chart, Origin, Plot, Screen, Table, Tile, bandScale, day, daysAgo, env, html, isoDay, label, money, useQueries, when } from '../ui.js';

const provenance = 'provenance { source { name kind } externalId syncedAt }';

function accountQuery(months) {
  const mrrs = months.map(([alias]) => `    ${alias}: mrr(at: $${alias}) { amount currency }`).join('\n');
  const params = months.map(([alias]) => `$${alias}: Time!`).join(', ');
  return `query Account($id: ID!, $since: Time!, ${params}) {
  account(id: $id) {
    id name domain tier segment industry lifecycle renewalDate createdAt
    ${provenance}
    mrr { amount currency }
${mrrs}
    health {
      day score band computedAt
      scorecard { name version reason }
      factors { measure team label unit value score weight contribution note }
    }
    healthHistory(days: 180) { day score band }
    healthChange(since: $since) {
      summary scoreDelta
      from { day score band }
      to { day score band }
      reasons { measure team text contributionDelta }
    }
    team { id role person { name email team } }
    externalRefs { source { name kind } entityType externalId matchedBy confidence syncedAt }
    successPlan { atRisk objectives { id title status dueDate owner { name } } }
    subscriptions { id plan amount currency interval startsAt endsAt churnReason ${provenance} }
    contacts(first: 25) { totalCount edges { node { id name email title ${provenance} } } }
    timeline(first: 40) {
      edges { node { occurredAt kind summary source { name kind } } }
    }
    deals(first: 20) { totalCount edges { node { id name stage status kind amount currency closedAt ${provenance} } } }
    tickets(first: 20) { totalCount edges { node { id subject priority status openedAt resolvedAt csat ${provenance} } } }
    surveys(first: 20) { totalCount edges { node { id kind score touchpoint comment respondedAt ${provenance} } } }
  }
}`;
}

export function AccountPage({ id }) {
  const now = new Date();
  // MRR at the first instant of each of the last 12 months, and now.
  const months = Array.from({ length: 12 }, (_, i) => {
    const m = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11 + i, 1));
    return [`m${i}`, m.toISOString()];
  });
  const since = isoDay(daysAgo(30, now)) + 'T00:00:00Z';
  const variables = { id, since, ...Object.fromEntries(months) };
  const queries = [{ name: 'Account', text: accountQuery(months), variables }];
  const state = useQueries(queries, id);
  const a = state.data && state.data.account;
  const title = a ? a.name : state.data ? 'No such account' : 'Account';
  return html`<${Screen} title=${title} queries=${queries} state=${state}>
    ${state.data && !a && html`<p>There is no account ${id}. <a href="#/accounts">Back to the accounts</a></p>`}
    ${a && html`<${AccountBody} a=${a} months=${months} />`}
  <//>`;
}

function AccountBody({ a, months }) {
  const h = a.health;
  const change = a.healthChange;
  const history = a.healthHistory.filter((x) => x.score !== null).map((x) => ({ day: new Date(x.day), score: x.score, band: x.band || 'UNSCORED' }));
  const mrr = months.map(([alias, at]) => ({ month: new Date(at), mrr: Number(a[alias].amount) }));
  mrr.push({ month: new Date(), mrr: Number(a.mrr.amount) });
  const factors = h ? h.factors.filter((f) => f.contribution !== null).map((f) => ({ ...f, name: f.label + (f.team ? ' (' + label(f.team) + ')' : '') })) : [];
  return html`
    <p class="subtitle">${a.domain} · tier ${a.tier || '—'} · ${a.segment || 'no segment'} · ${a.industry || 'no industry'} · ${label(a.lifecycle)} · renews ${day(a.renewalDate)} · from <${Origin} provenance=${a.provenance} /></p>
    <section class="tiles">
      <${Tile} id="tile-score" name="Health" value=${h ? html`${h.score === null ? '—' : h.score.toFixed(1)} <${Band} band=${h.band} />` : 'not scored'} hint=${h ? h.scorecard.name + ' v' + h.scorecard.version + ', ' + h.day : ''} />
      <${Tile} id="tile-account-mrr" name="MRR" value=${money(a.mrr.amount, a.mrr.currency)} />
      <${Tile} name="Open success objectives at risk" value=${a.successPlan.atRisk} />
      <${Tile} name="Contacts" value=${a.contacts.totalCount} />
    </section>
    <section class="panel" id="why">
      <h2>Why it changed (last 30 days)</h2>
      ${change ? html`
        <p><strong>${change.summary}</strong>${change.scoreDelta !== null && html` <span class=${change.scoreDelta < 0 ? 'down' : 'up'}>(${change.scoreDelta > 0 ? '+' : ''}${change.scoreDelta.toFixed(1)})</span>`}</p>
        <ul>${change.reasons.map((r) => html`<li>${r.text} <span class="muted">(${r.contributionDelta > 0 ? '+' : ''}${r.contributionDelta.toFixed(1)})</span></li>`)}</ul>`
        : html`<p class="muted">Never scored.</p>`}
    </section>
    <section class="grid">
      ${factors.length > 0 && html`<${Chart} id="chart-factors" label="Score factors: contribution to the score" data=${factors} make=${(data) => ({
        height: 40 + 28 * data.length, marginLeft: 220, x: { grid: true, label: 'points' }, y: { label: null },
        marks: [Plot.barX(data, { y: 'name', x: 'contribution', fill: { value: (f) => (f.score >= 70 ? 'GREEN' : f.score >= 40 ? 'YELLOW' : 'RED'), scale: 'color' }, sort: { y: '-x' }, tip: true, title: (f) => f.name + ': ' + (f.value === null ? 'no data' : f.value + ' ' + f.unit) + ', score ' + (f.score === null ? '—' : f.score.toFixed(0)) + ' × weight ' + f.weight }), Plot.ruleX([0])],
        color: bandScale,
      })} />`}
      <${Chart} id="chart-score-history" label="Score history (daily)" data=${history} make=${(data) => ({
        height: 220, marginLeft: 40, x: { type: 'utc', label: null }, y: { domain: [0, 100], grid: true, label: 'score' },
        color: bandScale,
        marks: [Plot.lineY(data, { x: 'day', y: 'score', stroke: '#5b6b8c' }), Plot.dot(data, { x: 'day', y: 'score', fill: { value: 'band', scale: 'color' }, r: 4, tip: true })],
      })} />
      <${Chart} id="chart-mrr-history" label=${'MRR history (' + env.currency + ')'} data=${mrr} make=${(data) => ({
        height: 220, marginLeft: 60, x: { type: 'utc', label: null }, y: { grid: true, label: 'MRR', zero: true, tickFormat: '~s' },
        marks: [Plot.areaY(data, { x: 'month', y: 'mrr', curve: 'step-after', fill: '#5b6b8c', fillOpacity: 0.15 }), Plot.lineY(data, { x: 'month', y: 'mrr', curve: 'step-after', stroke: '#5b6b8c', tip: true })],
      })} />
    </section>
    ${h && html`<section class="panel"><h2>Factors</h2><${Table} id="factors" rows=${h.factors} columns=${[
      ['Measure', (f) => f.label + (f.team ? ' (' + label(f.team) + ')' : '')],
      ['Value', (f) => (f.value === null ? '—' : f.value + ' ' + f.unit)],
      ['Score', (f) => (f.score === null ? '—' : f.score.toFixed(0))],
      ['Weight', (f) => f.weight],
      ['Contribution', (f) => (f.contribution === null ? '—' : f.contribution.toFixed(1))],
      ['Note', (f) => f.note || ''],
    ]} /></section>`}
    <section class="two">
      <div class="panel"><h2>Team</h2><${Table} id="team" rows=${a.team} columns=${[['Role', (m) => label(m.role)], ['Name', (m) => m.person.name], ['Email', (m) => m.person.email]]} /></div>
      <div class="panel"><h2>Success plan</h2><${Table} id="plan" rows=${a.successPlan.objectives} empty="No objectives." columns=${[['Objective', (o) => o.title], ['Status', (o) => label(o.status)], ['Due', (o) => day(o.dueDate)], ['Owner', (o) => (o.owner ? o.owner.name : '—')]]} /></div>
    </section>
    <section class="panel"><h2>Timeline across tools</h2><${Table} id="timeline" rows=${a.timeline.edges.map((e) => e.node)} empty="Nothing yet." columns=${[
      ['When', (t) => when(t.occurredAt)], ['What', (t) => label(t.kind)], ['', (t) => t.summary], ['Source', (t) => (t.source ? t.source.name + ' (' + t.source.kind + ')' : 'Pulse')],
    ]} /></section>
    <section class="panel"><h2>Contacts (${a.contacts.totalCount})</h2><${Table} id="contacts" rows=${a.contacts.edges.map((e) => e.node)} columns=${[
      ['Name', (c) => c.name], ['Title', (c) => c.title], ['Email', (c) => c.email], ['From', (c) => html`<${Origin} provenance=${c.provenance} />`],
    ]} /></section>
    <section class="panel"><h2>Subscriptions</h2><${Table} id="subscriptions" rows=${a.subscriptions} columns=${[
      ['Plan', (s) => s.plan], ['Amount', (s) => money(s.amount, s.currency) + ' / ' + label(s.interval)], ['Starts', (s) => day(s.startsAt)], ['Ends', (s) => day(s.endsAt)], ['Churn reason', (s) => s.churnReason], ['From', (s) => html`<${Origin} provenance=${s.provenance} />`],
    ]} /></section>
    <section class="panel"><h2>Deals (${a.deals.totalCount})</h2><${Table} id="deals" rows=${a.deals.edges.map((e) => e.node)} columns=${[
      ['Deal', (x) => x.name], ['Stage', (x) => x.stage], ['Status', (x) => label(x.status)], ['Kind', (x) => label(x.kind)], ['Amount', (x) => money(x.amount, x.currency)], ['Closed', (x) => day(x.closedAt)], ['From', (x) => html`<${Origin} provenance=${x.provenance} />`],
    ]} /></section>
    <section class="panel"><h2>Tickets (${a.tickets.totalCount})</h2><${Table} id="tickets" rows=${a.tickets.edges.map((e) => e.node)} columns=${[
      ['Subject', (x) => x.subject], ['Priority', (x) => label(x.priority)], ['Status', (x) => label(x.status)], ['Opened', (x) => day(x.openedAt)], ['Resolved', (x) => day(x.resolvedAt)], ['CSAT', (x) => (x.csat === null ? '—' : x.csat)], ['From', (x) => html`<${Origin} provenance=${x.provenance} />`],
    ]} /></section>
    <section class="panel"><h2>Surveys (${a.surveys.totalCount})</h2><${Table} id="surveys" rows=${a.surveys.edges.map((e) => e.node)} columns=${[
      ['Kind', (x) => x.kind], ['Score', (x) => x.score], ['Touchpoint', (x) => label(x.touchpoint)], ['Comment', (x) => x.comment], ['Responded', (x) => day(x.respondedAt)], ['From', (x) => html`<${Origin} provenance=${x.provenance} />`],
    ]} /></section>
    <section class="panel"><h2>Where this account came from</h2><${Table} id="refs" rows=${a.externalRefs} columns=${[
      ['Source', (r) => (r.source ? r.source.name + ' (' + r.source.kind + ')' : '—')], ['Record', (r) => r.entityType + ' ' + r.externalId], ['Matched by', (r) => r.matchedBy], ['Confidence', (r) => r.confidence], ['Synced', (r) => when(r.syncedAt)],
    ]} /></section>`;
}
