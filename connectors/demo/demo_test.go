package demo_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/pulseproject/pulse/connectors/demo"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/sdktest"
	"github.com/pulseproject/pulse/domain"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

const endDate = "2026-03-31"

var (
	// horizon is the instant after the last day; start is two years before.
	horizon = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	start   = horizon.AddDate(-2, 0, 0)
)

func config(size, seed int) string {
	b, _ := json.Marshal(map[string]any{"size": size, "seed": seed, "end_date": endDate})
	return string(b)
}

// read runs a Read in-process and fails on an Error message.
func read(t testing.TB, cfg string, streams []string, state map[string][]byte) []*connectorpb.ReadMessage {
	t.Helper()
	return sdktest.Read(t, demo.New(), []byte(cfg), streams, state, sdktest.NoError)
}

// dataset indexes a full read.
type dataset struct {
	streams     map[string][]*connectorpb.Record
	people      map[string]*connectorpb.Person
	accounts    map[string]*connectorpb.Account
	contacts    map[string]*connectorpb.Contact
	roles       map[string]map[string]bool // account → "person|role"
	items       map[string][]*connectorpb.SubscriptionItem
	deals       map[string][]*connectorpb.Deal
	activities  map[string][]*connectorpb.Activity
	tickets     map[string][]*connectorpb.Ticket
	surveys     map[string][]*connectorpb.SurveyResponse
	currencies  map[string]bool
	fxDates     map[string]bool
	recordCount int
}

func load(t testing.TB, size, seed int) *dataset {
	t.Helper()
	d := &dataset{
		streams:  sdktest.ByStream(read(t, config(size, seed), nil, nil)),
		people:   map[string]*connectorpb.Person{},
		accounts: map[string]*connectorpb.Account{}, contacts: map[string]*connectorpb.Contact{},
		roles: map[string]map[string]bool{}, items: map[string][]*connectorpb.SubscriptionItem{},
		deals: map[string][]*connectorpb.Deal{}, activities: map[string][]*connectorpb.Activity{},
		tickets: map[string][]*connectorpb.Ticket{}, surveys: map[string][]*connectorpb.SurveyResponse{},
		currencies: map[string]bool{}, fxDates: map[string]bool{},
	}
	for _, recs := range d.streams {
		for _, r := range recs {
			d.recordCount++
			id := r.GetExternalId()
			switch e := r.GetEntity().(type) {
			case *connectorpb.Record_Person:
				d.people[id] = e.Person
			case *connectorpb.Record_Account:
				d.accounts[id] = e.Account
			case *connectorpb.Record_Contact:
				d.contacts[id] = e.Contact
			case *connectorpb.Record_AccountTeam:
				m := e.AccountTeam
				if d.roles[m.GetAccountExternalId()] == nil {
					d.roles[m.GetAccountExternalId()] = map[string]bool{}
				}
				d.roles[m.GetAccountExternalId()][m.GetPersonExternalId()+"|"+m.GetRole()] = true
			case *connectorpb.Record_SubscriptionItem:
				d.items[e.SubscriptionItem.GetAccountExternalId()] = append(d.items[e.SubscriptionItem.GetAccountExternalId()], e.SubscriptionItem)
			case *connectorpb.Record_Deal:
				d.deals[e.Deal.GetAccountExternalId()] = append(d.deals[e.Deal.GetAccountExternalId()], e.Deal)
			case *connectorpb.Record_Activity:
				d.activities[e.Activity.GetAccountExternalId()] = append(d.activities[e.Activity.GetAccountExternalId()], e.Activity)
			case *connectorpb.Record_Ticket:
				d.tickets[e.Ticket.GetAccountExternalId()] = append(d.tickets[e.Ticket.GetAccountExternalId()], e.Ticket)
			case *connectorpb.Record_SurveyResponse:
				d.surveys[e.SurveyResponse.GetAccountExternalId()] = append(d.surveys[e.SurveyResponse.GetAccountExternalId()], e.SurveyResponse)
			case *connectorpb.Record_FxRate:
				d.currencies[e.FxRate.GetCurrency()] = true
				d.fxDates[e.FxRate.GetDate()] = true
			}
		}
	}
	return d
}

