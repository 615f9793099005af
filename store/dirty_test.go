package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/store"
)

// marked is the accounts marked dirty, by name (or id when the account
// is gone), each once, sorted.
func marked(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	var names []string
	require.NoError(t, db.Raw(`SELECT DISTINCT coalesce(a.name, m.account_id::text) FROM rescore_marks m
		LEFT JOIN accounts a ON a.id = m.account_id ORDER BY 1`).Scan(&names).Error)
	return names
}

func clearMarks(t *testing.T, db *gorm.DB) {
	t.Helper()
	require.NoError(t, db.Exec("DELETE FROM rescore_marks").Error)
}

// dirtyFixture is three accounts, each with a contact and an activity,
// their marks cleared.
func dirtyFixture(t *testing.T) (*store.Store, *gorm.DB) {
	t.Helper()
	s, db := openStore(t)
	insert(t, db,
		&[]domain.Account{{ID: id(1), Name: "A", Segment: "enterprise"}, {ID: id(2), Name: "B", Segment: "smb"}, {ID: id(3), Name: "C"}},
		&[]domain.Contact{{ID: id(11), AccountID: id(1), Name: "Ann"}, {ID: id(12), AccountID: id(2), Name: "Ben"}, {ID: id(13), AccountID: id(3), Name: "Cid"}},
		&[]domain.Activity{
			{ID: id(21), AccountID: id(1), Team: "cs", Kind: "call", Direction: "outbound", OccurredAt: ts("2025-05-01T10:00:00Z"), Provenance: ext("a1")},
			{ID: id(22), AccountID: id(2), Team: "cs", Kind: "call", Direction: "outbound", OccurredAt: ts("2025-05-02T10:00:00Z"), Provenance: ext("a2")},
			{ID: id(23), AccountID: id(3), Team: "cs", Kind: "call", Direction: "outbound", OccurredAt: ts("2025-05-03T10:00:00Z"), Provenance: ext("a3")},
		})
	return s, db
}

// TestWritesMarkTheirAccountsInTheirTransaction writes account rows in a
// transaction and reads the marks it left: exactly the accounts whose
// rows it changed once it commits, none when it rolls back.
func TestWritesMarkTheirAccountsInTheirTransaction(t *testing.T) {
	_, db := dirtyFixture(t)
	require.Equal(t, []string{"A", "B", "C"}, marked(t, db), "the fixture's inserts mark their accounts")
	cases := []struct {
		name     string
		write    []string
		rollback bool
		want     []string
	}{
		{name: "a batch of inserts and updates", write: []string{
			`INSERT INTO activities (id, account_id, team, kind, direction, occurred_at, external_id)
				VALUES (gen_random_uuid(), '` + id(1).String() + `', 'cs', 'email', 'outbound', now(), 'a9')`,
			`UPDATE contacts SET name = 'Benjamin' WHERE id = '` + id(12).String() + `'`,
		}, want: []string{"A", "B"}},
		{name: "rolled back", rollback: true, write: []string{
			`UPDATE contacts SET name = 'Annie' WHERE id = '` + id(11).String() + `'`,
			`UPDATE accounts SET segment = 'mid' WHERE id = '` + id(3).String() + `'`,
		}, want: nil},
		{name: "rows written again unchanged", write: []string{
			`UPDATE activities SET subject = subject`,
			`UPDATE accounts SET name = name`,
		}, want: nil},
		{name: "a row moved between accounts", write: []string{
			`UPDATE activities SET account_id = '` + id(3).String() + `' WHERE id = '` + id(22).String() + `'`,
		}, want: []string{"B", "C"}},
		{name: "a delete", write: []string{
			`DELETE FROM contacts WHERE id = '` + id(11).String() + `'`,
		}, want: []string{"A"}},
		{name: "an account's own row", write: []string{
			`UPDATE accounts SET renewal_date = '2026-01-01' WHERE id = '` + id(2).String() + `'`,
		}, want: []string{"B"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearMarks(t, db)
			err := db.Transaction(func(tx *gorm.DB) error {
				for _, w := range c.write {
					require.NoError(t, tx.Exec(w).Error, w)
				}
				if c.rollback {
					return gorm.ErrInvalidTransaction
				}
				return nil
			})
			if c.rollback {
				require.ErrorIs(t, err, gorm.ErrInvalidTransaction)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, c.want, marked(t, db))
		})
	}
}

