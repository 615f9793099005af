package main_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/hubspot/hubspottest"
	"github.com/pulseproject/pulse/connectors/intercom/intercomtest"
	"github.com/pulseproject/pulse/connectors/salesforce/salesforcetest"
	"github.com/pulseproject/pulse/connectors/stripe/stripetest"
	"github.com/pulseproject/pulse/connectors/zendesk/zendesktest"
	"github.com/pulseproject/pulse/internal/plugintest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata from the responses")

// connectorTestdata is the folder of a built-in connector's test data,
// which its stand-in serves.
func connectorTestdata(t *testing.T, connector string) string {
	t.Helper()
	root, err := plugintest.ModuleRoot()
	require.NoError(t, err)
	return filepath.Join(root, "connectors", connector, "testdata")
}

// TestOneCustomerAcrossEveryTool syncs the stand-ins of the vendor tools
// into one database, as a user would: pulse source add and pulse sync for
// each, every connector a plugin process served by the pulse binary. Their
// test data share one customer, Northwind Traders, under each tool's own
// id. Once synced, GraphQL shows one account for it, with one ref per
// source, each tied by the identity rule the data allows (an explicit link
// to an id in another tool, else the domain), and one timeline mixing
// what every tool saw of it.
func TestOneCustomerAcrossEveryTool(t *testing.T) {
	hs, err := hubspottest.New(connectorTestdata(t, "hubspot"), "pat-na1-northwind")
	require.NoError(t, err)
	t.Cleanup(hs.Close)
	sf, err := salesforcetest.New(connectorTestdata(t, "salesforce"), "00Dnorthwind")
	require.NoError(t, err)
	t.Cleanup(sf.Close)
	zd, err := zendesktest.New(connectorTestdata(t, "zendesk"), "admin@pulse-demo.example", "zd-token")
	require.NoError(t, err)
	t.Cleanup(zd.Close)
	ic, err := intercomtest.New(connectorTestdata(t, "intercom"), "ic-token")
	require.NoError(t, err)
	t.Cleanup(ic.Close)
	st, err := stripetest.New(connectorTestdata(t, "stripe"), "sk_test_northwind")
	require.NoError(t, err)
	t.Cleanup(st.Close)

	// In the order a team would connect them: the CRMs first.
	// Each sync's status and exit code: Salesforce's data holds a contact
	// and a task of no account, which it rejects, so its run is partial.
	sources := []struct {
		kind, name string
		settings   []string
		status     string
		code       int
	}{
		{"hubspot", "marketing", []string{"base_url=" + hs.URL, "access_token=" + hs.Token}, "succeeded", 0},
		{"salesforce", "crm", []string{"base_url=" + sf.URL, "access_token=" + sf.Token,
			"link_fields.hubspot=HubSpot_Company_Id__c", "team_map.Customer Success=cs"}, "partial", 3},
		{"zendesk", "helpdesk", []string{"base_url=" + zd.URL, "email=" + zd.Email, "api_token=" + zd.Token}, "succeeded", 0},
		{"intercom", "chat", []string{"base_url=" + ic.URL, "access_token=" + ic.Token}, "succeeded", 0},
		{"stripe", "billing", []string{"base_url=" + st.URL, "secret_key=" + st.Key}, "succeeded", 0},
	}
	c := newCLI(t)
	for _, s := range sources {
		out := c.ok(t, append([]string{"source", "add", s.kind, s.name}, s.settings...)...)
		require.Contains(t, out, fmt.Sprintf("added source %s (%s", s.name, s.kind))
	}
	for _, s := range sources {
		out := c.exit(t, s.code, "sync", s.name)
		require.Regexp(t, `run \S+ `+s.status+` in`, out, "pulse sync %s", s.name)
	}

	srv := startServe(t, c.env)
	query, err := os.ReadFile("testdata/northwind.graphql")
	require.NoError(t, err)
	body, err := json.Marshal(map[string]string{"query": string(query)})
	require.NoError(t, err)
	resp, err := srv.send(body)
	require.NoError(t, err)
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	srv.stop(t)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var answer bytes.Buffer
	require.NoError(t, json.Indent(&answer, raw, "", "  "), string(raw))
	answer.WriteByte('\n')

	var got struct {
		Errors []any `json:"errors"`
		Data   struct {
			Accounts struct {
				TotalCount int `json:"totalCount"`
				Edges      []struct {
					Node struct {
						Name         string `json:"name"`
						Domain       string `json:"domain"`
						ExternalRefs []struct {
							Source     struct{ Name, Kind string } `json:"source"`
							ExternalID string                      `json:"externalId"`
							MatchedBy  string                      `json:"matchedBy"`
							Confidence float64                     `json:"confidence"`
						} `json:"externalRefs"`
						Contacts struct {
							Edges []struct {
								Node struct {
									Email string `json:"email"`
								} `json:"node"`
							} `json:"edges"`
						} `json:"contacts"`
						Timeline struct {
							PageInfo struct {
								HasNextPage bool `json:"hasNextPage"`
							} `json:"pageInfo"`
							Edges []struct {
								Node timelineItem `json:"node"`
							} `json:"edges"`
						} `json:"timeline"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"accounts"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Empty(t, got.Errors, "%s", &answer)

	accounts := got.Data.Accounts
	require.Equal(t, 1, accounts.TotalCount, "Northwind is one account, not one per tool:\n%s", &answer)
	northwind := accounts.Edges[0].Node
	require.Equal(t, []string{"Northwind Traders", "northwind.example"}, []string{northwind.Name, northwind.Domain})

	type ref struct {
		Kind, ExternalID, MatchedBy string
		Confidence                  float64
	}
	refs := map[string]ref{}
	for _, r := range northwind.ExternalRefs {
		require.NotContains(t, refs, r.Source.Name, "one ref per source")
		refs[r.Source.Name] = ref{r.Source.Kind, r.ExternalID, r.MatchedBy, r.Confidence}
	}
	require.Equal(t, map[string]ref{
		// The first source to know it made the account.
		"marketing": {"hubspot", "101", "created", 1},
		// The account's HubSpot_Company_Id__c field names the HubSpot
		// company.
		"crm": {"salesforce", "0015g00000NwTrdAAA", "link:hubspot", 1},
		// The organization's salesforce_id field names the Salesforce
		// account.
		"helpdesk": {"zendesk", "360001", "link:salesforce", 1},
		// Nothing names the Intercom company in another tool, nor it
		// them: its website's domain ties it.
		"chat": {"intercom", "6762f0941bb69f9f2193bb06", "domain", 0.9},
		// The customer's metadata names the HubSpot company.
		"billing": {"stripe", "cus_NorthwindTr01", "link:hubspot", 1},
	}, refs)

	// Ana is a contact in four of the tools, Ben in HubSpot only.
	var contacts []string
	for _, e := range northwind.Contacts.Edges {
		contacts = append(contacts, e.Node.Email)
	}
	require.Equal(t, []string{"ana@northwind.example", "ben@northwind.example"}, contacts)

	require.False(t, northwind.Timeline.PageInfo.HasNextPage, "the whole timeline is on the page")
	seen := map[event]bool{}
	for _, e := range northwind.Timeline.Edges {
		seen[e.Node.brief()] = true
	}
	for _, want := range []event{
		{"ActivityEvent", "ACTIVITY", "marketing", "EMAIL"},
		{"ActivityEvent", "ACTIVITY", "crm", "EMAIL"},
		{"ActivityEvent", "ACTIVITY", "crm", "CALL"},
		{"TicketEvent", "TICKET", "helpdesk", "Invoice PDF missing VAT number"},
		{"ActivityEvent", "ACTIVITY", "chat", "SUPPORT_REPLY"},
		// The upgrade: Basic ends where Pro starts.
		{"SubscriptionEvent", "SUBSCRIPTION_STARTED", "billing", "Basic"},
		{"SubscriptionEvent", "SUBSCRIPTION_ENDED", "billing", "Basic"},
		{"SubscriptionEvent", "SUBSCRIPTION_STARTED", "billing", "Pro"},
	} {
		require.True(t, seen[want], "the timeline has no %+v:\n%s", want, &answer)
	}

	golden := "testdata/northwind.json"
	if *update {
		require.NoError(t, os.WriteFile(golden, answer.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./cmd/pulse -run TestOneCustomerAcrossEveryTool -update to create it")
	if diff := cmp.Diff(string(want), answer.String()); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}
}

// event is a timeline event in brief: its GraphQL type, its kind, the
// name of its source, and what it was: an activity's kind, a ticket's
// subject or a subscription item's plan.
type event struct{ typename, kind, source, what string }

// timelineItem is what the test reads of a timeline event.
type timelineItem struct {
	Typename string `json:"__typename"`
	Kind     string `json:"kind"`
	Source   struct {
		Name string `json:"name"`
	} `json:"source"`
	Activity *struct {
		Kind string `json:"kind"`
	} `json:"activity"`
	Ticket *struct {
		Subject string `json:"subject"`
	} `json:"ticket"`
	SubscriptionItem *struct {
		Plan string `json:"plan"`
	} `json:"subscriptionItem"`
}

func (i timelineItem) brief() event {
	e := event{typename: i.Typename, kind: i.Kind, source: i.Source.Name}
	switch {
	case i.Activity != nil:
		e.what = i.Activity.Kind
	case i.Ticket != nil:
		e.what = i.Ticket.Subject
	case i.SubscriptionItem != nil:
		e.what = i.SubscriptionItem.Plan
	}
	return e
}
