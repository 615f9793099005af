package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

func TestMigrateAppliesEachVersionOnce(t *testing.T) {
	ctx := context.Background()
	all, err := store.Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	want := make([]int, len(all))
	for i, m := range all {
		want[i] = m.Version
	}

	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })

	// Three processes starting at once: the advisory lock lets one apply
	// the migrations, and the others find nothing left to do.
	var wg sync.WaitGroup
	applied := make([][]int, 3)
	errs := make([]error, 3)
	for i := range applied {
		wg.Go(func() { applied[i], errs[i] = store.Migrate(ctx, db) })
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	var total []int
	for _, a := range applied {
		total = append(total, a...)
	}
	require.ElementsMatch(t, want, total)

	again, err := store.Migrate(ctx, db)
	require.NoError(t, err)
	require.Empty(t, again)
	var versions []int
	require.NoError(t, db.Raw("SELECT version FROM schema_migrations ORDER BY version").Scan(&versions).Error)
	require.Equal(t, want, versions)
}
