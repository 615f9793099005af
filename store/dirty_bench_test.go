package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// BenchmarkRescoreMarksOnLoad measures what the dirty-mark triggers cost a
// load: 50,000 activities of 1,000 accounts, in COPY statements of 5,000
// rows (each statement's marks cover every account), first inserted, then
// all rewritten by an upsert from a staging table. Each iteration loads
// with the triggers and with them disabled, into the same schema with its
// other indexes, triggers and foreign keys; it reports rows/s of each and
// marked/unmarked, the throughput kept with the marks.
//
//	go test ./store/ -run '^$' -bench RescoreMarksOnLoad -benchtime 5x
func BenchmarkRescoreMarksOnLoad(b *testing.B) {
	ctx := context.Background()
	url := testdb.New(b)
	db, err := store.Open(ctx, url)
	require.NoError(b, err)
	b.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(b, err)
	pool, err := pgxpool.New(ctx, url)
	require.NoError(b, err)
	b.Cleanup(pool.Close)

	const accounts, rows, perStatement = 1000, 50_000, 5000
	ids := make([]uuid.UUID, accounts)
	for i := range ids {
		ids[i] = uuid.New()
	}
	_, err = pool.CopyFrom(ctx, pgx.Identifier{"accounts"}, []string{"id", "name"},
		pgx.CopyFromSlice(accounts, func(i int) ([]any, error) { return []any{ids[i], fmt.Sprint("acct-", i)}, nil }))
	require.NoError(b, err)
	acts := make([][]any, rows)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range acts {
		acts[i] = []any{uuid.New(), ids[i%accounts], "cs", "call", "outbound", start.Add(time.Duration(i) * time.Minute), fmt.Sprint("a", i), "subject"}
	}
	cols := []string{"id", "account_id", "team", "kind", "direction", "occurred_at", "external_id", "subject"}

	setTriggers := func(on bool) {
		verb := "DISABLE"
		if on {
			verb = "ENABLE"
		}
		for _, tg := range []string{"insert", "update", "delete"} {
			_, err := pool.Exec(ctx, fmt.Sprintf("ALTER TABLE activities %s TRIGGER activities_rescore_%s", verb, tg))
			require.NoError(b, err)
		}
	}
	// load copies the rows in, then upserts them all changed, each
	// statement in a transaction of its own as a sync batch is; it
	// returns the time of each.
	load := func() (copied, upserted time.Duration) {
		_, err := pool.Exec(ctx, "TRUNCATE activities, rescore_marks")
		require.NoError(b, err)
		t0 := time.Now()
		for lo := 0; lo < rows; lo += perStatement {
			_, err := pool.CopyFrom(ctx, pgx.Identifier{"activities"}, cols, pgx.CopyFromRows(acts[lo:lo+perStatement]))
			require.NoError(b, err)
		}
		copied = time.Since(t0)
		t1 := time.Now()
		for lo := 0; lo < rows; lo += perStatement {
			err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "CREATE TEMP TABLE staging (LIKE activities INCLUDING DEFAULTS) ON COMMIT DROP"); err != nil {
					return err
				}
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"staging"}, cols, pgx.CopyFromRows(acts[lo:lo+perStatement])); err != nil {
					return err
				}
				_, err := tx.Exec(ctx, `INSERT INTO activities (id, account_id, team, kind, direction, occurred_at, external_id, subject)
					SELECT id, account_id, team, kind, direction, occurred_at, external_id, 'changed' FROM staging
					ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, updated_at = now()`)
				return err
			})
			require.NoError(b, err)
		}
		upserted = time.Since(t1)
		return copied, upserted
	}
	load() // warm the caches and the plans

	var on, off [2]time.Duration
	b.ResetTimer()
	for range b.N {
		setTriggers(false)
		c, u := load()
		off[0] += c
		off[1] += u
		setTriggers(true)
		c, u = load()
		on[0] += c
		on[1] += u
	}
	b.StopTimer()
	perSec := func(d time.Duration) float64 { return float64(rows*b.N) / d.Seconds() }
	b.ReportMetric(perSec(on[0]), "copy-rows/s")
	b.ReportMetric(perSec(off[0]), "copy-unmarked-rows/s")
	b.ReportMetric(off[0].Seconds()/on[0].Seconds(), "copy-marked/unmarked")
	b.ReportMetric(perSec(on[1]), "upsert-rows/s")
	b.ReportMetric(perSec(off[1]), "upsert-unmarked-rows/s")
	b.ReportMetric(off[1].Seconds()/on[1].Seconds(), "upsert-marked/unmarked")
}
