package intercom

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/intercom/intercomtest"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// waits makes the connector's clients record their waits instead of
// spending them (see sdktest.RecordWaits).
func waits(t *testing.T) *[]time.Duration {
	t.Helper()
	var got []time.Duration
	old := newClient
	newClient = func(c *webapi.Client) *webapi.Client {
		return sdktest.RecordWaits(c, func(d time.Duration) { got = append(got, d) })
	}
	t.Cleanup(func() { newClient = old })
	return &got
}

// at sets the connector's clock.
func at(t *testing.T, when time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return when }
	t.Cleanup(func() { now = old })
}

// newWorkspace serves testdata two records a page, so that every stream
// pages.
func newWorkspace(t *testing.T) *intercomtest.Server {
	t.Helper()
	ws, err := intercomtest.New("testdata", "tok")
	require.NoError(t, err)
	ws.PageSize = 2
	t.Cleanup(ws.Close)
	return ws
}

func testConfig(srv *intercomtest.Server, extra map[string]any) []byte {
	cfg := map[string]any{"access_token": srv.Token, "base_url": srv.URL,
		"team_map": map[string]any{"Customer Success": "cs", "5017693": "onboarding"}}
	for k, v := range extra {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	b, _ := json.Marshal(cfg)
	return b
}

func read(t *testing.T, cfg []byte, streams []string, state map[string][]byte) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, New(), cfg, streams, state)
}

func last(states [][]byte) []byte { return states[len(states)-1] }

const (
	globex    = "6762f0941bb69f9f2193bb01"
	initech   = "6762f0941bb69f9f2193bb02"
	acme      = "6762f0941bb69f9f2193bb03"
	umbrella  = "6762f0941bb69f9f2193bb04"
	northwind = "6762f0941bb69f9f2193bb06"
	hank      = "6762f14a1bb69f9f2193bc01"
	ivy       = "6762f14a1bb69f9f2193bc03"
	uma       = "6762f14a1bb69f9f2193bc05"
	ana       = "6762f14a1bb69f9f2193bc07"
)

