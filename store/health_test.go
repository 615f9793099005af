package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/store"
)

func fl(v float64) *float64 { return &v }

// TestHealthScoring scores an account by the shipped scorecard against
// factors computed by hand, as of 2025-06-01T00:00Z:
//
//	days_since_last_touch/cs  CS call 2025-04-10: 52 days; (45,40)–(90,0): 40 − 7/45×40 = 33.8   × 3 = 101.4
//	touches_90d               CS call, sales email, 11 campaign emails = 13; ≥ 6: 100          × 2 = 200
//	urgent_open_tickets       1 (steps): 40                                                      × 2 = 80
//	open_tickets              2 (one resolved after asOf); (0,100)–(5,0): 60                     × 1 = 60
//	median_first_response     3h, 1h, 5h: 3; (2,100)–(48,0): 100 − 100/46 = 97.8                × 1 = 97.8
//	csat                      ticket 5, survey 3 (the ticket rated 2 resolved after asOf): 50%: 0 × 1 = 0
//	last_nps                  4 (after a 9); (0,0)–(6,40): 26.7                                  × 3 = 80.1
//	mrr_change_90d            1000 → 800: −20%; (−50,0)–(0,70): 42                               × 2 = 84
//	objectives_at_risk        one at_risk, one on_track past due, one done: 2 (steps): 50        × 2 = 100
//	contact_pressure_days     6 outbound on 05-20 (> 5), 5 on 05-21: 1 day; (0,100)–(5,0): 80   × 1 = 80
//	score = 883.3 / 18 = 49.07 → 49.1, yellow
func TestHealthScoring(t *testing.T) {
	ctx := context.Background()
	s, db := openStore(t)
	asOf := ts("2025-06-01T00:00:00Z")
	acme, bare := id(1), id(2)
	contact := id(10)
	cs, sales := id(20), id(21)
	insert(t, db,
		&[]domain.Account{{ID: acme, Name: "Acme", Segment: "enterprise", RenewalDate: ptr(ts("2025-07-17T00:00:00Z"))},
			{ID: bare, Name: "Bare", Segment: "smb"}},
		&domain.Contact{ID: contact, AccountID: acme, Name: "Cara"},
		&[]domain.Person{{ID: cs, Name: "Bob", Team: "cs"}, {ID: sales, Name: "Alice", Team: "sales"}},
	)
	var acts []domain.Activity
	act := func(team, kind, dir, at string, secs int64, c bool) {
		a := domain.Activity{ID: id(100 + len(acts)), AccountID: acme, Team: team, Kind: kind, Direction: dir, OccurredAt: ts(at),
			DurationSeconds: secs, Provenance: ext(fmt.Sprint("a", len(acts)))}
		if c {
			a.ContactID = &contact
		}
		acts = append(acts, a)
	}
	act("cs", "call", "outbound", "2025-04-10T00:00:00Z", 1800, false)
	act("sales", "email", "outbound", "2025-05-30T12:00:00Z", 0, true)
	act("cs", "note", "", "2025-05-31T12:00:00Z", 0, false)            // a note is not a touch
	act("cs", "meeting", "outbound", "2025-06-15T12:00:00Z", 0, false) // after asOf
	for i := range 6 {
		act("marketing", "campaign_email", "outbound", fmt.Sprintf("2025-05-20T%02d:00:00Z", 8+i), 0, true)
	}
	for i := range 5 {
		act("marketing", "campaign_email", "outbound", fmt.Sprintf("2025-05-21T%02d:00:00Z", 8+i), 0, true)
	}
	insert(t, db, &acts,
		&[]domain.Ticket{
			{ID: id(200), AccountID: acme, Priority: "urgent", Status: "open", OpenedAt: ts("2025-05-25T10:00:00Z"),
				FirstResponseAt: ptr(ts("2025-05-25T13:00:00Z")), Provenance: ext("t1")},
			{ID: id(201), AccountID: acme, Priority: "normal", Status: "solved", OpenedAt: ts("2025-05-01T10:00:00Z"),
				FirstResponseAt: ptr(ts("2025-05-01T11:00:00Z")), ResolvedAt: ptr(ts("2025-05-02T11:00:00Z")), CSAT: 5, Provenance: ext("t2")},
			{ID: id(202), AccountID: acme, Priority: "high", Status: "solved", OpenedAt: ts("2025-05-10T10:00:00Z"),
				FirstResponseAt: ptr(ts("2025-05-10T15:00:00Z")), ResolvedAt: ptr(ts("2025-06-02T10:00:00Z")), CSAT: 2, Provenance: ext("t3")},
		},
		&[]domain.SurveyResponse{
			{ID: id(300), AccountID: acme, Kind: "nps", Score: 9, RespondedAt: ts("2025-03-01T10:00:00Z"), Provenance: ext("s1")},
			{ID: id(301), AccountID: acme, Kind: "nps", Score: 4, RespondedAt: ts("2025-05-28T10:00:00Z"), Provenance: ext("s2")},
			{ID: id(302), AccountID: acme, Kind: "csat", Score: 3, RespondedAt: ts("2025-05-15T10:00:00Z"), Provenance: ext("s3")},
		},
		&[]domain.SubscriptionItem{
			{ID: id(400), AccountID: acme, Plan: "Pro", Amount: dec("1000"), Currency: "USD", Interval: "month",
				StartsAt: ts("2024-01-01T00:00:00Z"), EndsAt: ptr(ts("2025-04-01T00:00:00Z")), Provenance: ext("i1")},
			{ID: id(401), AccountID: acme, Plan: "Team", Amount: dec("800"), Currency: "USD", Interval: "month",
				StartsAt: ts("2025-04-01T00:00:00Z"), Provenance: ext("i2")},
		},
	)
	for _, o := range []health.ObjectiveInput{
		{AccountID: acme, Title: "Roll out SSO", OwnerID: &cs, Status: health.AtRisk},
		{AccountID: acme, Title: "Train admins", OwnerID: &sales, DueDate: ptr(ts("2025-05-15T00:00:00Z"))},
		{AccountID: acme, Title: "Kick-off", Status: health.Done, DueDate: ptr(ts("2025-01-15T00:00:00Z"))},
	} {
		_, err := s.CreateObjective(ctx, o, ts("2025-05-01T00:00:00Z"))
		require.NoError(t, err)
	}

	res, err := s.Rescore(ctx, health.RescoreRequest{All: true, AsOf: asOf})
	require.NoError(t, err)
	require.Equal(t, health.RescoreResult{Accounts: 2, Snapshots: 2, Days: 1, ComputedAt: asOf}, res)
	got, err := s.LatestHealth(ctx, []uuid.UUID{acme, bare})
	require.NoError(t, err)
	a := got[acme]
	require.Equal(t, health.Snapshot{AccountID: acme, Day: asOf, ComputedAt: asOf,
		Scorecard: health.Applied{Name: "default", Version: 1, Match: health.MatchDefault, AccountSegment: "enterprise"},
		Result: health.Result{Score: fl(49.1), Band: health.BandYellow, Factors: []health.Factor{
			{Measure: "days_since_last_touch", Team: "cs", Value: fl(52), Score: fl(33.8), Weight: 3, Contribution: fl(5.63)},
			{Measure: "touches_90d", Value: fl(13), Score: fl(100), Weight: 2, Contribution: fl(11.11)},
			{Measure: "urgent_open_tickets", Value: fl(1), Score: fl(40), Weight: 2, Contribution: fl(4.44)},
			{Measure: "open_tickets", Value: fl(2), Score: fl(60), Weight: 1, Contribution: fl(3.33)},
			{Measure: "median_first_response_hours", Value: fl(3), Score: fl(97.8), Weight: 1, Contribution: fl(5.43)},
			{Measure: "csat", Value: fl(50), Score: fl(0), Weight: 1, Contribution: fl(0)},
			{Measure: "last_nps", Value: fl(4), Score: fl(26.7), Weight: 3, Contribution: fl(4.45)},
			{Measure: "mrr_change_90d", Value: fl(-20), Score: fl(42), Weight: 2, Contribution: fl(4.67)},
			{Measure: "objectives_at_risk", Value: fl(2), Score: fl(50), Weight: 2, Contribution: fl(5.56)},
			{Measure: "contact_pressure_days", Value: fl(1), Score: fl(80), Weight: 1, Contribution: fl(4.44)},
		}}}, a)
	// Bare has nothing but zero counts: touches 0 → 0, no open tickets →
	// 100 twice, no saturated day → 100: (0×2 + 100×2 + 100×1 + 100×1) / 6 = 66.7.
	require.Equal(t, fl(66.7), got[bare].Score)
	require.Equal(t, health.NoData, got[bare].Factors[0].Note)

	// Many accounts measured at one instant read the window by time
	// rather than account by account: the same figures.
	restore := store.ReadWindowsByTimeFrom(1)
	_, err = s.Rescore(ctx, health.RescoreRequest{All: true, AsOf: asOf})
	restore()
	require.NoError(t, err)
	byTime, err := s.LatestHealth(ctx, []uuid.UUID{acme, bare})
	require.NoError(t, err)
	require.Equal(t, got, byTime)

	t.Run("scorecards", func(t *testing.T) {
		_, err := s.SaveScorecard(ctx, health.DefaultScorecard().Source, asOf)
		require.Equal(t, `invalid input: version: must be greater than 1, the latest version of "default"`, errText(err))
		const ent = `
name: enterprise
version: 1
segment: enterprise
bands: {red: 50, green: 80}
measures:
  - {measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}
  - {measure: days_to_renewal, weight: 1, thresholds: [{value: 0, score: 0}, {value: 90, score: 100}]}
`
		sc, err := s.SaveScorecard(ctx, ent, asOf)
		require.NoError(t, err)
		require.Equal(t, "enterprise", sc.Segment)
		_, err = s.SaveScorecard(ctx, `
name: big
version: 1
segment: enterprise
measures: [{measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}]`, asOf)
		require.Equal(t, `invalid input: segment: scorecard "enterprise" already scores segment "enterprise"`, errText(err))
		cards, err := s.Scorecards(ctx)
		require.NoError(t, err)
		require.Len(t, cards, 2)

		// The next day, with the enterprise scorecard: NPS 4 → 40, 45 days
		// to renewal → 50: (40 + 50) / 2 = 45, red (< 50).
		next := asOf.Add(24 * time.Hour)
		_, err = s.Rescore(ctx, health.RescoreRequest{AccountIDs: []uuid.UUID{acme}, AsOf: next})
		require.NoError(t, err)
		got, err := s.LatestHealth(ctx, []uuid.UUID{acme})
		require.NoError(t, err)
		require.Equal(t, health.Applied{Name: "enterprise", Version: 1, Segment: "enterprise", Match: health.MatchSegment, AccountSegment: "enterprise"}, got[acme].Scorecard)
		require.Equal(t, fl(45), got[acme].Score)
		require.Equal(t, health.BandRed, got[acme].Band)

		hist, err := s.HealthHistory(ctx, acme, 7, next)
		require.NoError(t, err)
		require.Len(t, hist, 2)
		change, err := s.HealthChange(ctx, acme, asOf, next)
		require.NoError(t, err)
		require.Equal(t, "yellow → red because the scorecard changed from default v1 to enterprise v1", change.Summary)

		// Rescoring history scores 06-01 again with the enterprise card,
		// and 05-01, when the objectives were created.
		res, err := s.Rescore(ctx, health.RescoreRequest{AccountIDs: []uuid.UUID{acme}, AsOf: next, History: true})
		require.NoError(t, err)
		require.Equal(t, 3, res.Snapshots)
		require.Equal(t, 3, res.Days)
		hist, err = s.HealthHistory(ctx, acme, 7, next)
		require.NoError(t, err)
		require.Equal(t, "enterprise", hist[0].Scorecard.Name)
		require.Equal(t, asOf, hist[0].ComputedAt, "a day rescored keeps its instant")
	})
}

func errText(err error) string {
	var in *domain.InputError
	if !errors.As(err, &in) {
		return fmt.Sprint(err)
	}
	return in.Error()
}
