package store

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain/retention"
)

// TestRevenueBooksAreKeptUntilTheirDataChanges builds a book, then changes
// each table a book is built from in turn: every change is in the next
// book, and a report with no change in between builds none.
func TestRevenueBooksAreKeptUntilTheirDataChanges(t *testing.T) {
	ctx := context.Background()
	s, db, exec := migratedStore(t)

	acct, owner := uuid.New(), uuid.New()
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'steady')`, acct)
	exec(`INSERT INTO people (id, name, team) VALUES (?, 'Ana', 'cs')`, owner)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
		VALUES (?, ?, 'Basic', 100, 'USD', 'month', '2025-01-01', 'usd-1')`, uuid.New(), acct)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
		VALUES (?, ?, 'Euro', 120, 'EUR', 'year', '2025-01-01', 'eur-1')`, uuid.New(), acct)

	mrr := func(role string) string {
		t.Helper()
		b, _, err := s.revenueBookOf(ctx, role, "USD")
		require.NoError(t, err)
		return b.MRR(acct, at).StringFixed(2)
	}
	require.Equal(t, "100.00", mrr(""), "the EUR item has no rate yet")
	require.Equal(t, "100.00", mrr(""))
	require.Equal(t, 1, s.books.builtCount(), "nothing changed: the book is kept")
	_, built, err := s.revenueBookOf(ctx, "", "USD")
	require.NoError(t, err)
	require.False(t, built, "a kept book is not built")

	changes := []struct {
		name, sql, want string
	}{
		{"a rate", `INSERT INTO fx_rates (id, date, currency, rate, external_id) VALUES (gen_random_uuid(), '2024-12-31', 'EUR', 1.5, 'eur')`, "115.00"},
		{"a new item", `INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
			SELECT gen_random_uuid(), id, 'Seats', 30, 'USD', 'month', '2025-03-01', 'seats-1' FROM accounts`, "145.00"},
		{"an item's price", `UPDATE subscription_items SET amount = 200 WHERE external_id = 'usd-1'`, "245.00"},
		{"an item's end", `UPDATE subscription_items SET ends_at = '2025-05-01' WHERE external_id = 'seats-1'`, "215.00"},
		{"an account gone", `UPDATE accounts SET deleted_at = now()`, "0.00"},
		{"the account back", `UPDATE accounts SET deleted_at = NULL`, "215.00"},
	}
	for i, c := range changes {
		exec(c.sql)
		require.Equal(t, c.want, mrr(""), c.name)
		require.Equal(t, 2+i, s.books.builtCount(), "%s: one new book", c.name)
	}

	// A team change is in the next book of that role: Ana's book holds
	// the account once she is on its team.
	ownedBy := func() int {
		t.Helper()
		rep, err := s.Retention(ctx, retention.Request{From: at, To: at.AddDate(0, 1, 0),
			Filter: retention.Filter{OwnerID: &owner}, OwnerRole: "cs"})
		require.NoError(t, err)
		return rep.Figures.EndCount
	}
	require.Equal(t, 0, ownedBy())
	before := s.books.builtCount()
	exec(`INSERT INTO account_team (id, account_id, person_id, role, external_id) VALUES (gen_random_uuid(), ?, ?, 'cs', 'm-1')`, acct, owner)
	require.Equal(t, 1, ownedBy())
	require.Equal(t, before+1, s.books.builtCount())

	// A transaction that wrote before a book was built but committed
	// after it is seen: its row in revenue_changes comes into view.
	tx := db.Begin()
	require.NoError(t, tx.Exec(`UPDATE subscription_items SET amount = 300 WHERE external_id = 'usd-1'`).Error)
	require.Equal(t, "215.00", mrr(""), "the update is not committed yet")
	require.NoError(t, tx.Commit().Error)
	require.Equal(t, "315.00", mrr(""), "the late commit is seen")

	// Emptying revenue_changes moves to a new generation: kept books are
	// built anew once, right.
	before = s.books.builtCount()
	require.NoError(t, s.pruneRevenueChanges(ctx))
	require.Equal(t, "315.00", mrr(""))
	require.Equal(t, before+1, s.books.builtCount())
	require.Equal(t, "315.00", mrr(""))
	require.Equal(t, before+1, s.books.builtCount())
}
