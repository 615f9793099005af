package engagement_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/engagement"
)

func ptr[T any](v T) *T { return &v }

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func problems(t *testing.T, err error) domain.Problems {
	t.Helper()
	if err == nil {
		return nil
	}
	var in *domain.InputError
	require.True(t, errors.As(err, &in), "%v is not an input error", err)
	return in.Problems
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want domain.Problems
	}{
		{"coverage ok", engagement.CoverageQuery{Team: "cs", Days: 1, AsOf: t0}.Validate(), nil},
		{"coverage all wrong", engagement.CoverageQuery{Team: "finance", Days: 0}.Validate(), domain.Problems{
			{Field: "team", Message: `"finance" is not one of marketing, sales, onboarding, cs, support`},
			{Field: "days", Message: "must be at least 1, got 0"},
		}},
		{"pressure ok", engagement.PressureQuery{From: t0.Add(-time.Hour), To: t0, Window: engagement.WindowWeek, Cap: ptr(1)}.Validate(), nil},
		{"pressure all wrong", engagement.PressureQuery{From: t0, To: t0, Window: "month", Cap: ptr(0)}.Validate(), domain.Problems{
			{Field: "from", Message: "must be before to (2026-03-01T00:00:00Z), got 2026-03-01T00:00:00Z"},
			{Field: "window", Message: `"month" is not one of day, week`},
			{Field: "cap", Message: "must be at least 1, got 0"},
		}},
		{"handoff ok", engagement.HandoffQuery{AsOf: t0, Days: 7}.Validate(), nil},
		{"handoff days", engagement.HandoffQuery{AsOf: t0, Days: -1}.Validate(), domain.Problems{
			{Field: "days", Message: "must be at least 1, got -1"},
		}},
		{"period ok", engagement.PeriodQuery{From: t0, To: t0.Add(time.Nanosecond)}.Validate(), nil},
		{"period reversed", engagement.PeriodQuery{From: t0.Add(time.Hour), To: t0}.Validate(), domain.Problems{
			{Field: "from", Message: "must be before to (2026-03-01T00:00:00Z), got 2026-03-01T01:00:00Z"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, problems(t, tc.err))
		})
	}
}

func TestCap(t *testing.T) {
	tests := []struct {
		name       string
		window     engagement.Window
		argument   *int
		setting    int
		want       int
		wantSource engagement.CapSource
	}{
		{"day from the setting", engagement.WindowDay, nil, 5, 5, engagement.CapFromSetting},
		{"week is seven days of the setting", engagement.WindowWeek, nil, 5, 35, engagement.CapFromSetting},
		{"a changed setting", engagement.WindowWeek, nil, 3, 21, engagement.CapFromSetting},
		{"the argument as it is, day", engagement.WindowDay, ptr(2), 5, 2, engagement.CapFromArgument},
		{"the argument as it is, week", engagement.WindowWeek, ptr(9), 5, 9, engagement.CapFromArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, source := engagement.Cap(tc.window, tc.argument, tc.setting)
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.wantSource, source)
		})
	}
}

func TestNPS(t *testing.T) {
	tests := []struct {
		name   string
		counts []engagement.ScoreCount
		want   engagement.NPSCounts
		score  *float64
		// other is the "other" touchpoint's responses.
		other int
	}{
		{name: "no responses", want: engagement.NPSCounts{}},
		{name: "band edges", counts: []engagement.ScoreCount{
			{Group: "qbr", Score: 6, N: 1}, {Group: "qbr", Score: 7, N: 1},
			{Group: "qbr", Score: 8, N: 1}, {Group: "qbr", Score: 9, N: 1},
		}, want: engagement.NPSCounts{Responses: 4, Promoters: 1, Passives: 2, Detractors: 1}, score: ptr(0.0)},
		{name: "all detractors", counts: []engagement.ScoreCount{{Group: "renewal", Score: 0, N: 3}},
			want: engagement.NPSCounts{Responses: 3, Detractors: 3}, score: ptr(-100.0)},
		{name: "no touchpoint counts as other", counts: []engagement.ScoreCount{
			{Group: "", Score: 10, N: 2}, {Group: "other", Score: 3, N: 2},
		}, want: engagement.NPSCounts{Responses: 4, Promoters: 2, Detractors: 2}, score: ptr(0.0), other: 4},
		{name: "three to one", counts: []engagement.ScoreCount{
			{Group: "support", Score: 10, N: 3}, {Group: "support", Score: 2, N: 1},
		}, want: engagement.NPSCounts{Responses: 4, Promoters: 3, Detractors: 1}, score: ptr(50.0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := engagement.NewNPS(engagement.PeriodQuery{From: t0.Add(-time.Hour), To: t0}, tc.counts)
			require.Equal(t, tc.want, n.NPSCounts)
			require.Equal(t, tc.score, n.Score())
			require.Len(t, n.ByTouchpoint, len(domain.Touchpoints))
			sum := 0
			for i, tp := range n.ByTouchpoint {
				require.Equal(t, domain.Touchpoints[i], tp.Touchpoint)
				sum += tp.Responses
			}
			require.Equal(t, tc.want.Responses, sum)
			require.Equal(t, tc.other, n.ByTouchpoint[len(n.ByTouchpoint)-1].Responses)
		})
	}
}

