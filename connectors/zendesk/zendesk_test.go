package zendesk_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/connectors/zendesk"
	"github.com/pulseproject/pulse/connectors/zendesk/zendesktest"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

const (
	email = "admin@pulse-demo.example"
	token = "tok-123"
)

var streamOrder = []string{"organizations", "agents", "end_users", "tickets", "satisfaction_ratings"}

// newServer serves testdata two objects a page, so every stream pages.
func newServer(t *testing.T) *zendesktest.Server {
	t.Helper()
	srv, err := zendesktest.New("testdata", email, token)
	require.NoError(t, err)
	srv.PageSize = 2
	t.Cleanup(srv.Close)
	return srv
}

// config is a good configuration for srv, with extra fields overriding.
func config(srv *zendesktest.Server, extra map[string]any) string {
	c := map[string]any{
		"base_url": srv.URL, "email": email, "api_token": token,
		"tier_field": "tier", "segment_field": "segment", "external_id_kind": "salesforce",
	}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// readAll runs a Read in-process, returning every message.
func readAll(t *testing.T, cfg string, state map[string][]byte) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, zendesk.New(), []byte(cfg), nil, state)
}

// read is readAll failing on an Error message or a record error.
func read(t *testing.T, cfg string, state map[string][]byte) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, zendesk.New(), []byte(cfg), nil, state, sdktest.NoError, sdktest.NoRecordError)
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSpec(t *testing.T) {
	srv, err := sdk.NewServer(zendesk.New())
	require.NoError(t, err)
	spec, err := srv.Spec(context.Background(), &connectorpb.SpecRequest{})
	require.NoError(t, err)
	require.Equal(t, "zendesk", spec.GetName())
	var names []string
	for _, s := range spec.GetStreams() {
		names = append(names, s.GetName())
		require.True(t, s.GetIncremental(), s.GetName())
	}
	require.Equal(t, streamOrder, names)
	secrets, err := sdk.SecretFields(spec.GetConfigSchemaJson())
	require.NoError(t, err)
	require.Equal(t, []string{"api_token"}, secrets)
}

