package intercom

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// workspace is a fake Intercom workspace answering the REST API 2.14 as
// its OpenAPI description and reference pages say: bearer auth, the
// Intercom-Version header, the error list body, rate-limit headers, the
// companies scroll, and the contacts and conversations search with its
// day-truncated timestamp filters, updated_at sort and starting_after
// cursors.
type workspace struct {
	t    *testing.T
	data struct {
		Me             map[string]any   `json:"me"`
		Admins         []map[string]any `json:"admins"`
		Teams          []map[string]any `json:"teams"`
		Companies      []map[string]any `json:"companies"`
		Contacts       []map[string]any `json:"contacts"`
		Conversations  []map[string]any `json:"conversations"`
		DataAttributes []map[string]any `json:"data_attributes"`
	}
	token string
	// pageSize caps every page, whatever per_page asks, so that fixtures
	// span pages.
	pageSize int
	tz       *time.Location

	mu gosync.Mutex
	// calls lists the requests, as "METHOD path".
	calls []string
	// bodies are the search request bodies, in order.
	bodies []map[string]any
	// refuse answers the request of that number (1-based) with 429 and a
	// window resetting ten seconds on.
	refuse int
	// bare makes the refusal carry only Retry-After: 3, no rate-limit
	// headers, as a proxy in front of Intercom might.
	bare bool
	// remaining is X-RateLimit-Remaining of the next answer.
	remaining int
	scrolls   map[string]int
}

func newWorkspace(t *testing.T) (*workspace, *httptest.Server) {
	t.Helper()
	b, err := os.ReadFile("testdata/workspace.json")
	require.NoError(t, err)
	ws := &workspace{t: t, token: "tok", pageSize: 2, remaining: 1000, scrolls: map[string]int{}}
	require.NoError(t, json.Unmarshal(b, &ws.data))
	ws.tz, err = time.LoadLocation(ws.data.Me["app"].(map[string]any)["timezone"].(string))
	require.NoError(t, err)
	srv := httptest.NewServer(ws)
	t.Cleanup(srv.Close)
	return ws, srv
}

// fail writes Intercom's error list.
func fail(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"type": "error.list", "request_id": "b68959ea-6328-4f70-83cb-e7913dba1542",
		"errors": []map[string]any{{"code": code, "message": message}}})
}

