package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
)

func TestNextSyncAt(t *testing.T) {
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	tests := []struct {
		name     string
		schedule string
		last     *domain.SyncRun
		at       time.Time
		ok       bool
	}{
		{"on demand", "", nil, time.Time{}, false},
		{"unreadable schedule", "often", nil, time.Time{}, false},
		{"never ran: due now", "1m", nil, now, true},
		{"due its schedule after the last start", "5m", &domain.SyncRun{Status: domain.RunSucceeded, StartedAt: now.Add(-time.Minute)}, now.Add(4 * time.Minute), true},
		{"a running run counts from its start", "5m", &domain.SyncRun{Status: domain.RunRunning, StartedAt: now}, now.Add(5 * time.Minute), true},
		{"paused: due when the vendor said", "1m", &domain.SyncRun{Status: domain.RunPaused, StartedAt: now.Add(-time.Hour), PausedUntil: &later}, later, true},
		{"paused with no time: its schedule", "1m", &domain.SyncRun{Status: domain.RunPaused, StartedAt: now}, now.Add(time.Minute), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := domain.NextSyncAt(domain.Source{Schedule: tc.schedule}, tc.last, now)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.at, at)
		})
	}
}