var (
	samples     = map[[2]int]*dataset{}
	streamOrder = []string{"people", "accounts", "account_team", "contacts", "subscriptions", "deals", "activities", "tickets", "surveys", "fx_rates"}
)

// sample is the dataset most tests look at, read once.
func sample(t *testing.T) *dataset {
	key := [2]int{500, 1}
	if samples[key] == nil {
		samples[key] = load(t, 500, 1)
	}
	return samples[key]
}

func TestSpecDeclaresStreamsInDependencyOrder(t *testing.T) {
	srv, err := sdk.NewServer(demo.New())
	require.NoError(t, err)
	spec, err := srv.Spec(context.Background(), &connectorpb.SpecRequest{})
	require.NoError(t, err)
	require.Equal(t, "demo", spec.GetName())
	require.Equal(t, "1.0.0", spec.GetVersion())
	var names []string
	for _, s := range spec.GetStreams() {
		names = append(names, s.GetName())
	}
	require.Equal(t, streamOrder, names)
}

func TestReadIsDeterministic(t *testing.T) {
	a := read(t, config(300, 7), nil, nil)
	b := read(t, config(300, 7), nil, nil)
	require.Equal(t, len(a), len(b))
	for i := range a {
		require.True(t, proto.Equal(a[i], b[i]), "message %d differs", i)
	}

	other := sdktest.ByStream(read(t, config(300, 8), []string{"accounts"}, nil))["accounts"]
	same := sdktest.ByStream(a)["accounts"]
	differ := 0
	for i := range same {
		if !proto.Equal(same[i], other[i]) {
			differ++
		}
	}
	require.Greater(t, differ, 250, "another seed gives other data")
}

func TestResumeFromEveryCheckpoint(t *testing.T) {
	cfg := config(650, 3)
	full := read(t, cfg, nil, nil)
	for _, stream := range streamOrder {
		t.Run(stream, func(t *testing.T) {
			checkpoints := sdktest.Checkpoints(full, stream)
			require.NotEmpty(t, checkpoints)
			if stream != "people" {
				require.Greater(t, len(checkpoints), 1, "checkpoints along the way")
			}
			for _, cp := range checkpoints {
				want := sdktest.ByStream(cp.After)[stream]
				got := sdktest.ByStream(read(t, cfg, []string{stream}, map[string][]byte{stream: cp.State}))[stream]
				require.Equal(t, len(want), len(got), "records after checkpoint %s", cp.State)
				for j := range got {
					require.True(t, proto.Equal(want[j], got[j]), "record %d after checkpoint %s", j, cp.State)
				}
			}
		})
	}
}

func TestReferencesResolve(t *testing.T) {
	d := sample(t)
	account := func(id string) {
		t.Helper()
		require.Contains(t, d.accounts, id)
	}
	contactOf := func(accountID, contactID string) {
		t.Helper()
		if contactID == "" {
			return
		}
		require.Contains(t, d.contacts, contactID)
		require.Equal(t, accountID, d.contacts[contactID].GetAccountExternalId(), "contact %s of another account", contactID)
	}
	for id, c := range d.contacts {
		require.True(t, strings.HasPrefix(id, "con-"))
		account(c.GetAccountExternalId())
	}
	for acc, roles := range d.roles {
		account(acc)
		for pr := range roles {
			person, _, _ := strings.Cut(pr, "|")
			require.Contains(t, d.people, person)
		}
	}
	for acc, acts := range d.activities {
		account(acc)
		for _, a := range acts {
			contactOf(acc, a.GetContactExternalId())
			// A touch is by the teammate holding the matching role.
			require.True(t, d.roles[acc][a.GetPersonExternalId()+"|"+a.GetTeam()], "%s: %s is not on the %s team", acc, a.GetPersonExternalId(), a.GetTeam())
			require.Equal(t, a.GetTeam(), d.people[a.GetPersonExternalId()].GetTeam())
		}
	}
	assigned := 0
	for acc, ts := range d.tickets {
		account(acc)
		for _, tk := range ts {
			contactOf(acc, tk.GetContactExternalId())
			if a := tk.GetAssigneeExternalId(); a != "" {
				assigned++
				require.True(t, d.roles[acc][a+"|support"], "%s: ticket assignee %s is not on the account's support team", acc, a)
			}
		}
	}
	require.NotZero(t, assigned, "the support teammates work the tickets")
	for acc, ss := range d.surveys {
		account(acc)
		for _, s := range ss {
			contactOf(acc, s.GetContactExternalId())
		}
	}
	for acc := range d.items {
		account(acc)
	}
	for acc := range d.deals {
		account(acc)
	}
}

