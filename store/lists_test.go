package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/store"
)

// ticketSubjects reads the tickets of account a in q's order one at a time,
// forward then back, and fails unless both ways give the same list.
func ticketSubjects(t *testing.T, s *store.Store, a uuid.UUID, q domain.TicketQuery) []string {
	t.Helper()
	ctx := context.Background()
	var fwd, back []string
	q.Window = domain.Window[domain.Cursor]{First: 1}
	for {
		pages, err := s.Tickets(ctx, []uuid.UUID{a}, q)
		if err != nil {
			t.Fatal(err)
		}
		p := pages[a]
		for _, tk := range p.Items {
			fwd = append(fwd, tk.Subject)
		}
		if !p.HasNext {
			break
		}
		q.After = &p.Cursors[len(p.Cursors)-1]
	}
	q.Window = domain.Window[domain.Cursor]{Last: 1}
	for {
		pages, err := s.Tickets(ctx, []uuid.UUID{a}, q)
		if err != nil {
			t.Fatal(err)
		}
		p := pages[a]
		for _, tk := range p.Items {
			back = append([]string{tk.Subject}, back...)
		}
		if !p.HasPrevious {
			break
		}
		q.Before = &p.Cursors[0]
	}
	if diff := cmp.Diff(fwd, back); diff != "" {
		t.Errorf("%+v: forward and back differ (-forward +back):\n%s", q.Order, diff)
	}
	return fwd
}

// TestTicketOrdersAndFilters orders tickets by keys in both directions at
// once, and by keys some tickets have no value for, which come last
// either way; and filters them.
func TestTicketOrdersAndFilters(t *testing.T) {
	s, db := openStore(t)
	a := id(1)
	ticket := func(n int, subject, priority, status, opened string, resolved *time.Time) domain.Ticket {
		return domain.Ticket{ID: id(n), AccountID: a, Subject: subject, Priority: priority, Status: status,
			OpenedAt: ts(opened), ResolvedAt: resolved, Provenance: ext(fmt.Sprint(n))}
	}
	insert(t, db,
		&domain.Account{ID: a, Name: "a"},
		&[]domain.Ticket{
			ticket(10, "low old", "low", "closed", "2025-01-01T00:00:00Z", ptr(ts("2025-01-05T00:00:00Z"))),
			ticket(11, "urgent new", "urgent", "open", "2025-03-01T00:00:00Z", nil),
			ticket(12, "urgent old", "urgent", "solved", "2025-02-01T00:00:00Z", ptr(ts("2025-02-02T00:00:00Z"))),
			ticket(13, "none", "", "new", "2025-02-15T00:00:00Z", nil),
			ticket(14, "high", "high", "pending", "2025-02-10T00:00:00Z", nil),
		},
	)
	for _, tc := range []struct {
		order []domain.Order[domain.TicketSort]
		want  []string
	}{
		{nil, []string{"urgent new", "none", "high", "urgent old", "low old"}},
		// Most urgent first, the oldest first within a priority; no
		// priority last.
		{[]domain.Order[domain.TicketSort]{{By: domain.TicketByPriority, Desc: true}, {By: domain.TicketByOpenedAt}},
			[]string{"urgent old", "urgent new", "high", "low old", "none"}},
		{[]domain.Order[domain.TicketSort]{{By: domain.TicketByPriority}}, []string{"low old", "high", "urgent new", "urgent old", "none"}},
		// Not resolved: last either way, by id in the direction of the
		// key.
		{[]domain.Order[domain.TicketSort]{{By: domain.TicketByResolvedAt}}, []string{"low old", "urgent old", "urgent new", "none", "high"}},
		{[]domain.Order[domain.TicketSort]{{By: domain.TicketByResolvedAt, Desc: true}}, []string{"urgent old", "low old", "high", "none", "urgent new"}},
	} {
		if diff := cmp.Diff(tc.want, ticketSubjects(t, s, a, domain.TicketQuery{Order: tc.order})); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.order, diff)
		}
	}
	for _, tc := range []struct {
		filter domain.TicketFilter
		want   []string
	}{
		{domain.TicketFilter{Statuses: []string{"new", "open", "pending"}}, []string{"urgent new", "none", "high"}},
		{domain.TicketFilter{Priorities: []string{"urgent"}, SubjectContains: "OLD"}, []string{"urgent old"}},
		{domain.TicketFilter{OpenedAt: domain.TimeRange{From: ptr(ts("2025-02-01T00:00:00Z")), To: ptr(ts("2025-02-15T00:00:00Z"))}},
			[]string{"high", "urgent old"}},
	} {
		if diff := cmp.Diff(tc.want, ticketSubjects(t, s, a, domain.TicketQuery{Filter: tc.filter})); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.filter, diff)
		}
		n, err := s.CountTickets(context.Background(), []uuid.UUID{a}, tc.filter)
		if err != nil || n[a] != len(tc.want) {
			t.Errorf("%+v: count %v, %v", tc.filter, n, err)
		}
	}
}