func (ws *workspace) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	ws.calls = append(ws.calls, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+ws.token {
		fail(w, http.StatusUnauthorized, "unauthorized", "Access Token Invalid")
		return
	}
	if v := r.Header.Get("Intercom-Version"); v != "2.14" {
		fail(w, http.StatusBadRequest, "intercom_version_invalid", fmt.Sprintf("Requested Intercom-Version %q is not supported", v))
		return
	}
	if len(ws.calls) == ws.refuse && ws.bare {
		w.Header().Set("Retry-After", "3")
		fail(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit")
		return
	}
	reset := time.Now().Add(10 * time.Second).Unix()
	w.Header().Set("X-RateLimit-Limit", "1000")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if len(ws.calls) == ws.refuse {
		w.Header().Set("X-RateLimit-Remaining", "0")
		fail(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Exceeded rate limit of 1000 in 10_seconds")
		return
	}
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(ws.remaining))
	if ws.remaining > 0 {
		ws.remaining--
	}
	w.Header().Set("Content-Type", "application/json")
	p := r.URL.Path
	switch {
	case r.Method == http.MethodGet && p == "/me":
		ws.write(w, ws.data.Me)
	case r.Method == http.MethodGet && p == "/admins":
		ws.write(w, map[string]any{"type": "admin.list", "admins": ws.data.Admins})
	case r.Method == http.MethodGet && p == "/teams":
		ws.write(w, map[string]any{"type": "team.list", "teams": ws.data.Teams})
	case r.Method == http.MethodGet && p == "/data_attributes":
		var out []map[string]any
		for _, a := range ws.data.DataAttributes {
			if m := r.URL.Query().Get("model"); m == "" || a["model"] == m {
				out = append(out, a)
			}
		}
		ws.write(w, map[string]any{"type": "list", "data": out})
	case r.Method == http.MethodGet && p == "/companies/scroll":
		ws.scroll(w, r.URL.Query().Get("scroll_param"))
	case r.Method == http.MethodPost && p == "/contacts/search":
		ws.search(w, r, ws.data.Contacts, "list", "data", true)
	case r.Method == http.MethodPost && p == "/conversations/search":
		var items []map[string]any
		for _, c := range ws.data.Conversations {
			item := map[string]any{}
			for k, v := range c {
				if k != "conversation_parts" { // search lists conversations without parts
					item[k] = v
				}
			}
			items = append(items, item)
		}
		ws.search(w, r, items, "conversation.list", "conversations", false)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/contacts/"):
		ws.one(w, ws.data.Contacts, strings.TrimPrefix(p, "/contacts/"), "not_found", "User Not Found")
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/conversations/"):
		ws.one(w, ws.data.Conversations, strings.TrimPrefix(p, "/conversations/"), "conversation_not_found", "Conversation not found")
	default:
		fail(w, http.StatusNotFound, "not_found", "Resource Not Found")
	}
}

func (ws *workspace) write(w http.ResponseWriter, v any) {
	require.NoError(ws.t, json.NewEncoder(w).Encode(v))
}

func (ws *workspace) one(w http.ResponseWriter, items []map[string]any, id, code, message string) {
	for _, x := range items {
		if x["id"] == id {
			ws.write(w, x)
			return
		}
	}
	fail(w, http.StatusNotFound, code, message)
}

// scroll pages over the companies by id; the page after the last is empty.
func (ws *workspace) scroll(w http.ResponseWriter, param string) {
	offset := 0
	if param != "" {
		var ok bool
		if offset, ok = ws.scrolls[param]; !ok {
			fail(w, http.StatusNotFound, "scroll_param_not_found", "scroll parameter not found")
			return
		}
	}
	all := append([]map[string]any{}, ws.data.Companies...)
	sort.Slice(all, func(i, j int) bool { return all[i]["id"].(string) < all[j]["id"].(string) })
	end := min(offset+ws.pageSize, len(all))
	next := fmt.Sprintf("69352cd2-ab5b-42ac-b004-%012d", len(ws.scrolls))
	ws.scrolls[next] = end
	ws.write(w, map[string]any{"type": "list", "data": all[offset:end], "pages": nil, "total_count": nil, "scroll_param": next})
}

// search answers a search request: the filters the connector uses, the
// sort, and stateless starting_after cursors holding the offset.
func (ws *workspace) search(w http.ResponseWriter, r *http.Request, items []map[string]any, listType, key string, dayTruncated bool) {
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
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&raw); err != nil {
		fail(w, http.StatusBadRequest, "bad_request", "invalid JSON")
		return
	}
	ws.bodies = append(ws.bodies, raw)
	b, _ := json.Marshal(raw)
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
	keep, err := ws.match(body.Query, dayTruncated)
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
	size := min(perPage, ws.pageSize)
	end := min(offset+size, len(matched))
	pages := map[string]any{"type": "pages", "page": offset/size + 1, "per_page": size, "total_pages": (len(matched) + size - 1) / size}
	if end < len(matched) {
		pages["next"] = map[string]any{"page": offset/size + 2, "starting_after": base64.StdEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(end)))}
	}
	ws.write(w, map[string]any{"type": listType, key: append([]map[string]any{}, matched[offset:end]...), "total_count": len(matched), "pages": pages})
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
func (ws *workspace) match(q map[string]any, dayTruncated bool) (func(map[string]any) bool, error) {
	if op, ok := q["operator"].(string); ok && (op == "AND" || op == "OR") {
		subs, _ := q["value"].([]any)
		var fs []func(map[string]any) bool
		for _, s := range subs {
			m, _ := s.(map[string]any)
			f, err := ws.match(m, dayTruncated)
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
			t := time.Unix(value, 0).In(ws.tz)
			from := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, ws.tz).Unix()
			return func(x map[string]any) bool { return num(x["updated_at"]) >= from }, nil
		}
		return func(x map[string]any) bool { return num(x["updated_at"]) >= value }, nil
	case name == "conversation_rating.score" && op == ">":
		return func(x map[string]any) bool {
			s := field(x, "conversation_rating.rating")
			return s != nil && num(s) > value
		}, nil
	}
	return nil, fmt.Errorf("unsupported filter %s %s", name, op)
}
