// Package stripetest is a local stand-in for Stripe's API, for testing the
// stripe connector and what is built on it. It serves an account (files in
// a folder: account.json with the customers, subscriptions, invoices,
// prices, products, coupons and events, and error_401.json and
// error_429.json, the bodies of a refused key and of a rate-limited
// request) as Stripe's API reference documents
// (https://docs.stripe.com/api): Bearer secret keys, the pinned
// Stripe-Version, list objects {"object":"list","data","has_more","url"}
// paged by starting_after and ending_before, expand[], the Events API's
// types[] filter, and Stripe's error bodies.
//
// The stripe connector's testdata holds an account whose customers also
// appear in the other tools' test data: Northwind Traders (customer
// cus_NorthwindTr01, billed at northwind.example, metadata
// hubspot_company_id 101), whose subscription went from Basic to Pro.
package stripetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// APIVersion is the Stripe-Version every request must pin.
const APIVersion = "2025-03-31.basil"

// account is the data set served.
type account struct {
	Customers     []map[string]any          `json:"customers"`
	Subscriptions []map[string]any          `json:"subscriptions"`
	Invoices      []map[string]any          `json:"invoices"`
	Prices        map[string]map[string]any `json:"prices"`
	Products      map[string]map[string]any `json:"products"`
	Coupons       map[string]map[string]any `json:"coupons"`
	Events        []map[string]any          `json:"events"`
}

// Server is a running stand-in. Set its exported fields before the
// requests they should shape.
type Server struct {
	// URL is the base URL to configure as the connector's base_url.
	URL string
	// Key is the secret key it accepts as a Bearer token.
	Key string
	// PageSize caps every page of a list; small values make the account
	// span several pages.
	PageSize int

	srv *httptest.Server
	// refused and throttled are the bodies of a refused key and of a
	// rate-limited request.
	refused, throttled []byte

	mu   sync.Mutex
	data account
	// throttle answers the next n list calls of /v1/customers with 429.
	throttle int
	calls    []string
}

