package stripe_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeStripe answers as Stripe's API documents (https://docs.stripe.com/api):
// Bearer secret keys, list objects {"object":"list","data","has_more","url"}
// paged by starting_after / ending_before, expand[], the Events API's
// types[] filter, and Stripe's error bodies, from testdata/account.json.
type fakeStripe struct {
	t        *testing.T
	key      string
	pageSize int
	data     struct {
		Customers     []map[string]any          `json:"customers"`
		Subscriptions []map[string]any          `json:"subscriptions"`
		Invoices      []map[string]any          `json:"invoices"`
		Prices        map[string]map[string]any `json:"prices"`
		Products      map[string]map[string]any `json:"products"`
		Coupons       map[string]map[string]any `json:"coupons"`
		Events        []map[string]any          `json:"events"`
	}
	mu gosync.Mutex
	// throttle answers the next n list calls of /v1/customers with 429.
	throttle int
	calls    []string
}

func newFake(t *testing.T) (*fakeStripe, *httptest.Server) {
	t.Helper()
	b, err := os.ReadFile("testdata/account.json")
	require.NoError(t, err)
	f := &fakeStripe{t: t, key: "sk_test_good", pageSize: 2}
	require.NoError(t, json.Unmarshal(b, &f.data))
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func stripeError(w http.ResponseWriter, status int, typ, code, msg, param string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "code": code, "message": msg, "param": param}})
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, r.URL.Path+"?"+r.URL.RawQuery)
	w.Header().Set("Request-Id", fmt.Sprintf("req_%d", len(f.calls)))
	if r.Header.Get("Authorization") != "Bearer "+f.key {
		b, _ := os.ReadFile("testdata/error_401.json")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write(b)
		return
	}
	require.Equal(f.t, "2025-03-31.basil", r.Header.Get("Stripe-Version"))
	q := r.URL.Query()
	if l := q.Get("limit"); l != "" && l != "100" {
		stripeError(w, 400, "invalid_request_error", "parameter_invalid_integer", "unexpected limit", "limit")
		return
	}
	expand := q["expand[]"]
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	parts := strings.Split(p, "/")
	switch {
	case p == "balance":
		f.json(w, map[string]any{"object": "balance", "available": []any{map[string]any{"amount": 0, "currency": "usd"}}, "livemode": false})
	case p == "customers":
		if f.throttle > 0 {
			f.throttle--
			b, _ := os.ReadFile("testdata/error_429.json")
			w.Header().Set("Retry-After", "3")
			w.Header().Set("Stripe-Should-Retry", "true")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write(b)
			return
		}
		f.list(w, r, f.data.Customers)
	case p == "subscriptions":
		if q.Get("status") != "all" {
			stripeError(w, 400, "invalid_request_error", "", "the test server expects status=all", "status")
			return
		}
		var subs []map[string]any
		for _, s := range f.data.Subscriptions {
			subs = append(subs, f.expandSub(s, slices.Contains(expand, "data.customer")))
		}
		f.list(w, r, subs)
	case p == "invoices":
		var out []map[string]any
		for _, inv := range f.data.Invoices {
			sub := inv["parent"].(map[string]any)["subscription_details"].(map[string]any)["subscription"]
			if sub == q.Get("subscription") && (q.Get("status") == "" || inv["status"] == q.Get("status")) {
				out = append(out, embedOneLine(inv))
			}
		}
		f.list(w, r, out)
	case len(parts) == 3 && parts[0] == "invoices" && parts[2] == "lines":
		for _, inv := range f.data.Invoices {
			if inv["id"] == parts[1] {
				var lines []map[string]any
				for _, l := range inv["lines"].(map[string]any)["data"].([]any) {
					lines = append(lines, l.(map[string]any))
				}
				f.list(w, r, lines)
				return
			}
		}
		stripeError(w, 404, "invalid_request_error", "resource_missing", "No such invoice: '"+parts[1]+"'", "id")
	case p == "events":
		f.list(w, r, f.events(q["types[]"]))
	case len(parts) == 2:
		f.retrieve(w, parts[0], parts[1], slices.Contains(expand, "customer"))
	default:
		stripeError(w, 404, "invalid_request_error", "", "Unrecognized request URL (GET: "+r.URL.Path+").", "")
	}
}

