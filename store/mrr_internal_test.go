package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/retention"
)

// TestMRRHistoriesFollowEveryWrite changes in turn each table an MRR
// history is priced from: every change is in the next report, the writes
// that change nothing mark nothing, and a report with nothing marked
// prices nothing.
func TestMRRHistoriesFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	s, db, exec := migratedStore(t)

	acct, other, owner := uuid.New(), uuid.New(), uuid.New()
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'steady'), (?, 'other')`, acct, other)
	exec(`INSERT INTO people (id, name, team) VALUES (?, 'Ana', 'cs')`, owner)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
		VALUES (?, ?, 'Basic', 100, 'USD', 'month', '2025-01-01', 'usd-1')`, uuid.New(), acct)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
		VALUES (?, ?, 'Euro', 120, 'EUR', 'year', '2025-01-01', 'eur-1')`, uuid.New(), acct)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
		VALUES (?, ?, 'Basic', 10, 'USD', 'month', '2025-01-01', 'other-1')`, uuid.New(), other)

	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	// report is the retention of May 2025: its end MRR is the MRR on
	// June 1st.
	report := func(r retention.Request) retention.Report {
		t.Helper()
		r.From, r.To = day("2025-05-01"), day("2025-06-01")
		rep, err := s.Retention(ctx, r)
		require.NoError(t, err)
		return *rep
	}
	mrr := func() string {
		t.Helper()
		return report(retention.Request{}).Figures.EndMRR.StringFixed(2)
	}
	marked := func() int {
		t.Helper()
		var n int
		require.NoError(t, db.Raw("SELECT count(DISTINCT account_id) FROM mrr_dirty").Scan(&n).Error)
		return n
	}
	require.Equal(t, 2, marked(), "new accounts are marked")
	require.Equal(t, "110.00", mrr(), "the EUR item has no rate yet")
	require.Equal(t, 0, marked())
	require.Len(t, report(retention.Request{}).MissingRates, 1)
	priced, err := s.RefreshRevenue(ctx)
	require.NoError(t, err)
	require.Zero(t, priced, "nothing changed: nothing is priced")

	changes := []struct {
		name, sql string
		marks     int
		want      string
	}{
		{"a write of no row", `UPDATE fx_rates SET rate = rate WHERE false`, 0, "110.00"},
		{"an item written again unchanged", `UPDATE subscription_items SET amount = amount, updated_at = now()`, 0, "110.00"},
		{"a rate", `INSERT INTO fx_rates (id, date, currency, rate, external_id) VALUES (gen_random_uuid(), '2024-12-31', 'EUR', 1.5, 'eur')`, 1, "125.00"},
		{"a rate after every start", `INSERT INTO fx_rates (id, date, currency, rate, external_id) VALUES (gen_random_uuid(), '2025-02-01', 'EUR', 3, 'eur-2')`, 0, "125.00"},
		{"a new item", `INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
			VALUES (gen_random_uuid(), '` + acct.String() + `', 'Seats', 30, 'USD', 'month', '2025-03-01', 'seats-1')`, 1, "155.00"},
		{"an item's price", `UPDATE subscription_items SET amount = 200 WHERE external_id = 'usd-1'`, 1, "255.00"},
		{"an item's end", `UPDATE subscription_items SET ends_at = '2025-05-01' WHERE external_id = 'seats-1'`, 1, "225.00"},
		{"an item gone", `UPDATE subscription_items SET deleted_at = now() WHERE external_id = 'other-1'`, 1, "215.00"},
		{"an account gone", `UPDATE accounts SET deleted_at = now()`, 0, "0.00"},
		{"the account back", `UPDATE accounts SET deleted_at = NULL`, 0, "215.00"},
		{"the base currency", `UPDATE workspace_settings SET base_currency = 'EUR'`, 2, "10.00"},
		{"the base currency back", `UPDATE workspace_settings SET base_currency = 'USD'`, 2, "215.00"},
	}
	for _, c := range changes {
		exec(c.sql)
		require.Equal(t, c.marks, marked(), "%s: accounts marked", c.name)
		require.Equal(t, c.want, mrr(), c.name)
	}

	// A team change is read by the next report: Ana's book holds the
	// account once she is on its team.
	ownedBy := func() int {
		t.Helper()
		return report(retention.Request{Filter: retention.Filter{OwnerID: &owner}, OwnerRole: "cs"}).Figures.EndCount
	}
	require.Equal(t, 0, ownedBy())
	exec(`INSERT INTO account_team (id, account_id, person_id, role, external_id) VALUES (gen_random_uuid(), ?, ?, 'cs', 'm-1')`, acct, owner)
	require.Equal(t, 1, ownedBy())

	// A transaction that wrote before a report priced the account but
	// committed after it leaves its mark for the next.
	tx := db.Begin()
	require.NoError(t, tx.Exec(`UPDATE subscription_items SET amount = 300 WHERE external_id = 'usd-1'`).Error)
	exec(`UPDATE subscription_items SET amount = 40 WHERE external_id = 'seats-1'`)
	require.Equal(t, "215.00", mrr(), "the update is not committed yet; the other ended before")
	require.NoError(t, tx.Commit().Error)
	require.Equal(t, 1, marked())
	require.Equal(t, "315.00", mrr(), "the late commit is seen")

	// A deleted account's marks go.
	exec(`DELETE FROM subscription_items WHERE account_id = ?`, other)
	exec(`DELETE FROM accounts WHERE id = ?`, other)
	require.Equal(t, "315.00", mrr())
	require.Equal(t, 0, marked())
}

