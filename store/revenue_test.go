package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain/retention"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// BenchmarkRevenueReports answers each report over 100,000 accounts with
// about 2.5 items each over two years, a CS owner each and a year of
// weekday EUR and GBP rates: the scale of the largest demo set. Every
// iteration loads the data afresh, as a request does.
func BenchmarkRevenueReports(b *testing.B) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(b))
	require.NoError(b, err)
	b.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(b, err)
	for _, sql := range []string{
		`INSERT INTO people (id, name, team) SELECT gen_random_uuid(), 'cs ' || n, 'cs' FROM generate_series(1, 200) n`,
		`INSERT INTO accounts (id, name, tier, segment)
			SELECT gen_random_uuid(), 'account ' || n, (ARRAY['A','B','C'])[1 + n % 3], (ARRAY['smb','mid-market','enterprise'])[1 + n % 3]
			FROM generate_series(1, 100000) n`,
		`INSERT INTO account_team (id, account_id, person_id, role, external_id)
			SELECT gen_random_uuid(), a.id, p.id, 'cs', a.id::text
			FROM (SELECT id, row_number() OVER (ORDER BY id) % 200 AS k FROM accounts) a
			JOIN (SELECT id, row_number() OVER (ORDER BY id) % 200 AS k FROM people) p USING (k)`,
		`INSERT INTO fx_rates (id, date, currency, rate, external_id)
			SELECT gen_random_uuid(), d::date, c, 1 + (extract(doy FROM d) / 1000)::numeric(6,4), c || d::date
			FROM generate_series('2023-12-01'::date, '2026-06-30'::date, '1 day') d, unnest(ARRAY['EUR','GBP']) c
			WHERE extract(isodow FROM d) < 6`,
		// Each account: a first plan, then an upgrade (ending the first)
		// for two thirds of them, and an add-on that ends for half.
		`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, ends_at, external_id)
			SELECT gen_random_uuid(), a.id, 'Basic', 49 + a.n % 500, (ARRAY['USD','USD','EUR','GBP'])[1 + a.n % 4],
				(ARRAY['month','quarter','year'])[1 + a.n % 3],
				'2024-01-01'::timestamptz + (a.n % 700) * interval '1 day',
				CASE WHEN a.n % 3 > 0 THEN '2024-01-01'::timestamptz + (a.n % 700 + 90 + a.n % 200) * interval '1 day' END,
				'b' || a.n
			FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM accounts) a`,
		`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, ends_at, external_id)
			SELECT gen_random_uuid(), i.account_id, 'Pro', i.amount * 2, i.currency, i.interval, i.ends_at,
				CASE WHEN row_number() OVER (ORDER BY i.id) % 5 = 0 THEN i.ends_at + interval '200 days' END, 'p' || i.external_id
			FROM subscription_items i WHERE i.ends_at IS NOT NULL`,
		`INSERT INTO subscription_items (id, account_id, plan, amount, currency, interval, starts_at, ends_at, external_id)
			SELECT gen_random_uuid(), i.account_id, 'Seats', 30, i.currency, 'month', i.starts_at + interval '30 days',
				CASE WHEN row_number() OVER (ORDER BY i.id) % 2 = 0 THEN i.starts_at + interval '300 days' END, 's' || i.external_id
			FROM subscription_items i WHERE i.plan = 'Basic'`,
		`ANALYZE`,
	} {
		require.NoError(b, db.Exec(sql).Error)
	}
	st := store.New(db)
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	reports := []struct {
		name string
		run  func() error
	}{
		{"retention", func() error {
			_, err := st.Retention(ctx, retention.Request{From: day("2025-01-01"), To: day("2026-01-01")})
			return err
		}},
		{"retention by owner", func() error {
			_, err := st.Retention(ctx, retention.Request{From: day("2025-01-01"), To: day("2026-01-01"), GroupBy: retention.GroupOwner})
			return err
		}},
		{"retention by plan", func() error {
			_, err := st.Retention(ctx, retention.Request{From: day("2025-01-01"), To: day("2026-01-01"), GroupBy: retention.GroupPlan})
			return err
		}},
		{"mrr movements 24 months", func() error {
			_, err := st.MRRMovements(ctx, retention.Request{From: day("2024-07-01"), To: day("2026-07-01")})
			return err
		}},
		{"monthly churn 24 months", func() error {
			_, err := st.MonthlyChurn(ctx, retention.Request{From: day("2024-07-01"), To: day("2026-07-01")})
			return err
		}},
		{"cohorts 24 months", func() error {
			_, err := st.Cohorts(ctx, retention.Request{From: day("2024-07-01"), To: day("2026-07-01"), Measure: retention.MeasureMRR})
			return err
		}},
		{"revenue from existing", func() error {
			_, err := st.RevenueFromExisting(ctx, retention.Request{From: day("2025-01-01"), To: day("2026-01-01")})
			return err
		}},
	}
	for _, r := range reports {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				require.NoError(b, r.run())
			}
		})
	}
}
