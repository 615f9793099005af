package health_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
)

// TestRenewalWindow checks which renewals a query lists as of a day, and
// how each reads: 30 days ahead of 2025-06-10, and the overdue ones of
// accounts still paying.
func TestRenewalWindow(t *testing.T) {
	day := func(s string) time.Time {
		d, err := time.Parse(time.DateOnly, s)
		require.NoError(t, err)
		return d
	}
	w := health.RenewalQuery{AsOf: day("2025-06-10").Add(15 * time.Hour), WithinDays: 30}.Window(day("2025-06-10"))
	require.Equal(t, day("2025-07-10"), w.Last)
	paying, churned := decimal.NewFromInt(120), decimal.Zero
	tests := []struct {
		name    string
		date    string
		mrr     decimal.Decimal
		listed  bool
		days    int
		overdue bool
	}{
		{"today", "2025-06-10", paying, true, 0, false},
		{"today, without MRR: still ahead", "2025-06-10", churned, true, 0, false},
		{"the last day, included", "2025-07-10", paying, true, 30, false},
		{"after the window", "2025-07-11", paying, false, 0, false},
		{"yesterday, still paying: overdue", "2025-06-09", paying, true, -1, true},
		{"long past, still paying: overdue", "2024-12-31", paying, true, -161, true},
		{"past, churned: not listed", "2025-05-01", churned, false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			date := day(tt.date)
			require.Equal(t, tt.listed, w.Listed(date, tt.mrr))
			if !tt.listed {
				return
			}
			rn := w.Renewal(domain.Account{Name: "Acme"}, date)
			require.Equal(t, "Acme", rn.Account.Name)
			require.Equal(t, date, rn.RenewalDate)
			require.Equal(t, tt.days, rn.DaysToRenewal)
			require.Equal(t, tt.overdue, rn.Overdue)
		})
	}
}
