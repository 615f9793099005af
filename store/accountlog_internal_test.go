package store

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
)

// TestAccountLogFollowsEveryWrite builds the log once, then writes
// activities each way a sync or a merge does, then tickets and survey
// responses: each write is in the next log, patched rather than built
// again; only a truncation builds anew.
func TestAccountLogFollowsEveryWrite(t *testing.T) {
	ctx := context.Background()
	s, db, exec := migratedStore(t)

	a, b, ana := uuid.New(), uuid.New(), uuid.New()
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'Alpha'), (?, 'Bravo')`, a, b)
	exec(`INSERT INTO people (id, name, team) VALUES (?, 'Ana', 'cs')`, ana)
	exec(`INSERT INTO activities (id, account_id, person_id, team, kind, direction, occurred_at, duration_seconds, external_id)
		VALUES (?, ?, ?, 'cs', 'call', 'outbound', '2025-05-01T10:00:00Z', 600, 'a1')`, uuid.New(), a, ana)

	// summary is each account's activities in the log: when, the
	// person's name, and whether a touch.
	type entry struct {
		At     time.Time
		Person string
		Team   string
		Touch  bool
	}
	summary := func() map[string][]entry {
		t.Helper()
		l, err := s.accountLog(ctx)
		require.NoError(t, err)
		names := map[uuid.UUID]string{a: "Alpha", b: "Bravo", ana: "Ana"}
		out := map[string][]entry{}
		for id, es := range l.accounts {
			for _, e := range es.activities {
				x := entry{At: time.UnixMicro(e.at).UTC(), Touch: e.touch}
				if e.person >= 0 {
					x.Person = names[l.people[e.person]]
				}
				if e.team >= 0 {
					x.Team = domain.Teams[e.team]
				}
				out[names[id]] = append(out[names[id]], x)
			}
		}
		return out
	}
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }

	require.Equal(t, map[string][]entry{"Alpha": {{at("2025-05-01T10:00:00Z"), "Ana", "cs", true}}}, summary())
	require.Equal(t, 1, s.logBuilds())

	steps := []struct {
		name string
		do   func(tx *gorm.DB) error
		want map[string][]entry
	}{
		{"an insert, older than the rest", func(tx *gorm.DB) error {
			return tx.Exec(`INSERT INTO activities (id, account_id, team, kind, occurred_at, external_id)
				VALUES (?, ?, 'marketing', 'campaign_email', '2025-04-01T00:00:00Z', 'a2'), (?, ?, 'cs', 'note', '2025-04-02T00:00:00Z', 'b1')`,
				uuid.New(), a, uuid.New(), b).Error
		}, map[string][]entry{
			"Alpha": {{at("2025-04-01T00:00:00Z"), "", "marketing", true}, {at("2025-05-01T10:00:00Z"), "Ana", "cs", true}},
			"Bravo": {{at("2025-04-02T00:00:00Z"), "", "cs", false}},
		}},
		{"a soft delete", func(tx *gorm.DB) error {
			return tx.Exec(`UPDATE activities SET deleted_at = now() WHERE external_id = 'a2'`).Error
		}, map[string][]entry{
			"Alpha": {{at("2025-05-01T10:00:00Z"), "Ana", "cs", true}},
			"Bravo": {{at("2025-04-02T00:00:00Z"), "", "cs", false}},
		}},
		{"a merge moves an activity", func(tx *gorm.DB) error {
			return tx.Exec(`UPDATE activities SET account_id = ? WHERE external_id = 'b1'`, a).Error
		}, map[string][]entry{
			"Alpha": {{at("2025-04-02T00:00:00Z"), "", "cs", false}, {at("2025-05-01T10:00:00Z"), "Ana", "cs", true}},
		}},
		{"a delete", func(tx *gorm.DB) error {
			return tx.Exec(`DELETE FROM activities WHERE external_id = 'b1'`).Error
		}, map[string][]entry{
			"Alpha": {{at("2025-05-01T10:00:00Z"), "Ana", "cs", true}},
		}},
		{"two transactions, committed out of order", func(tx *gorm.DB) error {
			// The first to start commits last: its change has the
			// smaller transaction id.
			first := db.Begin()
			if err := first.Exec(`SELECT pg_current_xact_id()`).Error; err != nil {
				return err
			}
			if err := first.Exec(`INSERT INTO activities (id, account_id, team, kind, occurred_at, external_id)
				VALUES (?, ?, 'sales', 'email', '2025-06-01T00:00:00Z', 'b2')`, uuid.New(), b).Error; err != nil {
				return err
			}
			if err := tx.Exec(`INSERT INTO activities (id, account_id, team, kind, occurred_at, external_id)
				VALUES (?, ?, 'support', 'support_reply', '2025-06-02T00:00:00Z', 'a3')`, uuid.New(), a).Error; err != nil {
				return err
			}
			// A log read now sees the second, not the first.
			l, err := s.accountLog(ctx)
			if err != nil {
				return err
			}
			if len(l.entries(a, math.MaxInt64)) != 2 || len(l.entries(b, math.MaxInt64)) != 0 {
				t.Errorf("between the commits: %d activities of Alpha, %d of Bravo; want 2 and 0",
					len(l.entries(a, math.MaxInt64)), len(l.entries(b, math.MaxInt64)))
			}
			return first.Commit().Error
		}, map[string][]entry{
			"Alpha": {{at("2025-05-01T10:00:00Z"), "Ana", "cs", true}, {at("2025-06-02T00:00:00Z"), "", "support", true}},
			"Bravo": {{at("2025-06-01T00:00:00Z"), "", "sales", true}},
		}},
	}
	for _, st := range steps {
		require.NoError(t, st.do(db), st.name)
		require.Equal(t, st.want, summary(), st.name)
		require.Equal(t, 1, s.logBuilds(), "%s: patched, not built again", st.name)
	}

	// Tickets and survey responses are patched the same way.
	exec(`INSERT INTO tickets (id, account_id, status, opened_at, external_id) VALUES (?, ?, 'open', '2025-06-03T00:00:00Z', 't1')`, uuid.New(), b)
	exec(`INSERT INTO survey_responses (id, account_id, kind, score, responded_at, external_id)
		VALUES (?, ?, 'nps', 9, '2025-06-04T00:00:00Z', 'n1')`, uuid.New(), b)
	l, err := s.accountLog(ctx)
	require.NoError(t, err)
	require.Len(t, l.tickets(b, math.MaxInt64), 1)
	require.Len(t, l.surveys(b, math.MaxInt64), 1)
	exec(`UPDATE survey_responses SET deleted_at = now()`)
	exec(`UPDATE tickets SET resolved_at = '2025-06-05T00:00:00Z'`)
	l, err = s.accountLog(ctx)
	require.NoError(t, err)
	require.Empty(t, l.surveys(b, math.MaxInt64))
	require.Equal(t, micros(at("2025-06-05T00:00:00Z")), l.tickets(b, math.MaxInt64)[0].resolved)
	require.Equal(t, 1, s.logBuilds(), "patched, not built again")

	exec(`TRUNCATE activities`)
	require.Equal(t, map[string][]entry{}, summary())
	require.Equal(t, 2, s.logBuilds(), "a truncation builds the log anew")
}

// TestAccountLogRebuildsPastPrunedChanges: once changes the kept log
// needs were pruned (by this process or another), it is built anew rather
// than patched from what is left.
func TestAccountLogRebuildsPastPrunedChanges(t *testing.T) {
	ctx := context.Background()
	s, _, exec := migratedStore(t)
	a := uuid.New()
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'Alpha')`, a)
	require.NoError(t, s.WarmAccountLog(ctx))
	require.Equal(t, 1, s.logBuilds())

	exec(`INSERT INTO activities (id, account_id, team, kind, occurred_at, external_id)
		VALUES (?, ?, 'cs', 'call', '2025-05-01T00:00:00Z', 'a1')`, uuid.New(), a)
	// Another process prunes every change so far.
	exec(`UPDATE account_log_generation SET pruned_below = pg_current_xact_id()`)
	exec(`DELETE FROM account_log_changes`)
	l, err := s.accountLog(ctx)
	require.NoError(t, err)
	require.Len(t, l.entries(a, math.MaxInt64), 1, "the write whose change was pruned is in the log")
	require.Equal(t, 2, s.logBuilds(), "built anew")
}

