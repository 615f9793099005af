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
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// openStore gives the test a migrated database of its own.
func openStore(t *testing.T) (*store.Store, *gorm.DB) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return store.New(db), db
}

func insert(t *testing.T, db *gorm.DB, rows ...any) {
	t.Helper()
	for _, r := range rows {
		if err := db.Create(r).Error; err != nil {
			t.Fatalf("insert %T: %v", r, err)
		}
	}
}

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("00000000-0000-0000-0000-%012d", n)) }

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

// created is the timestamps of a row created at s.
func created(s string) domain.Timestamps {
	return domain.Timestamps{CreatedAt: ts(s), UpdatedAt: ts(s)}
}

// ext is the provenance of a row from no source in particular: tables keyed
// on (source, external id) need the id.
func ext(externalID string) domain.Provenance { return domain.Provenance{ExternalID: externalID} }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// readAll pages through q one account at a time and returns the names;
// checking on the way that each page says rows come before it exactly
// when it is not the first.
func readAll(t *testing.T, s *store.Store, q domain.AccountQuery) []string {
	t.Helper()
	var names []string
	q.Window = domain.Window[domain.Cursor]{First: 1}
	for {
		page, err := s.Accounts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if page.HasPrevious != (q.After != nil) {
			t.Errorf("after %v: hasPrevious %v", q.After, page.HasPrevious)
		}
		for _, a := range page.Items {
			names = append(names, a.Name)
		}
		if !page.HasNext {
			return names
		}
		q.After = &page.Cursors[len(page.Cursors)-1]
	}
}

// readBack pages through q back from its end, two accounts at a time, and
// returns the names in the list's order.
func readBack(t *testing.T, s *store.Store, q domain.AccountQuery) []string {
	t.Helper()
	var names []string
	q.Window = domain.Window[domain.Cursor]{Last: 2}
	for {
		page, err := s.Accounts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if page.HasNext != (q.Before != nil) {
			t.Errorf("before %v: hasNext %v", q.Before, page.HasNext)
		}
		var these []string
		for _, a := range page.Items {
			these = append(these, a.Name)
		}
		names = append(these, names...)
		if !page.HasPrevious {
			return names
		}
		q.Before = &page.Cursors[0]
	}
}

