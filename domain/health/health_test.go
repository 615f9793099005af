package health_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
)

func problems(t *testing.T, err error) []string {
	t.Helper()
	var in *domain.InputError
	require.True(t, errors.As(err, &in), "want an InputError, got %v", err)
	out := make([]string, len(in.Problems))
	for i, p := range in.Problems {
		out[i] = p.Error()
	}
	return out
}

func TestDefaultScorecardParses(t *testing.T) {
	sc := health.DefaultScorecard()
	require.Equal(t, "default", sc.Name)
	require.Equal(t, 1, sc.Version)
	require.Equal(t, health.DefaultBands, sc.Bands)
	require.Len(t, sc.Measures, 10)
	require.Equal(t, "days_since_last_touch/cs", sc.Measures[0].Key())
}

func TestParseRefusesWithEveryProblem(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"not yaml", "name: [", []string{"yaml: line 1: did not find expected node content"}},
		{"empty", "", []string{"yaml: is empty"}},
		{"not a mapping", "- a\n- b", []string{"yaml: must be a mapping of keys to values"}},
		{"missing fields", "description: x", []string{"name: is required", "version: is required", "measures: is required"}},
		{"every field wrong", `
name: Big Accounts
version: 0
segment: ""
colour: blue
bands: {red: 80, green: 120}
measures:
  - measure: days_since_last_touch
    team: legal
    weight: 2
    thresholds: [{value: 10, score: 100}, {value: 5, score: 0}]
  - measure: happiness
    weight: heavy
    thresholds: [{value: 1, score: 50}]
  - measure: open_tickets
    team: cs
    weight: -1
    mode: smooth
    thresholds: [{value: 0, score: 120}, {score: 0}]
  - measure: days_since_last_touch
    team: legal
    wieght: 1
    thresholds: []
`, []string{
			`colour: is not a field; the fields are bands, description, measures, name, segment, version`,
			`measures[1].weight: must be a number, got "heavy"`,
			`measures[2].thresholds[1].value: is required`,
			`measures[3].wieght: is not a field; the fields are measure, mode, team, thresholds, weight`,
			`name: "Big Accounts" must be lower-case letters, digits, - and _, starting with a letter or digit`,
			`version: must be at least 1, got 0`,
			`segment: is required: only "default" scores accounts of every segment`,
			`bands.green: must be between 0 and 100, got 120`,
			`measures[0].team: "legal" is not one of marketing, sales, onboarding, cs, support`,
			`measures[0].thresholds[1].value: must be greater than the value before it (10), got 5`,
			`measures[1].measure: "happiness" is not a measure; the measures are days_since_last_touch, touches_30d, touches_90d, hours_spent_30d, hours_spent_90d, open_tickets, urgent_open_tickets, median_first_response_hours, median_resolution_hours, csat, last_nps, average_nps, mrr_change_90d, days_to_renewal, objectives_at_risk, contact_pressure_days`,
			`measures[1].weight: must be > 0, got 0`,
			`measures[1].thresholds: a linear mapping needs at least two points, got 1`,
			`measures[2].team: open_tickets is not measured per team`,
			`measures[2].weight: must be > 0, got -1`,
			`measures[2].mode: "smooth" is not one of linear, steps`,
			`measures[2].thresholds[0].score: must be between 0 and 100, got 120`,
			`measures[3].team: "legal" is not one of marketing, sales, onboarding, cs, support`,
			`measures[3].weight: is required`,
			`measures[3].thresholds: must list at least one point`,
		}},
		{"a repeated measure of a team", `
name: smb
version: 1
segment: smb
measures:
  - {measure: touches_30d, team: cs, weight: 1, thresholds: [{value: 0, score: 0}, {value: 4, score: 100}]}
  - {measure: touches_30d, weight: 1, thresholds: [{value: 0, score: 0}, {value: 4, score: 100}]}
  - {measure: touches_30d, team: cs, weight: 1, thresholds: [{value: 0, score: 0}, {value: 4, score: 100}]}
`, []string{`measures[2]: measures touches_30d/cs again: measures[0] already does`}},
		{"bands crossed, duplicates, default with a segment", `
name: default
version: 2
segment: smb
bands: {red: 70, green: 40}
measures:
  - {measure: last_nps, weight: 1, thresholds: [{value: 0, score: 0}, {value: 10, score: 100}]}
  - {measure: last_nps, weight: 2, mode: steps, thresholds: [{value: 0, score: 0}]}
`, []string{
			`segment: must be empty: "default" is the scorecard of accounts whose segment has none of its own`,
			`bands.green: must be greater than bands.red (70), got 40`,
			`measures[1]: measures last_nps again: measures[0] already does`,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := health.Parse(tc.yaml)
			require.Equal(t, tc.want, problems(t, err))
		})
	}
}

