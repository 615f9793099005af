package stripe_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
	"github.com/pulseproject/pulse/connectors/stripe"
	"github.com/pulseproject/pulse/connectors/stripe/stripetest"
)

// newFake serves testdata two objects a page, so that every list pages.
func newFake(t *testing.T) *stripetest.Server {
	t.Helper()
	f, err := stripetest.New("testdata", "sk_test_good")
	require.NoError(t, err)
	f.PageSize = 2
	t.Cleanup(f.Close)
	return f
}

func config(srv *stripetest.Server, extra map[string]any) []byte {
	cfg := map[string]any{"base_url": srv.URL, "secret_key": srv.Key}
	for k, v := range extra {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	return b
}

func read(t *testing.T, cfg []byte, streams []string, state map[string][]byte) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, stripe.New(), cfg, streams, state)
}

func when(ts interface{ AsTime() time.Time }) string {
	if ts == nil {
		return ""
	}
	return ts.AsTime().UTC().Format(time.DateOnly)
}

// item is a subscription item record in brief, for comparison.
type item struct {
	Account, Plan, Amount, Currency, Interval, Starts, Ends, Churn string
}

func brief(r *connectorpb.Record) item {
	x := r.GetSubscriptionItem()
	i := item{x.GetAccountExternalId(), x.GetPlan(), x.GetAmount(), x.GetCurrency(), x.GetInterval(), when(x.GetStartsAt()), "", x.GetChurnReason()}
	if x.GetEndsAt() != nil {
		i.Ends = when(x.GetEndsAt())
	}
	return i
}

func TestFullRead(t *testing.T) {
	srv := newFake(t)
	g := sdktest.Sum(read(t, config(srv, nil), nil, nil))
	require.Nil(t, g.Failure)
	require.Empty(t, g.Errors)

	acme := g.Records["customers"]["cus_A"]
	require.Equal(t, "Acme Corp", acme.GetAccount().GetName())
	require.Equal(t, "acme.com", acme.GetAccount().GetDomain())
	require.Equal(t, []string{"hubspot:9001", "salesforce:001A0000001"}, sdktest.Links(acme))
	require.Equal(t, map[string]any{"email": "billing@acme.com", "currency": "USD", "delinquent": false, "metadata": map[string]any{"tier": "gold"}}, acme.GetCustom().AsMap())
	globex := g.Records["customers"]["cus_B"]
	require.Equal(t, "", globex.GetAccount().GetDomain(), "a gmail address names no company")
	require.Equal(t, "zendesk", globex.GetLinks()[0].GetKind())
	require.Equal(t, "initech.io", g.Records["customers"]["cus_C"].GetAccount().GetDomain())
	require.Equal(t, []string{"cus_Z"}, g.Tombstones["customers"], "a customer deleted within the events' 30 days is a tombstone")
	// The customer every tool's test data shares, billed at its domain,
	// its metadata naming its HubSpot company.
	northwind := g.Records["customers"]["cus_NorthwindTr01"]
	require.Equal(t, []string{"Northwind Traders", "northwind.example"}, []string{northwind.GetAccount().GetName(), northwind.GetAccount().GetDomain()})
	require.Len(t, northwind.GetLinks(), 1)
	require.Equal(t, "hubspot:101", northwind.GetLinks()[0].GetKind()+":"+northwind.GetLinks()[0].GetExternalId())

	items := map[string]item{}
	for id, r := range g.Records["subscription_items"] {
		items[id] = brief(r)
	}
	require.Equal(t, map[string]item{
		// Basic until the upgrade, read from paid invoices.
		"si_A1": {"cus_A", "Basic", "150", "USD", "month", "2025-01-01", "2025-03-01", ""},
		// Pro with 20% off while the discount lasts, then full price.
		"si_A1@1740787200": {"cus_A", "Pro", "240", "USD", "month", "2025-03-01", "2027-03-01", ""},
		"si_A1@1803859200": {"cus_A", "Pro", "300", "USD", "month", "2027-03-01", "", ""},
		// An add-on removed from the subscription ends with its last paid period.
		"si_A0": {"cus_A", "Extra seats", "20", "USD", "month", "2025-01-01", "2025-03-01", ""},
		// Quarterly, canceled: ends at ended_at with the reason.
		"si_B1": {"cus_B", "Team quarterly", "900", "EUR", "quarter", "2025-03-15", "2025-06-15", "cancellation_requested"},
		// Never invoiced, zero-decimal yen, a forever amount_off coupon.
		"si_C1": {"cus_C", "Enterprise", "1100000", "JPY", "year", "2025-05-01", "", ""},
		// Upgraded at the end of a paid period: Basic ends where Pro starts.
		"si_NorthwindTr01":            {"cus_NorthwindTr01", "Basic", "100", "USD", "month", "2025-10-01", "2025-11-01", ""},
		"si_NorthwindTr01@1761955200": {"cus_NorthwindTr01", "Pro", "200", "USD", "month", "2025-11-01", "", ""},
	}, items)
	require.Equal(t, map[string]any{"subscription": "sub_A", "subscription_status": "active", "price": "price_pro", "quantity": float64(3)},
		g.Records["subscription_items"]["si_A1@1803859200"].GetCustom().AsMap())
	require.Equal(t, "subscription/sub_A/si_A1", g.Records["subscription_items"]["si_A1"].GetOrigin())
}

