package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
)

// TestRenewalsAsOf asks renewals before and after a score changed band
// and after renewal dates went by: the health and the band filter are
// those of the latest score kept on or before asOf's day, and a past
// renewal date of an account still paying is listed as overdue.
func TestRenewalsAsOf(t *testing.T) {
	s, db := openStore(t)
	ctx := context.Background()
	date := func(s string) *time.Time { d := ts(s + "T00:00:00Z"); return &d }
	insert(t, db,
		&[]domain.Account{
			{ID: id(1), Name: "turning", RenewalDate: date("2025-06-20")},
			{ID: id(2), Name: "paying", RenewalDate: date("2025-05-10")},
			{ID: id(3), Name: "churned", RenewalDate: date("2025-05-12")},
			{ID: id(4), Name: "far", RenewalDate: date("2025-09-01")},
		},
		&[]domain.SubscriptionItem{
			{ID: id(10), AccountID: id(1), Amount: dec("100"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("10")},
			{ID: id(11), AccountID: id(2), Amount: dec("50"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("11")},
			// Churned on 05-15: paying on 05-11, not on 06-01.
			{ID: id(12), AccountID: id(3), Amount: dec("70"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"),
				EndsAt: ptr(ts("2025-05-15T00:00:00Z")), Provenance: ext("12")},
			{ID: id(13), AccountID: id(4), Amount: dec("10"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("13")},
		},
	)
	// turning is green on 04-20 and red from 05-20.
	for _, h := range []struct {
		account uuid.UUID
		day     string
		score   string
		band    string
	}{{id(1), "2025-04-20", "80", "green"}, {id(1), "2025-05-20", "30", "red"}, {id(2), "2025-05-20", "50", "yellow"}} {
		require.NoError(t, db.Exec(`INSERT INTO account_health (account_id, day, score, band, factors, scorecard_name, scorecard_version, scorecard_match, computed_at)
			VALUES (?, ?, ?, ?, '[]', 'default', 1, 'default', now())`, h.account, h.day, h.score, h.band).Error)
	}
	type row struct {
		name    string
		days    int
		overdue bool
		day     string
		band    health.Band
	}
	ask := func(asOf string, band health.Band) []row {
		t.Helper()
		list, err := s.Renewals(ctx, health.RenewalQuery{AsOf: ts(asOf), WithinDays: 60, Band: band}, 100)
		require.NoError(t, err)
		out := []row{}
		for _, rn := range list {
			r := row{name: rn.Account.Name, days: rn.DaysToRenewal, overdue: rn.Overdue}
			if rn.Health != nil {
				r.day, r.band = rn.Health.Day.Format(time.DateOnly), rn.Health.Band
			}
			out = append(out, r)
		}
		return out
	}
	// 05-01: paying (05-10), churned (05-12) and turning (06-20) are
	// ahead; turning is green as of then, the others unscored.
	require.Equal(t, []row{
		{"paying", 9, false, "", ""},
		{"churned", 11, false, "", ""},
		{"turning", 50, false, "2025-04-20", health.BandGreen},
	}, ask("2025-05-01T09:00:00Z", health.BandNone))
	require.Equal(t, []row{{"turning", 50, false, "2025-04-20", health.BandGreen}}, ask("2025-05-01T09:00:00Z", health.BandGreen))
	require.Equal(t, []row{}, ask("2025-05-01T09:00:00Z", health.BandRed))
	// 06-01: paying's 05-10 is overdue by 22 days; churned has no MRR and
	// is not; turning is red as of then.
	require.Equal(t, []row{
		{"paying", -22, true, "2025-05-20", health.BandYellow},
		{"turning", 19, false, "2025-05-20", health.BandRed},
	}, ask("2025-06-01T09:00:00Z", health.BandNone))
	require.Equal(t, []row{{"turning", 19, false, "2025-05-20", health.BandRed}}, ask("2025-06-01T09:00:00Z", health.BandRed))
	require.Equal(t, []row{}, ask("2025-06-01T09:00:00Z", health.BandGreen))
}
