package stripe

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

func TestBillingAndMoney(t *testing.T) {
	tests := []struct {
		interval string
		count    int64
		want     string
		per      int64
		err      string
	}{
		{"month", 1, "month", 1, ""},
		{"month", 3, "quarter", 1, ""},
		{"month", 6, "quarter", 2, ""},
		{"month", 12, "year", 1, ""},
		{"month", 2, "month", 2, ""},
		{"year", 1, "year", 1, ""},
		{"year", 2, "year", 2, ""},
		{"week", 1, "", 0, "price p bills every 1 week; Pulse counts MRR by month, quarter or year"},
	}
	for _, tc := range tests {
		p := &price{ID: "p"}
		p.Recurring = &struct {
			Interval      string `json:"interval"`
			IntervalCount int64  `json:"interval_count"`
		}{tc.interval, tc.count}
		got, per, err := billing(p)
		if tc.err != "" {
			require.EqualError(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.Equal(t, []any{tc.want, tc.per}, []any{got, per}, "%s×%d", tc.interval, tc.count)
	}
	for cur, want := range map[string]string{"usd": "12.34", "JPY": "1234", "kwd": "1.234"} {
		require.Equal(t, want, major(decimal.NewFromInt(1234), cur).String(), cur)
	}
	require.Equal(t, "7992", percentOff(decimal.NewFromInt(9990), decimal.NewFromInt(20)).String(), "20% of 99.90 is 19.98")
	require.Equal(t, "666", percentOff(decimal.NewFromInt(999), decimal.RequireFromString("33.3")).String(), "rounded to the cent")
}