func TestCSAT(t *testing.T) {
	tests := []struct {
		name            string
		counts          []engagement.ScoreCount
		want            engagement.CSATCounts
		score           *float64
		unrated         int
		survey, tickets engagement.CSATCounts
	}{
		{name: "nothing rated", counts: []engagement.ScoreCount{{Group: "ticket", Score: 0, N: 4}}, unrated: 4},
		{name: "3 is not positive, 4 is", counts: []engagement.ScoreCount{
			{Group: "survey", Score: 3, N: 1}, {Group: "survey", Score: 4, N: 1},
			{Group: "ticket", Score: 5, N: 2}, {Group: "ticket", Score: 1, N: 1}, {Group: "ticket", Score: 0, N: 7},
		}, want: engagement.CSATCounts{Rated: 5, Positive: 3}, score: ptr(0.6), unrated: 7,
			survey: engagement.CSATCounts{Rated: 2, Positive: 1}, tickets: engagement.CSATCounts{Rated: 3, Positive: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := engagement.NewCSAT(engagement.PeriodQuery{From: t0.Add(-time.Hour), To: t0}, tc.counts)
			require.Equal(t, tc.want, c.CSATCounts)
			require.Equal(t, tc.score, c.Score())
			require.Equal(t, tc.unrated, c.UnratedTickets)
			require.Equal(t, []engagement.CSATSource{{Source: "survey", CSATCounts: tc.survey}, {Source: "ticket", CSATCounts: tc.tickets}}, c.BySource)
		})
	}
}

func TestNewCoverage(t *testing.T) {
	ann, bob := uuid.New(), uuid.New()
	acct := func(name, tier string) engagement.BookAccount {
		return engagement.BookAccount{ID: uuid.New(), Name: name, Tier: tier}
	}
	entry := func(owner uuid.UUID, a engagement.BookAccount, touches int) engagement.BookEntry {
		return engagement.BookEntry{OwnerID: owner, AccountCoverage: engagement.AccountCoverage{Account: a, Touches: touches}}
	}
	big, mid, small, none := acct("big", "A"), acct("Mid", "B"), acct("small", "C"), acct("no tier", "")
	q := engagement.CoverageQuery{Team: "cs", Days: 30, AsOf: t0}
	c := engagement.NewCoverage(q, map[uuid.UUID]domain.Person{ann: {Name: "Ann"}, bob: {Name: "Bob"}}, []engagement.BookEntry{
		entry(bob, small, 2), entry(ann, small, 0), entry(ann, big, 0), entry(ann, mid, 3), entry(bob, none, 0),
	})
	require.Equal(t, t0.Add(-30*24*time.Hour), c.Rules.From)
	require.Equal(t, 5, c.BookSize)
	require.Equal(t, 2, c.Touched)
	require.Equal(t, ptr(0.4), c.Ratio)
	require.Len(t, c.Owners, 2)

	type group struct {
		tier  string
		names []string
	}
	groups := func(o engagement.OwnerCoverage) []group {
		var out []group
		for _, g := range o.Untouched {
			x := group{tier: g.Tier}
			for _, a := range g.Accounts {
				x.names = append(x.names, a.Account.Name)
			}
			out = append(out, x)
		}
		return out
	}
	a, b := c.Owners[0], c.Owners[1]
	require.Equal(t, "Ann", a.Owner.Name)
	require.Equal(t, ann, a.Owner.ID)
	require.Equal(t, 3, a.BookSize)
	require.Equal(t, 1, a.Touched)
	require.InDelta(t, 1.0/3, a.Ratio, 1e-15)
	require.Equal(t, []group{{"A", []string{"big"}}, {"B", nil}, {"C", []string{"small"}}}, groups(a), "no untiered group when none is untouched")
	require.Equal(t, []string{"big", "Mid", "small"}, []string{a.Accounts[0].Account.Name, a.Accounts[1].Account.Name, a.Accounts[2].Account.Name}, "by name, ignoring case")

	require.Equal(t, "Bob", b.Owner.Name)
	require.Equal(t, 0.5, b.Ratio)
	require.Equal(t, []group{{"A", nil}, {"B", nil}, {"C", nil}, {"", []string{"no tier"}}}, groups(b))

	empty := engagement.NewCoverage(q, nil, nil)
	require.Nil(t, empty.Ratio)
	require.Empty(t, empty.Owners)
}

