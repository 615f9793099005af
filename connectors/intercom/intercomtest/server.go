// Package intercomtest is a local stand-in for the Intercom REST API 2.14,
// for testing the intercom connector and what is built on it. It serves a
// workspace (a file workspace.json in a folder: the token's admin and app,
// admins, teams, companies, contacts, conversations with their parts and
// the data attributes) as the API's OpenAPI description and reference
// pages say: bearer auth, the Intercom-Version header, the error list
// body, rate-limit headers, the companies scroll, and the contacts and
// conversations search with its day-truncated timestamp filters,
// updated_at sort and starting_after cursors.
//
// The intercom connector's testdata holds a workspace whose customers also
// appear in the other tools' test data: Northwind Traders (company
// 6762f0941bb69f9f2193bb06, website www.northwind.example) with its
// contact ana@northwind.example and a support conversation of hers.
package intercomtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// APIVersion is the only Intercom-Version the server answers.
const APIVersion = "2.14"

// workspace is the data set served.
type workspace struct {
	Me             map[string]any   `json:"me"`
	Admins         []map[string]any `json:"admins"`
	Teams          []map[string]any `json:"teams"`
	Companies      []map[string]any `json:"companies"`
	Contacts       []map[string]any `json:"contacts"`
	Conversations  []map[string]any `json:"conversations"`
	DataAttributes []map[string]any `json:"data_attributes"`
}

// Server is a running stand-in. Set its exported fields before the
// requests they should shape.
type Server struct {
	// URL is the base URL to configure as the connector's base_url.
	URL string
	// Token is the access token it accepts as a Bearer token.
	Token string
	// PageSize caps every page, whatever per_page asks; small values make
	// the workspace span several pages.
	PageSize int

	srv  *httptest.Server
	data workspace
	tz   *time.Location

	mu sync.Mutex
	// calls lists the requests, as "METHOD path".
	calls []string
	// bodies are the search request bodies, in order.
	bodies []map[string]any
	// refuse is the number of the request (from 1) answered 429; bare
	// makes that answer carry only Retry-After.
	refuse int
	bare   bool
	// remaining is X-RateLimit-Remaining of the next answer.
	remaining int
	scrolls   map[string]int
}

// New serves the workspace in dir/workspace.json to the access token
// token. Close the server when done.
func New(dir, token string) (*Server, error) {
	b, err := os.ReadFile(filepath.Join(dir, "workspace.json"))
	if err != nil {
		return nil, fmt.Errorf("intercomtest: %w", err)
	}
	s := &Server{Token: token, PageSize: 150, remaining: 1000, scrolls: map[string]int{}}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("intercomtest: workspace.json: %w", err)
	}
	app, _ := s.data.Me["app"].(map[string]any)
	zone, _ := app["timezone"].(string)
	if s.tz, err = time.LoadLocation(zone); err != nil {
		return nil, fmt.Errorf("intercomtest: workspace.json: the app's time zone: %w", err)
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Refuse answers request number n (counting every request from the
// server's start, from 1) with 429 Too Many Requests: with the rate-limit
// headers of a window that resets ten seconds on, or, bare, with only
// Retry-After: 3, as a proxy in front of Intercom might.
func (s *Server) Refuse(n int, bare bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse, s.bare = n, bare
}

// Quota sets X-RateLimit-Remaining of the next answer; each answer after
// it counts one down, to zero.
func (s *Server) Quota(remaining int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining = remaining
}

// Calls lists the requests served so far, as "METHOD path".
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Searches lists the bodies of the search requests served so far.
func (s *Server) Searches() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.bodies)
}

