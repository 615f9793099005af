// The app's one way to the server: the public GraphQL API at /query, read
// with urql, subscriptions over graphql-ws. The API key lives in this
// tab's sessionStorage (the key GraphiQL at / reads too), never in a URL.
import { Client, fetchExchange, subscriptionExchange, CombinedError } from '@urql/core';
import { createClient as createWS } from 'graphql-ws';

const storageKey = 'pulse.apiKey';
export const endpoint = '/query';

export function savedKey() {
  return sessionStorage.getItem(storageKey) || '';
}

export function saveKey(key) {
  sessionStorage.setItem(storageKey, key);
}

export function forgetKey() {
  sessionStorage.removeItem(storageKey);
}

// The server runs at most a few requests of one key at once (serve
// --max-in-flight, 4 by default) and refuses more: the app keeps to 3.
const maxInFlight = 3;
let running = 0;
const waiting = [];
// urql aborts a request's signal once its one result is read, which Chrome
// reports as an unhandled AbortError: the requests here run to their end,
// being short, and the signal is left out.
function limitedFetch(input, init = {}) {
  const { signal, ...rest } = init; // eslint-disable-line no-unused-vars
  init = rest;
  return new Promise((resolve, reject) => {
    const go = () => {
      running++;
      fetch(input, init).then(resolve, reject).finally(() => {
        running--;
        if (waiting.length) waiting.shift()();
      });
    };
    if (running < maxInFlight) go();
    else waiting.push(go);
  });
}

let client = null;
let ws = null;

// The WebSocket's state, for the screens that follow it: connecting,
// live or closed.
const socketWatchers = new Set();
export let socketState = 'connecting';
function setSocket(state) {
  socketState = state;
  socketWatchers.forEach((f) => f(state));
}
export function watchSocket(f) {
  socketWatchers.add(f);
  return () => socketWatchers.delete(f);
}

// connect makes the clients for key; every request carries it.
export function connect(key) {
  disconnect();
  const auth = { Authorization: 'Bearer ' + key };
  ws = createWS({
    url: (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + endpoint,
    connectionParams: { headers: auth },
    lazy: true,
    retryAttempts: 3,
    on: {
      connecting: () => setSocket('connecting'),
      connected: () => setSocket('live'),
      closed: () => setSocket('closed'),
    },
  });
  client = new Client({
    url: endpoint,
    fetch: limitedFetch,
    fetchOptions: () => ({ headers: auth }),
    requestPolicy: 'network-only',
    preferGetMethod: false,
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || '' };
          return { subscribe: (sink) => ({ unsubscribe: ws.subscribe(input, sink) }) };
        },
      }),
    ],
  });
}

export function disconnect() {
  if (ws) ws.dispose();
  ws = null;
  client = null;
}

// ApiError carries the API's errors with their codes, and the HTTP status.
export class ApiError extends Error {
  constructor(message, codes, status) {
    super(message);
    this.codes = codes;
    this.status = status;
  }
}

function toApiError(err) {
  if (!(err instanceof CombinedError)) return err;
  const codes = err.graphQLErrors.map((e) => e.extensions && e.extensions.code).filter(Boolean);
  const status = err.response && err.response.status;
  let message = err.graphQLErrors.map((e) => e.message).join('; ');
  if (!message && err.networkError) message = err.networkError.message;
  if (status === 401) codes.push('UNAUTHENTICATED');
  return new ApiError(message || 'the request failed', codes, status);
}

// query runs a query and resolves to its data; any error rejects, unless
// partial is set, when it resolves to { data, errors } instead.
export async function query(text, variables = {}, { partial = false } = {}) {
  if (!client) throw new ApiError('not signed in', ['UNAUTHENTICATED'], 401);
  const res = await client.query(text, variables).toPromise();
  if (res.error && !(partial && res.data)) throw toApiError(res.error);
  return partial ? { data: res.data, errors: res.error ? res.error.graphQLErrors : [] } : res.data;
}

export async function mutate(text, variables = {}) {
  if (!client) throw new ApiError('not signed in', ['UNAUTHENTICATED'], 401);
  const res = await client.mutation(text, variables).toPromise();
  if (res.error) throw toApiError(res.error);
  return res.data;
}

// subscribe calls onData with each event's data until the returned
// function is called.
export function subscribe(text, variables, onData, onError) {
  const sub = client.subscription(text, variables).subscribe((res) => {
    if (res.error) onError && onError(toApiError(res.error));
    else onData(res.data);
  });
  return () => sub.unsubscribe();
}

// whoAmI checks the key and tells whether it is an admin's: the settings
// answer any valid key, the API keys only an admin's (FORBIDDEN otherwise).
export async function whoAmI() {
  const { settings } = await query(`query WhoAmI { settings { baseCurrency timezone } }`);
  let admin = true;
  try {
    await query(`query AmIAdmin { apiKeys { id } }`);
  } catch (err) {
    if (!(err.codes || []).includes('FORBIDDEN')) throw err;
    admin = false;
  }
  return { settings, admin };
}
