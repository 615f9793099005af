// Sources: each source's runs, followed live over the syncRunUpdated
// subscription while a sync runs, with the records rejected and those
// left unattached (their references not found yet: deferred).
import { useEffect, useState } from 'preact/hooks';
import { mutate, socketState, subscribe, watchSocket } from '../api.js';
import { Chart, Plot, Screen, Table, env, html, label, when, useQueries } from '../ui.js';

const runFields = 'id status trigger startedAt finishedAt error recordsRead recordsWritten recordsDeleted recordsDeferred recordsRejected';

const sourcesQuery = `query Sources {
  sources {
    id name kind schedule
    lastRun { ${runFields} streams { stream recordsRead recordsWritten recordsDeferred recordsRejected } }
    syncRuns(first: 10) { totalCount edges { node { ${runFields} } } }
  }
}`;

export const runUpdated = `subscription SyncRunUpdated($sourceId: ID!) {
  syncRunUpdated(sourceId: $sourceId) { ${runFields} }
}`;

const runSync = `mutation RunSync($sourceId: ID!) { runSync(sourceId: $sourceId) { ${runFields} } }`;

export function Sources() {
  const queries = [
    { name: 'Sources', text: sourcesQuery, variables: {} },
    { name: 'SyncRunUpdated (over WebSocket, per source)', text: runUpdated, variables: { sourceId: '…' } },
  ];
  const state = useQueries(queries.slice(0, 1), 'sources');
  return html`<${Screen} title="Sources" queries=${queries} state=${state}>
    ${state.data && state.data.sources.map((s) => html`<${SourceRuns} key=${s.id} source=${s} />`)}
    ${state.data && !state.data.sources.length && html`<p>No source yet: add one with <code>pulse source add</code>.</p>`}
  <//>`;
}

function SourceRuns({ source }) {
  const [runs, setRuns] = useState(source.syncRuns.edges.map((e) => e.node));
  const [live, setLive] = useState(socketState);
  const [error, setError] = useState('');
  useEffect(() => subscribe(runUpdated, { sourceId: source.id }, (data) => {
    const run = data.syncRunUpdated;
    setRuns((old) => [run, ...old.filter((r) => r.id !== run.id)].sort((a, b) => b.startedAt.localeCompare(a.startedAt)).slice(0, 10));
  }, (err) => { setLive('off'); setError(err.message); }), [source.id]);
  useEffect(() => watchSocket(setLive), []);
  async function run() {
    setError('');
    try {
      const d = await mutate(runSync, { sourceId: source.id });
      const r = d.runSync;
      setRuns((old) => [r, ...old.filter((x) => x.id !== r.id)].slice(0, 10));
    } catch (err) {
      setError(err.message);
    }
  }
  const latest = runs[0];
  const bars = runs.slice().reverse().flatMap((r) => [
    { run: when(r.startedAt), kind: 'written', n: r.recordsWritten },
    { run: when(r.startedAt), kind: 'unattached', n: r.recordsDeferred },
    { run: when(r.startedAt), kind: 'rejected', n: r.recordsRejected },
  ]);
  return html`
    <section class="panel source" data-source=${source.name}>
      <h2>${source.name} <span class="muted">${source.kind} · ${source.schedule ? 'every ' + source.schedule : 'on demand'}</span>
        <span class=${'live live-' + live} title="runs arrive over the syncRunUpdated subscription">● ${live}</span></h2>
      ${env.admin && html`<button type="button" class="run" onClick=${run} disabled=${latest && latest.status === 'RUNNING'}>Run sync now</button>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      ${latest && html`<p class="latest">Latest run: <strong class=${'status status-' + latest.status.toLowerCase()} data-run=${latest.id}>${label(latest.status)}</strong>
        · ${latest.recordsRead} read · ${latest.recordsWritten} written · <span class="rejected">${latest.recordsRejected} rejected</span> · <span class="unattached">${latest.recordsDeferred} unattached</span>${latest.error && html` · <span class="error">${latest.error}</span>`}</p>`}
      ${bars.length > 0 && html`<${Chart} id=${'chart-runs-' + source.name} label="Records of each run" data=${bars} make=${(data) => ({
        height: 180, marginLeft: 60, width: Math.max(240, 120 * runs.length), x: { label: null, tickRotate: -20, domain: [...new Set(data.map((d) => d.run))] }, y: { grid: true, label: 'records', tickFormat: '~s' },
        color: { domain: ['written', 'unattached', 'rejected'], range: ['#5b6b8c', '#e8b923', '#d64545'], legend: true },
        marks: [Plot.barY(data, { x: 'run', y: 'n', fill: 'kind', tip: true }), Plot.ruleY([0])],
      })} />`}
      <${Table} id=${'runs-' + source.name} rows=${runs} empty="Never run." columns=${[
        ['Started', (r) => when(r.startedAt)], ['Status', (r) => html`<span class=${'status status-' + r.status.toLowerCase()}>${label(r.status)}</span>`], ['Trigger', (r) => r.trigger],
        ['Read', (r) => r.recordsRead], ['Written', (r) => r.recordsWritten], ['Deleted', (r) => r.recordsDeleted], ['Unattached', (r) => r.recordsDeferred], ['Rejected', (r) => r.recordsRejected], ['Finished', (r) => when(r.finishedAt)],
      ]} />
    </section>`;
}