func TestCountsScaleWithSize(t *testing.T) {
	small, large := load(t, 100, 5), load(t, 400, 5)
	require.Len(t, small.accounts, 100)
	require.Len(t, large.accounts, 400)
	require.Len(t, small.people, 20)
	require.Len(t, large.people, 21)
	require.Equal(t, len(small.streams["fx_rates"]), len(large.streams["fx_rates"]), "rates do not depend on size")
	for _, stream := range []string{"account_team", "contacts", "subscriptions", "deals", "activities", "tickets", "surveys"} {
		ratio := float64(len(large.streams[stream])) / float64(len(small.streams[stream]))
		require.InDelta(t, 4, ratio, 1, "%s: %d then %d", stream, len(small.streams[stream]), len(large.streams[stream]))
	}
	perAccount := func(stream string) float64 { return float64(len(large.streams[stream])) / 400 }
	require.InDelta(t, 25, perAccount("activities"), 6)
	require.InDelta(t, 4, perAccount("contacts"), 0.5)
	require.InDelta(t, 3, perAccount("tickets"), 1)
	require.InDelta(t, 2.5, perAccount("subscriptions"), 0.6)
	require.InDelta(t, 1.5, perAccount("deals"), 0.5)
	require.InDelta(t, 1, perAccount("surveys"), 0.5)
}

func inWindow(t *testing.T, what string, ts interface{ AsTime() time.Time }) {
	t.Helper()
	at := ts.AsTime()
	require.False(t, at.Before(start) || !at.Before(horizon), "%s at %s is outside the two years", what, at)
}

