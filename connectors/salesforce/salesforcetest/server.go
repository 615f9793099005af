// Package salesforcetest is a local stand-in for a Salesforce org's REST
// API, for testing the salesforce connector and what is built on it. It
// serves an org's records (a file org.json in a folder: a list of rows per
// SObject) as the REST API reference documents: describe, query and
// queryAll with SOQL ordered by (SystemModstamp, Id) and paged by
// nextRecordsUrl, the limits resource, the OAuth 2.0 client credentials
// token endpoint, and Salesforce's error bodies.
//
// The salesforce connector's testdata holds an org whose customers also
// appear in the other tools' test data: Northwind Traders (account
// 0015g00000NwTrdAAA, website www.northwind.example,
// HubSpot_Company_Id__c 101) with its contact ana@northwind.example and
// tasks logged against it.
package salesforcetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is a running stand-in. Set its exported fields before the
// requests they should shape.
type Server struct {
	// URL is the instance URL to configure as the connector's base_url.
	URL string
	// Token is the access token it accepts as a Bearer token, and the one
	// it issues for ClientID and ClientSecret.
	Token string
	// ClientID and ClientSecret are the connected app's credentials the
	// token endpoint accepts; unset, it accepts none.
	ClientID, ClientSecret string
	// PageSize caps every page of a query; small values make the records
	// span several pages.
	PageSize int

	srv *httptest.Server

	mu sync.Mutex
	// records are the rows by SObject.
	records map[string][]map[string]any
	// spent makes every data call answer REQUEST_LIMIT_EXCEEDED.
	spent bool
	// pages are the answers of the queries run, by query locator.
	pages map[string][]map[string]any
}

// New serves the org in dir/org.json to the access token token. Close the
// server when done.
func New(dir, token string) (*Server, error) {
	b, err := os.ReadFile(filepath.Join(dir, "org.json"))
	if err != nil {
		return nil, fmt.Errorf("salesforcetest: %w", err)
	}
	s := &Server{Token: token, PageSize: 2000, pages: map[string][]map[string]any{}}
	if err := json.Unmarshal(b, &s.records); err != nil {
		return nil, fmt.Errorf("salesforcetest: org.json: %w", err)
	}
	for obj, rows := range s.records {
		for _, r := range rows {
			if _, ok := r["Id"].(string); !ok {
				return nil, fmt.Errorf("salesforcetest: org.json: a %s without an Id", obj)
			}
			if _, err := modstamp(r); err != nil {
				return nil, fmt.Errorf("salesforcetest: org.json: %s %s: SystemModstamp: %w", obj, r["Id"], err)
			}
		}
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Spend makes every data call answer REQUEST_LIMIT_EXCEEDED, as an org
// whose daily API allowance is spent does, or, with false, stops it.
func (s *Server) Spend(spent bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.spent = spent
}

// Remove takes the rows with these ids out of the org, as if they had
// never been: not even queryAll finds them.
func (s *Server) Remove(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for obj, rows := range s.records {
		s.records[obj] = slices.DeleteFunc(rows, func(r map[string]any) bool { return slices.Contains(ids, r["Id"].(string)) })
	}
}

// Deactivate turns users inactive, as an admin freezing their logins
// does: IsActive false and a new SystemModstamp; users are never deleted.
func (s *Server) Deactivate(at time.Time, ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.records["User"] {
		if slices.Contains(ids, u["Id"].(string)) {
			u["IsActive"] = false
			u["SystemModstamp"] = at.UTC().Format("2006-01-02T15:04:05.000-0700")
		}
	}
}

func sfError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `[{"message":%q,"errorCode":%q}]`, msg, code)
}

