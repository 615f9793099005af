package engagement_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/queries")

func TestMain(m *testing.M) {
	testdb.Main(m, plugintest.Cleanup)
}

// api is the real GraphQL handler over a database filled by one sync of a
// source, through the connector plugin and the sync engine.
type api struct {
	url string
}

// newAPI syncs a source of kind with cfg into a fresh database and serves
// the API over it, with now as the requests' "now".
func newAPI(t *testing.T, now time.Time, kind string, cfg map[string]any) *api {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	svc := &sources.Service{DB: db, Host: h, Box: box}
	engine := &sync.Engine{DB: db, Host: h, Sources: svc}
	src, err := svc.Create(ctx, sources.Input{Kind: kind, Name: kind, Config: cfg})
	require.NoError(t, err)
	run, err := engine.Run(ctx, src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status, run.Error)
	require.Zero(t, run.RecordsRejected, "every fixture row imports")
	require.Zero(t, run.RecordsDeferred, "every fixture reference resolves")

	st := store.New(db)
	srv := httptest.NewServer(graph.NewHandler(st, svc, nil, graph.Options{
		Engagement: st,
		// The workspace settings, which hold the contact pressure cap,
		// are changed through the revenue service's mutation.
		Revenue: st,
		Now:     func() time.Time { return now },
	}))
	t.Cleanup(srv.Close)
	return &api{url: srv.URL + "/query"}
}

