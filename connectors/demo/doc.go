// Package demo is the "demo" connector: deterministic synthetic customer
// data for trying Pulse without a vendor account, for screenshots and for
// benchmarks.
//
// Configured with a seed, a number of accounts (size) and an end date, it
// emits two years of history ending at the end date: teammates, accounts and
// their teams, contacts, subscription items, deals, touches, tickets, survey
// responses and exchange rates. The same configuration always yields the
// same records, byte for byte.
//
// The data is meant to tell a true story to the reports. Every account has a
// hidden health between 0 and 1; unhealthy accounts are touched less (some
// not by CS for months), open more and more urgent tickets, wait longer for
// answers, give low NPS scores and downgrade, and they churn more often,
// after those signals appear. A few gaps are left on purpose: about 5% of
// customers have no CS owner, about 10% of new customers get their first
// onboarding session late or never, and a few contacts receive more than
// five outbound touches on one day.
//
// Every record of account i comes from a random generator seeded by (seed,
// stream, i), not from one sequence running through the whole read, so each
// stream checkpoints {"next": i} and a read resumed from any checkpoint
// yields exactly the records the interrupted read had not yet committed.
package demo