var (
	describePath = regexp.MustCompile(`^/services/data/v60\.0/sobjects/(\w+)/describe$`)
	morePath     = regexp.MustCompile(`^/services/data/v60\.0/query/(\w+-\d+)$`)
	soql         = regexp.MustCompile(`^SELECT (.+) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY SystemModstamp, Id)?$`)
	// equalWhere is a leading condition Field = 'value' (UserType =
	// 'Standard') or Field IN ('a', 'b'), joined to the rest by AND.
	equalWhere  = regexp.MustCompile(`^(\w+) (?:= '([^']*)'|IN \(((?:'\w*'(?:, )?)+)\))(?: AND (.+))?$`)
	resumeWhere = regexp.MustCompile(`^\(SystemModstamp > (\S+) OR \(SystemModstamp = (\S+) AND Id > '(\w*)'\)\)$`)
	startWhere  = regexp.MustCompile(`^SystemModstamp >= (\S+)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/services/oauth2/token" {
		_ = r.ParseForm() // a bad form is refused below
		w.Header().Set("Content-Type", "application/json")
		if r.Form.Get("grant_type") != "client_credentials" || s.ClientID == "" || r.Form.Get("client_id") != s.ClientID || r.Form.Get("client_secret") != s.ClientSecret {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"invalid client credentials"}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":%q,"instance_url":"http://%s","token_type":"Bearer","issued_at":"1700000000000"}`, s.Token, r.Host)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.Token {
		sfError(w, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid")
		return
	}
	if s.spent {
		sfError(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Sforce-Limit-Info", "api-usage=25/15000")
	switch p := r.URL.Path; {
	case p == "/services/data/v60.0/limits":
		fmt.Fprint(w, `{"DailyApiRequests":{"Max":15000,"Remaining":14975}}`)
	case describePath.MatchString(p):
		obj := describePath.FindStringSubmatch(p)[1]
		var fields []map[string]any
		for _, name := range s.fieldsOf(obj) {
			fields = append(fields, map[string]any{"name": name, "custom": strings.HasSuffix(name, "__c")})
		}
		if fields == nil {
			sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"name": obj, "fields": fields}) // the client went away
	case p == "/services/data/v60.0/query" || p == "/services/data/v60.0/queryAll":
		s.query(w, r.URL.Query().Get("q"), strings.HasSuffix(p, "All"))
	case morePath.MatchString(p):
		s.page(w, morePath.FindStringSubmatch(p)[1])
	default:
		sfError(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
}

// fieldsOf lists an object's fields: those of its first row. Users are
// deactivated, never deleted, and have no IsDeleted.
func (s *Server) fieldsOf(obj string) []string {
	recs := s.records[obj]
	if len(recs) == 0 {
		return nil
	}
	var out []string
	for k := range recs[0] {
		out = append(out, k)
	}
	if obj == "User" {
		out = slices.DeleteFunc(out, func(s string) bool { return s == "IsDeleted" })
	}
	sort.Strings(out)
	return out
}

func (s *Server) query(w http.ResponseWriter, q string, all bool) {
	m := soql.FindStringSubmatch(q)
	if m == nil {
		sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected query: "+q)
		return
	}
	fields, obj, where := strings.Split(m[1], ", "), m[2], m[3]
	known := s.fieldsOf(obj)
	for _, f := range fields {
		if !slices.Contains(known, f) {
			sfError(w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", f, obj))
			return
		}
	}
	keep := func(map[string]any) bool { return true }
	var equal func(map[string]any) bool
	if em := equalWhere.FindStringSubmatch(where); em != nil {
		field, values := em[1], []string{em[2]}
		if em[3] != "" {
			values = strings.Split(strings.ReplaceAll(em[3], "'", ""), ", ")
		}
		if !slices.Contains(known, field) {
			sfError(w, http.StatusBadRequest, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on entity '%s'.", field, obj))
			return
		}
		equal = func(rec map[string]any) bool { v, _ := rec[field].(string); return slices.Contains(values, v) }
		where = em[4]
	}
	switch {
	case where == "":
	case resumeWhere.MatchString(where):
		wm := resumeWhere.FindStringSubmatch(where)
		after, err := parse(wm[1])
		if err != nil {
			sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
			return
		}
		id := wm[3]
		keep = func(rec map[string]any) bool {
			ts, _ := modstamp(rec) // checked by New
			return ts.After(after) || (ts.Equal(after) && rec["Id"].(string) > id)
		}
	case startWhere.MatchString(where):
		from, err := parse(startWhere.FindStringSubmatch(where)[1])
		if err != nil {
			sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", err.Error())
			return
		}
		keep = func(rec map[string]any) bool {
			ts, _ := modstamp(rec)
			return !ts.Before(from)
		}
	default:
		sfError(w, http.StatusBadRequest, "MALFORMED_QUERY", "unexpected condition: "+where)
		return
	}
	var matched []map[string]any
	for _, rec := range s.records[obj] {
		if keep(rec) && (equal == nil || equal(rec)) && (all || rec["IsDeleted"] != true) {
			matched = append(matched, rec)
		}
	}
	sort.SliceStable(matched, func(i, j int) bool {
		a, _ := modstamp(matched[i])
		b, _ := modstamp(matched[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return matched[i]["Id"].(string) < matched[j]["Id"].(string)
	})
	rows := make([]map[string]any, 0, len(matched))
	for _, rec := range matched {
		row := map[string]any{"attributes": map[string]any{"type": obj, "url": "/services/data/v60.0/sobjects/" + obj + "/" + rec["Id"].(string)}}
		for _, f := range fields {
			row[f] = rec[f]
		}
		rows = append(rows, row)
	}
	locator := fmt.Sprintf("01gQ%d", len(s.pages))
	s.pages[locator] = rows
	s.answer(w, locator, 0)
}

func (s *Server) page(w http.ResponseWriter, ref string) {
	locator, offset, _ := strings.Cut(ref, "-")
	n, _ := strconv.Atoi(offset) // the path's pattern makes it a number
	if _, ok := s.pages[locator]; !ok {
		sfError(w, http.StatusBadRequest, "INVALID_QUERY_LOCATOR", "invalid query locator")
		return
	}
	s.answer(w, locator, n)
}

func (s *Server) answer(w http.ResponseWriter, locator string, offset int) {
	rows := s.pages[locator]
	end := min(offset+s.PageSize, len(rows))
	out := map[string]any{"totalSize": len(rows), "done": end == len(rows), "records": rows[offset:end]}
	if end < len(rows) {
		out["nextRecordsUrl"] = fmt.Sprintf("/services/data/v60.0/query/%s-%d", locator, end)
	}
	if out["records"] == nil {
		out["records"] = []any{}
	}
	_ = json.NewEncoder(w).Encode(out) // the client went away
}

// modstamp is a row's SystemModstamp.
func modstamp(rec map[string]any) (time.Time, error) {
	v, _ := rec["SystemModstamp"].(string)
	return parse(v)
}

// parse reads a datetime as Salesforce writes it, or as SOQL takes it.
func parse(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05.000Z07:00"} {
		if ts, err := time.Parse(layout, s); err == nil {
			return ts, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad datetime %q", s)
}

// Change sets fields of the row with this id, as an edit in the org does:
// give SystemModstamp a later instant too, so that a read resuming from
// its cursor finds the row again.
func (s *Server) Change(id string, fields map[string]any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for obj, rows := range s.records {
		for _, r := range rows {
			if r["Id"] != id {
				continue
			}
			for k, v := range fields {
				r[k] = v
			}
			if _, err := modstamp(r); err != nil {
				return fmt.Errorf("salesforcetest: %s %s: SystemModstamp: %w", obj, id, err)
			}
			return nil
		}
	}
	return fmt.Errorf("salesforcetest: no row has id %s", id)
}