func TestFieldsUseTheVocabulary(t *testing.T) {
	d := sample(t)
	oneOf := func(what, v string, allowed []string) {
		t.Helper()
		require.Contains(t, allowed, v, what)
	}
	for id, p := range d.people {
		require.Regexp(t, `^per-\d{3}$`, id)
		oneOf("team", p.GetTeam(), domain.Teams)
		require.NotEmpty(t, p.GetName())
	}
	domains := map[string]bool{}
	for id, a := range d.accounts {
		require.Regexp(t, `^acc-\d{6}$`, id)
		require.False(t, domains[a.GetDomain()], "%s: domain %s is taken", id, a.GetDomain())
		domains[a.GetDomain()] = true
		oneOf("tier", a.GetTier(), domain.Tiers)
		oneOf("lifecycle", a.GetLifecycle(), domain.Lifecycles)
		oneOf("segment", a.GetSegment(), []string{"enterprise", "mid_market", "smb"})
		require.Regexp(t, `^[a-z0-9-]+\.example$`, a.GetDomain())
		if a.GetRenewalDate() != "" {
			_, err := time.Parse(time.DateOnly, a.GetRenewalDate())
			require.NoError(t, err)
		}
	}
	for _, roles := range d.roles {
		for pr := range roles {
			_, role, _ := strings.Cut(pr, "|")
			oneOf("role", role, domain.Roles)
		}
	}
	for acc, items := range d.items {
		for _, s := range items {
			oneOf("interval", s.GetInterval(), domain.Intervals)
			oneOf("currency", s.GetCurrency(), []string{"USD", "EUR", "GBP"})
			require.Regexp(t, `^\d+\.\d\d$`, s.GetAmount(), acc)
			require.True(t, decimal.RequireFromString(s.GetAmount()).IsPositive())
			require.False(t, s.GetStartsAt().AsTime().Before(start.AddDate(-2, 0, -7)), "item starts within the billing history")
			require.True(t, s.GetStartsAt().AsTime().Before(horizon))
			if s.GetEndsAt() != nil {
				require.True(t, s.GetEndsAt().AsTime().After(s.GetStartsAt().AsTime()))
				require.False(t, s.GetEndsAt().AsTime().After(horizon))
			}
		}
	}
	for _, deals := range d.deals {
		for _, x := range deals {
			oneOf("status", x.GetStatus(), domain.DealStatuses)
			oneOf("kind", x.GetKind(), domain.DealKinds)
			require.Regexp(t, `^\d+\.\d\d$`, x.GetAmount())
			require.NotEmpty(t, x.GetCurrency())
			if x.GetStatus() == "open" {
				require.Nil(t, x.GetClosedAt())
			} else {
				inWindow(t, "deal close", x.GetClosedAt())
			}
			require.Equal(t, x.GetStatus() == "lost", x.GetLostReason() != "")
		}
	}
	for _, acts := range d.activities {
		for _, a := range acts {
			oneOf("kind", a.GetKind(), domain.ActivityKind)
			if a.GetKind() != "note" {
				oneOf("direction", a.GetDirection(), domain.Directions)
			}
			inWindow(t, "activity", a.GetOccurredAt())
			require.GreaterOrEqual(t, a.GetDurationSeconds(), int64(0))
			if slices.Contains([]string{"call", "meeting", "qbr", "onboarding_session"}, a.GetKind()) {
				require.Positive(t, a.GetDurationSeconds(), a.GetKind())
			}
			require.Equal(t, a.GetKind() == "campaign_email", a.GetTeam() == "marketing")
		}
	}
	for _, ts := range d.tickets {
		for _, tk := range ts {
			oneOf("priority", tk.GetPriority(), domain.Priorities)
			oneOf("status", tk.GetStatus(), domain.TicketStates)
			inWindow(t, "ticket", tk.GetOpenedAt())
			solved := tk.GetStatus() == "solved" || tk.GetStatus() == "closed"
			require.Equal(t, solved, tk.GetResolvedAt() != nil, "resolved_at only when solved or closed")
			require.Equal(t, tk.GetStatus() != "new", tk.GetFirstResponseAt() != nil)
			if tk.GetFirstResponseAt() != nil {
				inWindow(t, "first response", tk.GetFirstResponseAt())
				require.True(t, tk.GetFirstResponseAt().AsTime().After(tk.GetOpenedAt().AsTime()))
			}
			if solved {
				inWindow(t, "resolution", tk.GetResolvedAt())
				require.True(t, tk.GetResolvedAt().AsTime().After(tk.GetFirstResponseAt().AsTime()))
			} else {
				require.Zero(t, tk.GetCsat())
			}
			require.True(t, tk.GetCsat() >= 0 && tk.GetCsat() <= 5)
		}
	}
	for _, ss := range d.surveys {
		for _, s := range ss {
			oneOf("kind", s.GetKind(), domain.SurveyKinds)
			oneOf("touchpoint", s.GetTouchpoint(), domain.Touchpoints)
			inWindow(t, "survey", s.GetRespondedAt())
			if s.GetKind() == "nps" {
				require.True(t, s.GetScore() >= 0 && s.GetScore() <= 10)
			} else {
				require.True(t, s.GetScore() >= 1 && s.GetScore() <= 5)
			}
		}
	}
	for _, r := range d.streams["fx_rates"] {
		fx := r.GetFxRate()
		require.Equal(t, "fx-"+fx.GetCurrency()+"-"+fx.GetDate(), r.GetExternalId())
		require.True(t, decimal.RequireFromString(fx.GetRate()).IsPositive())
	}
	require.Equal(t, map[string]bool{"EUR": true, "GBP": true}, d.currencies)
}

