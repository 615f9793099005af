// Package intercom is the "intercom" connector: it reads an Intercom
// workspace through the REST API, version 2.14 (sent as the Intercom-Version
// header), into Pulse's canonical entities — companies as accounts, users
// and leads as contacts of their company, teammates (admins) as people,
// conversation messages as touches and conversation ratings as CSAT
// responses.
//
// Contacts, conversations and ratings are read incrementally through the
// search endpoints (POST /contacts/search, /conversations/search), sorted
// by updated_at ascending and paged with pagination.starting_after. Intercom
// matches timestamp filters by calendar day in the workspace's time zone,
// so the query reaches back a day and more before the watermark and the
// connector drops what it already has: a checkpoint, written after every
// page, is the last updated_at read plus the ids read at that second.
// Records updated in the last few minutes are left for the next run, since
// the search index lags behind writes.
//
// Companies have no search endpoint: each run scrolls over all of them
// (GET /companies/scroll) and emits those updated since the last complete
// pass; a pass's checkpoints list the companies already emitted, so a
// resumed pass skips them.
//
// Intercom paces clients with X-RateLimit-Limit, X-RateLimit-Remaining and
// X-RateLimit-Reset (a Unix time) headers and answers 429 when the window
// is spent: the connector waits for the window's reset before its next
// call. Errors come as {"type":"error.list","errors":[{"code","message"}]}.
package intercom