func TestReadMapsEveryEntity(t *testing.T) {
	srv := newServer(t)
	msgs := read(t, config(srv, nil), nil)
	got := sdktest.ByStream(msgs)
	for stream, recs := range got {
		for _, r := range recs {
			if !r.GetDeleted() {
				require.Empty(t, validate.ValidateRecord(r), "%s %s", stream, r.GetExternalId())
			}
		}
	}

	t.Run("organizations", func(t *testing.T) {
		recs := got["organizations"]
		require.Equal(t, []string{"101", "102", "103", "104 deleted", "360001"}, sdktest.IDs(recs))
		acme := sdktest.ByID(recs)["101"]
		require.True(t, proto.Equal(&connectorpb.Account{Name: "Acme Corp", Domain: "acme.com", Tier: "A", Segment: "Enterprise"}, acme.GetAccount()), "%v", acme.GetAccount())
		// The salesforce_id field and the external_id name the same
		// Salesforce account: one link.
		require.Equal(t, []string{"salesforce:0015g00000AcmeXYZ"}, sdktest.Links(acme))
		custom := acme.GetCustom().AsMap()
		require.Equal(t, "premium", custom["plan"])
		require.EqualValues(t, 120, custom["seats"])
		require.Equal(t, []any{"enterprise", "priority_support"}, custom["tags"])
		require.Equal(t, []any{"Acme.com", "acme.io"}, custom["domain_names"])
		require.Equal(t, "HQ in Phoenix", custom["details"])

		globex := sdktest.ByID(recs)["102"]
		require.Equal(t, "globex.com", globex.GetAccount().GetDomain())
		require.Equal(t, "B", globex.GetAccount().GetTier())
		require.Equal(t, []string{"hubspot:9876543210"}, sdktest.Links(globex))

		initech := sdktest.ByID(recs)["103"]
		require.Empty(t, initech.GetAccount().GetDomain())
		require.Empty(t, sdktest.Links(initech))

		// The customer every tool's test data shares: its salesforce_id
		// field names it in Salesforce.
		northwind := sdktest.ByID(recs)["360001"]
		require.True(t, proto.Equal(&connectorpb.Account{Name: "Northwind Traders", Domain: "northwind.example", Tier: "B", Segment: "Mid-market"}, northwind.GetAccount()), "%v", northwind.GetAccount())
		require.Equal(t, []string{"salesforce:0015g00000NwTrdAAA"}, sdktest.Links(northwind))
	})

	t.Run("agents", func(t *testing.T) {
		recs := got["agents"]
		require.Equal(t, []string{"1", "2", "3 deleted"}, sdktest.IDs(recs))
		require.True(t, proto.Equal(&connectorpb.Person{Name: "Ada Admin", Email: email, Team: "support"}, recs[0].GetPerson()))
		require.Equal(t, "admin", recs[0].GetCustom().AsMap()["role"])
		require.Equal(t, "agent", recs[1].GetCustom().AsMap()["role"])
	})

	t.Run("end users", func(t *testing.T) {
		recs := got["end_users"]
		// Agents, a user without an organization and a deleted user are
		// no contacts.
		require.Equal(t, []string{"1 deleted", "2 deleted", "3 deleted", "11", "12", "13", "14 deleted", "15 deleted", "21"}, sdktest.IDs(recs))
		wile := sdktest.ByID(recs)["11"]
		require.True(t, proto.Equal(&connectorpb.Contact{AccountExternalId: "101", Name: "Wile Coyote", Email: "wile@acme.com"}, wile.GetContact()))
		custom := wile.GetCustom().AsMap()
		require.Equal(t, "CTO", custom["job_title"])
		require.Equal(t, "+15551234567", custom["phone"])
		require.Equal(t, "America/Phoenix", custom["time_zone"])
		require.True(t, proto.Equal(&connectorpb.Contact{AccountExternalId: "360001", Name: "Ana Lima", Email: "ana@northwind.example"}, sdktest.ByID(recs)["21"].GetContact()))
	})

	t.Run("tickets", func(t *testing.T) {
		recs := got["tickets"]
		// 1004 is deleted, 1005 has no organization.
		require.Equal(t, []string{"1001", "1002", "1003", "1004 deleted", "1005 deleted", "1006", "1007"}, sdktest.IDs(recs))
		m := sdktest.ByID(recs)
		tests := []struct {
			id   string
			want *connectorpb.Ticket
		}{
			{"1001", &connectorpb.Ticket{AccountExternalId: "101", ContactExternalId: "11", AssigneeExternalId: "2", Subject: "Cannot export reports", Priority: "high", Status: "solved",
				OpenedAt: sdk.Timestamp(at("2026-01-10T09:00:00Z")), FirstResponseAt: sdk.Timestamp(at("2026-01-10T09:45:00Z")),
				ResolvedAt: sdk.Timestamp(at("2026-01-11T16:00:00Z")), Csat: 5}},
			{"1002", &connectorpb.Ticket{AccountExternalId: "102", ContactExternalId: "12", AssigneeExternalId: "1", Subject: "Invoice address", Status: "pending",
				OpenedAt: sdk.Timestamp(at("2026-01-11T10:00:00Z")), FirstResponseAt: sdk.Timestamp(at("2026-01-11T12:00:00Z")), Csat: 5}},
			// The requester is an agent, so no contact.
			{"1003", &connectorpb.Ticket{AccountExternalId: "101", AssigneeExternalId: "2", Subject: "Outage in EU region", Priority: "urgent", Status: "closed",
				OpenedAt: sdk.Timestamp(at("2026-01-08T07:30:00Z")), FirstResponseAt: sdk.Timestamp(at("2026-01-08T08:00:00Z")),
				ResolvedAt: sdk.Timestamp(at("2026-01-09T10:00:00Z")), Csat: 1}},
			// Offered, not answered: no CSAT; no reply yet.
			{"1006", &connectorpb.Ticket{AccountExternalId: "103", ContactExternalId: "13", AssigneeExternalId: "2", Subject: "Stapler missing", Priority: "low", Status: "open",
				OpenedAt: sdk.Timestamp(at("2026-01-12T15:00:00Z"))}},
			{"1007", &connectorpb.Ticket{AccountExternalId: "360001", ContactExternalId: "21", AssigneeExternalId: "2", Subject: "Invoice PDF missing VAT number", Priority: "normal", Status: "solved",
				OpenedAt: sdk.Timestamp(at("2026-01-13T09:00:00Z")), FirstResponseAt: sdk.Timestamp(at("2026-01-13T09:50:00Z")),
				ResolvedAt: sdk.Timestamp(at("2026-01-14T11:00:00Z"))}},
		}
		for _, tc := range tests {
			require.True(t, proto.Equal(tc.want, m[tc.id].GetTicket()), "ticket %s: %v", tc.id, m[tc.id].GetTicket())
		}
		custom := m["1001"].GetCustom().AsMap()
		require.Equal(t, "web", custom["channel"])
		require.Equal(t, "incident", custom["type"])
		require.Equal(t, map[string]any{"360001": "billing", "360002": nil}, custom["custom_fields"])
		require.EqualValues(t, 2, custom["replies"])
		require.EqualValues(t, 1860, custom["full_resolution_minutes"])
	})

	t.Run("satisfaction ratings", func(t *testing.T) {
		recs := got["satisfaction_ratings"]
		// 5003 is only offered; 5004 rates a deleted ticket.
		require.Equal(t, []string{"5002", "5001", "5004 deleted", "5005"}, sdktest.IDs(recs))
		m := sdktest.ByID(recs)
		require.True(t, proto.Equal(&connectorpb.SurveyResponse{AccountExternalId: "101", Kind: "csat", Score: 1, Touchpoint: "support",
			Comment: "Took too long", RespondedAt: sdk.Timestamp(at("2026-01-09T12:00:00Z"))}, m["5002"].GetSurveyResponse()))
		require.True(t, proto.Equal(&connectorpb.SurveyResponse{AccountExternalId: "101", ContactExternalId: "11", Kind: "csat", Score: 5, Touchpoint: "support",
			Comment: "Quick fix", RespondedAt: sdk.Timestamp(at("2026-01-11T18:00:00Z"))}, m["5001"].GetSurveyResponse()))
		require.Equal(t, "102", m["5005"].GetSurveyResponse().GetAccountExternalId())
		require.Equal(t, "The issue took too long to resolve", m["5002"].GetCustom().AsMap()["reason"])
	})

	t.Run("requests", func(t *testing.T) {
		reqs := srv.Requests()
		require.True(t, slices.ContainsFunc(reqs, func(r string) bool {
			return strings.HasPrefix(r, "/api/v2/incremental/tickets/cursor.json?") && strings.Contains(r, "include=metric_sets%2Cusers")
		}), "%v", reqs)
		require.True(t, slices.ContainsFunc(reqs, func(r string) bool {
			return strings.HasPrefix(r, "/api/v2/satisfaction_ratings.json?") && strings.Contains(r, "score=received")
		}), "%v", reqs)
	})
}