// line is what a subscription item continues: the core plan, or an add-on.
func line(s *connectorpb.SubscriptionItem) string {
	if strings.HasSuffix(s.GetPlan(), "add-on") {
		return s.GetPlan()
	}
	return "core"
}

// discounts are the ratios of a discounted price to the list price.
var discounts = map[string]bool{"0.90": true, "0.85": true, "0.80": true, "0.75": true, "0.70": true}

func TestSubscriptionHistoryIsConsistent(t *testing.T) {
	d := sample(t)
	var firstRate string
	for date := range d.fxDates {
		if firstRate == "" || date < firstRate {
			firstRate = date
		}
	}
	var churned, reactivated, partial, discounted, foreign, upgraded, downgraded, joined int
	for acc, a := range d.accounts {
		items := d.items[acc]
		if len(items) == 0 {
			require.Equal(t, "prospect", a.GetLifecycle(), acc)
			continue
		}
		lines := map[string][]*connectorpb.SubscriptionItem{}
		currency := items[0].GetCurrency()
		for _, s := range items {
			require.Equal(t, currency, s.GetCurrency(), "%s pays in one currency", acc)
			lines[line(s)] = append(lines[line(s)], s)
		}
		if currency != "USD" {
			foreign++
			for _, s := range items {
				require.GreaterOrEqual(t, s.GetStartsAt().AsTime().Format(time.DateOnly), firstRate, "%s: no rate on or before the start", acc)
			}
		}
		core := lines["core"]
		require.NotEmpty(t, core, acc)
		for name, l := range lines {
			sort.Slice(l, func(i, j int) bool { return l[i].GetStartsAt().AsTime().Before(l[j].GetStartsAt().AsTime()) })
			for i := 1; i < len(l); i++ {
				prev, next := l[i-1], l[i]
				require.NotNil(t, prev.GetEndsAt(), "%s %s: an item follows an ongoing one", acc, name)
				gap := next.GetStartsAt().AsTime().Sub(prev.GetEndsAt().AsTime())
				require.GreaterOrEqual(t, gap, time.Duration(0), "%s %s: items overlap", acc, name)
				if name != "core" {
					continue
				}
				if gap > 0 {
					// The core plan only pauses between a churn and a win-back.
					require.NotEmpty(t, prev.GetChurnReason(), "%s: a gap in the plan without churn", acc)
					reactivated++
					continue
				}
				was, now := mrr(prev), mrr(next)
				switch {
				case i == 1 && prev.GetPlan() == next.GetPlan() && discounts[was.Div(now).StringFixed(2)]:
					discounted++
				case now.GreaterThan(was):
					upgraded++
				case now.LessThan(was):
					downgraded++
				}
			}
		}
		last := core[len(core)-1]
		active := last.GetEndsAt() == nil
		for name, l := range lines {
			if name != "core" && l[len(l)-1].GetEndsAt() != nil && l[len(l)-1].GetChurnReason() == "" && active {
				partial++
			}
		}
		if !core[0].GetStartsAt().AsTime().Before(start) {
			joined++
		}
		switch a.GetLifecycle() {
		case "churned":
			require.False(t, active, acc)
			require.NotEmpty(t, last.GetChurnReason(), acc)
			require.Empty(t, a.GetRenewalDate())
			churned++
		case "customer", "onboarding":
			require.True(t, active, "%s is %s but pays for nothing", acc, a.GetLifecycle())
			require.NotEmpty(t, a.GetRenewalDate())
			renewal, _ := time.Parse(time.DateOnly, a.GetRenewalDate())
			require.True(t, renewal.After(horizon.Add(-time.Hour)), "%s: renewal %s is not after the end date", acc, a.GetRenewalDate())
			require.True(t, renewal.Before(horizon.AddDate(1, 0, 1)))
		default:
			t.Fatalf("%s pays but is a %s", acc, a.GetLifecycle())
		}
		for _, s := range items {
			if s.GetChurnReason() != "" {
				require.NotNil(t, s.GetEndsAt(), "%s: a churn reason on an ongoing item", acc)
			}
		}
	}
	t.Logf("churned %d, reactivated %d, partial cancellations %d, discounts %d, upgrades %d, downgrades %d, foreign %d, joined %d",
		churned, reactivated, partial, discounted, upgraded, downgraded, foreign, joined)
	for what, n := range map[string]int{
		"churned": churned, "reactivated": reactivated, "partial cancellations": partial, "discounts": discounted,
		"upgrades": upgraded, "downgrades": downgraded, "foreign currency": foreign, "joined in the window": joined,
	} {
		require.Positive(t, n, what)
	}
	require.InDelta(t, 0.2, float64(churned)/float64(len(d.accounts)), 0.12, "churn share")
}