func TestNewPressure(t *testing.T) {
	acct := func(name string) domain.Account { return domain.Account{ID: uuid.New(), Name: name} }
	x, y := acct("x"), acct("y")
	window := func(start time.Time, touches int, byTeam ...engagement.TeamTouches) engagement.TouchWindow {
		return engagement.TouchWindow{Start: start, End: start.Add(24 * time.Hour), Touches: touches, ByTeam: byTeam}
	}
	contact := func(name string, a domain.Account, touches int, w engagement.TouchWindow, byTeam ...engagement.TeamTouches) engagement.ContactPressure {
		return engagement.ContactPressure{Contact: domain.Contact{ID: uuid.New(), Name: name}, Account: a, Touches: touches, ByTeam: byTeam, Worst: w}
	}
	mkt, sales, cs := func(n int) engagement.TeamTouches { return engagement.TeamTouches{Team: "marketing", Touches: n} },
		func(n int) engagement.TeamTouches { return engagement.TeamTouches{Team: "sales", Touches: n} },
		func(n int) engagement.TeamTouches { return engagement.TeamTouches{Team: "cs", Touches: n} }
	q := engagement.PressureQuery{From: t0.Add(-30 * 24 * time.Hour), To: t0, Window: engagement.WindowDay}
	p := engagement.NewPressure(q, 5, engagement.CapFromSetting, []engagement.ContactPressure{
		contact("x1", x, 6, window(t0.Add(-48*time.Hour), 6, mkt(3), sales(3)), mkt(3), sales(3)),
		contact("y1", y, 9, window(t0.Add(-72*time.Hour), 8, cs(8)), cs(9)),
		contact("x2", x, 7, window(t0.Add(-96*time.Hour), 6, sales(6)), sales(6), cs(1)),
	})
	var names []string
	for _, c := range p.Contacts {
		names = append(names, c.Contact.Name)
	}
	require.Equal(t, []string{"y1", "x2", "x1"}, names, "most touches first, then the earlier window")
	require.Len(t, p.Accounts, 2)
	require.Equal(t, "y", p.Accounts[0].Account.Name)
	rx := p.Accounts[1]
	require.Equal(t, 2, rx.SaturatedContacts)
	require.Equal(t, 13, rx.Touches)
	require.Equal(t, []engagement.TeamTouches{mkt(3), sales(9), cs(1)}, rx.ByTeam, "in the order of domain.Teams")
	require.Equal(t, t0.Add(-96*time.Hour), rx.Worst.Start, "x2's window is worst: as many touches, earlier")
	require.Equal(t, 5, p.Rules.Cap)
	require.Equal(t, engagement.WindowDay, p.Rules.Window)

	require.Empty(t, engagement.NewPressure(q, 5, engagement.CapFromSetting, nil).Contacts)
}

func TestAddTeamTouches(t *testing.T) {
	got := engagement.AddTeamTouches(
		[]engagement.TeamTouches{{Team: "support", Touches: 1}, {Team: "marketing", Touches: 2}},
		[]engagement.TeamTouches{{Team: "marketing", Touches: 1}, {Team: "cs", Touches: 0}},
	)
	require.Equal(t, []engagement.TeamTouches{{Team: "marketing", Touches: 3}, {Team: "support", Touches: 1}}, got)
	require.Equal(t, []engagement.TeamTouches{}, engagement.AddTeamTouches(nil, nil))
}
