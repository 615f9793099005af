// Package zendesktest is a local stand-in for the Zendesk Support API, for
// testing the zendesk connector and running the conformance suite against
// it. It serves a data set of vendor objects (JSON files, one list per
// collection) through the endpoints the connector reads, in the envelopes,
// paging tokens, headers and error bodies the API documents: the
// time-based organization export, the cursor-based user and ticket exports
// with their sideloads, Show Multiple Tickets, List Satisfaction Ratings
// under cursor pagination and Show Self.
//
// The zendesk connector's testdata holds a data set whose customers also
// appear in the other tools' test data: Northwind Traders (organization
// 360001, domain northwind.example, organization field salesforce_id
// 0015g00000NwTrdAAA) with its end-user ana@northwind.example and a
// ticket of hers.
package zendesktest

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
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

// Collections are the data set's files, without their .json extension.
var Collections = []string{"organizations", "users", "tickets", "ticket_metrics", "satisfaction_ratings"}

// Server is a running stand-in. Set its exported fields before the
// requests they should shape.
type Server struct {
	// URL is the base URL to configure as the connector's base_url.
	URL string
	// Email and Token are the credentials it accepts, as Basic auth
	// {email}/token:{token}.
	Email, Token string
	// PageSize caps every page; small values make a small data set span
	// several pages.
	PageSize int
	// AnonymousMe makes Show Self answer unknown credentials with the
	// anonymous user, as Zendesk does for requests it treats as
	// anonymous, instead of 401.
	AnonymousMe bool

	srv *httptest.Server

	mu   sync.Mutex
	data map[string][]item
	// remaining is sent as X-Rate-Limit-Remaining, reset as
	// ratelimit-reset.
	remaining, reset int
	// refuse is the number of the request (from 1) answered 429 with
	// Retry-After retryAfter.
	refuse     int
	retryAfter string
	requests   []string
}

// item is one vendor object with its id and the time it is listed by
// (updated_at, or created_at for satisfaction ratings).
type item struct {
	id  int64
	at  int64
	raw map[string]any
}

// New serves the data set in dir, which holds a JSON list per collection.
// Close the server when done.
func New(dir, email, token string) (*Server, error) {
	s := &Server{Email: email, Token: token, PageSize: 1000, data: map[string][]item{}, remaining: 699, reset: 60}
	for _, c := range Collections {
		b, err := os.ReadFile(filepath.Join(dir, c+".json"))
		if err != nil {
			return nil, fmt.Errorf("zendesktest: %w", err)
		}
		var objs []json.RawMessage
		if err := json.Unmarshal(b, &objs); err != nil {
			return nil, fmt.Errorf("zendesktest: %s.json: %w", c, err)
		}
		for _, o := range objs {
			if err := s.Put(c, o); err != nil {
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

// Put adds an object to a collection, replacing the one with its id.
func (s *Server) Put(collection string, obj json.RawMessage) error {
	var raw map[string]any
	if err := json.Unmarshal(obj, &raw); err != nil {
		return fmt.Errorf("zendesktest: %s: %w", collection, err)
	}
	key := "id"
	if collection == "ticket_metrics" {
		key = "ticket_id"
	}
	idv, ok := raw[key].(float64)
	if !ok {
		return fmt.Errorf("zendesktest: %s: an object without a numeric %s", collection, key)
	}
	field := "updated_at"
	if collection == "satisfaction_ratings" {
		field = "created_at"
	}
	var at int64
	if v, ok := raw[field].(string); ok {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("zendesktest: %s %d: %s: %w", collection, int64(idv), field, err)
		}
		at = t.Unix()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it := item{id: int64(idv), at: at, raw: raw}
	list := slices.DeleteFunc(s.data[collection], func(x item) bool { return x.id == it.id })
	list = append(list, it)
	slices.SortFunc(list, func(a, b item) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.id, b.id)) })
	s.data[collection] = list
	return nil
}

// Quota sets the X-Rate-Limit-Remaining and ratelimit-reset headers of the
// answers to come.
func (s *Server) Quota(remaining, resetSeconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining, s.reset = remaining, resetSeconds
}

// Refuse answers request number n (counting every request from the
// server's start, from 1) with 429 Too Many Requests and retryAfter as its
// Retry-After.
func (s *Server) Refuse(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse, s.retryAfter = n, retryAfter
}

// Requests lists the requests served so far, as path?query.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r.URL.RequestURI())
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Rate-Limit", "700")
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(s.remaining))
	h.Set("Ratelimit-Limit", "700")
	h.Set("Ratelimit-Remaining", strconv.Itoa(s.remaining))
	h.Set("Ratelimit-Reset", strconv.Itoa(s.reset))
	if len(s.requests) == s.refuse {
		h.Set("Retry-After", s.retryAfter)
		reply(w, http.StatusTooManyRequests, map[string]any{"error": "APIRateLimitExceeded", "description": "Number of allowed API requests per minute exceeded"})
		return
	}
	path := strings.TrimSuffix(r.URL.Path, ".json")
	user, pass, _ := r.BasicAuth()
	if user != s.Email+"/token" || pass != s.Token {
		if path == "/api/v2/users/me" && s.AnonymousMe {
			reply(w, http.StatusOK, map[string]any{"user": map[string]any{"id": nil, "url": nil, "name": "Anonymous user", "email": "invalid@example.com", "role": "end-user", "active": true}})
			return
		}
		h.Set("WWW-Authenticate", `Basic realm="Web Password"`)
		reply(w, http.StatusUnauthorized, map[string]any{"error": "Couldn't authenticate you"})
		return
	}
	q := r.URL.Query()
	switch path {
	case "/api/v2/users/me":
		s.me(w)
	case "/api/v2/incremental/organizations":
		s.timeExport(w, r, q)
	case "/api/v2/incremental/users/cursor":
		s.cursorExport(w, r, q, "users")
	case "/api/v2/incremental/tickets/cursor":
		s.cursorExport(w, r, q, "tickets")
	case "/api/v2/tickets/show_many":
		s.showTickets(w, q)
	case "/api/v2/satisfaction_ratings":
		s.ratings(w, r, q)
	default:
		reply(w, http.StatusNotFound, map[string]any{"error": "InvalidEndpoint", "description": "Not found"})
	}
}