func TestSubScore(t *testing.T) {
	linear := health.Measure{Mode: health.ModeLinear, Thresholds: []health.Threshold{{14, 100}, {45, 40}, {90, 0}}}
	steps := health.Measure{Mode: health.ModeSteps, Thresholds: []health.Threshold{{0, 100}, {1, 40}, {3, 0}}}
	tests := []struct {
		name string
		m    health.Measure
		v    float64
		want float64
	}{
		{"linear below the first point", linear, 0, 100},
		{"linear on a point", linear, 45, 40},
		{"linear between points", linear, 52, 40 - 7.0/45*40},
		{"linear above the last point", linear, 400, 0},
		{"steps below the first point", steps, -1, 100},
		{"steps on a point", steps, 1, 40},
		{"steps between points", steps, 2.5, 40},
		{"steps above the last", steps, 9, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.want, tc.m.SubScore(tc.v), 1e-9)
		})
	}
}

var day = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

func f(v float64) *float64 { return &v }

// TestScore scores by hand: weights 3 (CS silence), 3 (NPS), 2 (urgent
// tickets) and 1 (CSAT, without data).
//
//	CS touch 52 days ago: between (45, 40) and (90, 0): 40 − 7/45×40 = 33.78, to one decimal 33.8
//	NPS 4: between (0, 0) and (6, 40): 26.67, to one decimal 26.7
//	one urgent ticket, steps: 40
//	score = (3×33.8 + 3×26.7 + 2×40) / 8 = 261.5 / 8 = 32.6875 → 32.7, red
func TestScore(t *testing.T) {
	sc, err := health.Parse(`
name: default
version: 3
measures:
  - {measure: days_since_last_touch, team: cs, weight: 3, thresholds: [{value: 14, score: 100}, {value: 45, score: 40}, {value: 90, score: 0}]}
  - {measure: last_nps, weight: 3, thresholds: [{value: 0, score: 0}, {value: 6, score: 40}, {value: 9, score: 100}]}
  - {measure: urgent_open_tickets, weight: 2, mode: steps, thresholds: [{value: 0, score: 100}, {value: 1, score: 40}, {value: 2, score: 0}]}
  - {measure: csat, weight: 1, thresholds: [{value: 50, score: 0}, {value: 90, score: 100}]}
`)
	require.NoError(t, err)
	nps := 4
	in := health.Inputs{AsOf: day, Today: day, LastNPS: &nps, UrgentOpenTickets: 1, OpenTickets: 1,
		Teams: map[string]health.TeamActivity{
			"cs":    {LastTouchAt: ptr(day.Add(-52*24*time.Hour - time.Hour))},
			"sales": {LastTouchAt: ptr(day.Add(-2 * 24 * time.Hour)), Touches30d: 1},
		}}
	got := health.Score(*sc, in)
	require.Equal(t, health.Result{Score: f(32.7), Band: health.BandRed, Factors: []health.Factor{
		{Measure: "days_since_last_touch", Team: "cs", Value: f(52), Score: f(33.8), Weight: 3, Contribution: f(12.68)},
		{Measure: "last_nps", Value: f(4), Score: f(26.7), Weight: 3, Contribution: f(10.01)},
		{Measure: "urgent_open_tickets", Value: f(1), Score: f(40), Weight: 2, Contribution: f(10)},
		{Measure: "csat", Weight: 1, Note: health.NoData},
	}}, got)

	t.Run("no data at all", func(t *testing.T) {
		onlyNPS := health.Scorecard{Bands: health.DefaultBands, Measures: sc.Measures[1:2]}
		got := health.Score(onlyNPS, health.Inputs{AsOf: day, Today: day})
		require.Nil(t, got.Score)
		require.Equal(t, health.BandNone, got.Band)
	})
}

