// Package hubspottest is a local stand-in for HubSpot's CRM API, for
// testing the hubspot connector and running the conformance suite against
// it. It serves a portal (JSON files in a folder) through the endpoints
// the connector reads, with the status codes, headers, paging tokens and
// error bodies HubSpot documents:
//
//   - GET /account-info/v3/details
//   - GET /crm/v3/owners (limit ≤ 500, after, archived)
//   - GET /crm/v3/properties/{objectType}
//   - GET /crm/v3/pipelines/{objectType}
//   - GET /crm/v3/objects/{objectType} (limit ≤ 100, after, archived,
//     properties)
//   - POST /crm/v3/objects/{objectType}/search: filterGroups (ORed groups
//     of ANDed filters, every documented operator), one sort, properties,
//     limit ≤ 200 and an offset `after` refused from SearchCeiling on, as
//     HubSpot refuses past 10,000 results. Ties of the sort come in
//     descending id order: HubSpot documents none, and a client that
//     relies on one should notice.
//   - POST /crm/v3/objects/{objectType}/batch/read (≤ 100 inputs; 207
//     Multi-Status for ids not found)
//   - POST /crm/v4/associations/{from}/{to}/batch/read (≤ 1,000 inputs;
//     per-id paging; 207 Multi-Status for ids with no association)
//
// Object types go by name (companies, contacts, deals, tickets, emails,
// calls, meetings, notes, feedback_submissions) or by type id (0-2, 0-1,
// 0-3…). Requests need the Bearer token the server was made with, else
// 401; a scope taken away with Revoke makes the requests that need it 403
// MISSING_SCOPES. Every authenticated answer but a search's carries the
// X-HubSpot-RateLimit-* headers; Refuse, DailyLimit and Window shape them
// and answer 429 with HubSpot's policyName.
//
// # The default portal
//
// testdata (the hubspot connector's) holds a portal whose customers also
// appear in the other tools' test data: Northwind Traders (company 101,
// domain northwind.example, contacts ana@northwind.example and
// ben@northwind.example) carries salesforceaccountid 0015g00000NwTrdAAA,
// stripe_customer_id cus_NorthwindTr01 and zendesk_organization_id 360001
// for the connectors' default link properties. Contoso, Fabrikam,
// Tailspin Toys, Woodgrove Bank and an unnamed adatum.example are the
// other companies; there are owners in three teams and a queue, deals in
// two pipelines, emails, calls, meetings, notes, tickets and NPS, CSAT and
// CES submissions, and archived records of most types.
package hubspottest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ObjectTypes are the object types of a portal, each a file NAME.json in
// its folder holding a list of records as the API returns them
// (SimplePublicObject).
var ObjectTypes = []string{"companies", "contacts", "deals", "tickets", "emails", "calls", "meetings", "notes", "feedback_submissions"}

// typeIDs are the object type ids HubSpot takes in place of names, and
// the singular names the associations API takes.
var typeIDs = map[string]string{
	"0-2": "companies", "0-1": "contacts", "0-3": "deals", "0-5": "tickets", "0-49": "emails",
	"0-48": "calls", "0-47": "meetings", "0-46": "notes", "0-19": "feedback_submissions",
	"company": "companies", "contact": "contacts", "deal": "deals", "ticket": "tickets", "email": "emails",
	"call": "calls", "meeting": "meetings", "note": "notes", "feedback_submission": "feedback_submissions",
}

// scopes are the scopes reading each object type takes.
var scopes = map[string]string{
	"companies": "crm.objects.companies.read", "contacts": "crm.objects.contacts.read", "deals": "crm.objects.deals.read",
	"tickets": "tickets", "emails": "sales-email-read", "calls": "crm.objects.contacts.read", "meetings": "crm.objects.contacts.read",
	"notes": "crm.objects.contacts.read", "feedback_submissions": "crm.objects.feedback_submissions.read", "owners": "crm.objects.owners.read",
}

// Server is a running stand-in. Set its exported fields before the
// requests they should shape.
type Server struct {
	// URL is the base URL to configure as the connector's base_url.
	URL string
	// Token is the access token it accepts.
	Token string
	// PageSize caps every page below what a request asks; small values
	// make a small portal span several pages.
	PageSize int
	// SearchCeiling is the first search offset refused; HubSpot's is
	// 10,000.
	SearchCeiling int
	// AssociationPageSize caps the associations listed per record in a
	// batch read (HubSpot's 500).
	AssociationPageSize int

	srv *httptest.Server

	mu        sync.Mutex
	objects   map[string]map[string]*object
	props     map[string][]map[string]any
	owners    []map[string]any
	edges     []edge
	pipelines map[string]json.RawMessage
	account   json.RawMessage
	revoked   map[string]bool
	// requests counts every request served; refused holds the numbers
	// of those to answer 429, with their policy and Retry-After.
	requests   []Request
	refused    map[int]refusal
	dailyLimit int
	window     int
}

