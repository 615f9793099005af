package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/store"
)

// BenchmarkHealth scores the accounts of a database named by
// PULSE_HEALTH_BENCH_URL, such as a copy of the 100,000-account demo set
// (the benchmark writes scores into it): a full rescore, a rescore of the
// 1,000 accounts a sync touched, the latest scores of a page, renewals (a
// year on too, with every renewal date past) and a year's back-test.
func BenchmarkHealth(b *testing.B) {
	url := os.Getenv("PULSE_HEALTH_BENCH_URL")
	if url == "" {
		b.Skip("PULSE_HEALTH_BENCH_URL names no database to benchmark on")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	require.NoError(b, err)
	b.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(b, err)
	st := store.New(db)
	var asOf time.Time
	require.NoError(b, db.Raw("SELECT max(occurred_at) FROM activities").Scan(&asOf).Error)
	var ids []uuid.UUID
	require.NoError(b, db.Raw("SELECT id FROM accounts WHERE deleted_at IS NULL ORDER BY id").Scan(&ids).Error)
	b.Logf("%d accounts, as of %s", len(ids), asOf)

	b.Run("rescore all", func(b *testing.B) {
		for b.Loop() {
			res, err := st.Rescore(ctx, health.RescoreRequest{All: true, AsOf: asOf})
			require.NoError(b, err)
			require.Equal(b, len(ids), res.Accounts)
		}
	})
	b.Run("rescore 1000 touched", func(b *testing.B) {
		for b.Loop() {
			_, err := st.Rescore(ctx, health.RescoreRequest{AccountIDs: ids[:1000], AsOf: asOf})
			require.NoError(b, err)
		}
	})
	b.Run("latest health of 100", func(b *testing.B) {
		for b.Loop() {
			_, err := st.LatestHealth(ctx, ids[5000:5100])
			require.NoError(b, err)
		}
	})
	b.Run("renewals 90 days", func(b *testing.B) {
		for b.Loop() {
			_, err := st.Renewals(ctx, health.RenewalQuery{AsOf: asOf, WithinDays: 90}, 1000)
			require.NoError(b, err)
		}
	})
	b.Run("renewals 90 days red", func(b *testing.B) {
		for b.Loop() {
			_, err := st.Renewals(ctx, health.RenewalQuery{AsOf: asOf, WithinDays: 90, Band: health.BandRed}, 1000)
			require.NoError(b, err)
		}
	})
	b.Run("renewals a year on, every date past", func(b *testing.B) {
		// Every renewal date of the demo set is behind a year on: each
		// account's MRR decides whether it is overdue.
		for b.Loop() {
			_, err := st.Renewals(ctx, health.RenewalQuery{AsOf: asOf.AddDate(1, 0, 1), WithinDays: 90}, 1000)
			require.NoError(b, err)
		}
	})
	b.Run("backtest a year", func(b *testing.B) {
		for b.Loop() {
			bt, err := st.HealthBacktest(ctx, health.BacktestQuery{Scorecard: "default", From: asOf.AddDate(-1, 0, 0), To: asOf, LeadDays: 30})
			require.NoError(b, err)
			b.ReportMetric(float64(bt.Cohort), "cohort")
		}
	})
}
