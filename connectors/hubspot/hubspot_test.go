package hubspot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/pulseproject/pulse/connectors/hubspot"
	"github.com/pulseproject/pulse/connectors/hubspot/hubspottest"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

const token = "pat-na1-11111111-2222-3333-4444-555555555555"

var streamOrder = []string{"owners", "companies", "company_owners", "contacts", "deals", "emails", "calls", "meetings", "notes", "tickets", "feedback_submissions"}

// newServer serves testdata two records a page, so every stream pages.
func newServer(t *testing.T) *hubspottest.Server {
	t.Helper()
	srv, err := hubspottest.New("testdata", token)
	require.NoError(t, err)
	srv.PageSize = 2
	t.Cleanup(srv.Close)
	return srv
}

// config is a good configuration for srv, with extra fields overriding
// (nil removing one).
func config(srv *hubspottest.Server, extra map[string]any) string {
	c := map[string]any{
		"base_url": srv.URL, "access_token": token,
		"team_map":           map[string]string{"Account Executives": "sales", "Customer Success": "cs", "9003": "support"},
		"default_team":       "marketing",
		"segment_property":   "customer_segment",
		"lifecycle_map":      map[string]string{"84736251": "churned"},
		"meeting_type_map":   map[string]string{"QBR": "qbr"},
		"survey_touchpoints": map[string]string{"Onboarding NPS": "onboarding_complete"},
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
func readAll(t *testing.T, cfg string, state map[string][]byte, streams ...string) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, hubspot.New(), []byte(cfg), streams, state)
}

// read is readAll failing on an Error or a record error, and on a live
// record a sync would refuse.
func read(t *testing.T, cfg string, state map[string][]byte, streams ...string) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, hubspot.New(), []byte(cfg), streams, state, sdktest.NoError, sdktest.NoRecordError, sdktest.SyncValid)
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fields lists the fields of a check's problems, warnings marked.
func fields(resp *connectorpb.CheckResponse) []string {
	var out []string
	for _, p := range resp.GetProblems() {
		f := p.GetField()
		if p.GetSeverity() == connectorpb.Diagnostic_SEVERITY_WARNING {
			f += " (warning)"
		}
		out = append(out, f)
	}
	return out
}

// searches are the search requests a server answered, by object type.
func searches(srv *hubspottest.Server, objectType string) []hubspottest.Request {
	var out []hubspottest.Request
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/crm/v3/objects/"+objectType+"/search" {
			out = append(out, r)
		}
	}
	return out
}

// post sends a request to the stand-in with the good token, returning the
// status and the decoded body.
func post(t *testing.T, srv *hubspottest.Server, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return resp.StatusCode, out
}