func TestFullReadMapsEveryStream(t *testing.T) {
	srv := newWorkspace(t)
	g := sdktest.Sum(read(t, testConfig(srv, map[string]any{"company_id_link": "stripe"}), nil, nil))
	require.Nil(t, g.Failure)
	require.Empty(t, g.Errors)
	require.Empty(t, g.Tombstones, "Intercom's records are all live, so Records holds every one")

	t.Run("companies", func(t *testing.T) {
		require.Len(t, g.Records["companies"], 6)
		rec := g.Records["companies"][globex]
		a := rec.GetAccount()
		require.Equal(t, []string{"Globex", "globex.com", "Manufacturing"}, []string{a.GetName(), a.GetDomain(), a.GetIndustry()})
		require.Equal(t, []string{"hubspot:9001", "salesforce:001A0000001", "stripe:globex-1"}, sdktest.Links(rec))
		require.Equal(t, map[string]any{"health_note": "champion left", "company_id": "globex-1", "plan": "Pro",
			"size": float64(250), "monthly_spend": float64(1200), "user_count": float64(4)}, rec.GetCustom().AsMap(),
			"link attributes are not repeated in custom")
		require.Equal(t, "companies/"+globex, rec.GetOrigin())
		require.Equal(t, "hubspot=9002", g.Records["companies"][initech].GetLinks()[0].GetKind()+"="+g.Records["companies"][initech].GetLinks()[0].GetExternalId(),
			"a numeric attribute is an id too")
		require.Equal(t, "initech.io", g.Records["companies"][initech].GetAccount().GetDomain())
		require.Equal(t, "acme-77", g.Records["companies"][acme].GetAccount().GetName(), "a nameless company is named by its company_id")
		nw := g.Records["companies"][northwind]
		require.Equal(t, []string{"Northwind Traders", "northwind.example"}, []string{nw.GetAccount().GetName(), nw.GetAccount().GetDomain()})
		require.Len(t, nw.GetLinks(), 1, "only its company_id links it: no custom attribute names it in another tool")
		require.Equal(t, "stripe=northwind-1", nw.GetLinks()[0].GetKind()+"="+nw.GetLinks()[0].GetExternalId())
		um := g.Records["companies"][umbrella].GetAccount()
		require.Equal(t, []string{"Umbrella & Sons", "Pharma & Biotech"}, []string{um.GetName(), um.GetIndustry()},
			"Intercom sends names HTML-escaped; they are stored decoded")
	})

	t.Run("admins", func(t *testing.T) {
		teams := map[string]string{}
		for id, r := range g.Records["admins"] {
			teams[id] = r.GetPerson().GetTeam()
		}
		require.Equal(t, map[string]string{"991267459": "support", "991267460": "cs", "991267461": "onboarding"}, teams,
			"mapped by team name, by team id, else the default")
		require.Equal(t, "cora@vendor.io", g.Records["admins"]["991267460"].GetPerson().GetEmail())
		require.Equal(t, map[string]any{"job_title": "Support Engineer"}, g.Records["admins"]["991267459"].GetCustom().AsMap())
	})

	t.Run("contacts", func(t *testing.T) {
		require.Len(t, g.Records["contacts"], 6)
		c := g.Records["contacts"][hank]
		require.Equal(t, []string{globex, "Hank Scorpio", "hank@globex.com"}, []string{c.GetContact().GetAccountExternalId(), c.GetContact().GetName(), c.GetContact().GetEmail()})
		require.Equal(t, map[string]any{"plan_seat": "admin", "role": "user", "external_id": "70"}, c.GetCustom().AsMap())
		require.Equal(t, globex, g.Records["contacts"][ivy].GetContact().GetAccountExternalId(), "the first company")
		require.Equal(t, "lead", g.Records["contacts"]["6762f14a1bb69f9f2193bc02"].GetCustom().AsMap()["role"])
		require.Equal(t, "Uma O'Brien", g.Records["contacts"][uma].GetContact().GetName(), "&#39; decoded")
		require.Equal(t, []string{northwind, "ana@northwind.example"}, []string{g.Records["contacts"][ana].GetContact().GetAccountExternalId(), g.Records["contacts"][ana].GetContact().GetEmail()})
		require.NotContains(t, g.Records["contacts"], "6762f14a1bb69f9f2193bc04", "no company, no contact")
		require.Contains(t, g.Logs, "intercom: 1 contacts belong to no company and were left out")
	})

	t.Run("conversation parts", func(t *testing.T) {
		type touch struct{ account, contact, person, team, kind, direction, at string }
		acts := map[string]touch{}
		for id, r := range g.Records["conversation_parts"] {
			a := r.GetActivity()
			acts[id] = touch{a.GetAccountExternalId(), a.GetContactExternalId(), a.GetPersonExternalId(), a.GetTeam(), a.GetKind(), a.GetDirection(),
				a.GetOccurredAt().AsTime().Format(time.RFC3339)}
		}
		require.Equal(t, map[string]touch{
			"515:source": {globex, hank, "", "", "support_reply", "inbound", "2026-01-04T04:13:20Z"},
			"515:101":    {globex, hank, "991267459", "support", "support_reply", "outbound", "2026-01-04T04:23:20Z"},
			"515:102":    {globex, hank, "991267460", "cs", "note", "outbound", "2026-01-04T04:28:20Z"},
			"515:104":    {globex, hank, "", "", "support_reply", "inbound", "2026-01-04T04:33:20Z"},
			"515:106":    {globex, hank, "991267459", "support", "support_reply", "outbound", "2026-01-04T05:03:20Z"},
			"516:source": {globex, ivy, "991267460", "cs", "email", "outbound", "2026-01-04T07:00:00Z"},
			"516:7":      {globex, ivy, "", "", "email", "inbound", "2026-01-04T07:16:40Z"},
			"516:8":      {globex, ivy, "991267460", "cs", "email", "outbound", "2026-01-04T07:33:20Z"},
			"518:source": {umbrella, uma, "", "", "support_reply", "inbound", "2026-01-04T11:10:00Z"},
			"518:120":    {umbrella, uma, "991267461", "onboarding", "support_reply", "outbound", "2026-01-04T11:26:40Z"},
			"519:source": {northwind, ana, "", "", "support_reply", "inbound", "2026-01-05T08:00:00Z"},
			"519:130":    {northwind, ana, "991267459", "support", "support_reply", "outbound", "2026-01-05T08:30:00Z"},
		}, acts, "no assignment without a body, no bot, nothing for a contact of no company")
		p := g.Records["conversation_parts"]["515:101"]
		require.Equal(t, "Export broken", p.GetActivity().GetSubject())
		require.Equal(t, "Q&A: quarterly check-in", g.Records["conversation_parts"]["516:8"].GetActivity().GetSubject())
		require.Equal(t, map[string]any{"conversation_id": "515", "part_type": "comment", "channel": "conversation"}, p.GetCustom().AsMap())
		require.Contains(t, g.Logs, "intercom: 1 conversation messages are from or to contacts of no company and were left out")
	})

	t.Run("conversation ratings", func(t *testing.T) {
		require.Len(t, g.Records["conversation_ratings"], 2)
		r := g.Records["conversation_ratings"]["515"]
		s := r.GetSurveyResponse()
		require.Equal(t, []string{globex, hank, "csat", "support", "Quick fix", "2026-01-04T05:13:20Z"},
			[]string{s.GetAccountExternalId(), s.GetContactExternalId(), s.GetKind(), s.GetTouchpoint(), s.GetComment(), s.GetRespondedAt().AsTime().Format(time.RFC3339)})
		require.EqualValues(t, 5, s.GetScore())
		require.Equal(t, map[string]any{"conversation_id": "515", "admin_id": "991267459"}, r.GetCustom().AsMap())
		require.EqualValues(t, 3, g.Records["conversation_ratings"]["518"].GetSurveyResponse().GetScore())
	})

	t.Run("requests", func(t *testing.T) {
		first := srv.Searches()[0]
		require.Equal(t, map[string]any{"field": "updated_at", "order": "ascending"}, first["sort"])
		require.Equal(t, map[string]any{"per_page": float64(150)}, first["pagination"])
		require.Equal(t, map[string]any{"field": "updated_at", "operator": ">", "value": float64(0)}, first["query"])
		contactLookups := 0
		for _, c := range srv.Calls() {
			if c == "GET /contacts/"+hank {
				contactLookups++
			}
		}
		require.Equal(t, 2, contactLookups, "a contact's company is looked up once per stream read")
	})
}

