package store

import (
	"context"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkAccountLog builds the account log of the database named by
// PULSE_BENCH_DATABASE_URL (the 100,000-account demo set), reporting the
// heap it holds, and patches it after a write to the activities of 1,000
// accounts, as a sync's batch would (the benchmark rewrites those rows
// unchanged).
func BenchmarkAccountLog(b *testing.B) {
	url := os.Getenv("PULSE_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("PULSE_BENCH_DATABASE_URL names no database to benchmark on")
	}
	ctx := context.Background()
	db, err := Open(ctx, url)
	require.NoError(b, err)
	b.Cleanup(func() { Close(db) })
	_, err = Migrate(ctx, db)
	require.NoError(b, err)

	b.Run("build", func(b *testing.B) {
		var held uint64
		for b.Loop() {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s := New(db)
			l, err := s.accountLog(ctx)
			require.NoError(b, err)
			runtime.GC()
			runtime.ReadMemStats(&after)
			held = after.HeapAlloc - before.HeapAlloc
			runtime.KeepAlive(l)
		}
		b.ReportMetric(float64(held)/(1<<20), "MiB-held")
	})
	b.Run("patch 1000 accounts", func(b *testing.B) {
		s := New(db)
		_, err := s.accountLog(ctx)
		require.NoError(b, err)
		for b.Loop() {
			b.StopTimer()
			require.NoError(b, db.Exec(`UPDATE activities SET duration_seconds = duration_seconds
				WHERE account_id IN (SELECT id FROM accounts ORDER BY random() LIMIT 1000)`).Error)
			b.StartTimer()
			_, err := s.accountLog(ctx)
			require.NoError(b, err)
		}
		require.Equal(b, 1, s.logBuilds(), "patched, not built")
	})
}