// TestRescoreDirtyScoresAndClearsTheMarks rescores the marks in chunks:
// every marked account is scored once, and no mark is left.
func TestRescoreDirtyScoresAndClearsTheMarks(t *testing.T) {
	ctx := context.Background()
	s, db := dirtyFixture(t)
	var marks int
	require.NoError(t, db.Raw("SELECT count(*) FROM rescore_marks").Scan(&marks).Error)
	// The fixture's three inserts each marked the three accounts.
	require.Equal(t, 9, marks)
	first, err := s.RescoreDirty(ctx, 2, time.Now())
	require.NoError(t, err)
	require.Equal(t, store.DirtyChunk{Accounts: 1, Marks: 3, Full: true}, first, "two marks of one account claim all of its marks")
	rest, err := s.RescoreDirty(ctx, 100, time.Now())
	require.NoError(t, err)
	require.Equal(t, store.DirtyChunk{Accounts: 2, Marks: 6}, rest)
	require.Empty(t, marked(t, db))
	var scored []string
	require.NoError(t, db.Raw("SELECT a.name FROM account_health h JOIN accounts a ON a.id = h.account_id ORDER BY 1").Scan(&scored).Error)
	require.Equal(t, []string{"A", "B", "C"}, scored)
	none, err := s.RescoreDirty(ctx, 100, time.Now())
	require.NoError(t, err)
	require.Equal(t, store.DirtyChunk{}, none)

	// A mark of an account deleted since is cleared without a score.
	require.NoError(t, db.Exec("INSERT INTO rescore_marks (account_id, reason) VALUES (?, 'test')", id(99)).Error)
	gone, err := s.RescoreDirty(ctx, 100, time.Now())
	require.NoError(t, err)
	require.Equal(t, 0, gone.Accounts)
	require.Positive(t, gone.Marks)
	require.Empty(t, marked(t, db))
}

// holdLock takes a table lock in a transaction of its own, on a connection
// of its own, until the returned release is called.
func holdLock(t *testing.T, db *gorm.DB, table, mode string) (release func()) {
	t.Helper()
	tx := db.Begin()
	require.NoError(t, tx.Error)
	require.NoError(t, tx.Exec("LOCK TABLE "+table+" IN "+mode+" MODE").Error)
	done := false
	release = func() {
		if !done {
			done = true
			require.NoError(t, tx.Rollback().Error)
		}
	}
	t.Cleanup(release)
	return release
}

