package graph_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

type page struct {
	Edges []struct {
		Cursor string
		Node   struct{ ID, Name string }
	}
	PageInfo struct {
		HasNextPage     bool
		EndCursor       *string
		HasPreviousPage bool
	}
}

// accountsPage declares $order a list, as orderBy is; its value may still
// be a single key, which variables coerce to a list of one.
const accountsPage = `query($first: Int, $after: String, $order: [AccountOrder!]) {
	accounts(first: $first, after: $after, orderBy: $order) {
		edges { cursor node { id name } }
		pageInfo { hasNextPage endCursor hasPreviousPage }
	}
}`

// walk reads every page of accounts in order, first at a time, calling
// between (if set) after each page.
func walk(t *testing.T, s *server, order map[string]any, first int, between func(page int)) []string {
	t.Helper()
	var names []string
	var after any
	for n := 0; ; n++ {
		r := query[struct{ Accounts page }](s, accountsPage, map[string]any{"first": first, "after": after, "order": order})
		if len(r.Errors) > 0 {
			t.Fatalf("page %d: %v", n, r.Errors)
		}
		p := r.Data.Accounts
		if p.PageInfo.HasPreviousPage != (after != nil) {
			t.Errorf("page %d: hasPreviousPage = %v", n, p.PageInfo.HasPreviousPage)
		}
		for _, e := range p.Edges {
			names = append(names, e.Node.Name)
		}
		if !p.PageInfo.HasNextPage {
			return names
		}
		if len(p.Edges) != first {
			t.Fatalf("page %d has %d edges and more follow", n, len(p.Edges))
		}
		after = *p.PageInfo.EndCursor
		if between != nil {
			between(n)
		}
	}
}

// TestPagination reads every order two accounts at a time and checks the
// pages add up to the whole list, ties included.
func TestPagination(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	for _, field := range []string{"NAME", "MRR", "RENEWAL_DATE", "LAST_TOUCH"} {
		for _, dir := range []string{"ASC", "DESC"} {
			t.Run(field+"_"+dir, func(t *testing.T) {
				order := map[string]any{"field": field, "direction": dir}
				all := walk(t, s, order, 100, nil)
				if len(all) != 5 {
					t.Fatalf("one page: %v", all)
				}
				for _, first := range []int{1, 2, 3} {
					if diff := cmp.Diff(all, walk(t, s, order, first, nil)); diff != "" {
						t.Errorf("first %d (-one page +pages):\n%s", first, diff)
					}
				}
			})
		}
	}
}