// embedOneLine is an invoice as a list shows it when it has more lines
// than it embeds: the first, and has_more.
func embedOneLine(inv map[string]any) map[string]any {
	lines := inv["lines"].(map[string]any)
	data := lines["data"].([]any)
	out := map[string]any{}
	for k, v := range inv {
		out[k] = v
	}
	out["lines"] = map[string]any{"object": "list", "data": data[:1], "has_more": len(data) > 1, "url": lines["url"]}
	return out
}

func (f *fakeStripe) expandSub(s map[string]any, customer bool) map[string]any {
	if !customer {
		return s
	}
	out := map[string]any{}
	for k, v := range s {
		out[k] = v
	}
	for _, c := range f.data.Customers {
		if c["id"] == s["customer"] {
			out["customer"] = c
		}
	}
	return out
}

func (f *fakeStripe) events(types []string) []map[string]any {
	var out []map[string]any
	for _, e := range f.data.Events {
		if len(types) == 0 || slices.Contains(types, e["type"].(string)) {
			out = append(out, e)
		}
	}
	return out
}

func (f *fakeStripe) retrieve(w http.ResponseWriter, kind, id string, expandCustomer bool) {
	var found map[string]any
	switch kind {
	case "customers":
		for _, c := range f.data.Customers {
			if c["id"] == id {
				found = c
			}
		}
		if found == nil && id == "cus_Z" {
			found = map[string]any{"id": id, "object": "customer", "deleted": true}
		}
	case "subscriptions":
		for _, s := range f.data.Subscriptions {
			if s["id"] == id {
				found = f.expandSub(s, expandCustomer)
			}
		}
	case "prices":
		found = f.data.Prices[id]
	case "products":
		found = f.data.Products[id]
	case "coupons":
		found = f.data.Coupons[id]
	}
	if found == nil {
		stripeError(w, 404, "invalid_request_error", "resource_missing", fmt.Sprintf("No such %s: '%s'", strings.TrimSuffix(kind, "s"), id), "id")
		return
	}
	f.json(w, found)
}

// list answers a list request: objects in the order Stripe lists them
// (newest first), a page after starting_after or the page just before
// ending_before, has_more saying whether more lie that way.
func (f *fakeStripe) list(w http.ResponseWriter, r *http.Request, all []map[string]any) {
	q := r.URL.Query()
	index := func(id string) int {
		for i, o := range all {
			if o["id"] == id {
				return i
			}
		}
		return -1
	}
	var from, to int
	var more bool
	switch after, before := q.Get("starting_after"), q.Get("ending_before"); {
	case after != "":
		i := index(after)
		if i < 0 {
			stripeError(w, 400, "invalid_request_error", "resource_missing", "No such object: '"+after+"'", "starting_after")
			return
		}
		from, to = i+1, min(i+1+f.pageSize, len(all))
		more = to < len(all)
	case before != "":
		i := index(before)
		if i < 0 {
			// An ending_before object the filter leaves out still marks a
			// place in time: the events newer than it.
			i = f.position(before, all)
		}
		from, to = max(0, i-f.pageSize), i
		more = from > 0
	default:
		from, to = 0, min(f.pageSize, len(all))
		more = to < len(all)
	}
	data := all[from:to]
	if data == nil {
		data = []map[string]any{}
	}
	f.json(w, map[string]any{"object": "list", "url": r.URL.Path, "has_more": more, "data": data})
}

// position is where an event the type filter dropped would sit in the
// filtered list: before every event listed after it.
func (f *fakeStripe) position(id string, filtered []map[string]any) int {
	var at int
	for i, e := range f.data.Events {
		if e["id"] == id {
			at = i
		}
	}
	n := 0
	for _, e := range filtered {
		for i, x := range f.data.Events {
			if x["id"] == e["id"] && i < at {
				n++
			}
		}
	}
	return n
}

func (f *fakeStripe) json(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