// TestResumeFromEachCheckpointYieldsTheRest reads each stream again from
// every checkpoint of a full read: it must emit exactly what followed.
func TestResumeFromEachCheckpointYieldsTheRest(t *testing.T) {
	srv := newWorkspace(t)
	cfg := testConfig(srv, nil)
	for _, stream := range []string{"companies", "contacts", "conversation_parts", "conversation_ratings"} {
		t.Run(stream, func(t *testing.T) {
			checkpoints := sdktest.Checkpoints(read(t, cfg, []string{stream}, nil), stream)
			require.GreaterOrEqual(t, len(checkpoints), 2)
			for i, cp := range checkpoints {
				g := sdktest.Sum(read(t, cfg, []string{stream}, map[string][]byte{stream: cp.State}))
				require.Nil(t, g.Failure)
				require.Equal(t, sdktest.Sum(cp.After).Order[stream], g.Order[stream], "from checkpoint %d %s", i, cp.State)
			}
		})
	}
}

// TestSearchReachesBackOverTheWorkspaceDay resumes contacts from a
// watermark late on a day in the workspace's time zone: Intercom matches
// the filter by day, so the query must start the day before, and the
// contacts at the watermark already read are not read again.
func TestSearchReachesBackOverTheWorkspaceDay(t *testing.T) {
	srv := newWorkspace(t)
	state := map[string][]byte{"contacts": []byte(`{"updated_at":1767400000,"ids":["6762f14a1bb69f9f2193bc01","6762f14a1bb69f9f2193bc02"]}`)}
	g := sdktest.Sum(read(t, testConfig(srv, nil), []string{"contacts"}, state))
	require.Equal(t, []string{ivy, uma, "6762f14a1bb69f9f2193bc06"}, g.Order["contacts"])
	require.Equal(t, `{"updated_at":1767420000,"ids":["6762f14a1bb69f9f2193bc06"]}`, string(last(g.Checkpoints["contacts"])))
	require.Equal(t, map[string]any{"field": "updated_at", "operator": ">", "value": float64(1767400000 - 25*3600)}, srv.Searches()[0]["query"])
}