// fail writes Intercom's error list.
func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "error.list", "request_id": "b68959ea-6328-4f70-83cb-e7913dba1542",
		"errors": []map[string]any{{"code": code, "message": message}}}) // the client went away
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		fail(w, http.StatusUnauthorized, "unauthorized", "Access Token Invalid")
		return
	}
	if v := r.Header.Get("Intercom-Version"); v != APIVersion {
		fail(w, http.StatusBadRequest, "intercom_version_invalid", fmt.Sprintf("Requested Intercom-Version %q is not supported", v))
		return
	}
	if len(s.calls) == s.refuse && s.bare {
		w.Header().Set("Retry-After", "3")
		fail(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit")
		return
	}
	reset := time.Now().Add(10 * time.Second).Unix()
	w.Header().Set("X-RateLimit-Limit", "1000")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if len(s.calls) == s.refuse {
		w.Header().Set("X-RateLimit-Remaining", "0")
		fail(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit of 1000 in 10_seconds")
		return
	}
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(s.remaining))
	if s.remaining > 0 {
		s.remaining--
	}
	w.Header().Set("Content-Type", "application/json")
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/me":
		s.write(w, s.data.Me)
	case r.Method == http.MethodGet && p == "/admins":
		s.write(w, map[string]any{"type": "admin.list", "admins": s.data.Admins})
	case r.Method == http.MethodGet && p == "/teams":
		s.write(w, map[string]any{"type": "team.list", "teams": s.data.Teams})
	case r.Method == http.MethodGet && p == "/data_attributes":
		var out []map[string]any
		for _, a := range s.data.DataAttributes {
			if m := r.URL.Query().Get("model"); m == "" || a["model"] == m {
				out = append(out, a)
			}
		}
		s.write(w, map[string]any{"type": "list", "data": out})
	case r.Method == http.MethodGet && p == "/companies/scroll":
		s.scroll(w, r.URL.Query().Get("scroll_param"))
	case r.Method == http.MethodPost && p == "/contacts/search":
		s.search(w, r, s.data.Contacts, "list", "data", true)
	case r.Method == http.MethodPost && p == "/conversations/search":
		var items []map[string]any
		for _, c := range s.data.Conversations {
			item := map[string]any{}
			for k, v := range c {
				if k != "conversation_parts" { // search lists conversations without parts
					item[k] = v
				}
			}
			items = append(items, item)
		}
		s.search(w, r, items, "conversation.list", "conversations", false)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/contacts/"):
		s.one(w, s.data.Contacts, strings.TrimPrefix(p, "/contacts/"), "not_found", "User Not Found")
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/conversations/"):
		s.one(w, s.data.Conversations, strings.TrimPrefix(p, "/conversations/"), "conversation_not_found", "Conversation not found")
	default:
		fail(w, http.StatusNotFound, "not_found", "Resource Not Found")
	}
}

func (s *Server) write(w http.ResponseWriter, v any) {
	_ = json.NewEncoder(w).Encode(v) // the client went away
}

func (s *Server) one(w http.ResponseWriter, items []map[string]any, id, code, message string) {
	for _, x := range items {
		if x["id"] == id {
			s.write(w, x)
			return
		}
	}
	fail(w, http.StatusNotFound, code, message)
}

// scroll pages over the companies by id; the page after the last is empty.
func (s *Server) scroll(w http.ResponseWriter, param string) {
	offset := 0
	if param != "" {
		var ok bool
		if offset, ok = s.scrolls[param]; !ok {
			fail(w, http.StatusNotFound, "scroll_param_not_found", "scroll parameter not found")
			return
		}
	}
	all := slices.Clone(s.data.Companies)
	sort.Slice(all, func(i, j int) bool { return all[i]["id"].(string) < all[j]["id"].(string) })
	end := min(offset+s.PageSize, len(all))
	next := fmt.Sprintf("69352cd2-ab5b-42ac-b004-%012d", len(s.scrolls))
	s.scrolls[next] = end
	s.write(w, map[string]any{"type": "list", "data": all[offset:end], "pages": nil, "total_count": nil, "scroll_param": next})
}