// TestPagingAndExpansion checks the calls a read makes: every list
// paged by starting_after, 100 at a time, with the expansions it needs.
func TestPagingAndExpansion(t *testing.T) {
	srv := newFake(t)
	read(t, config(srv, nil), []string{"customers", "subscription_items"}, nil)
	calls := srv.Calls()
	require.Contains(t, calls, "/v1/customers?limit=100")
	require.Contains(t, calls, "/v1/customers?limit=100&starting_after=cus_B")
	require.Contains(t, calls, "/v1/subscriptions?expand%5B%5D=data.discounts&expand%5B%5D=data.items.data.discounts&expand%5B%5D=data.customer&limit=100&status=all")
	require.Contains(t, calls, "/v1/invoices/in_A2/lines?limit=100&starting_after=il_A2a", "an invoice's further lines are paged")
	require.Contains(t, calls, "/v1/coupons/co_20?")
	require.Contains(t, calls, "/v1/events?limit=100&types%5B%5D=customer.created&types%5B%5D=customer.updated&types%5B%5D=customer.deleted")
}

// TestResumeFromEachCheckpointYieldsTheRest reads each stream again from
// every checkpoint of a full read: it must emit exactly what followed.
func TestResumeFromEachCheckpointYieldsTheRest(t *testing.T) {
	srv := newFake(t)
	cfg := config(srv, nil)
	for _, stream := range []string{"customers", "subscription_items"} {
		checkpoints := sdktest.Checkpoints(read(t, cfg, []string{stream}, nil), stream)
		require.GreaterOrEqual(t, len(checkpoints), 2, stream)
		for i, cp := range checkpoints {
			g := sdktest.Sum(read(t, cfg, []string{stream}, map[string][]byte{stream: cp.State}))
			require.Nil(t, g.Failure)
			require.Equal(t, sdktest.Sum(cp.After).Order[stream], g.Order[stream], "%s from checkpoint %d: %s", stream, i, cp.State)
		}
		// The last checkpoint is the final state: nothing new, nothing read.
		require.Empty(t, sdktest.Sum(checkpoints[len(checkpoints)-1].After).Order[stream], stream)
	}
}

// TestEventsReReadChangedObjects reads from a state past the listing: only
// the objects events name are read again, oldest event first.
func TestEventsReReadChangedObjects(t *testing.T) {
	srv := newFake(t)
	cfg := config(srv, nil)
	tests := []struct {
		stream  string
		state   string
		ids     []string
		event   string
		noCalls []string
	}{
		{stream: "customers", state: `{"listed":true,"since":0,"event":"evt_1"}`, ids: []string{"cus_A"}, event: "evt_2"},
		{stream: "customers", state: `{"listed":true,"since":0,"event":"evt_2"}`, event: ""},
		{stream: "subscription_items", state: `{"listed":true,"since":0,"event":"evt_2"}`,
			ids: []string{"si_B1", "si_A1", "si_A1@1740787200", "si_A1@1803859200", "si_A0"}, event: "evt_4"},
	}
	for _, tc := range tests {
		t.Run(tc.stream+" after "+tc.state, func(t *testing.T) {
			before := len(srv.Calls())
			g := sdktest.Sum(read(t, cfg, []string{tc.stream}, map[string][]byte{tc.stream: []byte(tc.state)}))
			require.Nil(t, g.Failure)
			require.Equal(t, tc.ids, g.Order[tc.stream])
			for _, c := range srv.Calls()[before:] {
				require.NotContains(t, c, "/v1/customers?", "no listing again")
				require.NotContains(t, c, "/v1/subscriptions?", "no listing again")
			}
			if tc.event == "" {
				require.Empty(t, g.Checkpoints[tc.stream])
				return
			}
			var st map[string]any
			cps := g.Checkpoints[tc.stream]
			require.NoError(t, json.Unmarshal(cps[len(cps)-1], &st))
			require.Equal(t, tc.event, st["event"])
		})
	}
	canceled := brief(sdktest.Sum(read(t, cfg, []string{"subscription_items"}, map[string][]byte{"subscription_items": []byte(`{"listed":true,"since":0,"event":"evt_2"}`)})).Records["subscription_items"]["si_B1"])
	require.Equal(t, "2025-06-15", canceled.Ends, "customer.subscription.deleted ends the items")
}