// lockWaiters waits until n backends of this database wait for a lock, and
// returns their process ids.
func lockWaiters(t *testing.T, db *gorm.DB, n int) []int {
	t.Helper()
	for range 600 {
		var pids []int
		require.NoError(t, db.Raw(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
			ORDER BY pid`).Scan(&pids).Error)
		if len(pids) == n {
			return pids
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%d backends never came to wait for a lock", n)
	return nil
}

// TestACrashedRescoreLeavesItsMarks stops a rescore where a crash could:
// before its scores are kept, and after, before its marks are cleared. It
// waits on a lock the test holds there, and its connection is cut, as a
// process's death cuts it. Either way the marks stay, and the next rescore
// scores their accounts.
func TestACrashedRescoreLeavesItsMarks(t *testing.T) {
	cases := []struct {
		name string
		// the table locked, so that the rescore waits to write it
		table      string
		wantScores int
	}{
		{name: "before the scores are kept", table: "account_health", wantScores: 0},
		{name: "after the scores are kept", table: "rescore_marks", wantScores: 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			s, db := dirtyFixture(t)
			release := holdLock(t, db, c.table, "SHARE")
			done := make(chan error, 1)
			go func() {
				_, err := s.RescoreDirty(ctx, 100, time.Now())
				done <- err
			}()
			pids := lockWaiters(t, db, 1)
			require.NoError(t, db.Exec("SELECT pg_terminate_backend(?)", pids[0]).Error)
			require.Error(t, <-done)
			release()

			require.Equal(t, []string{"A", "B", "C"}, marked(t, db))
			var scores int
			require.NoError(t, db.Raw("SELECT count(*) FROM account_health").Scan(&scores).Error)
			require.Equal(t, c.wantScores, scores)

			again, err := s.RescoreDirty(ctx, 100, time.Now())
			require.NoError(t, err)
			require.Equal(t, 3, again.Accounts)
			require.Empty(t, marked(t, db))
		})
	}
}

// TestConcurrentRescoresShareTheMarks runs two rescores at once, both held
// before they keep their scores: each claims marks the other does not
// hold, and a third finds none left to claim. A write to a claimed
// account meanwhile marks it again, and that mark outlives the rescore.
func TestConcurrentRescoresShareTheMarks(t *testing.T) {
	ctx := context.Background()
	s, db := dirtyFixture(t)
	release := holdLock(t, db, "account_health", "SHARE")
	type result struct {
		chunk store.DirtyChunk
		err   error
	}
	done := make(chan result, 2)
	rescore := func(limit int) {
		c, err := s.RescoreDirty(ctx, limit, time.Now())
		done <- result{c, err}
	}
	go rescore(4)
	lockWaiters(t, db, 1)
	go rescore(100)
	lockWaiters(t, db, 2)

	third, err := s.RescoreDirty(ctx, 100, time.Now())
	require.NoError(t, err)
	require.Equal(t, store.DirtyChunk{}, third, "every mark is held by the two")

	// A's data changes while both hold their marks.
	insert(t, db, &domain.Activity{ID: id(29), AccountID: id(1), Team: "cs", Kind: "email", Direction: "outbound",
		OccurredAt: ts("2025-05-09T10:00:00Z"), Provenance: ext("a9")})
	release()
	var accounts, marks []int
	for range 2 {
		r := <-done
		require.NoError(t, r.err)
		accounts = append(accounts, r.chunk.Accounts)
		marks = append(marks, r.chunk.Marks)
	}
	slices.Sort(accounts)
	slices.Sort(marks)
	require.Equal(t, []int{1, 2}, accounts, "each account is scored by one of them")
	require.Equal(t, []int{3, 6}, marks)
	require.Equal(t, []string{"A"}, marked(t, db), "the mark made meanwhile stays")

	last, err := s.RescoreDirty(ctx, 100, time.Now())
	require.NoError(t, err)
	require.Equal(t, store.DirtyChunk{Accounts: 1, Marks: 1}, last)
}

// TestSavingAScorecardMarksTheAccountsItScores saves scorecards and reads
// the marks each save left: the accounts whose scorecard it changed.
func TestSavingAScorecardMarksTheAccountsItScores(t *testing.T) {
	ctx := context.Background()
	s, db := dirtyFixture(t)
	asOf := ts("2025-06-01T00:00:00Z")
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{name: "a scorecard of a segment", yaml: `
name: enterprise
version: 1
segment: enterprise
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`,
			want: []string{"A"}},
		{name: "a new version of the default", yaml: `
name: default
version: 2
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`,
			want: []string{"B", "C"}},
		{name: "the segment's scorecard moves to another segment", yaml: `
name: enterprise
version: 2
segment: smb
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`,
			want: []string{"A", "B"}},
		{name: "a scorecard no account's segment chooses", yaml: `
name: partners
version: 1
segment: partner
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`,
			want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearMarks(t, db)
			_, err := s.SaveScorecard(ctx, c.yaml, asOf)
			require.NoError(t, err)
			require.Equal(t, c.want, marked(t, db))
		})
	}
	t.Run("a refused save marks nothing", func(t *testing.T) {
		clearMarks(t, db)
		_, err := s.SaveScorecard(ctx, `
name: default
version: 2
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`, asOf)
		require.Error(t, err)
		require.Empty(t, marked(t, db))
	})
}
