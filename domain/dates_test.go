package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
)

func TestTicketDateWarnings(t *testing.T) {
	at := func(s string) *time.Time { v, _ := time.Parse(time.RFC3339, s); return &v }
	opened := *at("2026-01-16T09:00:00Z")
	tests := []struct {
		name               string
		response, resolved *time.Time
		want               []string
	}{
		{"open and unanswered", nil, nil, nil},
		{"in order", at("2026-01-16T10:00:00Z"), at("2026-01-17T09:00:00Z"), nil},
		{"resolved the instant it opened", nil, at("2026-01-16T09:00:00Z"), nil},
		{"closed before created", nil, at("2025-12-30T17:00:00Z"), []string{"resolved_at"}},
		{"both before", at("2026-01-16T08:59:59Z"), at("2026-01-15T00:00:00Z"), []string{"first_response_at", "resolved_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range (domain.Ticket{OpenedAt: opened, FirstResponseAt: tt.response, ResolvedAt: tt.resolved}).DateWarnings() {
				got = append(got, p.Field)
				require.Contains(t, p.Message, "is before opened_at 2026-01-16T09:00:00Z")
			}
			require.Equal(t, tt.want, got)
		})
	}
	d, ok := domain.Elapsed(opened, *at("2026-01-16T13:00:00Z"))
	require.Equal(t, []any{4 * time.Hour, true}, []any{d, ok})
	_, ok = domain.Elapsed(opened, *at("2026-01-16T08:00:00Z"))
	require.False(t, ok)
}
