package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRiverSpeaksOnlyOfWarningsAndErrors: River's periodic Info lines
// (its producers' counts, every few seconds) do not reach an operator's
// log; its warnings and errors do, with the attributes given on the way.
func TestRiverSpeaksOnlyOfWarningsAndErrors(t *testing.T) {
	for _, tc := range []struct {
		level slog.Level
		shown bool
	}{
		{slog.LevelDebug, false},
		{slog.LevelInfo, false},
		{slog.LevelWarn, true},
		{slog.LevelError, true},
	} {
		t.Run(tc.level.String(), func(t *testing.T) {
			var out bytes.Buffer
			log := slog.New(atLeast{slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}), slog.LevelWarn}).
				With("component", "river").WithGroup("g")
			log.Log(context.Background(), tc.level, "producer: Producer job counts", "n", 1)
			if !tc.shown {
				require.Empty(t, out.String())
				return
			}
			require.Contains(t, out.String(), "component=river")
			require.Contains(t, out.String(), "g.n=1")
		})
	}
}
