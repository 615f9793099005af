package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
)

// TestHandoffCSGaps judges, as of 2026-03-01T00:00Z with 7 days of grace,
// one customer a case, each paying since its subscription start and owned
// by Cid (CS). Olly is onboarding; Zed is CS but owns none of them. The
// report finds each account's latest touch that is Cid's or an onboarding
// touch since the won deal; these cases are where that shortcut could
// part from the definition: the hand-off is the last onboarding touch
// since the latest won new deal, else its close, else the subscription's
// start, and a gap is no owner touch in [hand-off, asOf).
func TestHandoffCSGaps(t *testing.T) {
	ctx := context.Background()
	s, db := openStore(t)
	cid, olly, zed := id(1), id(2), id(3)
	insert(t, db, &[]domain.Person{{ID: cid, Name: "Cid", Team: "cs"}, {ID: olly, Name: "Olly", Team: "onboarding"},
		{ID: zed, Name: "Zed", Team: "cs"}})
	type touch struct {
		by   string // cid, olly or zed
		at   string
		kind string // call unless set
	}
	tests := []struct {
		name   string
		start  string // the subscription's start
		won    string // the won new deal's close, if any
		touch  []touch
		gap    bool
		basis  engagement.HandoffBasis
		at     string // the hand-off
		last   string // the owner's latest touch, if any
		reason string
	}{
		{name: "touched after onboarding", start: "2025-06-01T00:00:00Z", won: "2025-05-20T00:00:00Z",
			touch: []touch{{"olly", "2025-06-02T00:00:00Z", ""}, {"cid", "2025-06-10T00:00:00Z", ""}}},
		{name: "same instant as onboarding's end", start: "2025-06-01T00:00:00Z", won: "2026-01-01T00:00:00Z",
			touch:  []touch{{"cid", "2026-01-10T10:00:00Z", ""}, {"olly", "2026-01-10T10:00:00Z", ""}},
			reason: "the owner's touch at the hand-off's instant is in [hand-off, asOf), whichever sorts first"},
		{name: "owner touched before the subscription, after onboarding", start: "2026-02-01T00:00:00Z",
			touch:  []touch{{"olly", "2026-01-05T00:00:00Z", ""}, {"cid", "2026-01-10T00:00:00Z", ""}},
			reason: "without a won deal the onboarding touch dates the hand-off, not the subscription"},
		{name: "owner touched before the deal was won", start: "2025-06-01T00:00:00Z", won: "2026-01-15T00:00:00Z",
			touch: []touch{{"cid", "2026-01-10T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffDealWon, at: "2026-01-15T00:00:00Z", last: "2026-01-10T00:00:00Z"},
		{name: "onboarding after the owner's touch", start: "2025-06-01T00:00:00Z", won: "2026-01-01T00:00:00Z",
			touch: []touch{{"cid", "2026-01-03T00:00:00Z", ""}, {"olly", "2026-01-20T00:00:00Z", ""}, {"zed", "2026-02-01T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffOnboardingEnd, at: "2026-01-20T00:00:00Z", last: "2026-01-03T00:00:00Z"},
		{name: "onboarding before the won deal", start: "2025-06-01T00:00:00Z", won: "2026-01-15T00:00:00Z",
			touch: []touch{{"olly", "2026-01-10T00:00:00Z", ""}, {"cid", "2026-01-12T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffDealWon, at: "2026-01-15T00:00:00Z", last: "2026-01-12T00:00:00Z"},
		{name: "never touched, no deal", start: "2025-06-01T00:00:00Z",
			gap: true, basis: engagement.HandoffSubscriptionStart, at: "2025-06-01T00:00:00Z"},
		{name: "touched after the subscription started", start: "2025-06-01T00:00:00Z",
			touch: []touch{{"cid", "2025-07-01T00:00:00Z", ""}}},
		{name: "another CS member's touch", start: "2025-06-01T00:00:00Z", won: "2026-01-01T00:00:00Z",
			touch: []touch{{"zed", "2026-02-01T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffDealWon, at: "2026-01-01T00:00:00Z"},
		{name: "a note is not a touch", start: "2025-06-01T00:00:00Z", won: "2026-01-01T00:00:00Z",
			touch: []touch{{"cid", "2025-12-20T00:00:00Z", ""}, {"cid", "2026-02-01T00:00:00Z", "note"}},
			gap:   true, basis: engagement.HandoffDealWon, at: "2026-01-01T00:00:00Z", last: "2025-12-20T00:00:00Z"},
		{name: "the owner's touch at asOf is after it", start: "2025-06-01T00:00:00Z", won: "2026-01-01T00:00:00Z",
			touch: []touch{{"cid", "2026-03-01T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffDealWon, at: "2026-01-01T00:00:00Z"},
		{name: "still in its grace days", start: "2025-06-01T00:00:00Z", won: "2026-02-25T00:00:00Z"},
		{name: "onboarding again after asOf", start: "2025-06-01T00:00:00Z", won: "2026-01-01T00:00:00Z",
			touch: []touch{{"cid", "2026-01-05T00:00:00Z", ""}, {"olly", "2026-01-10T00:00:00Z", ""}, {"olly", "2026-03-05T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffOnboardingEnd, at: "2026-01-10T00:00:00Z", last: "2026-01-05T00:00:00Z",
			reason: "the latest onboarding touch kept is after asOf: the one before it dates the hand-off"},
		{name: "owner again after asOf", start: "2025-06-01T00:00:00Z", won: "2026-01-15T00:00:00Z",
			touch: []touch{{"cid", "2026-01-12T00:00:00Z", ""}, {"cid", "2026-03-02T00:00:00Z", ""}},
			gap:   true, basis: engagement.HandoffDealWon, at: "2026-01-15T00:00:00Z", last: "2026-01-12T00:00:00Z",
			reason: "the owner's latest touch kept is after asOf: the one before it is told"},
	}
	people := map[string]domain.Person{"cid": {ID: cid, Team: "cs"}, "olly": {ID: olly, Team: "onboarding"}, "zed": {ID: zed, Team: "cs"}}
	n := 100
	next := func() int { n++; return n }
	for i, tt := range tests {
		acc := id(10 + i)
		insert(t, db,
			&domain.Account{ID: acc, Name: tt.name, Lifecycle: "customer"},
			&domain.AccountTeamMember{ID: id(next()), AccountID: acc, PersonID: cid, Role: "cs", Provenance: ext(fmt.Sprint("m", n))},
			&domain.SubscriptionItem{ID: id(next()), AccountID: acc, Plan: "Pro", Amount: decimal.NewFromInt(100), Currency: "USD",
				Interval: "month", StartsAt: ts(tt.start), Provenance: ext(fmt.Sprint("i", n))})
		if tt.won != "" {
			insert(t, db, &domain.Deal{ID: id(next()), AccountID: acc, Name: tt.name, Status: "won", Kind: "new",
				Amount: decimal.NewFromInt(1200), Currency: "USD", ClosedAt: ptr(ts(tt.won)), Provenance: ext(fmt.Sprint("d", n))})
		}
		for _, x := range tt.touch {
			p := people[x.by]
			kind := x.kind
			if kind == "" {
				kind = "call"
			}
			insert(t, db, &domain.Activity{ID: id(next()), AccountID: acc, PersonID: &p.ID, Team: p.Team, Kind: kind,
				Direction: "outbound", OccurredAt: ts(x.at), Provenance: ext(fmt.Sprint("x", n))})
		}
	}

	got, err := s.HandoffGapReport(ctx, engagement.HandoffQuery{AsOf: ts("2026-03-01T00:00:00Z"), Days: 7})
	require.NoError(t, err)
	gaps := map[string]engagement.CSGap{}
	for _, g := range got.CustomersNotTouchedByCS {
		gaps[g.Account.Name] = g
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok := gaps[tt.name]
			require.Equal(t, tt.gap, ok, tt.reason)
			if !tt.gap {
				return
			}
			require.Equal(t, tt.basis, g.Basis)
			require.Equal(t, ts(tt.at), g.HandoffAt.UTC())
			if tt.last == "" {
				require.Nil(t, g.LastOwnerTouchAt)
			} else {
				require.NotNil(t, g.LastOwnerTouchAt)
				require.Equal(t, ts(tt.last), g.LastOwnerTouchAt.UTC())
			}
			require.Len(t, g.CSOwners, 1)
			require.Equal(t, cid, g.CSOwners[0].ID)
		})
	}
}