func TestSecondReadEmitsNothingAndKeepsItsPlace(t *testing.T) {
	srv := newWorkspace(t)
	cfg := testConfig(srv, nil)
	first := sdktest.Sum(read(t, cfg, nil, nil))
	state := map[string][]byte{}
	for stream, cps := range first.Checkpoints {
		state[stream] = last(cps)
	}
	second := sdktest.Sum(read(t, cfg, nil, state))
	require.Nil(t, second.Failure)
	for stream, ids := range second.Order {
		require.Equal(t, "admins", stream, "only the full-refresh stream is read again, not %s (%d records)", stream, len(ids))
	}
	for stream, cps := range second.Checkpoints {
		require.Equal(t, string(state[stream]), string(last(cps)), stream)
	}
}

// TestRecentRecordsWaitForTheIndex sets the clock just after some records
// were updated: they are left for a later read, which picks them up.
func TestRecentRecordsWaitForTheIndex(t *testing.T) {
	srv := newWorkspace(t)
	cfg := testConfig(srv, nil)
	at(t, time.Unix(1767410000, 0).Add(settle)) // Uma's update is just now
	g := sdktest.Sum(read(t, cfg, []string{"contacts", "companies"}, nil))
	require.Equal(t, []string{ana, hank, "6762f14a1bb69f9f2193bc02", ivy}, g.Order["contacts"])
	require.Len(t, g.Records["companies"], 6)

	at(t, time.Now())
	state := map[string][]byte{"contacts": last(g.Checkpoints["contacts"]), "companies": last(g.Checkpoints["companies"])}
	g = sdktest.Sum(read(t, cfg, []string{"contacts", "companies"}, state))
	require.Equal(t, []string{uma, "6762f14a1bb69f9f2193bc06"}, g.Order["contacts"])
	require.Empty(t, g.Records["companies"])
}

func TestStartDate(t *testing.T) {
	srv := newWorkspace(t)
	g := sdktest.Sum(read(t, testConfig(srv, map[string]any{"start_date": "2026-01-02"}), []string{"companies", "contacts"}, nil))
	require.Equal(t, []string{acme, umbrella, "6762f0941bb69f9f2193bb05", northwind}, g.Order["companies"], "those updated on 2026-01-02 UTC or later")
	require.Len(t, g.Records["contacts"], 5, "not Ana, last updated on 2025-12-31")
	start := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).Unix()
	require.Equal(t, map[string]any{"field": "updated_at", "operator": ">", "value": float64(start - 25*3600)}, srv.Searches()[0]["query"])
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name string
		// refuse is the request answered 429; remaining the quota left;
		// bare a 429 with only Retry-After.
		refuse, remaining int
		bare              bool
		// wantWait is the time waited before the call after the first
		// that was refused or paced.
		wantWait time.Duration
	}{
		{name: "429 waits for the window's reset", refuse: 2, remaining: 1000, wantWait: 10 * time.Second},
		{name: "429 with Retry-After only waits that long", refuse: 2, remaining: 1000, bare: true, wantWait: 3 * time.Second},
		{name: "a spent window paces the next call", remaining: 0, wantWait: 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newWorkspace(t)
			srv.Refuse(tc.refuse, tc.bare)
			srv.Quota(tc.remaining)
			slept := waits(t)
			g := sdktest.Sum(read(t, testConfig(srv, nil), []string{"contacts"}, nil))
			require.Nil(t, g.Failure)
			require.Len(t, g.Records["contacts"], 6)
			require.NotEmpty(t, *slept)
			// A 429 with the window's headers holds until the window's
			// reset, which covers the client's own backoff: one wait.
			first := (*slept)[0]
			require.InDelta(t, tc.wantWait.Seconds(), first.Seconds(), 1.5, "%v", *slept)
		})
	}
}