func TestRateLimitIsWaitedOut(t *testing.T) {
	srv := newFake(t)
	srv.Throttle(2)
	waits := stripe.RecordWaits(t)
	g := sdktest.Sum(read(t, config(srv, nil), []string{"customers"}, nil))
	require.Nil(t, g.Failure)
	require.Len(t, g.Records["customers"], 4)
	require.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second}, *waits, "Retry-After is honoured")
}

func TestErrors(t *testing.T) {
	srv := newFake(t)
	tests := []struct {
		name  string
		cfg   map[string]any
		kind  connectorpb.Error_Kind
		field string
		text  string
	}{
		{name: "a refused key names secret_key", cfg: map[string]any{"secret_key": "sk_test_bad"}, kind: connectorpb.Error_KIND_CONFIG, field: "secret_key", text: "Expired API Key provided"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := sdktest.Sum(read(t, config(srv, tc.cfg), []string{"customers"}, nil))
			require.NotNil(t, g.Failure)
			require.Equal(t, tc.kind, g.Failure.GetKind())
			require.Equal(t, tc.field, g.Failure.GetField())
			require.Contains(t, g.Failure.GetMessage(), tc.text)
		})
	}
	// A 404 from a re-read carries Stripe's message and param.
	require.True(t, srv.Remove("subscriptions", "sub_B"))
	g := sdktest.Sum(read(t, config(srv, nil), []string{"subscription_items"}, map[string][]byte{"subscription_items": []byte(`{"listed":true,"since":0,"event":"evt_2"}`)}))
	require.NotNil(t, g.Failure)
	require.Contains(t, g.Failure.GetMessage(), "404 Not Found (invalid_request_error resource_missing, param id): No such subscription: 'sub_B'")
}

func TestCheck(t *testing.T) {
	srv := newFake(t)
	server, err := sdk.NewServer(stripe.New())
	require.NoError(t, err)
	tests := []struct {
		name   string
		cfg    []byte
		fields []string
	}{
		{name: "good key", cfg: config(srv, nil)},
		{name: "refused key", cfg: config(srv, map[string]any{"secret_key": "sk_test_bad"}), fields: []string{"secret_key"}},
		{name: "not a secret key", cfg: config(srv, map[string]any{"secret_key": "pk_test_123"}), fields: []string{"secret_key"}},
		{name: "no key", cfg: []byte(`{"base_url": "` + srv.URL + `"}`), fields: []string{"secret_key"}},
		{name: "unreachable", cfg: config(srv, map[string]any{"base_url": "http://127.0.0.1:1"}), fields: []string{"base_url"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := server.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: tc.cfg})
			require.NoError(t, err)
			var fields []string
			for _, d := range resp.GetProblems() {
				fields = append(fields, d.GetField())
			}
			require.Equal(t, tc.fields, fields, "%v", resp.GetProblems())
		})
	}
}

// TestConformance runs the plugin through the suite every connector must
// pass, against the fake Stripe.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the plugin")
	}
	srv := newFake(t)
	bin := conformance.Build(t, "../../cmd/pulse-connector-stripe", "stripe")
	conformance.Run(t, conformance.Options{Connector: bin, Config: config(srv, nil), Deletes: []string{"customers"}})
}
