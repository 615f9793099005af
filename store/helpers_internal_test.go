package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/internal/testdb"
)

// migratedStore opens a fresh, migrated test database, and a store on it
// with nothing kept yet, and an exec that fails the test on an error.
func migratedStore(t *testing.T) (*Store, *gorm.DB, func(sql string, args ...any)) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { Close(db) })
	_, err = Migrate(ctx, db)
	require.NoError(t, err)
	exec := func(sql string, args ...any) { t.Helper(); require.NoError(t, db.Exec(sql, args...).Error) }
	return New(db), db, exec
}
