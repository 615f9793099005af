// Runs the GraphQL-over-HTTP audit of the graphql-http package against a
// running pulse serve: PULSE_URL is its base URL, PULSE_KEY an API key.
// Exits non-zero when any audit errors; prints warnings with their reason.
import { auditServer } from 'graphql-http';

const url = process.env.PULSE_URL + '/query';
const key = process.env.PULSE_KEY;
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('Authorization', 'Bearer ' + key);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
const count = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const r of results) {
  count[r.status]++;
  if (r.status !== 'ok') {
    console.log(`${r.status.toUpperCase().padEnd(5)} ${r.id} ${r.name}: ${r.reason}`);
  }
}
console.log(`graphql-http audit: ${count.ok} ok, ${count.notice} notices, ${count.warn} warnings, ${count.error} errors`);
process.exit(count.error > 0 ? 1 : 0);