// TestRefreshRevenueShared: processes pricing at once share the work, and
// each returns with every marked account priced.
func TestRefreshRevenueShared(t *testing.T) {
	ctx := context.Background()
	s, _, exec := migratedStore(t)
	exec(`INSERT INTO accounts (id, name) SELECT gen_random_uuid(), 'a' || n FROM generate_series(1, 5000) n`)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, external_id)
		SELECT gen_random_uuid(), id, 'Basic', 10, 'USD', 'month', '2025-01-01', id::text FROM accounts`)
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range counts {
		wg.Go(func() {
			n, err := New(s.db).RefreshRevenue(ctx)
			require.NoError(t, err)
			counts[i] = n
		})
	}
	wg.Wait()
	require.Equal(t, 5000, counts[0]+counts[1]+counts[2], "each account is priced once")
	var left, total int
	require.NoError(t, s.db.Raw("SELECT count(*) FROM mrr_dirty").Scan(&left).Error)
	require.Zero(t, left)
	require.NoError(t, s.db.Raw("SELECT count(*) FROM account_mrr WHERE mrr_now = 10").Scan(&total).Error)
	require.Equal(t, 5000, total)
}

// TestAccountsByMRRAtAnotherInstant: the MRR accounts are ordered by is
// brought to the instant the order is taken at, both ways.
func TestAccountsByMRRAtAnotherInstant(t *testing.T) {
	ctx := context.Background()
	s, _, exec := migratedStore(t)
	early, late := uuid.New(), uuid.New()
	exec(`INSERT INTO accounts (id, name) VALUES (?, 'early'), (?, 'late')`, early, late)
	exec(`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, ends_at, external_id)
		VALUES (gen_random_uuid(), ?, 'Basic', 100, 'USD', 'month', '2025-01-01', '2025-06-01', 'e'),
		       (gen_random_uuid(), ?, 'Basic', 50, 'USD', 'month', '2025-03-01', NULL, 'l')`, early, late)
	order := func(at string) []string {
		t.Helper()
		when, err := time.Parse(time.DateOnly, at)
		require.NoError(t, err)
		page, err := s.Accounts(ctx, domain.AccountQuery{At: when,
			Order: []domain.AccountOrder{{By: domain.SortByMRR, Desc: true}}, Window: domain.Window[domain.Cursor]{First: 10}})
		require.NoError(t, err)
		var names []string
		for _, a := range page.Items {
			names = append(names, a.Name)
		}
		return names
	}
	require.Equal(t, []string{"early", "late"}, order("2025-04-01"))
	require.Equal(t, []string{"late", "early"}, order("2025-07-01"))
	require.Equal(t, []string{"early", "late"}, order("2025-02-01"))
	require.Equal(t, []string{"late", "early"}, order("2026-01-01"))
}
