package retention

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// TestNewPricedInt64AgreesWithDecimals prices items both ways: the int64
// shortcut, where it applies, gives what decimals give, and where it does
// not apply the decimals still do.
func TestNewPricedInt64AgreesWithDecimals(t *testing.T) {
	tests := []struct {
		amount, rate string
		per          int64
		shortcut     bool
	}{
		{"100", "1", 12, true},
		{"999.99", "1.0825", 12, true},
		{"0.01", "1", 1, true},
		{"-49.5", "1.1", 4, true},
		{"12000", "0.00000001", 1, true},
		{"1.23456789", "1", 12, true},
		{"0.000000001", "1", 12, false},            // 1.2 units: a fraction of one
		{"83333333333", "1", 12, false},            // past maxUnits
		{"99999999999999999999", "1", 1, false},    // a coefficient past int64
		{"1", "1.00000000000000000001", 12, false}, // a rate past int64
		{"700000000", "1.000001", 12, false},       // an overflow on the way
	}
	for _, tt := range tests {
		amount, rate := decimal.RequireFromString(tt.amount), decimal.RequireFromString(tt.rate)
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		got := newPriced("p", amount, tt.per, rate, start, nil)

		yearly := amount.Mul(decimal.NewFromInt(tt.per)).Mul(rate)
		shifted := yearly.Shift(unitScale)
		exact := shifted.IsInteger() && shifted.Abs().LessThan(maxUnits)
		require.Equal(t, exact, got.exact, "%s × %d × %s", tt.amount, tt.per, tt.rate)
		if exact {
			require.Equal(t, shifted.IntPart(), got.units, "%s × %d × %s", tt.amount, tt.per, tt.rate)
		}
		require.True(t, yearly.Equal(got.yearly), "%s × %d × %s: yearly %s, want %s", tt.amount, tt.per, tt.rate, got.yearly, yearly)
		_, shortcut := smallUnits(amount, tt.per, rate)
		require.Equal(t, tt.shortcut, shortcut, "%s × %d × %s", tt.amount, tt.per, tt.rate)
	}
}