func TestBadTokenIsAConfigError(t *testing.T) {
	srv := newWorkspace(t)
	g := sdktest.Sum(read(t, testConfig(srv, map[string]any{"access_token": "nope"}), []string{"contacts"}, nil))
	require.NotNil(t, g.Failure)
	require.Equal(t, connectorpb.Error_KIND_CONFIG, g.Failure.GetKind())
	require.Equal(t, "access_token", g.Failure.GetField())
	require.Contains(t, g.Failure.GetMessage(), "unauthorized: Access Token Invalid")
}

func TestCheck(t *testing.T) {
	srv := newWorkspace(t)
	dead := httptest.NewServer(nil)
	dead.Close()
	tests := []struct {
		name   string
		cfg    map[string]any
		fields []string
	}{
		{name: "good"},
		{name: "bad token", cfg: map[string]any{"access_token": "nope"}, fields: []string{"access_token"}},
		{name: "no token", cfg: map[string]any{"access_token": nil}, fields: []string{"access_token"}},
		{name: "unreachable", cfg: map[string]any{"base_url": dead.URL}, fields: []string{"base_url"}},
		{name: "not a url", cfg: map[string]any{"base_url": "api.intercom.io"}, fields: []string{"base_url"}},
		{name: "bad start date", cfg: map[string]any{"start_date": "03/01/2026"}, fields: []string{"start_date"}},
		{name: "page too big", cfg: map[string]any{"page_size": 500}, fields: []string{"page_size"}},
		{name: "unknown team", cfg: map[string]any{"team_map": map[string]any{"Support": "helpdesk"}}, fields: []string{"team_map.Support"}},
	}
	old := newClient
	newClient = func(c *webapi.Client) *webapi.Client {
		c.Retries = 1
		c.Sleep = func(context.Context, time.Duration) error { return nil }
		return c
	}
	t.Cleanup(func() { newClient = old })
	server, err := sdk.NewServer(New())
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := server.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: testConfig(srv, tc.cfg)})
			require.NoError(t, err)
			var fields []string
			for _, d := range resp.GetProblems() {
				fields = append(fields, d.GetField())
			}
			require.Equal(t, tc.fields, fields, "%v", resp.GetProblems())
		})
	}
}

func TestDiscoverListsCustomAttributes(t *testing.T) {
	srv := newWorkspace(t)
	server, err := sdk.NewServer(New())
	require.NoError(t, err)
	resp, err := server.Discover(context.Background(), &connectorpb.DiscoverRequest{ConfigJson: testConfig(srv, nil)})
	require.NoError(t, err)
	custom := map[string][]string{}
	for _, s := range resp.GetStreams() {
		custom[s.GetName()] = s.GetCustomFields()
	}
	require.Equal(t, []string{"company_id", "plan", "size", "monthly_spend", "user_count", "hubspot_company_id", "salesforce_account_id", "health_note", "tier"}, custom["companies"])
	require.Equal(t, []string{"role", "external_id", "plan_seat"}, custom["contacts"])
}

// TestConformance runs the connector, as a plugin process, through the
// suite every connector must pass, against the fake workspace.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the plugin")
	}
	srv := newWorkspace(t)
	bin := conformance.Build(t, "../../cmd/pulse-connector-intercom", "intercom")
	conformance.Run(t, conformance.Options{Connector: bin, Config: testConfig(srv, nil)})
}
