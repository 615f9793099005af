package store_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// TestOpenSessionDefaults shows that connections start with the settings
// reports need (no JIT, room to sort in memory), and that a URL naming a
// setting itself keeps its own.
func TestOpenSessionDefaults(t *testing.T) {
	base := testdb.New(t)
	withParams := func(params map[string]string) string {
		u, err := url.Parse(base)
		require.NoError(t, err)
		q := u.Query()
		for k, v := range params {
			q.Set(k, v)
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	tests := []struct {
		name         string
		url          string
		jit, workMem string
	}{
		{"defaults", base, "off", "64MB"},
		{"the URL's own settings", withParams(map[string]string{"jit": "on", "work_mem": "8MB"}), "on", "8MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, err := store.Open(ctx, tt.url)
			require.NoError(t, err)
			t.Cleanup(func() { store.Close(db) })
			var jit, workMem string
			require.NoError(t, db.Raw("SELECT current_setting('jit')").Scan(&jit).Error)
			require.NoError(t, db.Raw("SELECT current_setting('work_mem')").Scan(&workMem).Error)
			require.Equal(t, tt.jit, jit)
			require.Equal(t, tt.workMem, workMem)
		})
	}
}

// TestOpenRefusesABadURL names the problem rather than connecting
// somewhere else.
func TestOpenRefusesABadURL(t *testing.T) {
	_, err := store.Open(context.Background(), "postgres://[::1")
	require.ErrorContains(t, err, "store: open")
}

// TestStatementTimeout: a pool opened with a statement timeout cuts a
// statement that runs longer, with an error the API can tell apart.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t), store.Pool{StatementTimeout: 50 * time.Millisecond, MaxConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	var timeout string
	require.NoError(t, db.Raw("SHOW statement_timeout").Scan(&timeout).Error)
	require.Equal(t, "50ms", timeout)
	err = db.Exec("SELECT pg_sleep(5)").Error
	require.ErrorIs(t, err, domain.ErrTimeout)
	sqlDB, err := db.DB()
	require.NoError(t, err)
	require.Equal(t, 2, sqlDB.Stats().MaxOpenConnections)
}

// TestEstimateAccounts: the estimate counts a table with no statistics
// yet, and reads them once there are.
func TestEstimateAccounts(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	require.NoError(t, db.Exec("INSERT INTO accounts (id, name) SELECT gen_random_uuid(), 'a' || n FROM generate_series(1, 250) n").Error)
	n, err := store.New(db).EstimateAccounts(ctx)
	require.NoError(t, err)
	require.Equal(t, 250, n, "counted")
	require.NoError(t, db.Exec("ANALYZE accounts").Error)
	require.NoError(t, db.Exec("DELETE FROM accounts WHERE name = 'a1'").Error)
	n, err = store.New(db).EstimateAccounts(ctx)
	require.NoError(t, err)
	require.Equal(t, 250, n, "estimated from the statistics, not counted")
}