func ptr[T any](v T) *T { return &v }

func TestInputsValue(t *testing.T) {
	renewal := day.AddDate(0, 0, 45)
	in := health.Inputs{AsOf: day.Add(13 * time.Hour), Today: day, RenewalDate: &renewal, MRRNow: 90, MRR90dAgo: 120,
		CSATRated: 3, CSATPositive: 2, Objectives: 2, ObjectivesAtRisk: 1, SaturatedDays: 2,
		Teams: map[string]health.TeamActivity{
			"cs":      {LastTouchAt: ptr(day.AddDate(0, 0, -10)), Touches30d: 2, Touches90d: 5, Seconds30d: 5400, Seconds90d: 9000},
			"support": {LastTouchAt: ptr(day.AddDate(0, 0, -1)), Touches30d: 1, Touches90d: 1, Seconds30d: 1800, Seconds90d: 1800},
		}}
	tests := []struct {
		id     health.MeasureID
		team   string
		want   float64
		noData bool
	}{
		{health.DaysSinceLastTouch, "", 1, false},
		{health.DaysSinceLastTouch, "cs", 10, false},
		{health.DaysSinceLastTouch, "sales", 0, true},
		{health.Touches30d, "", 3, false},
		{health.Touches90d, "cs", 5, false},
		{health.HoursSpent30d, "", 2, false},
		{health.HoursSpent90d, "cs", 2.5, false},
		{health.CSAT, "", 66.67, false},
		{health.MRRChange90d, "", -25, false},
		{health.DaysToRenewal, "", 45, false},
		{health.ObjectivesAtRisk, "", 1, false},
		{health.ContactPressureDays, "", 2, false},
		{health.LastNPS, "", 0, true},
		{health.MedianResolution, "", 0, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.id)+"/"+tc.team, func(t *testing.T) {
			v, ok := in.Value(tc.id, tc.team)
			require.Equal(t, !tc.noData, ok)
			require.Equal(t, tc.want, v)
		})
	}
}

func TestChoose(t *testing.T) {
	def := health.Scorecard{Name: "default", Version: 2}
	ent := health.Scorecard{Name: "enterprise", Version: 4, Segment: "enterprise"}
	tests := []struct {
		segment string
		cards   []health.Scorecard
		want    health.Applied
		reason  string
	}{
		{"enterprise", []health.Scorecard{def, ent}, health.Applied{"enterprise", 4, "enterprise", health.MatchSegment, "enterprise"},
			`enterprise v4 is the scorecard of segment "enterprise"`},
		{"smb", []health.Scorecard{def, ent}, health.Applied{"default", 2, "", health.MatchDefault, "smb"},
			`default v2 applies: no scorecard is for segment "smb"`},
		{"", []health.Scorecard{ent, def}, health.Applied{"default", 2, "", health.MatchDefault, ""},
			"default v2 applies: the account has no segment"},
	}
	for _, tc := range tests {
		t.Run(tc.segment, func(t *testing.T) {
			_, got, ok := health.Choose(tc.cards, tc.segment)
			require.True(t, ok)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.reason, got.Reason())
		})
	}
	_, _, ok := health.Choose([]health.Scorecard{ent}, "smb")
	require.False(t, ok, "no default, no segment's own")
}