// search answers a search request: the filters the connector uses, the
// sort, and stateless starting_after cursors holding the offset.
func (s *Server) search(w http.ResponseWriter, r *http.Request, items []map[string]any, listType, key string, dayTruncated bool) {
	var body struct {
		Query      map[string]any `json:"query"`
		Pagination *struct {
			PerPage       int    `json:"per_page"`
			StartingAfter string `json:"starting_after"`
		} `json:"pagination"`
		Sort *struct {
			Field string `json:"field"`
			Order string `json:"order"`
		} `json:"sort"`
	}
	raw := map[string]any{}
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		fail(w, http.StatusBadRequest, "bad_request", "invalid JSON")
		return
	}
	s.bodies = append(s.bodies, raw)
	b, _ := json.Marshal(raw) // it was just decoded
	_ = json.Unmarshal(b, &body)
	if body.Query == nil {
		fail(w, http.StatusBadRequest, "parameter_not_found", "query parameter not found")
		return
	}
	perPage := 50
	if key == "conversations" {
		perPage = 20
	}
	if body.Pagination != nil && body.Pagination.PerPage != 0 {
		perPage = body.Pagination.PerPage
	}
	if perPage > 150 {
		fail(w, http.StatusBadRequest, "per_page_invalid", "per_page must be 150 or less")
		return
	}
	keep, err := s.match(body.Query, dayTruncated)
	if err != nil {
		fail(w, http.StatusBadRequest, "query_invalid", err.Error())
		return
	}
	var matched []map[string]any
	for _, x := range items {
		if keep(x) {
			matched = append(matched, x)
		}
	}
	if body.Sort != nil {
		if body.Sort.Field != "updated_at" {
			fail(w, http.StatusBadRequest, "sort_invalid", "unsupported sort field")
			return
		}
		sort.SliceStable(matched, func(i, j int) bool {
			a, b := num(matched[i]["updated_at"]), num(matched[j]["updated_at"])
			if a != b {
				return (a < b) == (body.Sort.Order == "ascending")
			}
			return matched[i]["id"].(string) < matched[j]["id"].(string)
		})
	} else { // unsorted: newest first
		sort.SliceStable(matched, func(i, j int) bool { return matched[i]["id"].(string) > matched[j]["id"].(string) })
	}
	offset := 0
	if body.Pagination != nil && body.Pagination.StartingAfter != "" {
		d, err := base64.StdEncoding.DecodeString(body.Pagination.StartingAfter)
		if err == nil {
			offset, err = strconv.Atoi(strings.TrimPrefix(string(d), "offset:"))
		}
		if err != nil {
			fail(w, http.StatusBadRequest, "starting_after_invalid", "invalid starting_after")
			return
		}
	}
	size := min(perPage, s.PageSize)
	end := min(offset+size, len(matched))
	pages := map[string]any{"type": "pages", "page": offset/size + 1, "per_page": size, "total_pages": (len(matched) + size - 1) / size}
	if end < len(matched) {
		pages["next"] = map[string]any{"page": offset/size + 2, "starting_after": base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))}
	}
	s.write(w, map[string]any{"type": listType, key: slices.Clone(matched[offset:end]), "total_count": len(matched), "pages": pages})
}

func num(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

// field reads a dotted field of an item.
func field(item map[string]any, path string) any {
	var v any = item
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// match compiles a query. On contacts, timestamps match by calendar day in
// the workspace's time zone and ">" starts at the next day; on
// conversations ">" is greater or equal, to the second.
func (s *Server) match(q map[string]any, dayTruncated bool) (func(map[string]any) bool, error) {
	if op, ok := q["operator"].(string); ok && (op == "AND" || op == "OR") {
		subs, _ := q["value"].([]any)
		var fs []func(map[string]any) bool
		for _, sub := range subs {
			m, _ := sub.(map[string]any)
			f, err := s.match(m, dayTruncated)
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		return func(x map[string]any) bool {
			for _, f := range fs {
				if f(x) != (op == "AND") {
					return op != "AND"
				}
			}
			return op == "AND"
		}, nil
	}
	name, _ := q["field"].(string)
	op, _ := q["operator"].(string)
	value := num(q["value"])
	switch {
	case name == "updated_at" && op == ">":
		if dayTruncated {
			t := time.Unix(value, 0).In(s.tz)
			from := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, s.tz).Unix()
			return func(x map[string]any) bool { return num(x["updated_at"]) >= from }, nil
		}
		return func(x map[string]any) bool { return num(x["updated_at"]) >= value }, nil
	case name == "conversation_rating.score" && op == ">":
		return func(x map[string]any) bool {
			v := field(x, "conversation_rating.rating")
			return v != nil && num(v) > value
		}, nil
	}
	return nil, fmt.Errorf("unsupported filter %s %s", name, op)
}
