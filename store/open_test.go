package store_test

import (
	"context"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

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
