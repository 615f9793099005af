package pgembed_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestKeepRunningStartsTheServerAgain(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sig  syscall.Signal
	}{
		{name: "stopped", sig: syscall.SIGINT}, // what pg_ctl stop -m fast sends
		{name: "killed", sig: syscall.SIGKILL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := newDataDir(t)
			s := start(t, options(t, dir))
			exec1(t, s.URL(), "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('kept')")
			ctx, cancel := context.WithCancel(t.Context())
			kept := make(chan error, 1)
			go func() { kept <- s.KeepRunning(ctx, 50*time.Millisecond) }()
			t.Cleanup(func() {
				cancel()
				require.ErrorIs(t, <-kept, context.Canceled)
			})

			pid, ok := livePostmaster(dir)
			require.True(t, ok)
			require.NoError(t, syscall.Kill(pid, tc.sig))
			waitFor(t, func() bool {
				again, ok := livePostmaster(dir)
				if !ok || again == pid {
					return false
				}
				conn, err := pgx.Connect(t.Context(), s.URL())
				if err != nil {
					return false
				}
				_ = conn.Close(t.Context())
				return true
			})
			require.Equal(t, "kept", queryString(t, s.URL(), "SELECT v FROM kept"))
		})
	}
}