func TestExplain(t *testing.T) {
	applied := health.Applied{Name: "default", Version: 1, Match: health.MatchDefault}
	before := health.Snapshot{Day: day, Scorecard: applied, Result: health.Result{Score: f(74), Band: health.BandGreen, Factors: []health.Factor{
		{Measure: "days_since_last_touch", Team: "cs", Value: f(20), Score: f(90.3), Weight: 3, Contribution: f(33.86)},
		{Measure: "last_nps", Value: f(9), Score: f(100), Weight: 3, Contribution: f(37.5)},
		{Measure: "open_tickets", Value: f(1), Score: f(80), Weight: 2, Contribution: f(20)},
		{Measure: "csat", Weight: 1, Note: health.NoData},
	}}}
	after := health.Snapshot{Day: day.AddDate(0, 0, 32), Scorecard: applied, Result: health.Result{Score: f(48.2), Band: health.BandYellow, Factors: []health.Factor{
		{Measure: "days_since_last_touch", Team: "cs", Value: f(52), Score: f(33.8), Weight: 3, Contribution: f(12.68)},
		{Measure: "last_nps", Value: f(4), Score: f(26.7), Weight: 3, Contribution: f(10.01)},
		{Measure: "open_tickets", Value: f(0), Score: f(100), Weight: 2, Contribution: f(25)},
		{Measure: "csat", Weight: 1, Note: health.NoData},
	}}}
	c := health.Explain(&before, after)
	require.Equal(t, "green → yellow because NPS fell 9 → 4 and no CS touch in 52 days", c.Summary)
	require.Equal(t, f(-25.8), c.ScoreDelta)
	require.Len(t, c.Reasons, 3)
	require.Equal(t, "open tickets fell 1 → 0", c.Reasons[2].Text)
	require.Equal(t, 5.0, c.Reasons[2].ContributionDelta)

	require.Equal(t, "no earlier score: first scored on 2025-07-03", health.Explain(nil, after).Summary)
	same := health.Explain(&after, after)
	require.Equal(t, "yellow, score unchanged at 48.2", same.Summary)
	require.Empty(t, same.Reasons)
}

func TestConfusion(t *testing.T) {
	var c health.Confusion
	for _, x := range []struct{ red, churned bool }{{true, true}, {true, true}, {true, false}, {false, true}, {false, false}, {false, false}, {false, false}, {false, false}} {
		c.Add(x.red, x.churned)
	}
	require.Equal(t, health.Confusion{TruePositives: 2, FalsePositives: 1, FalseNegatives: 1, TrueNegatives: 4}, c)
	require.Equal(t, f(0.6667), c.Precision())
	require.Equal(t, f(0.6667), c.Recall())
	require.Equal(t, f(0.375), c.BaseRate())
	require.Equal(t, f(1.7778), c.Lift(), "2/3 ÷ 3/8 = 16/9")
	require.Nil(t, health.Confusion{}.Precision())
}

func TestObjectiveRules(t *testing.T) {
	due := day.AddDate(0, 0, -1)
	tests := []struct {
		o    health.Objective
		want bool
	}{
		{health.Objective{Status: health.OnTrack}, false},
		{health.Objective{Status: health.OnTrack, DueDate: &due}, true},
		{health.Objective{Status: health.Done, DueDate: &due}, false},
		{health.Objective{Status: health.AtRisk}, true},
		{health.Objective{Status: health.Missed}, true},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, tc.o.IsAtRisk(day), "%+v", tc.o)
	}
	err := health.ObjectiveInput{Title: " ", Status: "late"}.Validate()
	require.Equal(t, []string{"title: is required", `status: "late" is not one of on_track, at_risk, done, missed`}, problems(t, err))
}