func TestResumeFromEveryCheckpoint(t *testing.T) {
	srv := newServer(t)
	cfg := config(srv, nil)
	full := read(t, cfg, nil)
	for _, stream := range streamOrder {
		t.Run(stream, func(t *testing.T) {
			checkpoints := sdktest.Checkpoints(full, stream)
			// Two a page: every stream spans several pages.
			require.GreaterOrEqual(t, len(checkpoints), 2)
			for i, cp := range checkpoints {
				want := sdktest.ByStream(cp.After)[stream]
				got := sdktest.ByStream(read(t, cfg, map[string][]byte{stream: cp.State}))[stream]
				require.Equal(t, sdktest.IDs(want), sdktest.IDs(got), "resumed from checkpoint %d: %s", i, cp.State)
				for j := range got {
					require.True(t, proto.Equal(want[j], got[j]))
				}
			}
		})
	}
}

func TestIncrementalRead(t *testing.T) {
	srv := newServer(t)
	cfg := config(srv, nil)
	first := read(t, cfg, nil)
	state := sdktest.FinalState(first)
	require.Len(t, state, len(streamOrder))

	again := read(t, cfg, state)
	require.Empty(t, sdktest.ByStream(again), "a read from the final state emits nothing")
	require.Equal(t, state, sdktest.FinalState(again), "and keeps the cursors where they were")

	// Then a ticket is solved, a ticket and an organization are deleted, a
	// customer rates and an end-user joins.
	put := func(coll, obj string) { require.NoError(t, srv.Put(coll, json.RawMessage(obj))) }
	put("tickets", `{"id": 1006, "subject": "Stapler missing", "priority": "low", "status": "solved", "requester_id": 13, "organization_id": 103,
		"satisfaction_rating": {"id": 5003, "score": "good", "comment": "Found it"}, "created_at": "2026-01-12T15:00:00Z", "updated_at": "2026-01-20T09:00:00Z"}`)
	put("tickets", `{"id": 1002, "subject": "Invoice address", "status": "deleted", "organization_id": 102, "created_at": "2026-01-11T10:00:00Z", "updated_at": "2026-01-20T09:30:00Z"}`)
	put("organizations", `{"id": 102, "name": "Globex", "domain_names": ["globex.com"], "organization_fields": {}, "updated_at": "2026-01-20T10:00:00Z", "deleted_at": "2026-01-20T10:00:00Z"}`)
	put("satisfaction_ratings", `{"id": 5006, "requester_id": 13, "ticket_id": 1006, "score": "good", "comment": "Found it", "created_at": "2026-01-20T09:00:00Z", "updated_at": "2026-01-20T09:05:00Z"}`)
	put("users", `{"id": 16, "name": "Peter Gibbons", "email": "peter@initech.example", "role": "end-user", "active": true, "organization_id": 103, "updated_at": "2026-01-20T11:00:00Z"}`)

	got := sdktest.ByStream(read(t, cfg, state))
	require.Equal(t, map[string][]string{
		"organizations":        {"102 deleted"},
		"agents":               nil,
		"end_users":            {"16"},
		"tickets":              {"1006", "1002 deleted"},
		"satisfaction_ratings": {"5006"},
	}, map[string][]string{
		"organizations": sdktest.IDs(got["organizations"]), "agents": sdktest.IDs(got["agents"]), "end_users": sdktest.IDs(got["end_users"]),
		"tickets": sdktest.IDs(got["tickets"]), "satisfaction_ratings": sdktest.IDs(got["satisfaction_ratings"]),
	})
	require.Equal(t, int32(5), got["tickets"][0].GetTicket().GetCsat())
	require.Equal(t, "solved", got["tickets"][0].GetTicket().GetStatus())
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name    string
		limit   func(*zendesktest.Server)
		wantErr bool
		waits   func(t *testing.T, waits []time.Duration)
	}{
		{name: "a 429 is waited out for its Retry-After",
			limit: func(s *zendesktest.Server) { s.Refuse(3, "7") },
			waits: func(t *testing.T, waits []time.Duration) { require.Equal(t, []time.Duration{7 * time.Second}, waits) }},
		{name: "no call left in the minute waits for ratelimit-reset",
			limit: func(s *zendesktest.Server) { s.Quota(0, 13) },
			waits: func(t *testing.T, waits []time.Duration) {
				require.NotEmpty(t, waits)
				for _, w := range waits {
					require.InDelta(t, float64(13*time.Second), float64(w), float64(time.Second))
				}
			}},
		{name: "a Retry-After of a day ends the read as transient",
			limit:   func(s *zendesktest.Server) { s.Refuse(2, "86400") },
			wantErr: true,
			waits:   func(t *testing.T, waits []time.Duration) { require.Empty(t, waits) }},
	}
	baseline := sdktest.ByStream(read(t, config(newServer(t), nil), nil))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var waits []time.Duration
			defer zendesk.UseSleep(func(d time.Duration) { waits = append(waits, d) })()
			srv := newServer(t)
			tc.limit(srv)
			msgs := readAll(t, config(srv, nil), nil)
			tc.waits(t, waits)
			last := msgs[len(msgs)-1].GetError()
			if tc.wantErr {
				require.NotNil(t, last)
				require.Equal(t, connectorpb.Error_KIND_TRANSIENT, last.GetKind())
				require.NotNil(t, last.GetRetryAfter())
				require.Contains(t, last.GetMessage(), "rate limited")
				return
			}
			require.Nil(t, last)
			got := sdktest.ByStream(msgs)
			for _, s := range streamOrder {
				require.Equal(t, sdktest.IDs(baseline[s]), sdktest.IDs(got[s]), s)
			}
		})
	}
}