// TestFewAccountsAreMeasuredWithoutTheLog: rescoring a few accounts
// while no log is kept, as a CLI sync does, reads those accounts' rows
// alone rather than building the whole log.
func TestFewAccountsAreMeasuredWithoutTheLog(t *testing.T) {
	ctx := context.Background()
	s, _, exec := migratedStore(t)
	a, other := uuid.New(), uuid.New()
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'Alpha'), (?, 'Other')`, a, other)
	exec(`INSERT INTO activities (id, account_id, team, kind, occurred_at, external_id)
		VALUES (?, ?, 'cs', 'call', '2025-05-01T00:00:00Z', 'a1'), (?, ?, 'cs', 'call', '2025-05-02T00:00:00Z', 'o1')`,
		uuid.New(), a, uuid.New(), other)

	l, err := s.logOf(ctx, []uuid.UUID{a})
	require.NoError(t, err)
	require.Len(t, l.entries(a, math.MaxInt64), 1)
	require.Empty(t, l.entries(other, math.MaxInt64), "only the accounts asked for are read")
	require.Equal(t, 0, s.logBuilds(), "no log built, none kept")

	require.NoError(t, s.WarmAccountLog(ctx))
	l, err = s.logOf(ctx, []uuid.UUID{a})
	require.NoError(t, err)
	require.Len(t, l.entries(other, math.MaxInt64), 1, "once a log is kept, it is the one read")
}