func TestAccountOrders(t *testing.T) {
	s, db := openStore(t)
	now := ts("2025-06-01T00:00:00Z")
	insert(t, db,
		&[]domain.Account{
			{ID: id(1), Name: "beta", Tier: "B", RenewalDate: ptr(ts("2025-07-01T00:00:00Z")), Timestamps: created("2025-01-01T00:00:00Z")},
			{ID: id(2), Name: "Alpha", Tier: "C", RenewalDate: ptr(ts("2025-07-01T00:00:00Z")), Timestamps: created("2025-01-02T00:00:00Z")},
			{ID: id(3), Name: "ALPHA", Timestamps: created("2025-01-03T00:00:00Z")},
			{ID: id(4), Name: "gamma", Tier: "A", RenewalDate: ptr(ts("2025-08-01T00:00:00Z")), Timestamps: created("2025-01-04T00:00:00Z")},
			{ID: id(5), Name: "deleted", Timestamps: domain.Timestamps{DeletedAt: ptr(now)}},
		},
		&[]domain.SubscriptionItem{
			{ID: id(11), AccountID: id(1), Amount: dec("120"), Currency: "USD", Interval: "year", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("1")},
			{ID: id(12), AccountID: id(4), Amount: dec("10"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("2")},
			// Starts after now: not billing yet.
			{ID: id(13), AccountID: id(2), Amount: dec("999"), Currency: "USD", Interval: "month", StartsAt: ts("2025-07-01T00:00:00Z"), Provenance: ext("3")},
		},
		&[]domain.Activity{
			{ID: id(21), AccountID: id(1), Kind: "call", OccurredAt: ts("2025-05-01T00:00:00Z"), Provenance: ext("1")},
			// In the future: not a touch yet.
			{ID: id(22), AccountID: id(2), Kind: "call", OccurredAt: ts("2025-07-01T00:00:00Z"), Provenance: ext("2")},
			{ID: id(23), AccountID: id(2), Kind: "call", OccurredAt: ts("2025-03-01T00:00:00Z"), Provenance: ext("3")},
			// Deleted: not a touch.
			{ID: id(24), AccountID: id(4), Kind: "call", OccurredAt: ts("2025-05-30T00:00:00Z"), Provenance: ext("4"), Timestamps: domain.Timestamps{DeletedAt: ptr(now)}},
		},
	)
	// beta's latest score (55.5) counts, not its older one; ALPHA and
	// gamma were never scored.
	for _, h := range []struct {
		account uuid.UUID
		day     string
		score   string
	}{{id(1), "2025-04-01", "10"}, {id(1), "2025-05-01", "55.5"}, {id(2), "2025-05-01", "40"}} {
		if err := db.Exec(`INSERT INTO account_health (account_id, day, score, band, factors, scorecard_name, scorecard_version, scorecard_match, computed_at)
			VALUES (?, ?, ?, 'yellow', '[]', 'default', 1, 'default', now())`, h.account, h.day, h.score).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		by   domain.AccountSort
		asc  []string
		desc []string
	}{
		// Ties (alpha, ALPHA) go by id, in the direction of the order.
		{domain.SortByName, []string{"Alpha", "ALPHA", "beta", "gamma"}, []string{"gamma", "beta", "ALPHA", "Alpha"}},
		// Alpha's item has not started: it ties with ALPHA at 0.
		{domain.SortByMRR, []string{"Alpha", "ALPHA", "beta", "gamma"}, []string{"gamma", "beta", "ALPHA", "Alpha"}},
		// No renewal date: last either way.
		{domain.SortByRenewalDate, []string{"beta", "Alpha", "gamma", "ALPHA"}, []string{"gamma", "Alpha", "beta", "ALPHA"}},
		// Alpha's future call and gamma's deleted one are not touches.
		{domain.SortByLastTouch, []string{"Alpha", "beta", "ALPHA", "gamma"}, []string{"beta", "Alpha", "gamma", "ALPHA"}},
		{domain.SortByCreatedAt, []string{"beta", "Alpha", "ALPHA", "gamma"}, []string{"gamma", "ALPHA", "Alpha", "beta"}},
		// No tier (ALPHA): last either way.
		{domain.SortByTier, []string{"gamma", "beta", "Alpha", "ALPHA"}, []string{"Alpha", "beta", "gamma", "ALPHA"}},
		// Never scored (ALPHA, gamma): last either way.
		{domain.SortByHealthScore, []string{"Alpha", "beta", "ALPHA", "gamma"}, []string{"beta", "Alpha", "gamma", "ALPHA"}},
	} {
		for _, desc := range []bool{false, true} {
			want := tc.asc
			if desc {
				want = tc.desc
			}
			q := domain.AccountQuery{Order: []domain.AccountOrder{{By: tc.by, Desc: desc}}, At: now, Window: domain.Window[domain.Cursor]{First: 10}}
			page, err := s.Accounts(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range page.Items {
				got = append(got, a.Name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s desc=%v (-want +got):\n%s", tc.by, desc, diff)
			}
			if diff := cmp.Diff(want, readAll(t, s, q)); diff != "" {
				t.Errorf("%s desc=%v one at a time (-want +got):\n%s", tc.by, desc, diff)
			}
			if diff := cmp.Diff(want, readBack(t, s, q)); diff != "" {
				t.Errorf("%s desc=%v back from the end (-want +got):\n%s", tc.by, desc, diff)
			}
		}
	}
}

func TestAccountCursorsRefused(t *testing.T) {
	s, db := openStore(t)
	insert(t, db, &domain.Account{ID: id(1), Name: "a"})
	byName := []domain.AccountOrder{{By: domain.SortByName}}
	byMRR := []domain.AccountOrder{{By: domain.SortByMRR}}
	byDate := []domain.AccountOrder{{By: domain.SortByRenewalDate}}
	cursor := func(list, order string, keys ...string) *domain.Cursor {
		return &domain.Cursor{List: list, Order: order, Keys: keys, ID: id(1)}
	}
	for name, q := range map[string]domain.AccountQuery{
		"another order":   {Order: byMRR, Window: domain.Window[domain.Cursor]{First: 1, After: cursor("accounts", "name", "a")}},
		"another list":    {Order: byName, Window: domain.Window[domain.Cursor]{First: 1, After: cursor("contacts", "name", "a")}},
		"forged number":   {Order: byMRR, Window: domain.Window[domain.Cursor]{First: 1, After: cursor("accounts", "mrr", "lots")}},
		"forged date":     {Order: byDate, Window: domain.Window[domain.Cursor]{First: 1, After: cursor("accounts", "renewal_date", "tomorrow")}},
		"too many keys":   {Order: byName, Window: domain.Window[domain.Cursor]{First: 1, After: cursor("accounts", "name", "a", "b")}},
		"before, forged":  {Order: byMRR, Window: domain.Window[domain.Cursor]{Last: 1, Before: cursor("accounts", "mrr", "1e")}},
		"before, another": {Order: byName, Window: domain.Window[domain.Cursor]{Last: 1, Before: cursor("accounts", "-name", "a")}},
	} {
		_, err := s.Accounts(context.Background(), q)
		_, field := q.Cursor()
		var inputErr *domain.InputError
		if !errors.As(err, &inputErr) || inputErr.Problems[0].Field != field {
			t.Errorf("%s: %v, want an InputError naming %s", name, err, field)
		}
	}
}

// TestAccountOrderOfSeveralKeys orders by tier, then MRR down, then name:
// each key breaks the ties of the one before, the id the last ties, and
// every page of one or two, forward or back, adds up to the whole.
func TestAccountOrderOfSeveralKeys(t *testing.T) {
	s, db := openStore(t)
	now := ts("2025-06-01T00:00:00Z")
	insert(t, db,
		&[]domain.Account{
			{ID: id(1), Name: "a1", Tier: "A"}, {ID: id(2), Name: "a2", Tier: "A"}, {ID: id(3), Name: "a3", Tier: "A"},
			{ID: id(4), Name: "b1", Tier: "B"}, {ID: id(5), Name: "b2", Tier: "B"},
			{ID: id(6), Name: "none", Tier: ""}, {ID: id(7), Name: "none", Tier: ""},
		},
		&[]domain.SubscriptionItem{
			{ID: id(11), AccountID: id(1), Amount: dec("10"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("1")},
			{ID: id(13), AccountID: id(3), Amount: dec("10"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("3")},
			{ID: id(14), AccountID: id(4), Amount: dec("5"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("4")},
		},
	)
	q := domain.AccountQuery{At: now, Order: []domain.AccountOrder{
		{By: domain.SortByTier}, {By: domain.SortByMRR, Desc: true}, {By: domain.SortByName, Desc: true},
	}}
	// Tier A: a1 and a3 at 10, by name down, then a2 at 0; tier B: b1 at
	// 5, b2 at 0; no tier last, the two "none" by id down.
	want := []string{"a3", "a1", "a2", "b1", "b2", "none", "none"}
	q.Window = domain.Window[domain.Cursor]{First: 10}
	page, err := s.Accounts(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range page.Items {
		got = append(got, a.Name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if page.Items[5].ID != id(7) {
		t.Errorf("ties on every key go by id in the last key's direction: %s first", page.Items[5].ID)
	}
	if c := page.Cursors[0]; c.Order != "tier,-mrr,-name" || len(c.Keys) != 4 {
		t.Errorf("cursor %+v, want every key of the order", c)
	}
	if diff := cmp.Diff(want, readAll(t, s, q)); diff != "" {
		t.Errorf("one at a time (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, readBack(t, s, q)); diff != "" {
		t.Errorf("back from the end (-want +got):\n%s", diff)
	}
}

func TestAccountFiltersAndCount(t *testing.T) {
	s, db := openStore(t)
	insert(t, db,
		&[]domain.Person{{ID: id(100), Name: "Pat", Provenance: ext("p")}},
		&[]domain.Account{
			{ID: id(1), Name: "100% Juice", Tier: "A", Segment: "smb", Lifecycle: "customer", RenewalDate: ptr(ts("2025-06-30T00:00:00Z"))},
			{ID: id(2), Name: "Juicy_Co", Tier: "B", Segment: "smb", Lifecycle: "prospect", RenewalDate: ptr(ts("2025-07-01T00:00:00Z"))},
			{ID: id(3), Name: "Other", Tier: "A", Segment: "enterprise", Lifecycle: "customer"},
		},
		&[]domain.AccountTeamMember{
			{ID: id(10), AccountID: id(2), PersonID: id(100), Role: "sales", Provenance: ext("1")},
			{ID: id(11), AccountID: id(3), PersonID: id(100), Role: "cs", Provenance: ext("2"), Timestamps: domain.Timestamps{DeletedAt: ptr(ts("2025-01-01T00:00:00Z"))}},
		},
	)
	for _, h := range []struct {
		account uuid.UUID
		day     string
		band    string
	}{{id(1), "2025-05-01", "red"}, {id(3), "2025-04-01", "red"}, {id(3), "2025-05-01", "green"}} {
		if err := db.Exec(`INSERT INTO account_health (account_id, day, score, band, factors, scorecard_name, scorecard_version, scorecard_match, computed_at)
			VALUES (?, ?, 50, ?, '[]', 'default', 1, 'default', now())`, h.account, h.day, h.band).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		filter domain.AccountFilter
		want   []string
	}{
		{domain.AccountFilter{}, []string{"100% Juice", "Juicy_Co", "Other"}},
		{domain.AccountFilter{Tiers: []string{"A"}}, []string{"100% Juice", "Other"}},
		{domain.AccountFilter{Segments: []string{"smb"}, Lifecycles: []string{"prospect"}}, []string{"Juicy_Co"}},
		{domain.AccountFilter{OwnerID: ptr(id(100))}, []string{"Juicy_Co"}},
		// Matched as typed: % and _ are not wildcards.
		{domain.AccountFilter{NameContains: "0% j"}, []string{"100% Juice"}},
		{domain.AccountFilter{NameContains: "y_c"}, []string{"Juicy_Co"}},
		{domain.AccountFilter{NameContains: "%"}, []string{"100% Juice"}},
		// Both ends of the range are included; no date is never in it.
		{domain.AccountFilter{RenewalDate: domain.Range[time.Time]{Min: ptr(ts("2025-06-30T00:00:00Z"))}}, []string{"100% Juice", "Juicy_Co"}},
		{domain.AccountFilter{RenewalDate: domain.Range[time.Time]{Max: ptr(ts("2025-06-30T00:00:00Z"))}}, []string{"100% Juice"}},
		// The latest score's band: Other was red and is green now.
		{domain.AccountFilter{HealthBands: []string{"red"}}, []string{"100% Juice"}},
		{domain.AccountFilter{HealthBands: []string{"green", "yellow"}}, []string{"Other"}},
	} {
		q := domain.AccountQuery{Filter: tc.filter, Window: domain.Window[domain.Cursor]{First: 10}}
		page, err := s.Accounts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range page.Items {
			got = append(got, a.Name)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", tc.filter, diff)
		}
		n, err := s.CountAccounts(context.Background(), tc.filter)
		if err != nil || n != len(tc.want) {
			t.Errorf("%+v: count %d, %v; want %d", tc.filter, n, err, len(tc.want))
		}
	}
}

func TestMRR(t *testing.T) {
	s, db := openStore(t)
	item := func(n int, account uuid.UUID, amount, currency, interval, starts string, ends *time.Time) domain.SubscriptionItem {
		return domain.SubscriptionItem{ID: id(n), AccountID: account, Amount: dec(amount), Currency: currency, Interval: interval,
			StartsAt: ts(starts), EndsAt: ends, Provenance: ext(fmt.Sprint(n))}
	}
	insert(t, db,
		&[]domain.Account{{ID: id(1), Name: "a"}, {ID: id(2), Name: "b"}, {ID: id(3), Name: "c"}},
		&[]domain.FxRate{
			{ID: id(50), Currency: "EUR", Date: ts("2025-01-01T00:00:00Z"), Rate: dec("1.1"), Provenance: ext("1")},
			{ID: id(51), Currency: "EUR", Date: ts("2025-02-01T00:00:00Z"), Rate: dec("1.2"), Provenance: ext("2")},
			// Deleted: not a rate.
			{ID: id(52), Currency: "EUR", Date: ts("2025-02-10T00:00:00Z"), Rate: dec("9"), Provenance: ext("3"), Timestamps: domain.Timestamps{DeletedAt: ptr(ts("2025-03-01T00:00:00Z"))}},
			// After CHF's item started: too late for it.
			{ID: id(53), Currency: "CHF", Date: ts("2025-03-01T00:00:00Z"), Rate: dec("1.13"), Provenance: ext("4")},
		},
		&[]domain.SubscriptionItem{
			item(10, id(1), "1000", "USD", "year", "2025-01-01T00:00:00Z", nil),
			item(11, id(1), "100", "USD", "quarter", "2025-01-01T00:00:00Z", ptr(ts("2025-04-01T00:00:00Z"))),
			// Started 2025-02-15: the rate of 02-01 (1.2) applies.
			item(12, id(1), "9.99", "EUR", "month", "2025-02-15T00:00:00Z", nil),
			item(13, id(2), "50", "CHF", "month", "2025-02-15T00:00:00Z", nil),
			item(14, id(2), "70", "GBP", "month", "2025-02-15T00:00:00Z", nil),
			item(15, id(2), "20", "USD", "month", "2025-02-15T00:00:00Z", nil),
		},
	)
	ctx := context.Background()
	for _, tc := range []struct {
		at   string
		want map[uuid.UUID]domain.Money
	}{
		// 1000/12 + 100/3 = 116.666… → 116.67; b has not started.
		{"2025-01-15T00:00:00Z", map[uuid.UUID]domain.Money{
			id(1): {Amount: dec("116.67"), Currency: "USD", MissingRates: []string{}},
			id(2): {Amount: dec("0"), Currency: "USD", MissingRates: []string{}},
			id(3): {Amount: dec("0"), Currency: "USD", MissingRates: []string{}},
		}},
		// Starts are inclusive: 9.99 EUR a month at 1.2 is 143.856 a year;
		// (1000 + 400 + 143.856)/12 = 128.6546… → 128.65.
		{"2025-02-15T00:00:00Z", map[uuid.UUID]domain.Money{
			id(1): {Amount: dec("128.65"), Currency: "USD", MissingRates: []string{}},
			id(2): {Amount: dec("20"), Currency: "USD", MissingRates: []string{"CHF", "GBP"}},
			id(3): {Amount: dec("0"), Currency: "USD", MissingRates: []string{}},
		}},
		// Ends are exclusive: the quarterly item is gone. (1000 + 143.856)/12 = 95.321… → 95.32.
		{"2025-04-01T00:00:00Z", map[uuid.UUID]domain.Money{
			id(1): {Amount: dec("95.32"), Currency: "USD", MissingRates: []string{}},
			id(2): {Amount: dec("20"), Currency: "USD", MissingRates: []string{"CHF", "GBP"}},
			id(3): {Amount: dec("0"), Currency: "USD", MissingRates: []string{}},
		}},
	} {
		got, err := s.MRR(ctx, []uuid.UUID{id(1), id(2), id(3)}, ts(tc.at))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(decimal.Decimal.Equal)); diff != "" {
			t.Errorf("at %s (-want +got):\n%s", tc.at, diff)
		}
	}

	// Ordering by MRR uses the same amounts.
	page, err := s.Accounts(ctx, domain.AccountQuery{Order: []domain.AccountOrder{{By: domain.SortByMRR, Desc: true}}, At: ts("2025-04-01T00:00:00Z"),
		Window: domain.Window[domain.Cursor]{First: 3}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range page.Cursors {
		keys = append(keys, c.Keys[0])
	}
	if diff := cmp.Diff([]string{"95.32", "20.00", "0.00"}, keys); diff != "" {
		t.Errorf("MRR keys (-want +got):\n%s", diff)
	}
}

// TestBaseCurrencyEverywhere checks that Account.mrr, renewals and the
// health summary count in the workspace's base currency, as the revenue
// reports do: with EUR as the base, a EUR item needs no rate and a USD
// item converts at the USD rate.
func TestBaseCurrencyEverywhere(t *testing.T) {
	s, db := openStore(t)
	ctx := context.Background()
	_, err := s.UpdateSettings(ctx, domain.SettingsPatch{BaseCurrency: ptr("EUR")})
	require.NoError(t, err)
	renewal := ts("2025-03-01T00:00:00Z")
	insert(t, db,
		&[]domain.Account{{ID: id(1), Name: "a", RenewalDate: &renewal}},
		&[]domain.FxRate{{ID: id(50), Currency: "USD", Date: ts("2025-01-01T00:00:00Z"), Rate: dec("0.9"), Provenance: ext("1")}},
		&[]domain.SubscriptionItem{
			{ID: id(10), AccountID: id(1), Amount: dec("100"), Currency: "EUR", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("10")},
			{ID: id(11), AccountID: id(1), Amount: dec("12"), Currency: "USD", Interval: "month", StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("11")},
		},
	)
	asOf := ts("2025-02-01T00:00:00Z")
	// 100 EUR + 12 USD × 0.9 = 110.80 EUR.
	want := domain.Money{Amount: dec("110.8"), Currency: "EUR", MissingRates: []string{}}
	mrr, err := s.MRR(ctx, []uuid.UUID{id(1)}, asOf)
	require.NoError(t, err)
	require.True(t, want.Amount.Equal(mrr[id(1)].Amount), "Account.mrr: %s", mrr[id(1)].Amount)
	require.Equal(t, "EUR", mrr[id(1)].Currency)
	require.Empty(t, mrr[id(1)].MissingRates)

	renewals, err := s.Renewals(ctx, health.RenewalQuery{AsOf: asOf, WithinDays: 90}, 10)
	require.NoError(t, err)
	require.Len(t, renewals, 1)
	require.True(t, want.Amount.Equal(renewals[0].MRR.Amount), "renewals: %s", renewals[0].MRR.Amount)
	require.Equal(t, "EUR", renewals[0].MRR.Currency)

	sum, err := s.HealthSummary(ctx, health.SummaryQuery{AsOf: asOf, OwnerRole: "cs"})
	require.NoError(t, err)
	require.True(t, want.Amount.Equal(sum.All.MRR.Amount), "healthSummary: %s", sum.All.MRR.Amount)
	require.Equal(t, "EUR", sum.All.MRR.Currency)
	for _, b := range sum.MRRByBand {
		require.Equal(t, "EUR", b.MRR.Currency)
	}
}
