package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// TestMigrateBringsRiversTables asks River's own migrator, through the
// driver the workers use, whether anything of River's is left to apply once
// Pulse's migrations ran, and whether a second Migrate is a no-op.
func TestMigrateBringsRiversTables(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	again, err := store.Migrate(ctx, db)
	require.NoError(t, err)
	require.Empty(t, again)

	pool, err := pgxpool.New(ctx, url)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	require.NoError(t, err)
	res, err := migrator.Validate(ctx, nil)
	require.NoError(t, err)
	require.True(t, res.OK, "River reports migrations left to apply: %v", res.Messages)
	up, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	require.NoError(t, err)
	require.Empty(t, up.Versions, "River's migrator found versions to apply after Pulse's migrations")
}