func TestReadRefusedCredentials(t *testing.T) {
	srv := newServer(t)
	msgs := readAll(t, config(srv, map[string]any{"api_token": "wrong"}), nil)
	require.Len(t, msgs, 1)
	e := msgs[0].GetError()
	require.Equal(t, connectorpb.Error_KIND_CONFIG, e.GetKind())
	require.Equal(t, "api_token", e.GetField())
	require.Contains(t, e.GetMessage(), "Couldn't authenticate you")
	require.Equal(t, "organizations", e.GetStream())
}

func TestCheck(t *testing.T) {
	defer zendesk.UseSleep(func(time.Duration) {})()
	srv := newServer(t)
	closed := newServer(t)
	closed.Close()
	tests := []struct {
		name   string
		cfg    string
		before func(*zendesktest.Server)
		want   []string // fields of the problems
	}{
		{name: "good", cfg: config(srv, nil)},
		{name: "a refused token", cfg: config(srv, map[string]any{"api_token": "wrong"}), want: []string{"api_token"}},
		{name: "the anonymous user answers", cfg: config(srv, map[string]any{"api_token": "wrong"}),
			before: func(s *zendesktest.Server) { s.AnonymousMe = true }, want: []string{"api_token"}},
		{name: "an end-user's token", cfg: config(srv, map[string]any{"email": "wile@acme.com"}),
			before: func(s *zendesktest.Server) { s.Email = "wile@acme.com" }, want: []string{"email"}},
		{name: "no such host", cfg: config(closed, nil), want: []string{"base_url"}},
		{name: "no api_token", cfg: config(srv, map[string]any{"api_token": nil}), want: []string{"api_token"}},
		{name: "neither subdomain nor base_url", cfg: config(srv, map[string]any{"base_url": nil}), want: []string{"subdomain", "base_url"}},
		{name: "a bad subdomain", cfg: config(srv, map[string]any{"base_url": nil, "subdomain": "Acme Corp"}), want: []string{"subdomain"}},
		{name: "a bad start_time", cfg: config(srv, map[string]any{"start_time": "last week"}), want: []string{"start_time"}},
		{name: "a link field that is not text", cfg: config(srv, map[string]any{"link_fields": map[string]any{"hubspot": 7}}), want: []string{"link_fields.hubspot"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.Email, srv.AnonymousMe = email, false
			if tc.before != nil {
				tc.before(srv)
			}
			s, err := sdk.NewServer(zendesk.New())
			require.NoError(t, err)
			resp, err := s.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: []byte(tc.cfg)})
			require.NoError(t, err)
			var fields []string
			for _, p := range resp.GetProblems() {
				fields = append(fields, p.GetField())
				require.NotEmpty(t, p.GetSummary())
			}
			require.ElementsMatch(t, tc.want, fields, "%v", resp.GetProblems())
		})
	}
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	srv := newServer(t)
	bin := conformance.Build(t, "github.com/pulseproject/pulse/cmd/pulse-connector-zendesk", "zendesk")
	conformance.Run(t, conformance.Options{
		Connector: bin,
		Config:    json.RawMessage(config(srv, nil)),
		Deletes:   streamOrder,
	})
}
