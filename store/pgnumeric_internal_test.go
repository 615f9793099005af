package store

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
)

// TestPgDivMatchesPostgreSQL divides as the SQL measures did, on the
// server and in Go, over edge cases and random values: every float must be
// the same, bit for bit.
func TestPgDivMatchesPostgreSQL(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { Close(db) })

	micros := []int64{0, 1, -1, 999_999, 3_600_000_000, 12_761_000_000, 68_707_000_000, -5_400_000_001,
		59_999, 360_000_000_000_000, 1_000_000, 123_456_789_012}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		micros = append(micros, rng.Int64N(400*24*3_600_000_000)-24*3_600_000_000)
		micros = append(micros, rng.Int64N(7_200_000_000))
	}
	for _, us := range micros {
		var want float64
		require.NoError(t, db.Raw(`SELECT (extract(epoch FROM (timestamptz '2025-01-01' + make_interval(secs => ?::numeric / 1000000))
			- timestamptz '2025-01-01') / 3600)::float8`, us).Scan(&want).Error)
		require.Equal(t, want, pgHours(0, us), "%d µs", us)
	}

	type avg struct{ sum, n int }
	avgs := []avg{{0, 1}, {22, 3}, {7, 6}, {-5, 7}, {10, 1}, {1, 3}, {2, 3}, {100000, 7}, {9, 11}}
	for range 300 {
		n := rng.IntN(40) + 1
		avgs = append(avgs, avg{rng.IntN(11 * n), n})
	}
	for _, a := range avgs {
		var want float64
		require.NoError(t, db.Raw(`SELECT (?::numeric / ?::numeric)::float8`, a.sum, a.n).Scan(&want).Error)
		require.Equal(t, want, pgAvg(a.sum, a.n), "%d / %d", a.sum, a.n)
	}
}