// Request is a request served.
type Request struct {
	Method, Path string
	Query        string
	Body         string
}

type refusal struct{ policy, retryAfter string }

// object is one record and when it was archived, if it was.
type object struct {
	id         string
	props      map[string]*string
	createdAt  string
	updatedAt  string
	archivedAt string
}

// edge is an association as the portal's associations.json lists it.
type edge struct {
	From    string `json:"from"`
	FromID  string `json:"fromId"`
	To      string `json:"to"`
	ToID    string `json:"toId"`
	Primary bool   `json:"primary"`
}

// New serves the portal in dir: account.json, owners.json,
// properties.json (property definitions by object type), pipelines.json
// (each object type's GET pipelines answer), associations.json and a file
// per object type. Close the server when done.
func New(dir, token string) (*Server, error) {
	s := &Server{Token: token, PageSize: 1000, SearchCeiling: 10000, AssociationPageSize: 500,
		objects: map[string]map[string]*object{}, revoked: map[string]bool{}, refused: map[int]refusal{}, window: 189}
	read := func(name string, v any) error {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("hubspottest: %w", err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("hubspottest: %s: %w", name, err)
		}
		return nil
	}
	if err := read("account.json", &s.account); err != nil {
		return nil, err
	}
	if err := read("owners.json", &s.owners); err != nil {
		return nil, err
	}
	if err := read("properties.json", &s.props); err != nil {
		return nil, err
	}
	if err := read("pipelines.json", &s.pipelines); err != nil {
		return nil, err
	}
	if err := read("associations.json", &s.edges); err != nil {
		return nil, err
	}
	for _, t := range ObjectTypes {
		var list []json.RawMessage
		if err := read(t+".json", &list); err != nil {
			return nil, err
		}
		for _, raw := range list {
			if err := s.Put(t, raw); err != nil {
				return nil, err
			}
		}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Put adds a record of an object type (a SimplePublicObject) or replaces
// the one with its id. A record with archivedAt is archived. Its
// hs_object_id is its id, and its updatedAt, when it gives none, its
// last-modified property.
func (s *Server) Put(objectType string, raw json.RawMessage) error {
	var in struct {
		ID         string             `json:"id"`
		Properties map[string]*string `json:"properties"`
		CreatedAt  string             `json:"createdAt"`
		UpdatedAt  string             `json:"updatedAt"`
		ArchivedAt string             `json:"archivedAt"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return fmt.Errorf("hubspottest: %s: %w", objectType, err)
	}
	t := canonical(objectType)
	if _, err := strconv.ParseInt(in.ID, 10, 64); err != nil || !slices.Contains(ObjectTypes, t) {
		return fmt.Errorf("hubspottest: %s: a record needs a numeric string id, got %q", objectType, in.ID)
	}
	if in.Properties == nil {
		in.Properties = map[string]*string{}
	}
	id := in.ID
	in.Properties["hs_object_id"] = &id
	if in.UpdatedAt == "" {
		if v := in.Properties[modifiedProperty(t)]; v != nil {
			in.UpdatedAt = *v
		}
	}
	if in.CreatedAt == "" {
		in.CreatedAt = in.UpdatedAt
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.objects[t] == nil {
		s.objects[t] = map[string]*object{}
	}
	s.objects[t][in.ID] = &object{id: in.ID, props: in.Properties, createdAt: in.CreatedAt, updatedAt: in.UpdatedAt, archivedAt: in.ArchivedAt}
	return nil
}

// Archive archives a record at the given time, as deleting it in HubSpot
// does: it leaves search and the live listing for the archived one.
func (s *Server) Archive(objectType, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.objects[canonical(objectType)][id]
	if o == nil {
		return fmt.Errorf("hubspottest: no %s %s", objectType, id)
	}
	o.archivedAt = at.UTC().Format("2006-01-02T15:04:05.000Z")
	return nil
}

// Associate associates two records, primary marking the association
// HubSpot labels Primary (a deal's or ticket's main company).
func (s *Server) Associate(from, fromID, to, toID string, primary bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.edges = append(s.edges, edge{From: canonical(from), FromID: fromID, To: canonical(to), ToID: toID, Primary: primary})
}

// Revoke takes a scope away from the token: requests that need it are
// refused with 403 MISSING_SCOPES.
func (s *Server) Revoke(scope string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked[scope] = true
}

// Refuse answers request number n (counting every request from the
// server's start, from 1) with 429 Too Many Requests under policy
// (TEN_SECONDLY_ROLLING, SECONDLY or DAILY) and retryAfter, when not
// empty, as its Retry-After.
func (s *Server) Refuse(n int, policy, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused[n] = refusal{policy, retryAfter}
}

// DailyLimit gives the portal n requests for the rest of the day:
// X-HubSpot-RateLimit-Daily-Remaining counts down to zero, and every
// request after the nth is answered 429 under the DAILY policy.
func (s *Server) DailyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dailyLimit = n
}

// Window sets the X-HubSpot-RateLimit-Remaining of the answers to come:
// the requests left in the rolling ten-second window.
func (s *Server) Window(remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.window = remaining
}

// Requests lists the requests served so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// canonical is an object type's name, given its name or type id.
func canonical(t string) string {
	if n, ok := typeIDs[strings.ToLower(t)]; ok {
		return n
	}
	return strings.ToLower(t)
}

// modifiedProperty is the last-modified property of an object type.
func modifiedProperty(t string) string {
	if t == "contacts" {
		return "lastmodifieddate"
	}
	return "hs_lastmodifieddate"
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(body)})
	n := len(s.requests)
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=utf-8")
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		s.fail(w, http.StatusUnauthorized, "INVALID_AUTHENTICATION",
			"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview", nil)
		return
	}
	search := strings.HasSuffix(r.URL.Path, "/search")
	if !search {
		// The search endpoints have their own limit and send none of
		// these headers.
		daily := 500000
		left := daily - n
		if s.dailyLimit > 0 {
			daily, left = s.dailyLimit, max(s.dailyLimit-n, 0)
		}
		h.Set("X-HubSpot-RateLimit-Daily", strconv.Itoa(daily))
		h.Set("X-HubSpot-RateLimit-Daily-Remaining", strconv.Itoa(left))
		h.Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
		h.Set("X-HubSpot-RateLimit-Max", "190")
		h.Set("X-HubSpot-RateLimit-Remaining", strconv.Itoa(s.window))
	}
	if s.dailyLimit > 0 && n > s.dailyLimit {
		s.limited(w, n, "DAILY", "")
		return
	}
	if x, ok := s.refused[n]; ok {
		s.limited(w, n, x.policy, x.retryAfter)
		return
	}
	s.route(w, r, body)
}

// limited answers 429 as HubSpot's rate limiter does.
func (s *Server) limited(w http.ResponseWriter, n int, policy, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	msg := "You have reached your " + strings.ToLower(policy) + " limit."
	reply(w, http.StatusTooManyRequests, map[string]any{
		"status": "error", "message": msg, "errorType": "RATE_LIMIT", "correlationId": correlationID(n),
		"policyName": policy, "requestId": correlationID(n + 1<<20),
	})
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	get, post := r.Method == http.MethodGet, r.Method == http.MethodPost
	switch {
	case get && r.URL.Path == "/account-info/v3/details":
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(s.account) // the client went away
	case get && r.URL.Path == "/crm/v3/owners":
		if s.allowed(w, "owners") {
			s.listOwners(w, q)
		}
	case get && len(parts) == 4 && parts[0] == "crm" && parts[1] == "v3" && parts[2] == "properties":
		if t, ok := s.objectType(w, parts[3]); ok && s.allowed(w, t) {
			reply(w, http.StatusOK, map[string]any{"results": s.props[t]})
		}
	case get && len(parts) == 4 && parts[0] == "crm" && parts[1] == "v3" && parts[2] == "pipelines":
		if t, ok := s.objectType(w, parts[3]); ok && s.allowed(w, t) {
			p, found := s.pipelines[t]
			if !found {
				p = json.RawMessage(`{"results":[]}`)
			}
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(p) // the client went away
		}
	case len(parts) >= 4 && parts[0] == "crm" && parts[1] == "v3" && parts[2] == "objects":
		t, ok := s.objectType(w, parts[3])
		if !ok || !s.allowed(w, t) {
			return
		}
		switch {
		case get && len(parts) == 4:
			s.list(w, t, q)
		case post && len(parts) == 5 && parts[4] == "search":
			s.search(w, t, body)
		case post && len(parts) == 6 && parts[4] == "batch" && parts[5] == "read":
			s.batchRead(w, t, q, body)
		default:
			notFound(w)
		}
	case post && len(parts) == 7 && parts[0] == "crm" && parts[1] == "v4" && parts[2] == "associations" && parts[5] == "batch" && parts[6] == "read":
		from, ok1 := s.objectType(w, parts[3])
		if !ok1 {
			return
		}
		to, ok2 := s.objectType(w, parts[4])
		if ok2 && s.allowed(w, from) && s.allowed(w, to) {
			s.associations(w, from, to, body)
		}
	default:
		notFound(w)
	}
}

// objectType reads an object type of a path, answering 400 as HubSpot
// does for one it does not know.
func (s *Server) objectType(w http.ResponseWriter, v string) (string, bool) {
	t := canonical(v)
	if !slices.Contains(ObjectTypes, t) {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", fmt.Sprintf("Unable to infer object type from: %s", v), nil)
		return "", false
	}
	return t, true
}

// allowed answers 403 MISSING_SCOPES when the token lacks the scope what
// needs.
func (s *Server) allowed(w http.ResponseWriter, what string) bool {
	scope := scopes[what]
	if !s.revoked[scope] {
		return true
	}
	s.fail(w, http.StatusForbidden, "MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
		map[string]any{"errors": []any{map[string]any{
			"message": "One or more of the following scopes are required.",
			"context": map[string]any{"requiredGranularScopes": []string{scope}},
		}}, "links": map[string]any{"scopes": "https://developers.hubspot.com/scopes"}})
	return false
}

// notFound answers a path HubSpot does not serve: an empty 404.
func notFound(w http.ResponseWriter) { w.WriteHeader(http.StatusNotFound) }

// fail answers an error in HubSpot's error body.
func (s *Server) fail(w http.ResponseWriter, status int, category, message string, extra map[string]any) {
	body := map[string]any{"status": "error", "message": message, "correlationId": correlationID(len(s.requests)), "category": category}
	maps.Copy(body, extra)
	reply(w, status, body)
}

func correlationID(n int) string {
	return fmt.Sprintf("aeb5f871-7f07-4993-9211-%012x", n)
}

func reply(w http.ResponseWriter, status int, body any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client went away
}

// pageSize is the page size a request asked (def when it did not), or
// an error message when it asked more than max.
func (s *Server) pageSize(asked string, def, limit int) (int, string) {
	n := def
	if asked != "" {
		v, err := strconv.Atoi(asked)
		if err != nil || v < 1 {
			return 0, fmt.Sprintf("limit must be a positive integer, got %q", asked)
		}
		n = v
	}
	if n > limit {
		return 0, fmt.Sprintf("limit must be at most %d, got %d", limit, n)
	}
	return min(n, s.PageSize), ""
}

// token is the opaque paging token of a list position, as HubSpot's list
// endpoints give them (base64 of the next id and a newline).
func token(id string) string { return base64.StdEncoding.EncodeToString([]byte(id + "\n")) }

func untoken(after string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(after)
	if err != nil || !strings.HasSuffix(string(b), "\n") {
		return "", false
	}
	return strings.TrimSuffix(string(b), "\n"), true
}

// compareIDs orders numeric string ids as numbers.
func compareIDs(a, b string) int { return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b)) }

// listOwners answers GET /crm/v3/owners, live or archived owners in id
// order.
func (s *Server) listOwners(w http.ResponseWriter, q map[string][]string) {
	size, msg := s.pageSize(first(q, "limit"), 100, 500)
	if msg != "" {
		s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", msg, nil)
		return
	}
	archived := first(q, "archived") == "true"
	var from string
	if a := first(q, "after"); a != "" {
		id, ok := untoken(a)
		if !ok {
			s.fail(w, http.StatusBadRequest, "VALIDATION_ERROR", "after is not a valid paging token", nil)
			return
		}
		from = id
	}
	var match []map[string]any
	for _, o := range s.owners {
		id, _ := o["id"].(string)
		if isArchived, _ := o["archived"].(bool); isArchived != archived {
			continue
		}
		if email := first(q, "email"); email != "" && !strings.EqualFold(email, fmt.Sprint(o["email"])) {
			continue
		}
		if from == "" || compareIDs(id, from) >= 0 {
			match = append(match, o)
		}
	}
	slices.SortFunc(match, func(a, b map[string]any) int { return compareIDs(a["id"].(string), b["id"].(string)) })
	body := map[string]any{}
	if len(match) > size {
		next := token(match[size]["id"].(string))
		body["paging"] = map[string]any{"next": map[string]any{"after": next, "link": "?after=" + next}}
		match = match[:size]
	}
	body["results"] = nonNil(match)
	reply(w, http.StatusOK, body)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func first(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}
