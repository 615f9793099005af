// Package zendesk is the Pulse connector for the Zendesk Support API. It
// reads organizations as accounts, agents and admins as support teammates,
// end-users of an organization as contacts, tickets (with their metric sets,
// for first reply and resolution times) and received satisfaction ratings
// as CSAT survey responses.
//
// Organizations come from the time-based incremental export
// (/api/v2/incremental/organizations, start_time and end_time, with the ids
// already read at the last second kept in the state so the boundary second
// that the next page repeats is not emitted twice). Users and tickets come
// from the cursor-based incremental exports (/api/v2/incremental/users/cursor
// and /api/v2/incremental/tickets/cursor, after_cursor and end_of_stream).
// Satisfaction ratings come from /api/v2/satisfaction_ratings with
// score=received, a start_time watermark and cursor pagination. Every stream
// checkpoints after each page.
//
// Deletions arrive as tombstones: a ticket whose status is "deleted" in the
// export, an organization with a deleted_at, an inactive (deleted) user.
// Pulse files tickets, contacts and ratings under an account, so those
// without an organization are sent as tombstones too: one that lost its
// organization leaves the account it was filed under.
package zendesk