// New serves the account in dir to the secret key key. Close the server
// when done.
func New(dir, key string) (*Server, error) {
	s := &Server{Key: key, PageSize: 100}
	files := map[string]*[]byte{"error_401.json": &s.refused, "error_429.json": &s.throttled}
	var account []byte
	files["account.json"] = &account
	for name, into := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("stripetest: %w", err)
		}
		*into = b
	}
	if err := json.Unmarshal(account, &s.data); err != nil {
		return nil, fmt.Errorf("stripetest: account.json: %w", err)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Throttle answers the next n list calls of /v1/customers with 429 Too
// Many Requests, Retry-After: 3 and Stripe-Should-Retry: true.
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// Remove takes the object with this id out of a collection (customers,
// subscriptions, invoices, events, prices, products or coupons): Stripe
// then answers it as missing. It reports whether there was one.
func (s *Server) Remove(collection, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	byID := func(o map[string]any) bool { return o["id"] == id }
	var list *[]map[string]any
	var lookup map[string]map[string]any
	switch collection {
	case "customers":
		list = &s.data.Customers
	case "subscriptions":
		list = &s.data.Subscriptions
	case "invoices":
		list = &s.data.Invoices
	case "events":
		list = &s.data.Events
	case "prices":
		lookup = s.data.Prices
	case "products":
		lookup = s.data.Products
	case "coupons":
		lookup = s.data.Coupons
	}
	if list != nil {
		n := len(*list)
		*list = slices.DeleteFunc(*list, byID)
		return len(*list) < n
	}
	_, ok := lookup[id]
	delete(lookup, id)
	return ok
}

// Calls lists the requests served so far, as path?query.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func stripeError(w http.ResponseWriter, status int, typ, code, msg, param string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"type": typ, "code": code, "message": msg, "param": param}}) // the client went away
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.URL.Path+"?"+r.URL.RawQuery)
	w.Header().Set("Request-Id", fmt.Sprintf("req_%d", len(s.calls)))
	if r.Header.Get("Authorization") != "Bearer "+s.Key {
		writeRaw(w, http.StatusUnauthorized, s.refused)
		return
	}
	if v := r.Header.Get("Stripe-Version"); v != APIVersion {
		// Stripe would answer in the account's default version, whose
		// shapes may not be the ones the client reads: it must pin them.
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "", fmt.Sprintf("the test server answers Stripe-Version %s only, not %q", APIVersion, v), "")
		return
	}
	q := r.URL.Query()
	if l := q.Get("limit"); l != "" && l != "100" {
		stripeError(w, http.StatusBadRequest, "invalid_request_error", "parameter_invalid_integer", "unexpected limit", "limit")
		return
	}
	expand := q["expand[]"]
	p := strings.TrimPrefix(r.URL.Path, "/v1/")
	parts := strings.Split(p, "/")
	switch {
	case p == "balance":
		s.json(w, map[string]any{"object": "balance", "available": []any{map[string]any{"amount": 0, "currency": "usd"}}, "livemode": false})
	case p == "customers":
		if s.throttle > 0 {
			s.throttle--
			w.Header().Set("Retry-After", "3")
			w.Header().Set("Stripe-Should-Retry", "true")
			writeRaw(w, http.StatusTooManyRequests, s.throttled)
			return
		}
		s.list(w, r, s.data.Customers)
	case p == "subscriptions":
		if q.Get("status") != "all" {
			stripeError(w, http.StatusBadRequest, "invalid_request_error", "", "the test server expects status=all", "status")
			return
		}
		var subs []map[string]any
		for _, sub := range s.data.Subscriptions {
			subs = append(subs, s.expandSub(sub, slices.Contains(expand, "data.customer")))
		}
		s.list(w, r, subs)
	case p == "invoices":
		var out []map[string]any
		for _, inv := range s.data.Invoices {
			sub := inv["parent"].(map[string]any)["subscription_details"].(map[string]any)["subscription"]
			if sub == q.Get("subscription") && (q.Get("status") == "" || inv["status"] == q.Get("status")) {
				out = append(out, embedOneLine(inv))
			}
		}
		s.list(w, r, out)
	case len(parts) == 3 && parts[0] == "invoices" && parts[2] == "lines":
		for _, inv := range s.data.Invoices {
			if inv["id"] == parts[1] {
				var lines []map[string]any
				for _, l := range inv["lines"].(map[string]any)["data"].([]any) {
					lines = append(lines, l.(map[string]any))
				}
				s.list(w, r, lines)
				return
			}
		}
		stripeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", "No such invoice: '"+parts[1]+"'", "id")
	case p == "events":
		s.list(w, r, s.events(q["types[]"]))
	case len(parts) == 2:
		s.retrieve(w, parts[0], parts[1], slices.Contains(expand, "customer"))
	default:
		stripeError(w, http.StatusNotFound, "invalid_request_error", "", "Unrecognized request URL (GET: "+r.URL.Path+").", "")
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

func (s *Server) expandSub(sub map[string]any, customer bool) map[string]any {
	if !customer {
		return sub
	}
	out := map[string]any{}
	for k, v := range sub {
		out[k] = v
	}
	for _, c := range s.data.Customers {
		if c["id"] == sub["customer"] {
			out["customer"] = c
		}
	}
	return out
}

func (s *Server) events(types []string) []map[string]any {
	var out []map[string]any
	for _, e := range s.data.Events {
		if len(types) == 0 || slices.Contains(types, e["type"].(string)) {
			out = append(out, e)
		}
	}
	return out
}

func (s *Server) retrieve(w http.ResponseWriter, kind, id string, expandCustomer bool) {
	var found map[string]any
	switch kind {
	case "customers":
		for _, c := range s.data.Customers {
			if c["id"] == id {
				found = c
			}
		}
		if found == nil && id == "cus_Z" {
			// Deleted: Stripe still answers for it.
			found = map[string]any{"id": id, "object": "customer", "deleted": true}
		}
	case "subscriptions":
		for _, sub := range s.data.Subscriptions {
			if sub["id"] == id {
				found = s.expandSub(sub, expandCustomer)
			}
		}
	case "prices":
		found = s.data.Prices[id]
	case "products":
		found = s.data.Products[id]
	case "coupons":
		found = s.data.Coupons[id]
	}
	if found == nil {
		stripeError(w, http.StatusNotFound, "invalid_request_error", "resource_missing", fmt.Sprintf("No such %s: '%s'", strings.TrimSuffix(kind, "s"), id), "id")
		return
	}
	s.json(w, found)
}

// list answers a list request: objects in the order Stripe lists them
// (newest first), a page after starting_after or the page just before
// ending_before, has_more saying whether more lie that way.
func (s *Server) list(w http.ResponseWriter, r *http.Request, all []map[string]any) {
	q := r.URL.Query()
	index := func(id string) int {
		return slices.IndexFunc(all, func(o map[string]any) bool { return o["id"] == id })
	}
	var from, to int
	var more bool
	switch after, before := q.Get("starting_after"), q.Get("ending_before"); {
	case after != "":
		i := index(after)
		if i < 0 {
			stripeError(w, http.StatusBadRequest, "invalid_request_error", "resource_missing", "No such object: '"+after+"'", "starting_after")
			return
		}
		from, to = i+1, min(i+1+s.PageSize, len(all))
		more = to < len(all)
	case before != "":
		i := index(before)
		if i < 0 {
			// An ending_before object the filter leaves out still marks a
			// place in time: the events newer than it.
			i = s.position(before, all)
		}
		from, to = max(0, i-s.PageSize), i
		more = from > 0
	default:
		from, to = 0, min(s.PageSize, len(all))
		more = to < len(all)
	}
	data := all[from:to]
	if data == nil {
		data = []map[string]any{}
	}
	s.json(w, map[string]any{"object": "list", "url": r.URL.Path, "has_more": more, "data": data})
}

// position is where an event the type filter dropped would sit in the
// filtered list: before every event listed after it.
func (s *Server) position(id string, filtered []map[string]any) int {
	var at int
	for i, e := range s.data.Events {
		if e["id"] == id {
			at = i
		}
	}
	n := 0
	for _, e := range filtered {
		for i, x := range s.data.Events {
			if x["id"] == e["id"] && i < at {
				n++
			}
		}
	}
	return n
}

func (s *Server) json(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v) // the client went away
}