func TestFullRead(t *testing.T) {
	srv := newServer(t)
	got := sdktest.ByStream(read(t, config(srv, nil), nil))

	t.Run("records of each stream", func(t *testing.T) {
		want := map[string][]string{
			// The queue is nobody; Sam's owner record is archived.
			"owners": {"7001", "7002", "7003", "7006", "7005 deleted"},
			// 102-104 share a timestamp; 106 is archived.
			"companies": {"101", "102", "103", "104", "105", "107", "106 deleted"},
			// Fabrikam's owner is a queue, Tailspin's is archived,
			// adatum.example has none.
			"company_owners": {"101|sales", "102|sales", "103|sales deleted", "104|sales deleted", "105|sales deleted", "107|sales", "106|sales deleted"},
			// Eve has no company.
			"contacts": {"201", "202", "203", "204", "205 deleted", "207", "206 deleted"},
			// 304 has neither a company nor a contact with one.
			"deals":    {"301", "302", "303", "304 deleted", "306", "305 deleted"},
			"emails":   {"4001", "4002", "4003", "4004 deleted"},
			"calls":    {"4101", "4102"},
			"meetings": {"4202", "4201"},
			"notes":    {"4301", "4302 deleted"},
			"tickets":  {"501", "502", "503", "504", "505 deleted"},
			// 605 is a CES survey, 606 by a contact of no company.
			"feedback_submissions": {"603", "604", "606 deleted", "601", "602"},
		}
		for _, stream := range streamOrder {
			require.Equal(t, want[stream], sdktest.IDs(got[stream]), stream)
		}
	})

	t.Run("mapping", func(t *testing.T) {
		tests := []struct {
			stream, id string
			want       proto.Message
			entity     func(*connectorpb.Record) proto.Message
		}{
			{"owners", "7003", &connectorpb.Person{Name: "Ines Okafor", Email: "ines@pulse-demo.example", Team: "support"},
				func(r *connectorpb.Record) proto.Message { return r.GetPerson() }},
			{"owners", "7006", &connectorpb.Person{Name: "Nora Quinn", Email: "nora.quinn@pulse-demo.example", Team: "marketing"},
				func(r *connectorpb.Record) proto.Message { return r.GetPerson() }},
			{"companies", "101", &connectorpb.Account{Name: "Northwind Traders", Domain: "northwind.example", Tier: "A", Segment: "Enterprise",
				Industry: "Wholesale", Lifecycle: "customer", RenewalDate: "2027-03-31"},
				func(r *connectorpb.Record) proto.Message { return r.GetAccount() }},
			{"companies", "102", &connectorpb.Account{Name: "Contoso Ltd", Domain: "contoso.example", Tier: "B", Segment: "Mid-market",
				Industry: "Computer Software", Lifecycle: "prospect"},
				func(r *connectorpb.Record) proto.Message { return r.GetAccount() }},
			{"companies", "103", &connectorpb.Account{Name: "Fabrikam", Domain: "fabrikam.example", Tier: "C", Lifecycle: "churned"},
				func(r *connectorpb.Record) proto.Message { return r.GetAccount() }},
			{"companies", "105", &connectorpb.Account{Name: "adatum.example", Domain: "adatum.example"},
				func(r *connectorpb.Record) proto.Message { return r.GetAccount() }},
			{"company_owners", "101|sales", &connectorpb.AccountTeamMember{AccountExternalId: "101", PersonExternalId: "7001", Role: "sales"},
				func(r *connectorpb.Record) proto.Message { return r.GetAccountTeam() }},
			{"contacts", "202", &connectorpb.Contact{AccountExternalId: "101", Name: "Ben Carter", Email: "ben@northwind.example", Title: "Head of Finance"},
				func(r *connectorpb.Record) proto.Message { return r.GetContact() }},
			{"contacts", "207", &connectorpb.Contact{AccountExternalId: "104", Name: "gina@tailspin.example", Email: "gina@tailspin.example"},
				func(r *connectorpb.Record) proto.Message { return r.GetContact() }},
			{"deals", "301", &connectorpb.Deal{AccountExternalId: "101", Name: "Northwind EU expansion", Stage: "Closed Won", Status: "won",
				Kind: "expansion", Amount: "120000.5", Currency: "USD", ClosedAt: sdk.Timestamp(at("2026-01-04T17:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetDeal() }},
			// The primary company wins over the other; no currency code is
			// the portal's currency.
			{"deals", "302", &connectorpb.Deal{AccountExternalId: "102", Name: "Contoso platform", Stage: "Appointment Scheduled", Status: "open",
				Kind: "new", Amount: "45000", Currency: "USD"},
				func(r *connectorpb.Record) proto.Message { return r.GetDeal() }},
			// No company: filed under its contact's.
			{"deals", "303", &connectorpb.Deal{AccountExternalId: "103", Name: "Fabrikam renewal", Stage: "Closed Lost", Status: "lost",
				Kind: "renewal", Amount: "30000", Currency: "EUR", ClosedAt: sdk.Timestamp(at("2026-01-03T12:00:00Z")), LostReason: "Budget cut"},
				func(r *connectorpb.Record) proto.Message { return r.GetDeal() }},
			{"deals", "306", &connectorpb.Deal{AccountExternalId: "104", Name: "Tailspin renewal 2026", Stage: "Verbal commit", Status: "open",
				Amount: "5000", Currency: "USD"},
				func(r *connectorpb.Record) proto.Message { return r.GetDeal() }},
			{"emails", "4002", &connectorpb.Activity{AccountExternalId: "101", ContactExternalId: "202", PersonExternalId: "7002", Team: "cs",
				Kind: "email", Direction: "inbound", OccurredAt: sdk.Timestamp(at("2026-01-02T17:20:00Z")), Subject: "Re: Kickoff agenda"},
				func(r *connectorpb.Record) proto.Message { return r.GetActivity() }},
			// Only a contact: filed under the contact's company.
			{"emails", "4003", &connectorpb.Activity{AccountExternalId: "102", ContactExternalId: "203", PersonExternalId: "7001", Team: "sales",
				Kind: "email", Direction: "outbound", OccurredAt: sdk.Timestamp(at("2026-01-03T09:00:00Z")), Subject: "Proposal"},
				func(r *connectorpb.Record) proto.Message { return r.GetActivity() }},
			{"calls", "4101", &connectorpb.Activity{AccountExternalId: "101", ContactExternalId: "201", PersonExternalId: "7003", Team: "support",
				Kind: "call", Direction: "outbound", OccurredAt: sdk.Timestamp(at("2026-01-08T16:00:00Z")), DurationSeconds: 1834, Subject: "Quarterly check-in"},
				func(r *connectorpb.Record) proto.Message { return r.GetActivity() }},
			// An owner HubSpot does not list: no person, the default team.
			{"calls", "4102", &connectorpb.Activity{AccountExternalId: "102", Team: "marketing", Kind: "call", Direction: "inbound",
				OccurredAt: sdk.Timestamp(at("2026-01-08T18:00:00Z")), Subject: "Missed call"},
				func(r *connectorpb.Record) proto.Message { return r.GetActivity() }},
			{"meetings", "4201", &connectorpb.Activity{AccountExternalId: "101", ContactExternalId: "201", PersonExternalId: "7002", Team: "cs",
				Kind: "qbr", OccurredAt: sdk.Timestamp(at("2026-01-10T15:00:00Z")), DurationSeconds: 5400, Subject: "Q1 business review"},
				func(r *connectorpb.Record) proto.Message { return r.GetActivity() }},
			{"notes", "4301", &connectorpb.Activity{AccountExternalId: "101", PersonExternalId: "7002", Team: "cs", Kind: "note",
				OccurredAt: sdk.Timestamp(at("2026-01-10T17:00:00Z")), Subject: "Ana mentioned budget approval & timing."},
				func(r *connectorpb.Record) proto.Message { return r.GetActivity() }},
			{"tickets", "501", &connectorpb.Ticket{AccountExternalId: "101", ContactExternalId: "201", AssigneeExternalId: "7003", Subject: "Cannot export invoices", Priority: "high",
				Status: "closed", OpenedAt: sdk.Timestamp(at("2026-01-03T09:00:00Z")), FirstResponseAt: sdk.Timestamp(at("2026-01-03T09:30:00Z")),
				ResolvedAt: sdk.Timestamp(at("2026-01-04T12:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetTicket() }},
			{"tickets", "502", &connectorpb.Ticket{AccountExternalId: "102", ContactExternalId: "203", Subject: "SSO question", Priority: "normal",
				Status: "new", OpenedAt: sdk.Timestamp(at("2026-01-05T08:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetTicket() }},
			{"tickets", "503", &connectorpb.Ticket{AccountExternalId: "101", ContactExternalId: "202", AssigneeExternalId: "7003", Subject: "Waiting on logs", Priority: "low",
				Status: "pending", OpenedAt: sdk.Timestamp(at("2026-01-06T08:00:00Z")), FirstResponseAt: sdk.Timestamp(at("2026-01-06T08:20:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetTicket() }},
			{"tickets", "504", &connectorpb.Ticket{AccountExternalId: "103", Subject: "Data sync outage", Priority: "urgent", Status: "open",
				OpenedAt: sdk.Timestamp(at("2026-01-07T08:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetTicket() }},
			// HubSpot's CSAT answers are 0-2.
			{"feedback_submissions", "603", &connectorpb.SurveyResponse{AccountExternalId: "101", ContactExternalId: "202", Kind: "csat", Score: 5,
				Touchpoint: "support", Comment: "Quick fix", RespondedAt: sdk.Timestamp(at("2026-01-04T13:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetSurveyResponse() }},
			{"feedback_submissions", "604", &connectorpb.SurveyResponse{AccountExternalId: "103", ContactExternalId: "204", Kind: "csat", Score: 1,
				Touchpoint: "support", Comment: "Still broken", RespondedAt: sdk.Timestamp(at("2026-01-08T13:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetSurveyResponse() }},
			{"feedback_submissions", "602", &connectorpb.SurveyResponse{AccountExternalId: "102", ContactExternalId: "203", Kind: "nps", Score: 6,
				Touchpoint: "onboarding_complete", RespondedAt: sdk.Timestamp(at("2026-01-11T11:00:00Z"))},
				func(r *connectorpb.Record) proto.Message { return r.GetSurveyResponse() }},
		}
		for _, tc := range tests {
			t.Run(tc.stream+"/"+tc.id, func(t *testing.T) {
				r := sdktest.ByID(got[tc.stream])[tc.id]
				require.NotNil(t, r)
				require.True(t, proto.Equal(tc.want, tc.entity(r)), "%v", tc.entity(r))
				require.NotEmpty(t, r.GetOrigin())
			})
		}
	})

	t.Run("links to the same company in other tools", func(t *testing.T) {
		require.Equal(t, []string{"salesforce:0015g00000NwTrdAAA", "stripe:cus_NorthwindTr01", "zendesk:360001"}, sdktest.Links(sdktest.ByID(got["companies"])["101"]))
		require.Empty(t, sdktest.Links(sdktest.ByID(got["companies"])["102"]))
	})

	t.Run("custom properties", func(t *testing.T) {
		tests := []struct {
			stream, id string
			want       map[string]any
		}{
			// Typed by the properties API; the properties given a
			// canonical place (segment, renewal date, links) stay out.
			// Enumerations are their labels, with the code beside them:
			// industry's too, as the account holds its label.
			{"companies", "101", map[string]any{"health_notes": "Expanding to the EU in Q2", "seats": 250.0, "is_strategic": true,
				"type": "Other", "type_code": "OTHER", "numberofemployees": 850.0, "annualrevenue": 42000000.0,
				"lifecyclestage": "Customer", "lifecyclestage_code": "customer", "industry_code": "WHOLESALE"}},
			{"contacts", "201", map[string]any{"preferred_language": "Portuguese (Brazil)", "preferred_language_code": "pt-BR", "phone": "+1 206 555 0101",
				"lifecyclestage": "Customer", "lifecyclestage_code": "customer"}},
			{"deals", "306", map[string]any{"renewal_risk": "High", "renewal_risk_code": "high", "pipeline": "12345", "dealstage": "67890", "hubspot_owner_id": "7005"}},
			{"calls", "4101", map[string]any{"call_sentiment": "Positive", "call_sentiment_code": "positive", "hs_call_disposition": "f240bbac-87c9-4f6e-bf70-924b57d47db7",
				"hs_call_status": "Completed", "hs_call_status_code": "COMPLETED"}},
			// A multi-select's values are each labelled.
			{"tickets", "501", map[string]any{"sla_tier": "Gold", "sla_tier_code": "gold", "hs_pipeline": "0", "hs_pipeline_stage": "4", "stage_label": "Closed",
				"hs_ticket_category": "Product issue; Billing issue", "hs_ticket_category_code": "PRODUCT_ISSUE;BILLING_ISSUE", "hubspot_owner_id": "7003"}},
			{"owners", "7003", map[string]any{"user_id": 5003.0, "teams": []any{"Customer Success", "Support"}}},
		}
		for _, tc := range tests {
			assert.Equal(t, tc.want, sdktest.ByID(got[tc.stream])[tc.id].GetCustom().AsMap(), "%s %s", tc.stream, tc.id)
		}
	})

	t.Run("requests", func(t *testing.T) {
		var body struct {
			FilterGroups []struct {
				Filters []struct{ PropertyName, Operator, Value string }
			}
			Sorts []struct{ PropertyName, Direction string }
		}
		for objectType, modified := range map[string]string{"companies": "hs_lastmodifieddate", "contacts": "lastmodifieddate", "0-3": "hs_lastmodifieddate"} {
			reqs := searches(srv, objectType)
			require.NotEmpty(t, reqs, objectType)
			require.NoError(t, json.Unmarshal([]byte(reqs[0].Body), &body))
			require.Equal(t, modified, body.Sorts[0].PropertyName, objectType)
			require.Equal(t, "ASCENDING", body.Sorts[0].Direction)
		}
		paths := map[string]bool{}
		for _, r := range srv.Requests() {
			paths[r.Method+" "+r.Path] = true
		}
		for _, p := range []string{"GET /account-info/v3/details", "GET /crm/v3/owners", "GET /crm/v3/properties/companies", "GET /crm/v3/pipelines/0-3",
			"POST /crm/v4/associations/0-3/companies/batch/read", "POST /crm/v4/associations/emails/contacts/batch/read",
			"POST /crm/v3/objects/contacts/batch/read", "GET /crm/v3/objects/feedback_submissions"} {
			require.True(t, paths[p], p)
		}
	})
}

func TestResumeFromEveryCheckpoint(t *testing.T) {
	srv := newServer(t)
	cfg := config(srv, nil)
	full := read(t, cfg, nil)
	for _, stream := range streamOrder[1:] { // owners has no checkpoint
		t.Run(stream, func(t *testing.T) {
			checkpoints := sdktest.Checkpoints(full, stream)
			require.GreaterOrEqual(t, len(checkpoints), 2)
			for i, cp := range checkpoints {
				want := sdktest.ByStream(cp.After)[stream]
				got := sdktest.ByStream(read(t, cfg, map[string][]byte{stream: cp.State}, stream))[stream]
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
	require.Len(t, state, len(streamOrder)-1)

	again := sdktest.ByStream(read(t, cfg, state))
	require.Equal(t, []string{"owners"}, slices.Sorted(maps.Keys(again)), "a read from the final state reads only the owners again")

	// Then Contoso is renamed, a contact joins Woodgrove, a deal is won, a
	// note is logged and a ticket is deleted.
	put := func(objectType, obj string) { require.NoError(t, srv.Put(objectType, json.RawMessage(obj))) }
	put("companies", `{"id": "102", "properties": {"name": "Contoso Group", "domain": "contoso.example", "lifecyclestage": "customer",
		"hubspot_owner_id": "7001", "hs_lastmodifieddate": "2026-02-01T09:00:00.000Z"}, "createdAt": "2025-04-11T09:30:00.000Z"}`)
	put("contacts", `{"id": "208", "properties": {"firstname": "Hal", "lastname": "Wu", "email": "hal@woodgrove.example", "associatedcompanyid": "107",
		"lastmodifieddate": "2026-02-01T10:00:00.000Z"}}`)
	put("deals", `{"id": "302", "properties": {"dealname": "Contoso platform", "dealstage": "closedwon", "pipeline": "default", "amount": "52000",
		"closedate": "2026-02-02T12:00:00.000Z", "dealtype": "newbusiness", "hs_is_closed": "true", "hs_is_closed_won": "true",
		"hs_lastmodifieddate": "2026-02-02T12:00:01.000Z"}}`)
	put("notes", `{"id": "4303", "properties": {"hs_timestamp": "2026-02-03T08:00:00.000Z", "hs_note_body": "Renewal call booked",
		"hubspot_owner_id": "7002", "hs_lastmodifieddate": "2026-02-03T08:00:01.000Z"}}`)
	srv.Associate("notes", "4303", "companies", "102", false)
	require.NoError(t, srv.Archive("tickets", "503", time.Now()))

	got := sdktest.ByStream(read(t, cfg, state))
	want := map[string][]string{
		"companies": {"102"}, "company_owners": {"102|sales"}, "contacts": {"208"}, "deals": {"302"}, "notes": {"4303"}, "tickets": {"503 deleted"},
	}
	for _, stream := range streamOrder[1:] {
		require.Equal(t, want[stream], sdktest.IDs(got[stream]), stream)
	}
	require.Equal(t, "Contoso Group", got["companies"][0].GetAccount().GetName())
	require.Equal(t, "7001", got["company_owners"][0].GetAccountTeam().GetPersonExternalId())
	require.Equal(t, "won", got["deals"][0].GetDeal().GetStatus())
	require.Equal(t, "102", got["notes"][0].GetActivity().GetAccountExternalId())
}

func TestSearchCeiling(t *testing.T) {
	tests := []struct {
		name string
		// modified is the last-modified time of the i-th added company.
		modified func(i int) time.Time
	}{
		{"distinct timestamps", func(i int) time.Time { return at("2026-02-01T00:00:00Z").Add(time.Duration(i) * time.Minute) }},
		{"one timestamp", func(int) time.Time { return at("2026-02-01T00:00:00Z") }},
		{"pairs of timestamps", func(i int) time.Time { return at("2026-02-01T00:00:00Z").Add(time.Duration(i/2) * time.Minute) }},
	}
	const added = 30
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			srv.SearchCeiling, srv.PageSize = 5, 3
			want := []string{"101", "102", "103", "104", "105", "107"}
			for i := range added {
				id := fmt.Sprint(2000 + i)
				want = append(want, id)
				require.NoError(t, srv.Put("companies", json.RawMessage(fmt.Sprintf(
					`{"id": %q, "properties": {"name": "Company %d", "hs_lastmodifieddate": %q}}`, id, i, tc.modified(i).Format(time.RFC3339Nano)))))
			}
			got := sdktest.ByStream(read(t, config(srv, nil), nil, "companies"))["companies"]
			require.Equal(t, append(want, "106 deleted"), sdktest.IDs(got))
			for _, r := range searches(srv, "companies") {
				require.Contains(t, r.Body, `"after":"0"`, "the reader re-anchors instead of paging on")
			}
			require.Greater(t, len(searches(srv, "companies")), added/srv.PageSize)
		})
	}

	t.Run("the stand-in refuses past its ceiling", func(t *testing.T) {
		srv := newServer(t)
		srv.SearchCeiling = 5
		status, body := post(t, srv, "/crm/v3/objects/companies/search", `{"filterGroups": [], "sorts": [], "properties": [], "limit": 2, "after": "5"}`)
		require.Equal(t, 400, status)
		require.Equal(t, "VALIDATION_ERROR", body["category"])
		require.NotEmpty(t, body["correlationId"])
	})
}

func TestArchivedRecordsAreTombstones(t *testing.T) {
	tests := []struct {
		objectType, id string
		// tombstones are the records that must be sent as deleted, by
		// stream.
		tombstones map[string][]string
	}{
		{"companies", "102", map[string][]string{"companies": {"102 deleted"}, "company_owners": {"102|sales deleted"}}},
		{"contacts", "201", map[string][]string{"contacts": {"201 deleted"}}},
		{"deals", "301", map[string][]string{"deals": {"301 deleted"}}},
		{"emails", "4001", map[string][]string{"emails": {"4001 deleted"}}},
		{"calls", "4101", map[string][]string{"calls": {"4101 deleted"}}},
		{"meetings", "4201", map[string][]string{"meetings": {"4201 deleted"}}},
		{"notes", "4301", map[string][]string{"notes": {"4301 deleted"}}},
		{"tickets", "501", map[string][]string{"tickets": {"501 deleted"}}},
		{"feedback_submissions", "601", map[string][]string{"feedback_submissions": {"601 deleted"}}},
	}
	for _, tc := range tests {
		t.Run(tc.objectType, func(t *testing.T) {
			srv := newServer(t)
			cfg := config(srv, nil)
			state := sdktest.FinalState(read(t, cfg, nil))
			require.NoError(t, srv.Archive(tc.objectType, tc.id, time.Now()))
			got := sdktest.ByStream(read(t, cfg, state))
			for _, stream := range streamOrder[1:] {
				require.Equal(t, tc.tombstones[stream], sdktest.IDs(got[stream]), stream)
			}
		})
	}
}

func TestRateLimits(t *testing.T) {
	// 15:00 UTC on 10 March 2026 is 11:00 in US/Eastern (daylight time
	// began on the 8th): the portal's next midnight is 04:00 UTC.
	clock := at("2026-03-10T15:00:00Z")
	midnight := at("2026-03-11T04:00:00Z")
	defer hubspot.UseClock(func() time.Time { return clock })()

	// Which request is the first search, in a read of this portal.
	probe := newServer(t)
	read(t, config(probe, nil), nil)
	firstSearch := slices.IndexFunc(probe.Requests(), func(r hubspottest.Request) bool { return strings.HasSuffix(r.Path, "/search") }) + 1
	baseline := sdktest.ByStream(read(t, config(newServer(t), nil), nil))

	tests := []struct {
		name  string
		limit func(*hubspottest.Server)
		waits func(t *testing.T, waits []time.Duration)
		// retryAfter, when set, is when the read must say to come back:
		// it ends with a transient error.
		retryAfter time.Time
		// message is a part of the error's message, when it is ours.
		message string
	}{
		{name: "a 429 of the ten-second window is waited out for its Retry-After",
			limit: func(s *hubspottest.Server) { s.Refuse(3, "TEN_SECONDLY_ROLLING", "7") },
			waits: func(t *testing.T, waits []time.Duration) { require.Equal(t, []time.Duration{7 * time.Second}, waits) }},
		{name: "a search 429 without Retry-After is backed off",
			limit: func(s *hubspottest.Server) { s.Refuse(firstSearch, "SECONDLY", "") },
			waits: func(t *testing.T, waits []time.Duration) {
				require.Equal(t, []time.Duration{500 * time.Millisecond}, waits)
			}},
		{name: "an empty window waits for its interval",
			limit: func(s *hubspottest.Server) { s.Window(0) },
			waits: func(t *testing.T, waits []time.Duration) {
				require.NotEmpty(t, waits)
				for _, w := range waits {
					require.Equal(t, 10*time.Second, w)
				}
			}},
		{name: "a spent daily quota pauses the read until the portal's midnight",
			limit:      func(s *hubspottest.Server) { s.DailyLimit(5) },
			waits:      func(t *testing.T, waits []time.Duration) { require.Empty(t, waits) },
			retryAfter: midnight},
		{name: "a 429 under the daily policy pauses the read until the portal's midnight",
			limit:      func(s *hubspottest.Server) { s.Refuse(firstSearch+3, "DAILY", "") },
			waits:      func(t *testing.T, waits []time.Duration) { require.Empty(t, waits) },
			retryAfter: midnight, message: "daily API limit is spent"},
		{name: "a Retry-After beyond two minutes ends the read as transient",
			limit:      func(s *hubspottest.Server) { s.Refuse(3, "TEN_SECONDLY_ROLLING", "600") },
			waits:      func(t *testing.T, waits []time.Duration) { require.Empty(t, waits) },
			retryAfter: clock.Add(10 * time.Minute)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var waits []time.Duration
			defer hubspot.UseSleep(func(d time.Duration) { waits = append(waits, d) })()
			srv := newServer(t)
			tc.limit(srv)
			msgs := readAll(t, config(srv, nil), nil)
			tc.waits(t, waits)
			last := msgs[len(msgs)-1].GetError()
			if !tc.retryAfter.IsZero() {
				require.NotNil(t, last)
				require.Equal(t, connectorpb.Error_KIND_TRANSIENT, last.GetKind())
				require.Equal(t, tc.retryAfter, last.GetRetryAfter().AsTime())
				require.Contains(t, last.GetMessage(), tc.message)
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

func TestRefusedToken(t *testing.T) {
	srv := newServer(t)
	msgs := readAll(t, config(srv, map[string]any{"access_token": "pat-na1-revoked"}), nil)
	require.Len(t, msgs, 1)
	e := msgs[0].GetError()
	require.Equal(t, connectorpb.Error_KIND_CONFIG, e.GetKind())
	require.Equal(t, "access_token", e.GetField())
	require.Contains(t, e.GetMessage(), "Authentication credentials not found")
	require.Contains(t, e.GetMessage(), "correlationId")
}

func TestMissingScope(t *testing.T) {
	srv := newServer(t)
	srv.Revoke("tickets")
	msgs := readAll(t, config(srv, nil), nil)
	e := msgs[len(msgs)-1].GetError()
	require.Equal(t, connectorpb.Error_KIND_CONFIG, e.GetKind())
	require.Equal(t, "access_token", e.GetField())
	require.Equal(t, "tickets", e.GetStream())
	require.Contains(t, e.GetMessage(), "give its private app the scope tickets")
	require.NotEmpty(t, sdktest.ByStream(msgs)["notes"], "the streams before it were read")
}

func TestCheck(t *testing.T) {
	defer hubspot.UseSleep(func(time.Duration) {})()
	closed := newServer(t)
	closed.Close()
	tests := []struct {
		name   string
		cfg    func(*hubspottest.Server) string
		before func(*hubspottest.Server)
		want   []string // fields of the problems
	}{
		{name: "good", cfg: func(s *hubspottest.Server) string { return config(s, nil) }},
		{name: "a refused token", cfg: func(s *hubspottest.Server) string { return config(s, map[string]any{"access_token": "pat-na1-wrong"}) },
			want: []string{"access_token"}},
		{name: "a token that may not read companies", cfg: func(s *hubspottest.Server) string { return config(s, nil) },
			before: func(s *hubspottest.Server) { s.Revoke("crm.objects.companies.read") }, want: []string{"access_token"}},
		{name: "a token that may not read tickets", cfg: func(s *hubspottest.Server) string { return config(s, nil) },
			before: func(s *hubspottest.Server) { s.Revoke("tickets") }, want: []string{"access_token (warning)"}},
		{name: "no such host", cfg: func(*hubspottest.Server) string { return config(closed, nil) }, want: []string{"base_url"}},
		{name: "no access_token", cfg: func(s *hubspottest.Server) string { return config(s, map[string]any{"access_token": nil}) },
			want: []string{"access_token"}},
		{name: "a start_date that is no date", cfg: func(s *hubspottest.Server) string { return config(s, map[string]any{"start_date": "last week"}) },
			want: []string{"start_date"}},
		{name: "a start_date of no calendar", cfg: func(s *hubspottest.Server) string { return config(s, map[string]any{"start_date": "2026-02-30"}) },
			want: []string{"start_date"}},
		{name: "an unknown team", cfg: func(s *hubspottest.Server) string { return config(s, map[string]any{"default_team": "ops"}) },
			want: []string{"default_team"}},
		{name: "a team map to an unknown team", cfg: func(s *hubspottest.Server) string {
			return config(s, map[string]any{"team_map": map[string]string{"Support": "helpdesk"}})
		}, want: []string{"team_map.Support"}},
		{name: "a link property that is not text", cfg: func(s *hubspottest.Server) string {
			return config(s, map[string]any{"link_properties": map[string]any{"salesforce": 7}})
		}, want: []string{"link_properties.salesforce"}},
		{name: "properties the companies lack", cfg: func(s *hubspottest.Server) string {
			return config(s, map[string]any{"tier_property": "account_tier", "link_properties": map[string]any{"chargebee": "chargebee_id"}})
		}, want: []string{"tier_property (warning)", "link_properties.chargebee (warning)"}},
		{name: "an unknown setting", cfg: func(s *hubspottest.Server) string { return config(s, map[string]any{"api_key": "x"}) },
			want: []string{"api_key"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t)
			if tc.before != nil {
				tc.before(srv)
			}
			s, err := sdk.NewServer(hubspot.New())
			require.NoError(t, err)
			resp, err := s.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: []byte(tc.cfg(srv))})
			require.NoError(t, err)
			for _, p := range resp.GetProblems() {
				require.NotEmpty(t, p.GetSummary())
			}
			require.ElementsMatch(t, tc.want, fields(resp), "%v", resp.GetProblems())
		})
	}
}

func TestDiscover(t *testing.T) {
	srv := newServer(t)
	s, err := sdk.NewServer(hubspot.New())
	require.NoError(t, err)
	resp, err := s.Discover(context.Background(), &connectorpb.DiscoverRequest{ConfigJson: []byte(config(srv, nil))})
	require.NoError(t, err)
	custom := map[string][]string{}
	var names []string
	for _, st := range resp.GetStreams() {
		names = append(names, st.GetName())
		custom[st.GetName()] = st.GetCustomFields()
		require.NotEmpty(t, st.GetPrimaryKey())
	}
	require.Equal(t, streamOrder, names)
	tests := []struct {
		stream   string
		has, not []string
	}{
		// customer_segment is the segment, renewal_date the renewal date,
		// the link properties links: none of them is custom.
		{"companies", []string{"health_notes", "seats", "is_strategic", "type"}, []string{"customer_segment", "renewal_date", "stripe_customer_id", "name"}},
		{"contacts", []string{"preferred_language", "phone"}, []string{"email"}},
		{"deals", []string{"renewal_risk", "pipeline"}, []string{"amount"}},
		{"calls", []string{"call_sentiment"}, nil},
		{"tickets", []string{"sla_tier", "stage_label"}, []string{"subject"}},
		{"owners", []string{"teams"}, nil},
	}
	for _, tc := range tests {
		for _, f := range tc.has {
			require.Contains(t, custom[tc.stream], f, tc.stream)
		}
		for _, f := range tc.not {
			require.NotContains(t, custom[tc.stream], f, tc.stream)
		}
	}
}

func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the plugin")
	}
	srv := newServer(t)
	bin := conformance.Build(t, "github.com/pulseproject/pulse/cmd/pulse-connector-hubspot", "hubspot")
	conformance.Run(t, conformance.Options{
		Connector: bin,
		Config:    json.RawMessage(config(srv, nil)),
		Deletes:   []string{"owners", "companies", "company_owners", "contacts", "deals", "emails", "notes", "tickets", "feedback_submissions"},
	})
}