func reply(w http.ResponseWriter, status int, body any) {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client went away
}

func invalid(w http.ResponseWriter, desc string) {
	reply(w, http.StatusBadRequest, map[string]any{"error": "InvalidPaginationParameter", "description": desc})
}

func (s *Server) me(w http.ResponseWriter) {
	for _, u := range s.data["users"] {
		if u.raw["email"] == s.Email {
			reply(w, http.StatusOK, map[string]any{"user": u.raw})
			return
		}
	}
	reply(w, http.StatusOK, map[string]any{"user": map[string]any{"id": nil, "name": "Anonymous user", "role": "end-user"}})
}

// pageSize is the page size asked, within the server's cap.
func (s *Server) pageSize(asked string, def int) int {
	n := def
	if v, err := strconv.Atoi(asked); err == nil && v > 0 {
		n = v
	}
	return min(n, s.PageSize)
}

func (s *Server) abs(r *http.Request, path string, q map[string]string) string {
	v := make([]string, 0, len(q))
	for _, k := range slices.Sorted(maps.Keys(q)) {
		v = append(v, k+"="+q[k])
	}
	return "http://" + r.Host + path + "?" + strings.Join(v, "&")
}

// timeExport answers the time-based organization export: the objects
// updated at or after start_time, oldest first; end_time is the newest
// time in the page and next_page asks from it again.
func (s *Server) timeExport(w http.ResponseWriter, r *http.Request, q map[string][]string) {
	start, err := strconv.ParseInt(first(q, "start_time"), 10, 64)
	if err != nil {
		invalid(w, "start_time is required and must be a Unix time")
		return
	}
	size := s.pageSize(first(q, "per_page"), 1000)
	var page []map[string]any
	end := start
	for _, it := range s.data["organizations"] {
		if it.at >= start && len(page) < size {
			page = append(page, it.raw)
			end = it.at
		}
	}
	if page == nil {
		page = []map[string]any{}
	}
	reply(w, http.StatusOK, map[string]any{
		"organizations": page,
		"count":         len(page),
		"end_time":      end,
		"end_of_stream": len(page) < size,
		"next_page":     s.abs(r, "/api/v2/incremental/organizations.json", map[string]string{"start_time": strconv.FormatInt(end, 10)}),
	})
}

// position is a place in a listing ordered by (time, id): everything after
// it comes next. Cursors encode it.
type position struct{ at, id int64 }

func (p position) after(it item) bool { return it.at > p.at || (it.at == p.at && it.id > p.id) }

func encode(p position) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d.0||%d|", p.at, p.id))
}

func decode(c string) (position, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return position{}, false
	}
	var p position
	if _, err := fmt.Sscanf(string(b), "%d.0||%d|", &p.at, &p.id); err != nil {
		return position{}, false
	}
	return p, true
}

