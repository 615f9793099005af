package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// filtersQuery takes every kind of filter, order and cursor a list has, as
// variables the fuzzer writes.
const filtersQuery = `query($f: AccountFilter, $order: [AccountOrder!], $after: String, $before: String,
	$c: ContactFilter, $t: TicketFilter, $d: DealFilter, $s: SurveyFilter, $tl: TimelineFilter) {
	accounts(first: 3, filter: $f, orderBy: $order, after: $after) {
		totalCount
		edges { cursor node {
			contacts(first: 3, filter: $c) { totalCount }
			tickets(first: 3, filter: $t) { totalCount }
			deals(last: 3, filter: $d, before: $before) { totalCount }
			surveys(first: 3, filter: $s) { totalCount }
			timeline(first: 3, filter: $tl) { edges { cursor } }
		} }
	}
}`

// clientCodes are the codes of the client's mistakes.
var clientCodes = map[string]bool{"BAD_USER_INPUT": true, "GRAPHQL_VALIDATION_FAILED": true, "GRAPHQL_PARSE_FAILED": true}

// FuzzFilters sends filters, orders and cursors as a client may write
// them, to the handler over HTTP on the real store: whatever they hold,
// the answer is data or the client's mistake, never INTERNAL, and nothing
// is logged as an error.
func FuzzFilters(f *testing.F) {
	db := openDB(f)
	seed(f, db)
	s := newServer(f, db)
	for _, vars := range []string{
		`{}`,
		`{"f": {"nameContains": "ac", "segment": ["Enterprise"], "tier": ["A", "B"], "lifecycle": ["CUSTOMER"]}}`,
		`{"f": {"renewalDate": {"from": "2025-01-01", "to": "2025-12-31"}, "health": ["RED"]}, "order": [{"field": "MRR", "direction": "DESC"}]}`,
		`{"order": {"field": "RENEWAL_DATE"}, "after": "eyJsIjoiYWNjb3VudHMiLCJvIjoicmVuZXdhbF9kYXRlIiwiayI6WyIwMDAwLTAxLTAxIl0sImlkIjoiMDAwMDAwYTEtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAxIn0"}`,
		`{"c": {"search": "alice", "email": ["a@acme.com"], "titleContains": "VP"}}`,
		`{"t": {"status": ["OPEN"], "priority": ["HIGH"], "openedAt": {"from": "2025-01-01T00:00:00Z"}, "subjectContains": "login"}}`,
		`{"d": {"status": ["WON"], "stage": ["closed"], "amount": {"min": "100", "max": "1e5"}, "closedAt": {"to": "2025-06-01T00:00:00Z"}}}`,
		`{"s": {"kind": ["NPS"], "score": {"min": 0, "max": 10}, "commentContains": "great"}, "tl": {"search": "QBR", "occurredAt": {"from": "2024-01-01T00:00:00Z"}}}`,
		`{"f": {"nameContains": "a\u0000b"}}`,
		`{"d": {"amount": {"min": "1e200000"}}}`,
		`{"d": {"amount": {"min": "1e-16383", "max": "1e131071"}}}`,
		`{"d": {"amount": {"min": "1e-16384"}}}`,
		`{"d": {"amount": {"max": "1e131072"}}}`,
		`{"f": {"renewalDate": {"from": "2025-12-31", "to": "2025-01-01"}}}`,
	} {
		f.Add(vars)
	}
	f.Fuzz(func(t *testing.T, vars string) {
		var variables map[string]any
		if json.Unmarshal([]byte(vars), &variables) != nil {
			return // not variables: refused before GraphQL, as transport tests show
		}
		body, _ := json.Marshal(map[string]any{"query": filtersQuery, "variables": variables})
		resp, err := http.Post(s.url+"/query", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d: %s", vars, resp.StatusCode, raw)
		}
		var out struct {
			Data *struct {
				Accounts struct {
					TotalCount int
					Edges      []any
				}
			}
			Errors []gqlError
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: %v: %s", vars, err, raw)
		}
		for _, e := range out.Errors {
			if code, _ := e.Extensions["code"].(string); !clientCodes[code] {
				t.Fatalf("%s: %s error: %s", vars, code, e.Message)
			}
		}
		if len(out.Errors) == 0 && out.Data.Accounts.TotalCount < len(out.Data.Accounts.Edges) {
			t.Fatalf("%s: %d edges of %d accounts", vars, len(out.Data.Accounts.Edges), out.Data.Accounts.TotalCount)
		}
		if logs := s.logs.String(); strings.Contains(logs, "level=ERROR") {
			t.Fatalf("%s: logged an error:\n%s", vars, logs)
		}
	})
}