// TestPaginationStableUnderInserts inserts accounts between two pages: the
// one sorting before the cursor is not seen, the one after is, and nothing
// repeats or goes missing.
func TestPaginationStableUnderInserts(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	got := walk(t, s, nil, 2, func(page int) {
		if page != 0 {
			return
		}
		for i, name := range []string{"Aardvark Inc", "Zeta Ltd", "Bluth Company"} {
			a := domain.Account{ID: fid(accountIDs, 100+i), Name: name}
			if err := db.Create(&a).Error; err != nil {
				t.Fatal(err)
			}
		}
	})
	// The second Bluth Company has a greater id than the first, which
	// ended page one: it sorts after the cursor.
	want := []string{"Acme Corp", "Bluth Company", "Bluth Company", "Globex", "GLOBEX", "Initech", "Zeta Ltd"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCursorOfAnotherOrder(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	r := query[struct{ Accounts page }](s, accountsPage, map[string]any{"first": 1})
	cursor := *r.Data.Accounts.PageInfo.EndCursor
	r = query[struct{ Accounts page }](s, accountsPage, map[string]any{"first": 1, "after": cursor, "order": map[string]any{"field": "MRR"}})
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != graph.CodeBadUserInput || r.Errors[0].Extensions["field"] != "after" {
		t.Errorf("errors = %+v, want one BAD_USER_INPUT naming after", r.Errors)
	}
}

// TestTimelinePagination reads Acme's timeline a few events at a time,
// filtered and not, and checks the pages add up to the whole.
func TestTimelinePagination(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	const q = `query($first: Int, $after: String, $teams: [Team!], $kinds: [TimelineKind!]) {
		account(id: "000000a1-0000-0000-0000-000000000001") {
			timeline(first: $first, after: $after, teams: $teams, kinds: $kinds) {
				edges { cursor node { kind summary } }
				pageInfo { hasNextPage endCursor }
			}
		}
	}`
	type timeline struct {
		Account struct {
			Timeline struct {
				Edges []struct {
					Node struct{ Kind, Summary string }
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
		}
	}
	read := func(first int, filter map[string]any) []string {
		var out []string
		vars := map[string]any{"first": first}
		for k, v := range filter {
			vars[k] = v
		}
		for {
			r := query[timeline](s, q, vars)
			if len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			tl := r.Data.Account.Timeline
			for _, e := range tl.Edges {
				out = append(out, e.Node.Kind+" "+e.Node.Summary)
			}
			if !tl.PageInfo.HasNextPage {
				return out
			}
			vars["after"] = *tl.PageInfo.EndCursor
		}
	}
	for name, filter := range map[string]map[string]any{
		"all":           nil,
		"sales and cs":  {"teams": []string{"SALES", "CS"}},
		"subscriptions": {"kinds": []string{"SUBSCRIPTION_STARTED", "SUBSCRIPTION_ENDED"}},
		"cs touches":    {"teams": []string{"CS"}, "kinds": []string{"ACTIVITY"}},
	} {
		t.Run(name, func(t *testing.T) {
			all := read(100, filter)
			if len(all) == 0 {
				t.Fatal("empty timeline")
			}
			for _, first := range []int{1, 2, 4} {
				if diff := cmp.Diff(all, read(first, filter)); diff != "" {
					t.Errorf("first %d (-one page +pages):\n%s", first, diff)
				}
			}
		})
	}
}

func TestContactsAndTicketsPagination(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	for _, tc := range []struct {
		list, field string
		want        []string
	}{
		{"contacts", "name", []string{"Anna Ames", "Ben Brook", "Cara Cole"}},
		{"tickets", "subject", []string{"Export times out", "SSO login fails"}},
	} {
		t.Run(tc.list, func(t *testing.T) {
			q := fmt.Sprintf(`query($after: String) {
				account(id: "000000a1-0000-0000-0000-000000000001") {
					list: %s(first: 1, after: $after) { edges { node { value: %s } } pageInfo { hasNextPage endCursor } }
				}
			}`, tc.list, tc.field)
			var got []string
			var after any
			for {
				r := query[struct {
					Account struct {
						List struct {
							Edges    []struct{ Node struct{ Value string } }
							PageInfo struct {
								HasNextPage bool
								EndCursor   *string
							}
						}
					}
				}](s, q, map[string]any{"after": after})
				if len(r.Errors) > 0 {
					t.Fatal(r.Errors)
				}
				l := r.Data.Account.List
				for _, e := range l.Edges {
					got = append(got, e.Node.Value)
				}
				if !l.PageInfo.HasNextPage {
					break
				}
				after = *l.PageInfo.EndCursor
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// countStatements counts the SQL statements gorm sends from now on.
func countStatements(db *gorm.DB) *atomic.Int64 {
	var n atomic.Int64
	count := func(*gorm.DB) { n.Add(1) }
	cb := db.Callback()
	for _, err := range []error{
		cb.Query().After("gorm:query").Register("test:count", count),
		cb.Row().After("gorm:row").Register("test:count", count),
		cb.Raw().After("gorm:raw").Register("test:count", count),
	} {
		if err != nil {
			panic(err)
		}
	}
	return &n
}

// seedMany adds n accounts, each with two teammates of four, a
// subscription item, seven touches, two tickets, one open, and two
// contacts, deals and survey responses, older than the touches, for
// counting statements.
func seedMany(t *testing.T, db *gorm.DB, n int) {
	t.Helper()
	src := fixtureSources()[0]
	if err := db.Create(&src).Error; err != nil {
		t.Fatal(err)
	}
	var people []domain.Person
	for i := range 4 {
		people = append(people, domain.Person{ID: fid(personIDs, i+1), Name: fmt.Sprintf("Person %d", i+1), Team: domain.Teams[i]})
	}
	var accounts []domain.Account
	var members []domain.AccountTeamMember
	var items []domain.SubscriptionItem
	var activities []domain.Activity
	var tickets []domain.Ticket
	var contacts []domain.Contact
	var deals []domain.Deal
	var surveys []domain.SurveyResponse
	for i := range n {
		id := fid(accountIDs, i+1)
		accounts = append(accounts, domain.Account{ID: id, Name: fmt.Sprintf("Account %03d", i+1), Provenance: domain.Provenance{SourceID: &src.ID, ExternalID: fmt.Sprint(i)}})
		for j := range 2 {
			members = append(members, domain.AccountTeamMember{ID: fid(memberIDs, 2*i+j+1), AccountID: id, PersonID: people[(i+j)%4].ID, Role: domain.Roles[j], Provenance: domain.Provenance{ExternalID: fmt.Sprint(2*i + j)}})
		}
		items = append(items, domain.SubscriptionItem{ID: fid(subscriptionIDs, i+1), AccountID: id, Plan: "Pro", Amount: dec("100"), Currency: "USD", Interval: "month", StartsAt: at("2024-01-01T00:00:00Z"), Provenance: domain.Provenance{ExternalID: fmt.Sprint(i)}})
		for j := range 7 {
			activities = append(activities, domain.Activity{ID: fid(activityIDs, 7*i+j+1), AccountID: id, PersonID: &people[j%4].ID, Team: domain.Teams[j%4], Kind: "email", Direction: "outbound",
				OccurredAt: at("2025-01-01T00:00:00Z").AddDate(0, 0, j), Subject: fmt.Sprint("touch ", j), Provenance: domain.Provenance{ExternalID: fmt.Sprint(7*i + j)}})
		}
		for j, status := range []string{"open", "solved"} {
			tickets = append(tickets, domain.Ticket{ID: fid(ticketIDs, 2*i+j+1), AccountID: id, AssigneeID: &people[3].ID, Subject: "help", Priority: "normal", Status: status,
				OpenedAt: at("2025-02-01T00:00:00Z").AddDate(0, 0, j), Provenance: domain.Provenance{ExternalID: fmt.Sprint(2*i + j)}})
			ext := domain.Provenance{ExternalID: fmt.Sprint(2*i + j)}
			contacts = append(contacts, domain.Contact{ID: fid(contactIDs, 2*i+j+1), AccountID: id, Name: fmt.Sprint("Contact ", j), Provenance: ext})
			deals = append(deals, domain.Deal{ID: fid(dealIDs, 2*i+j+1), AccountID: id, Name: fmt.Sprint("Deal ", j), Status: "won", Kind: "new",
				Amount: dec("1000"), Currency: "USD", ClosedAt: ptr(at("2023-06-01T00:00:00Z").AddDate(0, 0, j)), Provenance: ext})
			surveys = append(surveys, domain.SurveyResponse{ID: fid(surveyIDs, 2*i+j+1), AccountID: id, Kind: "nps", Score: 7 + j,
				RespondedAt: at("2023-07-01T00:00:00Z").AddDate(0, 0, j), Provenance: ext})
		}
	}
	for _, rows := range []any{&people, &accounts, &members, &items, &activities, &tickets, &contacts, &deals, &surveys} {
		if err := db.Create(rows).Error; err != nil {
			t.Fatal(err)
		}
	}
}

// TestStatementsPerPage checks that the dataloaders batch: a page of
// accounts with their teams, teammates, MRR and source costs the same
// statements for 10 accounts as for 50.
func TestStatementsPerPage(t *testing.T) {
	db := openDB(t)
	seedMany(t, db, 100)
	_, err := store.New(db).Rescore(context.Background(), health.RescoreRequest{All: true, AsOf: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	counter := countStatements(db)
	// A quarter second to gather keys: the count is of how the resolvers batch,
	// which a busy machine (or -race) would otherwise split in time.
	st := store.New(db)
	s := newServerWith(t, st, func(o *graph.Options) { o.APIKeys = store.NewKeys(db); o.LoaderWait = 250 * time.Millisecond })
	const q = `query($first: Int) {
		accounts(first: $first) {
			edges { node {
				name team { role person { name team } } mrr { amount } provenance { source { name } }
				lastTouch { occurredAt team } csTouch: lastTouch(team: CS) { occurredAt } openTicketCount
				timeline(first: 5) { edges { node { __typename occurredAt summary ... on ActivityEvent { activity { subject person { name } } } } } }
			} }
		}
	}`
	counts := map[int]int64{}
	for _, first := range []int{10, 100} {
		counter.Store(0)
		r := query[struct {
			Accounts struct {
				Edges []struct {
					Node struct {
						Team            []struct{ Person struct{ Name string } }
						Mrr             struct{ Amount string }
						LastTouch       struct{ OccurredAt string }
						OpenTicketCount int
						Timeline        struct {
							Edges []struct {
								Node struct {
									Typename string `json:"__typename"`
								}
							}
						}
					}
				}
			}
		}](s, q, map[string]any{"first": first})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		edges := r.Data.Accounts.Edges
		last := edges[first-1].Node
		if len(edges) != first || len(last.Team) != 2 || last.Mrr.Amount != "100" || last.OpenTicketCount != 1 ||
			last.LastTouch.OccurredAt != "2025-01-07T00:00:00Z" || len(last.Timeline.Edges) != 5 {
			t.Fatalf("first %d: unexpected page %+v", first, last)
		}
		counts[first] = counter.Load()
	}
	t.Logf("statements: %v", counts)
	// accounts, their teams, the teammates, the MRR, the two last-touch
	// asks, the open tickets, the timelines' events and their activities
	// and tickets, the health scores; sources come from the SourceService.
	if counts[10] != counts[100] || counts[100] > 12 {
		t.Errorf("statements for 10 and 100 accounts = %d and %d, want the same, at most 12", counts[10], counts[100])
	}

	// Health, asked on its own to stay under the complexity limit: the
	// accounts, then their latest scores in one statement.
	const hq = `query($first: Int) {
		accounts(first: $first) { edges { node { name health { score band factors { measure contribution } scorecard { name version } } } } }
	}`
	for _, first := range []int{10, 100} {
		counter.Store(0)
		r := query[struct {
			Accounts struct {
				Edges []struct {
					Node struct{ Health *struct{ Score *float64 } }
				}
			}
		}](s, hq, map[string]any{"first": first})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		if last := r.Data.Accounts.Edges[first-1].Node; last.Health == nil || last.Health.Score == nil {
			t.Fatalf("first %d: no health on the last account", first)
		}
		counts[first] = counter.Load()
	}
	t.Logf("statements with health: %v", counts)
	if counts[10] != counts[100] || counts[100] > 2 {
		t.Errorf("statements with health for 10 and 100 accounts = %d and %d, want the same, at most 2", counts[10], counts[100])
	}

	// The connections under each account, with their totals: one
	// statement per list for the pages of every account, one per list
	// for the totals, one for the tickets' assignees.
	const lq = `query($first: Int) {
		accounts(first: $first) { edges { node {
			contacts(first: 1) { totalCount edges { node { name } } }
			tickets(first: 1, filter: {status: [OPEN]}) { totalCount edges { node { subject assignee { name team } } } }
			deals(first: 1, orderBy: {field: AMOUNT, direction: DESC}) { totalCount edges { node { name } } pageInfo { hasNextPage } }
			surveys(last: 1) { totalCount edges { node { score } } pageInfo { hasPreviousPage } }
		} } }
	}`
	for _, first := range []int{10, 100} {
		counter.Store(0)
		r := query[struct {
			Accounts struct {
				Edges []struct {
					Node map[string]struct {
						TotalCount int
						Edges      []any
					}
				}
			}
		}](s, lq, map[string]any{"first": first})
		if len(r.Errors) > 0 {
			t.Fatal(r.Errors)
		}
		last := r.Data.Accounts.Edges[first-1].Node
		for name, want := range map[string]int{"contacts": 2, "tickets": 1, "deals": 2, "surveys": 2} {
			if last[name].TotalCount != want || len(last[name].Edges) != 1 {
				t.Fatalf("first %d: %s of the last account: %+v", first, name, last[name])
			}
		}
		if got := fmt.Sprint(last["tickets"].Edges[0]); !strings.Contains(got, "Person 4") {
			t.Fatalf("first %d: the open ticket's assignee is not Person 4: %s", first, got)
		}
		counts[first] = counter.Load()
	}
	t.Logf("statements with the lists: %v", counts)
	if counts[10] != counts[100] || counts[100] > 10 {
		t.Errorf("statements with the lists for 10 and 100 accounts = %d and %d, want the same, at most 10", counts[10], counts[100])
	}

	// The dashboard's figures are counted in the database: as many
	// statements for 9 accounts as for 100.
	const sq = `query($filter: AccountFilter) { healthSummary(filter: $filter) {
		all { accounts green mrr { amount } } byTier { counts { accounts } } byOwner { owner { name } counts { accounts } }
	} }`
	for n, filter := range map[int]map[string]any{9: {"nameContains": "Account 00"}, 100: nil} {
		counter.Store(0)
		r := query[struct {
			HealthSummary struct {
				All struct{ Accounts int }
			}
		}](s, sq, map[string]any{"filter": filter})
		if len(r.Errors) > 0 || r.Data.HealthSummary.All.Accounts != n {
			t.Fatalf("summary of %d accounts: %+v", n, r)
		}
		counts[n] = counter.Load()
	}
	t.Logf("statements of healthSummary: %v", counts)
	if counts[9] != counts[100] || counts[100] > 3 {
		t.Errorf("statements of healthSummary for 9 and 100 accounts = %d and %d, want the same, at most 3", counts[9], counts[100])
	}

	// Objects by id: one statement finds the kinds of them all, then one
	// per kind loads them.
	ids := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fid(accountIDs, i+1).String(), fid(contactIDs, i+1).String())
		}
		return out
	}
	for _, n := range []int{5, 50} {
		counter.Store(0)
		r := query[struct{ Nodes []*struct{ ID string } }](s, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids(n)})
		if len(r.Errors) > 0 || len(r.Data.Nodes) != 2*n || r.Data.Nodes[2*n-1] == nil {
			t.Fatalf("nodes of %d: %+v", 2*n, r)
		}
		counts[n] = counter.Load()
	}
	t.Logf("statements of nodes: %v", counts)
	if counts[5] != 3 || counts[50] != 3 {
		t.Errorf("statements of nodes for 10 and 100 ids = %d and %d, want 3", counts[5], counts[50])
	}
}

// brokenBackend is the store with one method failing the way a database
// or a bug does.
type brokenBackend struct {
	*store.Store
	err    error
	panics bool
}

func (b brokenBackend) Deals(ctx context.Context, accountIDs []uuid.UUID, q domain.DealQuery) (map[uuid.UUID]domain.DealPage, error) {
	if b.panics {
		var m map[string]int
		m["boom"]++
	}
	return nil, b.err
}

// TestInternalErrorsDoNotLeak checks that a database error or a panic
// reaches the client as "internal error" and the log in full.
func TestInternalErrorsDoNotLeak(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	sqlErr := errors.New(`store: deals: ERROR: relation "deals" does not exist (SQLSTATE 42P01)`)
	for name, backend := range map[string]graph.Backend{
		"error": brokenBackend{Store: store.New(db), err: sqlErr},
		"panic": brokenBackend{Store: store.New(db), panics: true},
	} {
		t.Run(name, func(t *testing.T) {
			s := newServerWith(t, backend, nil)
			body := string(s.post(`{ account(id: "000000a1-0000-0000-0000-000000000001") { name deals { edges { node { id } } } } }`, nil))
			want := `{"errors":[{"message":"internal error","path":["account","deals"],"locations":[{"line":1,"column":62}],"extensions":{"code":"INTERNAL"}}],"data":{"account":null}}`
			if body != want {
				t.Errorf("response\n%s\nwant\n%s", body, want)
			}
			logs := s.logs.String()
			for _, leak := range []string{"SQLSTATE", "relation", "panic", "goroutine"} {
				if strings.Contains(body, leak) {
					t.Errorf("response leaks %q: %s", leak, body)
				}
			}
			wantLog := map[string]string{"error": "SQLSTATE 42P01", "panic": "assignment to entry in nil map"}[name]
			if !strings.Contains(logs, wantLog) || !strings.Contains(logs, "account.deals") {
				t.Errorf("log lacks %q and the path:\n%s", wantLog, logs)
			}
		})
	}
}

// TestSourceServiceErrorsDoNotLeak covers the other side: a failing
// SourceService.
func TestSourceServiceErrorsDoNotLeak(t *testing.T) {
	db := openDB(t)
	s := newServer(t, db)
	s.sources.err = errors.New(`sources: list: dial tcp 10.0.0.7:5432: connect: connection refused`)
	r := query[any](s, `{ sources { name } }`, nil)
	if len(r.Errors) != 1 || r.Errors[0].Message != "internal error" || r.Errors[0].Extensions["code"] != graph.CodeInternal {
		t.Errorf("errors = %+v", r.Errors)
	}
	if !strings.Contains(s.logs.String(), "connection refused") {
		t.Errorf("log lacks the cause:\n%s", s.logs)
	}
}

// TestSecretsNeverLeave asks for everything a source has and looks for the
// secret values in the response.
func TestSecretsNeverLeave(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	body := string(s.post(`{
		sources { id name kind schedule config secretFields createdAt updatedAt }
		source(id: "0000c0c1-0000-0000-0000-000000000002") { config secretFields }
	}`, nil))
	if strings.Contains(body, "s3cr3t") {
		t.Errorf("a secret leaked: %s", body)
	}
	if !strings.Contains(body, `"secretFields":["api_key","webhook_secret"]`) {
		t.Errorf("secret names missing: %s", body)
	}
}

func TestHTTP(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	s := newServer(t, db)
	get := func(path string) (int, string) {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	t.Run("GraphiQL", func(t *testing.T) {
		code, body := get("/")
		if code != http.StatusOK || !strings.Contains(body, "graphiql") || !strings.Contains(body, "/query") {
			t.Errorf("GET / = %d %.200s", code, body)
		}
	})
	t.Run("GET query", func(t *testing.T) {
		code, body := get("/query?query=" + url.QueryEscape(`{ sources { name } }`))
		if code != http.StatusOK || body != `{"data":{"sources":[{"name":"hubspot"},{"name":"stripe"},{"name":"zendesk"}]}}` {
			t.Errorf("GET /query = %d %s", code, body)
		}
	})
	t.Run("GET mutation", func(t *testing.T) {
		_, body := get("/query?query=" + url.QueryEscape(`mutation { deleteSource(id: "0000c0c1-0000-0000-0000-000000000001") }`))
		if !strings.Contains(body, "errors") || len(s.sources.sources) != 3 {
			t.Errorf("a mutation over GET ran: %s", body)
		}
	})
	t.Run("body too large", func(t *testing.T) {
		big := `{"query": "{ sources { name } }", "variables": {"pad": "` + strings.Repeat("x", graph.MaxRequestBytes) + `"}}`
		resp, err := http.Post(s.url+"/query", "application/json", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("other methods", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodDelete, s.url+"/query", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("DELETE /query = %d", resp.StatusCode)
		}
	})
}