func first(q map[string][]string, k string) string {
	if v := q[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// cursorExport answers a cursor-based export of users or tickets, from
// start_time or from a cursor, with the sideloads include asks for.
func (s *Server) cursorExport(w http.ResponseWriter, r *http.Request, q map[string][]string, coll string) {
	var from position
	if c := first(q, "cursor"); c != "" {
		p, ok := decode(c)
		if !ok {
			invalid(w, "cursor is not valid")
			return
		}
		from = p
	} else {
		start, err := strconv.ParseInt(first(q, "start_time"), 10, 64)
		if err != nil {
			invalid(w, "start_time is required and must be a Unix time")
			return
		}
		from = position{at: start, id: -1}
	}
	size := s.pageSize(first(q, "per_page"), 1000)
	page := []map[string]any{}
	last, more := from, false
	for _, it := range s.data[coll] {
		if !from.after(it) {
			continue
		}
		if len(page) == size {
			more = true
			break
		}
		page = append(page, it.raw)
		last = position{it.at, it.id}
	}
	after := encode(last)
	body := map[string]any{
		coll:            page,
		"after_cursor":  after,
		"after_url":     s.abs(r, r.URL.Path, map[string]string{"cursor": after}),
		"before_cursor": nil,
		"before_url":    nil,
		"end_of_stream": !more,
	}
	s.sideload(body, page, first(q, "include"))
	reply(w, http.StatusOK, body)
}

// sideload adds the metric sets and users of tickets that include names.
func (s *Server) sideload(body map[string]any, tickets []map[string]any, include string) {
	for _, inc := range strings.Split(include, ",") {
		switch inc {
		case "metric_sets":
			sets := []map[string]any{}
			for _, t := range tickets {
				for _, m := range s.data["ticket_metrics"] {
					if float64(m.id) == t["id"] {
						sets = append(sets, m.raw)
					}
				}
			}
			body["metric_sets"] = sets
		case "users":
			users := []map[string]any{}
			for _, u := range s.data["users"] {
				for _, t := range tickets {
					if t["requester_id"] == float64(u.id) || t["submitter_id"] == float64(u.id) || t["assignee_id"] == float64(u.id) {
						users = append(users, u.raw)
						break
					}
				}
			}
			body["users"] = users
		}
	}
}

// showTickets answers Show Multiple Tickets: deleted tickets are not found.
func (s *Server) showTickets(w http.ResponseWriter, q map[string][]string) {
	tickets := []map[string]any{}
	for _, v := range strings.Split(first(q, "ids"), ",") {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			invalid(w, "ids must be a comma-separated list of ticket ids")
			return
		}
		for _, t := range s.data["tickets"] {
			if t.id == n && t.raw["status"] != "deleted" {
				tickets = append(tickets, t.raw)
			}
		}
	}
	body := map[string]any{"tickets": tickets, "next_page": nil, "previous_page": nil, "count": len(tickets)}
	s.sideload(body, tickets, first(q, "include"))
	reply(w, http.StatusOK, body)
}

// ratings answers List Satisfaction Ratings under cursor pagination,
// filtered by score and start_time (created at or after), oldest first.
func (s *Server) ratings(w http.ResponseWriter, r *http.Request, q map[string][]string) {
	start := int64(0)
	if v := first(q, "start_time"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			invalid(w, "start_time must be a Unix time")
			return
		}
		start = n
	}
	from := position{at: start, id: -1}
	if c := first(q, "page[after]"); c != "" {
		p, ok := decode(c)
		if !ok {
			invalid(w, "page[after] is not a valid cursor")
			return
		}
		from = p
	}
	score := first(q, "score")
	size := s.pageSize(first(q, "page[size]"), 100)
	page := []map[string]any{}
	last, more := from, false
	for _, it := range s.data["satisfaction_ratings"] {
		sc, _ := it.raw["score"].(string)
		received := sc == "good" || sc == "bad"
		if it.at < start || !from.after(it) || (score == "received" && !received) || (score != "" && score != "received" && score != sc) {
			continue
		}
		if len(page) == size {
			more = true
			break
		}
		page = append(page, it.raw)
		last = position{it.at, it.id}
	}
	meta := map[string]any{"has_more": more, "after_cursor": nil, "before_cursor": nil}
	links := map[string]any{"next": nil, "prev": nil}
	if len(page) > 0 {
		meta["after_cursor"] = encode(last)
		if more {
			links["next"] = s.abs(r, r.URL.Path, map[string]string{"page[after]": encode(last), "page[size]": strconv.Itoa(size)})
		}
	}
	reply(w, http.StatusOK, map[string]any{"satisfaction_ratings": page, "meta": meta, "links": links})
}