// response is a GraphQL answer, decoded.
type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Path       []any          `json:"path"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// post sends a query that the server executes and returns the body.
func (a *api) post(t *testing.T, query string, vars map[string]any) []byte {
	t.Helper()
	status, body := a.send(t, query, vars)
	require.Equal(t, http.StatusOK, status, string(body))
	return body
}

// send sends a query and returns the status and the body.
func (a *api) send(t *testing.T, query string, vars map[string]any) (int, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	res, err := http.Post(a.url, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	var out bytes.Buffer
	_, err = out.ReadFrom(res.Body)
	require.NoError(t, err)
	return res.StatusCode, out.Bytes()
}

// query sends a query that must succeed and decodes its data into out.
func (a *api) query(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	var res response
	raw := a.post(t, query, vars)
	require.NoError(t, json.Unmarshal(raw, &res))
	require.Empty(t, res.Errors, string(raw))
	require.NoError(t, json.Unmarshal(res.Data, out))
}

// fixtureNow is the instant the fixture's reports are taken at, and the
// handler's now: a report asked without asOf or to uses it.
var fixtureNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func fixtureAPI(t *testing.T) *api {
	t.Helper()
	dir, err := filepath.Abs("testdata/fixture")
	require.NoError(t, err)
	return newAPI(t, fixtureNow, "csv", map[string]any{"path": dir})
}

// TestGolden runs every testdata/queries/*.graphql over the CSV fixture
// and compares the answer with the .json beside it, whose figures the
// query's comments compute by hand. -update rewrites the .json files.
func TestGolden(t *testing.T) {
	a := fixtureAPI(t)
	var owners struct {
		Coverage struct {
			Owners []struct {
				Owner struct{ ID, Name string }
			}
		}
	}
	a.query(t, `{ coverage(team: CS) { owners { owner { id name } } } }`, nil, &owners)
	ids := map[string]string{}
	for _, o := range owners.Coverage.Owners {
		ids[o.Owner.Name] = o.Owner.ID
	}
	vars := map[string]map[string]any{
		"coverage_owner": {"owner": ids["Cid Success"]},
	}

	files, err := filepath.Glob("testdata/queries/*.graphql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".graphql")
		t.Run(name, func(t *testing.T) {
			query, err := os.ReadFile(file)
			require.NoError(t, err)
			var got bytes.Buffer
			require.NoError(t, json.Indent(&got, a.post(t, string(query), vars[name]), "", "  "))
			got.WriteString("\n")
			golden := strings.TrimSuffix(file, ".graphql") + ".json"
			if *update {
				require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			require.Equal(t, string(want), got.String())
		})
	}
}

// TestBadInput checks that every report refuses bad arguments with
// BAD_USER_INPUT naming the argument, and that the schema refuses values
// outside an enum before any report runs.
func TestBadInput(t *testing.T) {
	a := fixtureAPI(t)
	tests := []struct {
		name, query string
		vars        map[string]any
		status      int // 200 when 0
		code, field string
		message     string
	}{
		{name: "days zero", query: `{ coverage(team: CS, days: 0) { bookSize } }`,
			code: "BAD_USER_INPUT", field: "days", message: "days: must be at least 1, got 0"},
		{name: "days negative", query: `{ handoffGaps(days: -3) { customersWithoutCsOwner { name } } }`,
			code: "BAD_USER_INPUT", field: "days", message: "days: must be at least 1, got -3"},
		{name: "unknown owner", query: `{ coverage(team: CS, ownerId: "00000000-0000-0000-0000-000000000001") { bookSize } }`,
			code: "BAD_USER_INPUT", field: "ownerId", message: "ownerId: no teammate has the id 00000000-0000-0000-0000-000000000001"},
		{name: "owner not an id", query: `{ coverage(team: CS, ownerId: "P2") { bookSize } }`,
			code: "BAD_USER_INPUT", field: "ownerId", message: `ownerId: "P2" is not an id`},
		// A value outside an enum never reaches a report: the schema
		// refuses it, as it refuses any query that does not validate.
		{name: "unknown team", query: `query($team: Team!) { coverage(team: $team) { bookSize } }`, vars: map[string]any{"team": "FINANCE"},
			status: http.StatusOK, code: "GRAPHQL_VALIDATION_FAILED", message: "FINANCE is not a valid Team"},
		{name: "unknown team literal", query: `{ coverage(team: FINANCE) { bookSize } }`,
			status: http.StatusOK, code: "GRAPHQL_VALIDATION_FAILED", message: "FINANCE"},
		{name: "unknown window", query: `{ contactPressure(window: MONTH) { contacts { touches } } }`,
			status: http.StatusOK, code: "GRAPHQL_VALIDATION_FAILED", message: "MONTH"},
		{name: "pressure from after to", query: `{ contactPressure(from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { contacts { touches } } }`,
			code: "BAD_USER_INPUT", field: "from", message: "from: must be before to (2026-01-01T00:00:00Z), got 2026-02-01T00:00:00Z"},
		{name: "pressure empty period", query: `{ contactPressure(from: "2026-02-01T00:00:00Z", to: "2026-02-01T00:00:00Z") { contacts { touches } } }`,
			code: "BAD_USER_INPUT", field: "from", message: "from: must be before to"},
		{name: "cap zero", query: `{ contactPressure(cap: 0) { contacts { touches } } }`,
			code: "BAD_USER_INPUT", field: "cap", message: "cap: must be at least 1, got 0"},
		{name: "nps from after to", query: `{ nps(from: "2026-04-01T00:00:00Z", to: "2026-03-01T00:00:00Z") { responses } }`,
			code: "BAD_USER_INPUT", field: "from", message: "from: must be before to"},
		{name: "csat from after the default to", query: `{ csat(from: "2027-01-01T00:00:00Z") { rated } }`,
			code: "BAD_USER_INPUT", field: "from", message: "from: must be before to (2026-03-01T00:00:00Z)"},
		{name: "csat bad time", query: `{ csat(to: "yesterday") { rated } }`,
			code: "BAD_USER_INPUT", field: "to", message: `to: "yesterday" is not an RFC 3339 time`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res response
			status, raw := a.send(t, tc.query, tc.vars)
			require.Equal(t, cmp.Or(tc.status, http.StatusOK), status, string(raw))
			require.NoError(t, json.Unmarshal(raw, &res))
			require.Len(t, res.Errors, 1, string(raw))
			e := res.Errors[0]
			require.Equal(t, tc.code, e.Extensions["code"], string(raw))
			if tc.field != "" {
				require.Equal(t, tc.field, e.Extensions["field"], string(raw))
			}
			require.Contains(t, e.Message, tc.message)
		})
	}
}

// TestDefaults checks the defaults the schema promises: now for asOf and
// to, 30 days of coverage and of contact pressure, 90 days of NPS and
// CSAT, 7 days of hand-off grace, the setting's cap for a day.
func TestDefaults(t *testing.T) {
	a := fixtureAPI(t)
	var got struct {
		Coverage        struct{ Rules rules }
		ContactPressure struct{ Rules rules }
		HandoffGaps     struct{ Rules rules }
		Nps             struct{ Rules rules }
		Csat            struct{ Rules rules }
	}
	a.query(t, `{
		coverage(team: SALES) { rules { from to asOf days } }
		contactPressure { rules { from to cap capSource window } }
		handoffGaps { rules { asOf days } }
		nps { rules { from to } }
		csat { rules { from to } }
	}`, nil, &got)
	day := 24 * time.Hour
	now := fixtureNow
	require.Equal(t, rules{From: now.Add(-30 * day), To: now, AsOf: &now, Days: 30}, got.Coverage.Rules)
	require.Equal(t, rules{From: now.Add(-30 * day), To: now, Cap: 5, CapSource: "SETTING", Window: "DAY"}, got.ContactPressure.Rules)
	require.Equal(t, rules{AsOf: &now, Days: 7}, got.HandoffGaps.Rules)
	require.Equal(t, rules{From: now.Add(-90 * day), To: now}, got.Nps.Rules)
	require.Equal(t, rules{From: now.Add(-90 * day), To: now}, got.Csat.Rules)
}

// rules are the fields of EngagementRules the tests read.
type rules struct {
	From, To  time.Time
	AsOf      *time.Time
	Days      int
	Cap       int
	CapSource string
	Window    string
}

// TestCapFromSetting checks that contact pressure applies the workspace
// setting as it is changed through the API: a day's cap of 4 saturates Kay
// Admin's five campaign emails of 02-18, and a week's cap becomes 28.
func TestCapFromSetting(t *testing.T) {
	a := fixtureAPI(t)
	var set struct {
		UpdateSettings struct{ ContactPressureCap int }
	}
	a.query(t, `mutation { updateSettings(input: {contactPressureCap: 4, timezone: "Europe/Paris"}) { contactPressureCap } }`, nil, &set)
	require.Equal(t, 4, set.UpdateSettings.ContactPressureCap)

	type report struct {
		Rules struct {
			Cap       int
			CapSource string
			Timezone  string
		}
		Contacts []struct {
			Contact     struct{ Name string }
			WorstWindow struct{ Touches int }
		}
	}
	var got struct{ Day, Week report }
	a.query(t, `{
		day: contactPressure(from: "2026-02-01T00:00:00Z", to: "2026-03-01T00:00:00Z") {
			rules { cap capSource timezone } contacts { contact { name } worstWindow { touches } } }
		week: contactPressure(from: "2026-02-01T00:00:00Z", to: "2026-03-01T00:00:00Z", window: WEEK) {
			rules { cap capSource timezone } contacts { contact { name } worstWindow { touches } } }
	}`, nil, &got)
	require.Equal(t, 4, got.Day.Rules.Cap)
	require.Equal(t, "SETTING", got.Day.Rules.CapSource)
	require.Equal(t, "Europe/Paris", got.Day.Rules.Timezone)
	names := func(r report) []string {
		var out []string
		for _, c := range r.Contacts {
			out = append(out, fmt.Sprintf("%s %d", c.Contact.Name, c.WorstWindow.Touches))
		}
		return out
	}
	// Kim Buyer's worst day holds 6, Kay Admin's 5: both above 4.
	require.Equal(t, []string{"Kim Buyer 6", "Kay Admin 5"}, names(got.Day))
	require.Equal(t, 28, got.Week.Rules.Cap)
	require.Empty(t, got.Week.Contacts, "7 touches in Kim Buyer's worst week are not above 28")
}

// TestDemoData runs every report over a small demo data set with a fixed
// end date, as of the day after it, and checks that the answers hold
// together and tell the demo's stories: coverage below 100%, contacts
// swamped on one day by several teams, dropped hand-offs, and survey
// scores in range.
func TestDemoData(t *testing.T) {
	now := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	a := newAPI(t, now, "demo", map[string]any{"size": 300, "seed": 1, "end_date": "2026-01-31"})

	type accountCoverage struct {
		Touched                                bool
		Touches                                int
		TimeSpentSeconds, TeamTimeSpentSeconds int
	}
	var got struct {
		Coverage struct {
			BookSize, Touched int
			Ratio             float64
			Owners            []struct {
				BookSize, Touched int
				Ratio             float64
				Untouched         []struct{ Accounts []accountCoverage }
				Accounts          []accountCoverage
			}
		}
		ContactPressure struct {
			Contacts []struct {
				Touches     int
				ByTeam      []struct{ Touches int }
				WorstWindow struct {
					Start, End time.Time
					Touches    int
					ByTeam     []struct{ Touches int }
				}
			}
			Accounts []struct{ SaturatedContacts, Touches int }
		}
		HandoffGaps struct {
			DealsWithoutOnboarding []struct {
				ClosedAt, DueBy        time.Time
				FirstOnboardingTouchAt *time.Time
			}
			CustomersWithoutCsOwner []struct{ Name string }
			CustomersNotTouchedByCs []struct {
				HandoffAt          time.Time
				LastCsOwnerTouchAt *time.Time
				CsOwners           []struct{ Name string }
			}
		}
		Nps struct {
			Score                                      *float64
			Responses, Promoters, Passives, Detractors int
			ByTouchpoint                               []struct{ Responses, Promoters, Passives, Detractors int }
		}
		Csat struct {
			Score                           *float64
			Rated, Positive, UnratedTickets int
			BySource                        []struct{ Rated, Positive int }
		}
	}
	started := time.Now()
	a.query(t, `{
		coverage(team: CS) { bookSize touched ratio owners { bookSize touched ratio
			untouched { accounts { touched touches timeSpentSeconds teamTimeSpentSeconds } }
			accounts { touched touches timeSpentSeconds teamTimeSpentSeconds } } }
		contactPressure { contacts { touches byTeam { touches } worstWindow { start end touches byTeam { touches } } }
			accounts { saturatedContacts touches } }
		handoffGaps { dealsWithoutOnboarding { closedAt dueBy firstOnboardingTouchAt } customersWithoutCsOwner { name }
			customersNotTouchedByCs { handoffAt lastCsOwnerTouchAt csOwners { name } } }
		nps { score responses promoters passives detractors byTouchpoint { responses promoters passives detractors } }
		csat { score rated positive unratedTickets bySource { rated positive } }
	}`, nil, &got)
	t.Logf("the five reports over %d demo accounts answered in %s", 300, time.Since(started))

	c := got.Coverage
	require.NotEmpty(t, c.Owners)
	books, touched := 0, 0
	for _, o := range c.Owners {
		require.Positive(t, o.BookSize)
		require.Len(t, o.Accounts, o.BookSize)
		require.InDelta(t, float64(o.Touched)/float64(o.BookSize), o.Ratio, 1e-12)
		n := 0
		for _, g := range o.Untouched {
			for _, x := range g.Accounts {
				require.False(t, x.Touched)
				n++
			}
		}
		require.Equal(t, o.BookSize-o.Touched, n, "every untouched account is in a tier group")
		for _, x := range o.Accounts {
			require.Equal(t, x.Touches > 0, x.Touched)
			require.GreaterOrEqual(t, x.TimeSpentSeconds, x.TeamTimeSpentSeconds)
		}
		books += o.BookSize
		touched += o.Touched
	}
	require.Equal(t, books, c.BookSize)
	require.Equal(t, touched, c.Touched)
	require.Greater(t, c.Ratio, 0.0)
	require.Less(t, c.Ratio, 1.0, "some books have accounts CS did not touch in 30 days")

	p := got.ContactPressure
	require.NotEmpty(t, p.Contacts, "the demo swamps some contacts on one day")
	sum := 0
	for _, x := range p.Contacts {
		require.Greater(t, x.WorstWindow.Touches, 5)
		require.LessOrEqual(t, x.WorstWindow.End.Sub(x.WorstWindow.Start), 24*time.Hour)
		require.GreaterOrEqual(t, len(x.WorstWindow.ByTeam), 3, "the swamping comes from several teams")
		require.Equal(t, x.WorstWindow.Touches, total(x.WorstWindow.ByTeam))
		require.Equal(t, x.Touches, total(x.ByTeam))
		require.GreaterOrEqual(t, x.Touches, x.WorstWindow.Touches)
		sum += x.Touches
	}
	rolled, saturated := 0, 0
	for _, x := range p.Accounts {
		rolled += x.Touches
		saturated += x.SaturatedContacts
	}
	require.Equal(t, sum, rolled)
	require.Equal(t, len(p.Contacts), saturated)

	h := got.HandoffGaps
	require.NotEmpty(t, h.DealsWithoutOnboarding, "the demo misses some onboardings")
	for _, d := range h.DealsWithoutOnboarding {
		require.Equal(t, 7*24*time.Hour, d.DueBy.Sub(d.ClosedAt))
		require.False(t, d.DueBy.After(now))
		if d.FirstOnboardingTouchAt != nil {
			require.False(t, d.FirstOnboardingTouchAt.Before(d.DueBy), "a touch in time is no gap")
		}
	}
	require.NotEmpty(t, h.CustomersWithoutCsOwner, "the demo leaves some customers without a CS owner")
	for _, g := range h.CustomersNotTouchedByCs {
		require.NotEmpty(t, g.CsOwners)
		require.False(t, g.HandoffAt.Add(7*24*time.Hour).After(now))
		if g.LastCsOwnerTouchAt != nil {
			require.True(t, g.LastCsOwnerTouchAt.Before(g.HandoffAt))
		}
	}

	n := got.Nps
	require.Positive(t, n.Responses)
	require.Equal(t, n.Responses, n.Promoters+n.Passives+n.Detractors)
	require.NotNil(t, n.Score)
	require.InDelta(t, 100*float64(n.Promoters-n.Detractors)/float64(n.Responses), *n.Score, 1e-9)
	var byTouchpoint int
	for _, x := range n.ByTouchpoint {
		byTouchpoint += x.Responses
		require.Equal(t, x.Responses, x.Promoters+x.Passives+x.Detractors)
	}
	require.Equal(t, n.Responses, byTouchpoint)

	s := got.Csat
	require.Positive(t, s.Rated)
	require.Positive(t, s.UnratedTickets, "the demo's help desk gets a rating for some tickets only")
	require.InDelta(t, float64(s.Positive)/float64(s.Rated), *s.Score, 1e-12)
	require.Equal(t, s.Rated, s.BySource[0].Rated+s.BySource[1].Rated)
	require.Equal(t, s.Positive, s.BySource[0].Positive+s.BySource[1].Positive)
	t.Logf("coverage %d/%d; %d saturated contacts; %d deals without onboarding, %d customers without CS owner, %d not touched by CS; NPS %.1f over %d; CSAT %.3f over %d (%d unrated tickets)",
		c.Touched, c.BookSize, len(p.Contacts), len(h.DealsWithoutOnboarding), len(h.CustomersWithoutCsOwner),
		len(h.CustomersNotTouchedByCs), *n.Score, n.Responses, *s.Score, s.Rated, s.UnratedTickets)
}

func total(ts []struct{ Touches int }) int {
	n := 0
	for _, x := range ts {
		n += x.Touches
	}
	return n
}
