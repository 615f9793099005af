package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
)

// connection is a page of any connection, its nodes left as JSON.
type connection struct {
	Edges []struct {
		Cursor string
		Node   json.RawMessage
	}
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

// list is one connection of the fixture, read through its query: the
// connection is aliased list, under the objects of path, with the paging
// arguments as variables.
type list struct {
	name  string
	query string
	path  []string
}

// pagingArgs are the variables every query of lists declares.
const pagingArgs = `$first: Int, $after: String, $last: Int, $before: String`

const pageArgs = `first: $first, after: $after, last: $last, before: $before`

// lists are the fixture's connections, each with enough rows to page.
var lists = []list{
	{"accounts", `query(` + pagingArgs + `) { list: accounts(` + pageArgs + `) { ...page } }`, nil},
	{"accounts by tier, then MRR", `query(` + pagingArgs + `) {
		list: accounts(` + pageArgs + `, orderBy: [{field: TIER}, {field: MRR, direction: DESC}]) { ...page } }`, nil},
	{"contacts", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: contacts(` + pageArgs + `) { ...page } } }`, []string{"account"}},
	{"tickets", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: tickets(` + pageArgs + `) { ...page } } }`, []string{"account"}},
	{"deals", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: deals(` + pageArgs + `) { ...page } } }`, []string{"account"}},
	{"surveys", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: surveys(` + pageArgs + `) { ...page } } }`, []string{"account"}},
	{"timeline", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: timeline(` + pageArgs + `) {
		edges { cursor node { kind occurredAt summary } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, []string{"account"}},
	{"timeline, oldest first", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: timeline(` + pageArgs + `, orderBy: {direction: ASC}) {
		edges { cursor node { kind occurredAt summary } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, []string{"account"}},
	{"sync runs", `query(` + pagingArgs + `) { source(id: "` + hubspot.String() + `") { list: syncRuns(` + pageArgs + `) { ...page } } }`, []string{"source"}},
	{"identity suggestions", `query(` + pagingArgs + `) { list: identitySuggestions(` + pageArgs + `) { ...page } }`, nil},
}

// pageFragment is what a page of lists asks for, on whatever connection.
func withFragment(q, on string) string {
	return q + ` fragment page on ` + on + ` { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } }`
}

var connectionTypes = map[string]string{
	"accounts": "AccountConnection", "accounts by tier, then MRR": "AccountConnection", "contacts": "ContactConnection",
	"tickets": "TicketConnection", "deals": "DealConnection", "surveys": "SurveyResponseConnection",
	"sync runs": "SyncRunConnection", "identity suggestions": "IdentitySuggestionConnection",
}

func (l list) text() string {
	if on, ok := connectionTypes[l.name]; ok {
		return withFragment(l.query, on)
	}
	return l.query
}

// read reads one page of l.
func (l list) read(t *testing.T, s *server, vars map[string]any) connection {
	t.Helper()
	r := query[map[string]json.RawMessage](s, l.text(), vars)
	if len(r.Errors) > 0 {
		t.Fatalf("%s %v: %v", l.name, vars, r.Errors)
	}
	data := r.Data
	for _, p := range l.path {
		var next map[string]json.RawMessage
		if err := json.Unmarshal(data[p], &next); err != nil {
			t.Fatal(err)
		}
		data = next
	}
	var c connection
	if err := json.Unmarshal(data["list"], &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// forward reads l from its start, n at a time, and checks that every
// page but the first says rows come before it.
func (l list) forward(t *testing.T, s *server, n int, between func(page int)) []string {
	t.Helper()
	var out []string
	vars := map[string]any{"first": n}
	for page := 0; ; page++ {
		c := l.read(t, s, vars)
		if c.PageInfo.HasPreviousPage != (page > 0) {
			t.Errorf("%s, first %d, page %d: hasPreviousPage %v", l.name, n, page, c.PageInfo.HasPreviousPage)
		}
		for _, e := range c.Edges {
			out = append(out, string(e.Node))
		}
		if !c.PageInfo.HasNextPage {
			return out
		}
		vars["after"] = *c.PageInfo.EndCursor
		if between != nil {
			between(page)
		}
	}
}

// back reads l from its end, n at a time, and returns the rows in the
// list's order, checking that every page but the last says rows follow.
func (l list) back(t *testing.T, s *server, n int, between func(page int)) []string {
	t.Helper()
	var out []string
	vars := map[string]any{"last": n}
	for page := 0; ; page++ {
		c := l.read(t, s, vars)
		if c.PageInfo.HasNextPage != (page > 0) {
			t.Errorf("%s, last %d, page %d: hasNextPage %v", l.name, n, page, c.PageInfo.HasNextPage)
		}
		var these []string
		for _, e := range c.Edges {
			these = append(these, string(e.Node))
		}
		out = append(these, out...)
		if !c.PageInfo.HasPreviousPage {
			return out
		}
		vars["before"] = *c.PageInfo.StartCursor
		if between != nil {
			between(page)
		}
	}
}

// TestPagingBothWays reads every connection forward and back, one, two
// and three rows at a time: the pages add up to the whole list either
// way, and each says exactly whether rows come before and after it.
func TestPagingBothWays(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			all := l.forward(t, s, 100, nil)
			if len(all) < 2 {
				t.Fatalf("%d rows: too few to page", len(all))
			}
			if diff := cmp.Diff(all, l.back(t, s, 100, nil)); diff != "" {
				t.Errorf("last 100 (-first 100 +last 100):\n%s", diff)
			}
			for _, n := range []int{1, 2, 3} {
				if diff := cmp.Diff(all, l.forward(t, s, n, nil)); diff != "" {
					t.Errorf("first %d (-one page +pages):\n%s", n, diff)
				}
				if diff := cmp.Diff(all, l.back(t, s, n, nil)); diff != "" {
					t.Errorf("last %d (-one page +pages):\n%s", n, diff)
				}
			}
		})
	}
}

// TestPagingBackStableUnderInserts reads the accounts back from the end
// two at a time, inserting accounts after the first page: the one sorting
// before the cursor is seen, those after it are not, and nothing repeats
// or goes missing.
func TestPagingBackStableUnderInserts(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	names := func(rows []string) []string {
		var out []string
		for _, r := range rows {
			var n struct{ Name string }
			if err := json.Unmarshal([]byte(r), &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n.Name)
		}
		return out
	}
	l := list{"account names", `query(` + pagingArgs + `) { list: accounts(` + pageArgs + `) { edges { cursor node { name } }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, nil}
	got := l.back(t, s, 2, func(page int) {
		if page != 0 {
			return
		}
		// The first page read back is GLOBEX (account 4) and Initech.
		// Another "Globex" with a greater id sorts after GLOBEX, among
		// the rows already read; Zeta after them all.
		for i, name := range []string{"Aardvark Inc", "Zeta Ltd", "globex"} {
			if err := db.Create(&domain.Account{ID: fid(accountIDs, 100+i), Name: name}).Error; err != nil {
				t.Fatal(err)
			}
		}
	})
	want := []string{"Aardvark Inc", "Acme Corp", "Bluth Company", "Globex", "GLOBEX", "Initech"}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// An account's tickets, newest first, read forward with a ticket
	// opened before the page read (newer, not seen) and one after
	// (older, seen).
	tickets := list{"ticket subjects", `query(` + pagingArgs + `) { account(id: "` + acme.String() + `") { list: tickets(` + pageArgs + `) {
		edges { cursor node { name: subject } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`, []string{"account"}}
	got = tickets.forward(t, s, 1, func(page int) {
		if page != 0 {
			return
		}
		for i, opened := range []string{"2025-05-31T00:00:00Z", "2025-01-01T00:00:00Z"} {
			tk := domain.Ticket{ID: fid(ticketIDs, 100+i), AccountID: acme, Subject: "new " + opened[:10], OpenedAt: at(opened),
				Provenance: domain.Provenance{ExternalID: fmt.Sprint("t-new-", i)}}
			if err := db.Create(&tk).Error; err != nil {
				t.Fatal(err)
			}
		}
	})
	want = []string{"Export times out", "SSO login fails", "new 2025-01-01"}
	if diff := cmp.Diff(want, names(got)); diff != "" {
		t.Errorf("tickets (-want +got):\n%s", diff)
	}
}

// TestPageFlagsAreExact deletes the row a cursor names and everything
// before it: the next page read from the cursor says nothing comes before
// it, rather than guessing from the cursor alone.
func TestPageFlagsAreExact(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	l := lists[0]
	first := l.read(t, s, map[string]any{"first": 1})
	if err := db.Exec(`UPDATE accounts SET deleted_at = now() WHERE id = ?`, acme).Error; err != nil {
		t.Fatal(err)
	}
	next := l.read(t, s, map[string]any{"first": 1, "after": *first.PageInfo.EndCursor})
	if next.PageInfo.HasPreviousPage || !next.PageInfo.HasNextPage {
		t.Errorf("after a deleted first row: %+v", next.PageInfo)
	}
	// And back: the page before Bluth's cursor is empty now, and the
	// rows after it still follow.
	back := l.read(t, s, map[string]any{"last": 5, "before": *next.PageInfo.EndCursor})
	if len(back.Edges) != 0 || back.PageInfo.HasPreviousPage || !back.PageInfo.HasNextPage {
		t.Errorf("before the first live row: %d edges, %+v", len(back.Edges), back.PageInfo)
	}
}

// TestPagingArgumentErrors sends each mistake with first, last, after and
// before to a list at the top and one under an account: each is one
// BAD_USER_INPUT naming the argument at fault.
func TestPagingArgumentErrors(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	acmeCursor := *lists[2].read(t, s, map[string]any{"first": 1}).PageInfo.EndCursor // a contact's
	for _, tc := range []struct {
		args, field, message string
	}{
		{`first: 0`, "first", "must be between 1 and 100, got 0"},
		{`first: 101`, "first", "must be between 1 and 100, got 101"},
		{`last: 0`, "last", "must be between 1 and 100, got 0"},
		{`last: 101`, "last", "must be between 1 and 100, got 101"},
		{`first: 1, last: 1`, "last", "cannot be given with first"},
		{`last: 1, after: "x"`, "after", "cannot be given with last"},
		{`first: 1, before: "x"`, "before", "cannot be given with first"},
		{`after: "not a cursor"`, "after", "is not a cursor of this list"},
		{`last: 2, before: "not a cursor"`, "before", "is not a cursor of this list"},
		{`before: "` + acmeCursor + `"`, "before", "is not a cursor of this list"},
	} {
		for _, q := range []string{
			`{ accounts(%s) { totalCount } }`,
			`{ account(id: "` + acme.String() + `") { deals(%s) { totalCount } } }`,
		} {
			r := query[any](s, fmt.Sprintf(q, tc.args), nil)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeBadUserInput ||
				r.Errors[0].Extensions["field"] != tc.field || !strings.Contains(r.Errors[0].Message, tc.message) {
				t.Errorf("%s: %+v, want one BAD_USER_INPUT naming %s: %s", fmt.Sprintf(q, tc.args), r.Errors, tc.field, tc.message)
			}
		}
	}
}

// TestOrderByTakesOneKeyOrAList checks that queries written for orderBy
// as one key keep working now that it is a list: a literal object, and a
// variable of the list type holding one object, both read as a list of
// one.
func TestOrderByTakesOneKeyOrAList(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	names := func(q string, vars map[string]any) []string {
		t.Helper()
		r := query[struct{ Accounts page }](s, q, vars)
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		var out []string
		for _, e := range r.Data.Accounts.Edges {
			out = append(out, e.Node.Name)
		}
		return out
	}
	const body = `{ edges { node { id name } } pageInfo { hasNextPage endCursor hasPreviousPage } } }`
	asList := names(`{ accounts(orderBy: [{field: MRR, direction: DESC}]) `+body, nil)
	if diff := cmp.Diff(asList, names(`{ accounts(orderBy: {field: MRR, direction: DESC}) `+body, nil)); diff != "" {
		t.Errorf("a literal object (-list +object):\n%s", diff)
	}
	if diff := cmp.Diff(asList, names(`query($o: [AccountOrder!]) { accounts(orderBy: $o) `+body,
		map[string]any{"o": map[string]any{"field": "MRR", "direction": "DESC"}})); diff != "" {
		t.Errorf("a variable holding an object (-list +object):\n%s", diff)
	}
	r := query[any](s, `{ accounts(orderBy: [{field: NAME}, {field: NAME, direction: DESC}]) { totalCount } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "orderBy" {
		t.Errorf("a key given twice: %+v, want one error naming orderBy", r.Errors)
	}
}
