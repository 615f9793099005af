// Mounts GraphiQL on /query with the API key this tab was given: the key
// lives in sessionStorage, never in a URL, and goes with every request,
// the schema's introspection and WebSocket subscriptions included. A tab
// the Pulse app opened with "Open in GraphiQL" starts with the operation
// the app left in the session storage it copies to the tab.
(function () {
  'use strict';
  var storageKey = 'pulse.apiKey';
  var form = document.getElementById('key');
  var input = document.getElementById('key-input');
  var state = document.getElementById('key-state');
  var container = document.getElementById('graphiql');
  var endpoint = container.getAttribute('data-endpoint');
  var root = ReactDOM.createRoot(container);
  var mounted = 0;
  var initialQuery, initialVariables;
  try {
    var opened = JSON.parse(sessionStorage.getItem('pulse.graphiql.open') || 'null');
    if (opened) {
      initialQuery = opened.query || undefined;
      initialVariables = opened.variables || undefined;
    }
  } catch (e) {
    // Not an operation the app left: GraphiQL starts as it would.
  }
  sessionStorage.removeItem('pulse.graphiql.open');

  function render() {
    var key = sessionStorage.getItem(storageKey) || '';
    var headers = key ? { Authorization: 'Bearer ' + key } : {};
    var ws = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + endpoint;
    var fetcher = GraphiQL.createFetcher({
      url: endpoint,
      subscriptionUrl: ws,
      headers: headers,
      wsConnectionParams: headers,
    });
    state.textContent = key ? 'key set for this tab' : 'no key: requests will be refused';
    // A new key is a new GraphiQL, which fetches the schema again with it.
    mounted++;
    root.render(React.createElement(GraphiQL, {
      key: mounted,
      fetcher: fetcher,
      defaultEditorToolsVisibility: initialVariables ? 'variables' : false,
      query: initialQuery,
      variables: initialVariables,
      shouldPersistHeaders: false,
    }));
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var key = input.value.trim().replace(/^Bearer\s+/i, '');
    if (key) {
      sessionStorage.setItem(storageKey, key);
    }
    input.value = '';
    render();
  });
  document.getElementById('key-forget').addEventListener('click', function () {
    sessionStorage.removeItem(storageKey);
    render();
  });
  render();
})();