// TestListsOfManyAccounts reads the first and last pages of the contacts,
// deals and surveys of several accounts in one call each: every account's
// page is its own page read alone, and accounts without rows get an empty
// page.
func TestListsOfManyAccounts(t *testing.T) {
	s, db := openStore(t)
	accounts := []uuid.UUID{id(1), id(2), id(3)}
	insert(t, db, &[]domain.Account{{ID: id(1), Name: "a"}, {ID: id(2), Name: "b"}, {ID: id(3), Name: "empty"}})
	var contacts []domain.Contact
	var deals []domain.Deal
	var surveys []domain.SurveyResponse
	for i, a := range accounts[:2] {
		for j := range 3 {
			n := 100 + 10*i + j
			contacts = append(contacts, domain.Contact{ID: id(n), AccountID: a, Name: fmt.Sprintf("c%d", j), Email: fmt.Sprintf("c%d@x.com", j), Provenance: ext(fmt.Sprint(n))})
			deals = append(deals, domain.Deal{ID: id(n + 100), AccountID: a, Name: fmt.Sprintf("d%d", j), Status: "won", Amount: decimal.NewFromInt(int64(100 * (3 - j))),
				ClosedAt: ptr(ts("2025-01-01T00:00:00Z").AddDate(0, j, 0)), Provenance: ext(fmt.Sprint(n))})
			surveys = append(surveys, domain.SurveyResponse{ID: id(n + 200), AccountID: a, Kind: "nps", Score: 5 + j,
				RespondedAt: ts("2025-01-01T00:00:00Z").AddDate(0, 0, j), Provenance: ext(fmt.Sprint(n))})
		}
	}
	insert(t, db, &contacts, &deals, &surveys)
	ctx := context.Background()
	for _, w := range []domain.Window[domain.Cursor]{{First: 2}, {Last: 2}, {First: 5}} {
		cq := domain.ContactQuery{Order: []domain.Order[domain.ContactSort]{{By: domain.ContactByEmail, Desc: true}}, Window: w}
		dq := domain.DealQuery{Order: []domain.Order[domain.DealSort]{{By: domain.DealByAmount}}, Window: w}
		sq := domain.SurveyQuery{Filter: domain.SurveyFilter{Score: domain.Range[int]{Min: ptr(6)}}, Window: w}
		allC, err := s.Contacts(ctx, accounts, cq)
		if err != nil {
			t.Fatal(err)
		}
		allD, err := s.Deals(ctx, accounts, dq)
		if err != nil {
			t.Fatal(err)
		}
		allS, err := s.Surveys(ctx, accounts, sq)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range accounts {
			oneC, err := s.Contacts(ctx, []uuid.UUID{a}, cq)
			if err != nil {
				t.Fatal(err)
			}
			oneD, err := s.Deals(ctx, []uuid.UUID{a}, dq)
			if err != nil {
				t.Fatal(err)
			}
			oneS, err := s.Surveys(ctx, []uuid.UUID{a}, sq)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(oneC[a], allC[a]); diff != "" {
				t.Errorf("contacts of %s, %+v (-alone +together):\n%s", a, w, diff)
			}
			if diff := cmp.Diff(oneD[a], allD[a], cmp.Comparer(decimal.Decimal.Equal)); diff != "" {
				t.Errorf("deals of %s, %+v (-alone +together):\n%s", a, w, diff)
			}
			if diff := cmp.Diff(oneS[a], allS[a]); diff != "" {
				t.Errorf("surveys of %s, %+v (-alone +together):\n%s", a, w, diff)
			}
		}
		if p := allC[id(3)]; len(p.Items) != 0 || p.HasNext || p.HasPrevious {
			t.Errorf("an account without contacts: %+v", p)
		}
		var names []string
		for _, c := range allC[id(1)].Items {
			names = append(names, c.Name)
		}
		want := map[int][]string{2: {"c2", "c1"}, 5: {"c2", "c1", "c0"}}[w.Size()]
		if w.Backward() {
			want = []string{"c1", "c0"}
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("contacts by email down, %+v (-want +got):\n%s", w, diff)
		}
		if n := len(allS[id(2)].Items); n != min(2, w.Size()) {
			t.Errorf("surveys scoring 6 or more, %+v: %d", w, n)
		}
	}
	counts, err := s.CountDeals(ctx, accounts, domain.DealFilter{Amount: domain.Range[decimal.Decimal]{Max: ptr(decimal.NewFromInt(200))}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[uuid.UUID]int{id(1): 2, id(2): 2, id(3): 0}, counts); diff != "" {
		t.Errorf("deals of 200 or less (-want +got):\n%s", diff)
	}
}

// TestNodeKinds finds the table of each id in one statement; deleted rows
// are gone, but deleted teammates, whom old rows still name, are not.
func TestNodeKinds(t *testing.T) {
	s, db := openStore(t)
	gone := domain.Timestamps{DeletedAt: ptr(ts("2025-01-01T00:00:00Z"))}
	insert(t, db,
		&domain.Source{ID: id(1), Kind: "csv", Name: "csv"},
		&[]domain.Account{{ID: id(2), Name: "a"}, {ID: id(3), Name: "gone", Timestamps: gone}},
		&[]domain.Person{{ID: id(4), Name: "p", Provenance: ext("4"), Timestamps: gone}},
		&domain.Contact{ID: id(5), AccountID: id(2), Name: "c", Provenance: ext("5")},
		&domain.Activity{ID: id(6), AccountID: id(2), Kind: "call", OccurredAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("6")},
		&domain.SyncRun{ID: id(7), SourceID: id(1), Status: domain.RunSucceeded, StartedAt: ts("2025-01-01T00:00:00Z")},
	)
	kinds, err := s.NodeKinds(context.Background(), []uuid.UUID{id(1), id(2), id(3), id(4), id(5), id(6), id(7), id(8), id(2)})
	if err != nil {
		t.Fatal(err)
	}
	want := map[uuid.UUID]domain.NodeKind{id(1): domain.NodeSource, id(2): domain.NodeAccount, id(4): domain.NodePerson,
		id(5): domain.NodeContact, id(6): domain.NodeActivity, id(7): domain.NodeSyncRun}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAddNote keeps a note with its author, and refuses one naming every
// field at fault.
func TestAddNote(t *testing.T) {
	s, db := openStore(t)
	insert(t, db, &[]domain.Account{{ID: id(1), Name: "a"}, {ID: id(2), Name: "b"}},
		&domain.Contact{ID: id(3), AccountID: id(2), Name: "c", Provenance: ext("3")})
	ctx := context.Background()
	at := ts("2025-06-01T12:00:00Z")
	note, err := s.AddNote(ctx, domain.NoteInput{AccountID: id(2), ContactID: ptr(id(3)), Body: " call back ", Author: "ops", At: at})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ActivitiesByID(ctx, []uuid.UUID{note.ID})
	if err != nil {
		t.Fatal(err)
	}
	if a := got[note.ID]; a.Kind != "note" || a.Subject != "call back" || a.Author != "ops" || !a.OccurredAt.Equal(at) ||
		a.ContactID == nil || *a.ContactID != id(3) || a.SourceID != nil {
		t.Errorf("kept %+v", a)
	}
	_, err = s.AddNote(ctx, domain.NoteInput{AccountID: id(1), ContactID: ptr(id(3)), Body: "", At: at})
	var inputErr *domain.InputError
	if !errors.As(err, &inputErr) {
		t.Fatalf("%v, want an InputError", err)
	}
	var fields []string
	for _, p := range inputErr.Problems {
		fields = append(fields, p.Field)
	}
	if diff := cmp.Diff([]string{"body", "contactId"}, fields); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

// TestHealthSummary counts accounts by the band of their latest score on
// or before the day, an account with two owners in both their books.
func TestHealthSummary(t *testing.T) {
	s, db := openStore(t)
	insert(t, db,
		&[]domain.Person{{ID: id(10), Name: "Zoe", Provenance: ext("10")}, {ID: id(11), Name: "Ann", Provenance: ext("11")}},
		&[]domain.Account{
			{ID: id(1), Name: "a", Tier: "A", Segment: "smb", Lifecycle: "customer"},
			{ID: id(2), Name: "b", Tier: "A", Segment: "", Lifecycle: "customer"},
			{ID: id(3), Name: "c", Tier: "", Segment: "smb", Lifecycle: ""},
		},
		&[]domain.AccountTeamMember{
			{ID: id(20), AccountID: id(1), PersonID: id(10), Role: "cs", Provenance: ext("20")},
			{ID: id(21), AccountID: id(1), PersonID: id(11), Role: "cs", Provenance: ext("21")},
			{ID: id(22), AccountID: id(2), PersonID: id(11), Role: "sales", Provenance: ext("22")},
		},
		&[]domain.SubscriptionItem{
			{ID: id(30), AccountID: id(1), Amount: dec("10"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("30")},
			{ID: id(31), AccountID: id(2), Amount: dec("99"), Currency: "CHF", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("31")},
		},
	)
	for _, h := range []struct {
		account uuid.UUID
		day     string
		band    string
	}{{id(1), "2025-05-01", "red"}, {id(1), "2025-05-10", "green"}, {id(2), "2025-05-05", "yellow"}} {
		if err := db.Exec(`INSERT INTO account_health (account_id, day, score, band, factors, scorecard_name, scorecard_version, scorecard_match, computed_at)
			VALUES (?, ?, 50, ?, '[]', 'default', 1, 'default', now())`, h.account, h.day, h.band).Error; err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	sum, err := s.HealthSummary(ctx, health.SummaryQuery{AsOf: ts("2025-05-06T12:00:00Z"), OwnerRole: "cs"})
	if err != nil {
		t.Fatal(err)
	}
	usd := func(amount string, missing ...string) domain.Money {
		if missing == nil {
			missing = []string{}
		}
		return domain.Money{Amount: dec(amount), Currency: "USD", MissingRates: missing}
	}
	counts := func(accounts, red, yellow, green, unscored int, mrr domain.Money) health.BandCounts {
		return health.BandCounts{Accounts: accounts, Red: red, Yellow: yellow, Green: green, Unscored: unscored, MRR: mrr}
	}
	// On 05-06, a is still red (its green is of 05-10), b yellow, c never
	// scored.
	group := func(key string, c health.BandCounts) health.SummaryGroup {
		return health.SummaryGroup{Key: key, Counts: c}
	}
	bandMRR := func(b health.Band, n int, m domain.Money) health.BandMRR {
		return health.BandMRR{Band: b, Accounts: n, MRR: m}
	}
	want := &health.Summary{
		Query: health.SummaryQuery{AsOf: ts("2025-05-06T12:00:00Z"), OwnerRole: "cs"}, Day: ts("2025-05-06T00:00:00Z"),
		All: counts(3, 1, 1, 0, 1, usd("10", "CHF")),
		ByTier: []health.SummaryGroup{group("A", counts(2, 1, 1, 0, 0, usd("10", "CHF"))), group("B", counts(0, 0, 0, 0, 0, usd("0"))),
			group("C", counts(0, 0, 0, 0, 0, usd("0"))), group("", counts(1, 0, 0, 0, 1, usd("0")))},
		BySegment: []health.SummaryGroup{group("smb", counts(2, 1, 0, 0, 1, usd("10"))), group("", counts(1, 0, 1, 0, 0, usd("0", "CHF")))},
		ByLifecycle: []health.SummaryGroup{group("prospect", counts(0, 0, 0, 0, 0, usd("0"))), group("onboarding", counts(0, 0, 0, 0, 0, usd("0"))),
			group("customer", counts(2, 1, 1, 0, 0, usd("10", "CHF"))), group("churned", counts(0, 0, 0, 0, 0, usd("0"))), group("", counts(1, 0, 0, 0, 1, usd("0")))},
		// a is in both CS books, by name: Ann, then Zoe.
		ByOwner: []health.SummaryGroup{group(id(11).String(), counts(1, 1, 0, 0, 0, usd("10"))), group(id(10).String(), counts(1, 1, 0, 0, 0, usd("10"))),
			group("", counts(2, 0, 1, 0, 1, usd("0", "CHF")))},
		MRRByBand: []health.BandMRR{bandMRR(health.BandRed, 1, usd("10")), bandMRR(health.BandYellow, 1, usd("0", "CHF")),
			bandMRR(health.BandGreen, 0, usd("0")), bandMRR(health.BandNone, 1, usd("0"))},
	}
	if diff := cmp.Diff(want, sum, cmp.Comparer(decimal.Decimal.Equal)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := s.HealthSummary(ctx, health.SummaryQuery{AsOf: ts("2025-05-06T12:00:00Z"), OwnerRole: "boss"}); err == nil {
		t.Error("an unknown owner role was accepted")
	}
}

// TestIdentitySuggestionPages filters and orders the open suggestions,
// and pages them back.
func TestIdentitySuggestionPages(t *testing.T) {
	s, db := openStore(t)
	insert(t, db, &[]domain.Account{{ID: id(1), Name: "a"}, {ID: id(2), Name: "b"}, {ID: id(3), Name: "c"}})
	for n, sg := range []struct {
		a, b       uuid.UUID
		by         string
		confidence float64
	}{{id(1), id(2), "name", 0.6}, {id(1), id(3), "domain", 0.7}, {id(2), id(3), "name", 0.5}} {
		if err := db.Exec(`INSERT INTO identity_suggestions (id, account_a, candidate_b, matched_by, key, confidence, created_at)
			VALUES (?, ?, ?, ?, 'k', ?, ?)`, id(10+n), sg.a, sg.b, sg.by, sg.confidence, ts("2025-01-01T00:00:00Z").AddDate(0, 0, n)).Error; err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	q := identity.SuggestionQuery{Order: []domain.Order[identity.SuggestionSort]{{By: identity.SuggestionByConfidence, Desc: true}},
		Window: domain.Window[domain.Cursor]{Last: 2}}
	page, err := s.IdentitySuggestions(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 2 || page.Items[0].ID != id(10) || page.Items[1].ID != id(12) || !page.HasPrevious || page.HasNext {
		t.Errorf("the last two by confidence down: %+v", page)
	}
	if page.Items[0].Account.Name != "a" || page.Items[0].Candidate.Name != "b" {
		t.Errorf("accounts of the suggestion: %+v", page.Items[0])
	}
	f := identity.SuggestionFilter{MatchedBy: []string{"name"}, AccountID: ptr(id(3))}
	n, err := s.CountIdentitySuggestions(ctx, f)
	if err != nil || n != 1 {
		t.Errorf("count of %+v: %d, %v", f, n, err)
	}
}
