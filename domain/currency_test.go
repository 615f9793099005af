package domain_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
)

func TestCurrencyRuleHoldsForEveryMoneyRecord(t *testing.T) {
	tests := []struct {
		code string
		want string // the problem, "" for none
	}{
		{"USD", ""},
		{"EUR", ""},
		{"HRK", ""}, // withdrawn in 2023; older records still carry it
		{"US$", `currency: "US$" is not an ISO 4217 currency code (three capital letters, such as USD or EUR)`},
		{"usd", `currency: "usd" is not an ISO 4217 currency code (three capital letters, such as USD or EUR)`},
		{"XYZ", `currency: "XYZ" is not an ISO 4217 currency code (three capital letters, such as USD or EUR)`},
		{"XXX", `currency: "XXX" is not an ISO 4217 currency code (three capital letters, such as USD or EUR)`},
		{"", "currency: is required"},
	}
	for _, tc := range tests {
		t.Run(tc.code, func(t *testing.T) {
			records := map[string]domain.Problems{
				"subscription": (&domain.SubscriptionItem{Interval: "month", Currency: tc.code, Amount: decimal.NewFromInt(1), StartsAt: someDay}).Validate(),
				"deal":         (&domain.Deal{Currency: tc.code, Amount: decimal.NewFromInt(1)}).Validate(),
				"fx rate":      (&domain.FxRate{Currency: tc.code, Date: someDay, Rate: decimal.NewFromInt(1)}).Validate(),
			}
			for kind, probs := range records {
				if tc.want == "" {
					require.Empty(t, probs, kind)
					continue
				}
				require.Len(t, probs, 1, kind)
				require.Equal(t, tc.want, probs[0].Error(), kind)
			}
		})
	}
	require.Empty(t, (&domain.Deal{}).Validate(), "a deal with no amount needs no currency")
}

var someDay = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