// mrr is an item's monthly amount.
func mrr(s *connectorpb.SubscriptionItem) decimal.Decimal {
	months := map[string]int64{"month": 1, "quarter": 3, "year": 12}[s.GetInterval()]
	return decimal.RequireFromString(s.GetAmount()).Div(decimal.NewFromInt(months))
}

func TestCheckNamesTheBadField(t *testing.T) {
	tests := []struct {
		name  string
		cfg   string
		field string
	}{
		{"size not a number", `{"size": "lots"}`, "size"},
		{"size zero", `{"size": 0}`, "size"},
		{"size zero as text", `{"size": "0"}`, "size"},
		{"size fractional", `{"size": 2.5}`, "size"},
		{"size too large", `{"size": "99999999"}`, "size"},
		{"seed not a number", `{"seed": "abc"}`, "seed"},
		{"end_date not a date", `{"end_date": "2026-02-30"}`, "end_date"},
		{"end_date in another format", `{"end_date": "31/03/2026"}`, "end_date"},
		{"unknown property", `{"sise": 5}`, "sise"},
	}
	srv, err := sdk.NewServer(demo.New())
	require.NoError(t, err)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := srv.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: []byte(tt.cfg)})
			require.NoError(t, err)
			require.NotEmpty(t, res.GetProblems())
			require.Equal(t, tt.field, res.GetProblems()[0].GetField(), res.GetProblems()[0].GetSummary())
		})
	}
	for _, good := range []string{``, `{}`, `{"size": 3, "seed": -4, "end_date": "2024-02-29"}`, `{"size": "3", "seed": "9"}`, `{"size": 3.0}`} {
		res, err := srv.Check(context.Background(), &connectorpb.CheckRequest{ConfigJson: []byte(good)})
		require.NoError(t, err)
		require.Empty(t, res.GetProblems(), good)
	}
}

func TestSizeAsTextReadsTheSame(t *testing.T) {
	number := sdktest.ByStream(read(t, `{"size": 40, "seed": 2, "end_date": "2025-06-30"}`, []string{"accounts"}, nil))["accounts"]
	text := sdktest.ByStream(read(t, `{"size": "40", "seed": "2", "end_date": "2025-06-30"}`, []string{"accounts"}, nil))["accounts"]
	require.Len(t, number, 40)
	require.Len(t, text, 40)
	for i := range number {
		require.True(t, proto.Equal(number[i], text[i]))
	}
}

func TestBadConfigEndsTheReadWithAConfigError(t *testing.T) {
	msgs := sdktest.Read(t, demo.New(), []byte(`{"end_date": "2026-13-01"}`), nil, nil)
	require.Len(t, msgs, 1)
	require.Equal(t, connectorpb.Error_KIND_CONFIG, msgs[0].GetError().GetKind())
	require.Equal(t, "end_date", msgs[0].GetError().GetField())
}

func TestReadStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	msgs, err := sdktest.ReadContext(ctx, t, demo.New(), []byte(config(1000, 1)), nil, nil)
	require.ErrorIs(t, err, context.Canceled)
	for _, m := range msgs {
		require.Empty(t, m.GetBatch().GetRecords())
	}
}

// discardStream counts records and drops them.
type discardStream struct {
	grpc.ServerStream
	records int
}

func (s *discardStream) Send(m *connectorpb.ReadMessage) error {
	s.records += len(m.GetBatch().GetRecords())
	return nil
}

func (s *discardStream) Context() context.Context { return context.Background() }

func BenchmarkRead(b *testing.B) {
	srv, err := sdk.NewServer(demo.New())
	require.NoError(b, err)
	req := &connectorpb.ReadRequest{ConfigJson: []byte(config(10000, 1))}
	out := &discardStream{}
	for b.Loop() {
		require.NoError(b, srv.Read(req, out))
	}
	b.ReportMetric(float64(out.records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(out.records)/float64(b.N), "records/op")
}

// churnedAt is when an account's first paying run ended in churn.
func churnedAt(items []*connectorpb.SubscriptionItem) (time.Time, bool) {
	var at time.Time
	for _, s := range items {
		if s.GetChurnReason() != "" && (at.IsZero() || s.GetEndsAt().AsTime().Before(at)) {
			at = s.GetEndsAt().AsTime()
		}
	}
	return at, !at.IsZero()
}

func payingAt(items []*connectorpb.SubscriptionItem, at time.Time) bool {
	for _, s := range items {
		if !at.Before(s.GetStartsAt().AsTime()) && (s.GetEndsAt() == nil || at.Before(s.GetEndsAt().AsTime())) {
			return true
		}
	}
	return false
}

// signals are what a health score sees of an account in [from, to).
type signals struct {
	tickets, urgent, csTouches, nps, npsSum float64
}

func (d *dataset) signals(acc string, from, to time.Time) signals {
	var s signals
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	for _, tk := range d.tickets[acc] {
		if in(tk.GetOpenedAt().AsTime()) {
			s.tickets++
			if tk.GetPriority() == "urgent" {
				s.urgent++
			}
		}
	}
	for _, a := range d.activities[acc] {
		if a.GetTeam() == "cs" && in(a.GetOccurredAt().AsTime()) {
			s.csTouches++
		}
	}
	for _, r := range d.surveys[acc] {
		if r.GetKind() == "nps" && r.GetRespondedAt().AsTime().Before(to) {
			s.nps++
			s.npsSum += float64(r.GetScore())
		}
	}
	return s
}

func TestSignalsComeBeforeChurn(t *testing.T) {
	d := sample(t)
	// Look at the four months ending a month before churn, and at the
	// same stretch before the end for accounts that stayed.
	var churners, stayers signals
	var nChurners, nStayers float64
	for acc := range d.accounts {
		items := d.items[acc]
		if len(items) == 0 {
			continue
		}
		at, churned := churnedAt(items)
		if !churned {
			at = horizon
		}
		from, to := at.Add(-150*24*time.Hour), at.Add(-30*24*time.Hour)
		if !payingAt(items, from) {
			continue
		}
		s := d.signals(acc, from, to)
		sum := &stayers
		n := &nStayers
		if churned {
			sum, n = &churners, &nChurners
		}
		sum.tickets += s.tickets
		sum.urgent += s.urgent
		sum.csTouches += s.csTouches
		sum.nps += s.nps
		sum.npsSum += s.npsSum
		*n++
	}
	require.Greater(t, nChurners, 30.0)
	t.Logf("per account, churners (%v) / stayers (%v): tickets %.2f / %.2f, urgent %.2f / %.2f, CS touches %.2f / %.2f, NPS %.1f / %.1f",
		nChurners, nStayers, churners.tickets/nChurners, stayers.tickets/nStayers, churners.urgent/nChurners, stayers.urgent/nStayers,
		churners.csTouches/nChurners, stayers.csTouches/nStayers, churners.npsSum/churners.nps, stayers.npsSum/stayers.nps)
	require.Greater(t, churners.tickets/nChurners, 1.5*stayers.tickets/nStayers, "churners open more tickets before they leave")
	require.Greater(t, churners.urgent/nChurners, 2*stayers.urgent/nStayers, "and more urgent ones")
	require.Less(t, churners.csTouches/nChurners, stayers.csTouches/nStayers, "CS hears less from them")
	require.Less(t, churners.npsSum/churners.nps, stayers.npsSum/stayers.nps-1.5, "they score lower")
}

func TestGapsLeftOnPurpose(t *testing.T) {
	d := sample(t)
	t.Run("new deals without onboarding within a week", func(t *testing.T) {
		var won, gaps int
		for acc, deals := range d.deals {
			for _, x := range deals {
				if x.GetKind() != "new" || x.GetStatus() != "won" {
					continue
				}
				won++
				closed := x.GetClosedAt().AsTime()
				onTime := slices.ContainsFunc(d.activities[acc], func(a *connectorpb.Activity) bool {
					at := a.GetOccurredAt().AsTime()
					return a.GetKind() == "onboarding_session" && !at.Before(closed) && at.Sub(closed) <= 7*24*time.Hour
				})
				if !onTime {
					gaps++
				}
			}
		}
		t.Logf("%d of %d new deals", gaps, won)
		require.Positive(t, gaps)
		require.Less(t, float64(gaps)/float64(won), 0.25)
	})
	t.Run("active customers without a CS owner", func(t *testing.T) {
		var active, gaps int
		for acc, a := range d.accounts {
			if a.GetLifecycle() != "customer" && a.GetLifecycle() != "onboarding" {
				continue
			}
			active++
			hasCS := false
			for pr := range d.roles[acc] {
				hasCS = hasCS || strings.HasSuffix(pr, "|cs")
			}
			if !hasCS {
				gaps++
			}
		}
		t.Logf("%d of %d", gaps, active)
		require.Positive(t, gaps)
		require.Less(t, float64(gaps)/float64(active), 0.12)
	})
	t.Run("customers CS has not touched for 60 days", func(t *testing.T) {
		var covered, untouched int
		for acc, a := range d.accounts {
			if a.GetLifecycle() != "customer" || !d.roles[acc][csOwner(d, acc)+"|cs"] {
				continue
			}
			covered++
			if !slices.ContainsFunc(d.activities[acc], func(x *connectorpb.Activity) bool {
				return x.GetTeam() == "cs" && x.GetOccurredAt().AsTime().After(horizon.Add(-60*24*time.Hour))
			}) {
				untouched++
			}
		}
		t.Logf("%d of %d", untouched, covered)
		require.Positive(t, untouched)
		require.Less(t, float64(untouched)/float64(covered), 0.5)
	})
	t.Run("contacts swamped on one day", func(t *testing.T) {
		perDay := map[string]int{}
		teams := map[string]map[string]bool{}
		for _, acts := range d.activities {
			for _, a := range acts {
				if a.GetDirection() != "outbound" || a.GetContactExternalId() == "" {
					continue
				}
				key := a.GetContactExternalId() + " " + a.GetOccurredAt().AsTime().Format(time.DateOnly)
				perDay[key]++
				if teams[key] == nil {
					teams[key] = map[string]bool{}
				}
				teams[key][a.GetTeam()] = true
			}
		}
		var saturated int
		for key, n := range perDay {
			if n > 5 {
				saturated++
				require.GreaterOrEqual(t, len(teams[key]), 3, "%s: several teams", key)
			}
		}
		t.Logf("%d contact-days above 5", saturated)
		require.Positive(t, saturated)
		require.Less(t, saturated, len(d.contacts)/20)
	})
}

func csOwner(d *dataset, acc string) string {
	for pr := range d.roles[acc] {
		if person, role, _ := strings.Cut(pr, "|"); role == "cs" {
			return person
		}
	}
	return ""
}
