package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/store"
)

// event names an item of a timeline for comparison.
func event(i domain.TimelineItem) string {
	return i.OccurredAt.UTC().Format("2006-01-02T15:04") + " " + string(i.Kind) + " " + i.ID.String()[24:]
}

func readTimeline(t *testing.T, s *store.Store, q domain.TimelineQuery) []string {
	t.Helper()
	var out []string
	for {
		page, err := s.Timeline(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for i, item := range page.Items {
			out = append(out, event(item))
			if page.Cursors[i].ID != item.ID || page.Cursors[i].Kind != item.Kind {
				t.Errorf("cursor %+v for %s", page.Cursors[i], event(item))
			}
		}
		if !page.HasNext {
			return out
		}
		q.After = &page.Cursors[len(page.Cursors)-1]
	}
}

// readTimelineBack pages back through q from its end, and returns the
// events in the timeline's order, checking the flags of each page.
func readTimelineBack(t *testing.T, s *store.Store, q domain.TimelineQuery) []string {
	t.Helper()
	var out []string
	for {
		page, err := s.Timeline(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if page.HasNext != (q.Before != nil) {
			t.Errorf("before %v: hasNext %v", q.Before, page.HasNext)
		}
		var these []string
		for _, item := range page.Items {
			these = append(these, event(item))
		}
		out = append(these, out...)
		if !page.HasPrevious {
			return out
		}
		q.Before = &page.Cursors[0]
	}
}

func TestTimeline(t *testing.T) {
	s, db := openStore(t)
	acct := id(1)
	deleted := domain.Timestamps{DeletedAt: ptr(ts("2025-05-01T00:00:00Z"))}
	insert(t, db,
		&[]domain.Account{{ID: acct, Name: "a"}, {ID: id(2), Name: "other"}},
		&[]domain.Activity{
			{ID: id(10), AccountID: acct, Team: "cs", Kind: "call", OccurredAt: ts("2025-03-01T10:00:00Z"), Provenance: ext("10")},
			// Same instant as the ticket below and as each other: the
			// kinds and then the ids settle the order.
			{ID: id(11), AccountID: acct, Team: "sales", Kind: "email", OccurredAt: ts("2025-02-01T09:00:00Z"), Provenance: ext("11")},
			{ID: id(12), AccountID: acct, Team: "cs", Kind: "note", OccurredAt: ts("2025-02-01T09:00:00Z"), Provenance: ext("12")},
			{ID: id(13), AccountID: acct, Team: "cs", Kind: "note", OccurredAt: ts("2025-04-01T00:00:00Z"), Provenance: ext("13"), Timestamps: deleted},
			{ID: id(14), AccountID: id(2), Team: "cs", Kind: "note", OccurredAt: ts("2025-04-01T00:00:00Z"), Provenance: ext("14")},
		},
		&[]domain.Ticket{{ID: id(20), AccountID: acct, Subject: "help", OpenedAt: ts("2025-02-01T09:00:00Z"), Provenance: ext("20")}},
		&[]domain.Deal{
			{ID: id(30), AccountID: acct, Status: "won", ClosedAt: ptr(ts("2025-01-20T00:00:00Z")), Provenance: ext("30"),
				Timestamps: domain.Timestamps{CreatedAt: ts("2024-11-01T00:00:00Z")}},
			// Open: shown when created, not at its expected close.
			{ID: id(31), AccountID: acct, Status: "open", ClosedAt: ptr(ts("2025-12-31T00:00:00Z")), Provenance: ext("31"),
				Timestamps: domain.Timestamps{CreatedAt: ts("2025-01-05T00:00:00Z")}},
		},
		&[]domain.SurveyResponse{{ID: id(40), AccountID: acct, Kind: "nps", Score: 7, RespondedAt: ts("2025-03-02T00:00:00Z"), Provenance: ext("40")}},
		&[]domain.SubscriptionItem{
			// An upgrade: one item ends as the next starts.
			{ID: id(50), AccountID: acct, Amount: dec("1"), Currency: "USD", Interval: "month",
				StartsAt: ts("2024-06-01T00:00:00Z"), EndsAt: ptr(ts("2025-01-01T00:00:00Z")), Provenance: ext("50")},
			{ID: id(51), AccountID: acct, Amount: dec("2"), Currency: "USD", Interval: "month",
				StartsAt: ts("2025-01-01T00:00:00Z"), Provenance: ext("51")},
		},
	)
	all := []string{
		"2025-03-02T00:00 survey 000000000040",
		"2025-03-01T10:00 activity 000000000010",
		"2025-02-01T09:00 ticket 000000000020",
		"2025-02-01T09:00 activity 000000000012",
		"2025-02-01T09:00 activity 000000000011",
		"2025-01-20T00:00 deal 000000000030",
		"2025-01-05T00:00 deal 000000000031",
		"2025-01-01T00:00 subscription_ended 000000000050",
		"2025-01-01T00:00 subscription_started 000000000051",
		"2024-06-01T00:00 subscription_started 000000000050",
	}
	for _, tc := range []struct {
		name  string
		teams []string
		kinds []domain.TimelineKind
		want  []string
	}{
		{"all", nil, nil, all},
		// A team keeps its own events: its activities, support's tickets,
		// sales' deals; surveys and subscription changes are no team's.
		{"cs", []string{"cs"}, nil, []string{all[1], all[3]}},
		{"cs and support", []string{"cs", "support"}, nil, []string{all[1], all[2], all[3]}},
		{"sales", []string{"sales"}, nil, []string{all[4], all[5], all[6]}},
		{"sales deals", []string{"sales"}, []domain.TimelineKind{domain.TimelineDeal}, []string{all[5], all[6]}},
		{"marketing", []string{"marketing"}, nil, nil},
		{"cs touches", []string{"cs"}, []domain.TimelineKind{domain.TimelineActivity}, []string{all[1], all[3]}},
		{"subscriptions", nil, []domain.TimelineKind{domain.TimelineSubscriptionStarted, domain.TimelineSubscriptionEnded}, all[7:]},
	} {
		for _, first := range []int{1, 2, 3, 20} {
			got := readTimeline(t, s, domain.TimelineQuery{AccountID: acct, Teams: tc.teams, Kinds: tc.kinds, Window: domain.Window[domain.TimelineCursor]{First: first}})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s, first %d (-want +got):\n%s", tc.name, first, diff)
			}
			got = readTimelineBack(t, s, domain.TimelineQuery{AccountID: acct, Teams: tc.teams, Kinds: tc.kinds, Window: domain.Window[domain.TimelineCursor]{Last: first}})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s, last %d (-want +got):\n%s", tc.name, first, diff)
			}
			oldest := slices.Clone(tc.want)
			slices.Reverse(oldest)
			got = readTimeline(t, s, domain.TimelineQuery{AccountID: acct, Teams: tc.teams, Kinds: tc.kinds, Oldest: true, Window: domain.Window[domain.TimelineCursor]{First: first}})
			if diff := cmp.Diff(oldest, got); diff != "" {
				t.Errorf("%s, oldest first, first %d (-want +got):\n%s", tc.name, first, diff)
			}
		}
	}

	// A span of time, and a search in the events' text.
	for _, tc := range []struct {
		name string
		q    domain.TimelineQuery
		want []string
	}{
		{"february", domain.TimelineQuery{OccurredAt: domain.TimeRange{From: ptr(ts("2025-02-01T09:00:00Z")), To: ptr(ts("2025-03-01T10:00:00Z"))}},
			all[2:5]},
		{"help", domain.TimelineQuery{Search: "HELP"}, []string{all[2]}},
	} {
		tc.q.AccountID, tc.q.First = acct, 2
		if diff := cmp.Diff(tc.want, readTimeline(t, s, tc.q)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// The first pages of several accounts at once are each account's own
	// first page.
	for _, first := range []int{1, 3, 20} {
		for _, kinds := range [][]domain.TimelineKind{nil, {domain.TimelineActivity}} {
			q := domain.TimelineQuery{Window: domain.Window[domain.TimelineCursor]{First: first}, Kinds: kinds, Teams: []string{"cs"}}
			pages, err := s.Timelines(context.Background(), []uuid.UUID{acct, id(2), id(3)}, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range []uuid.UUID{acct, id(2), id(3)} {
				q.AccountID = a
				want, err := s.Timeline(context.Background(), q)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, pages[a]); diff != "" {
					t.Errorf("first %d, kinds %v, account %s (-one +batched):\n%s", first, kinds, a, diff)
				}
			}
		}
	}

	page, err := s.Timeline(context.Background(), domain.TimelineQuery{AccountID: acct, Window: domain.Window[domain.TimelineCursor]{First: 20}})
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range page.Items {
		if item.Kind == domain.TimelineSubscriptionEnded && (item.Subscription == nil || item.Subscription.ID != id(50)) {
			t.Errorf("the end of item 50 carries %+v", item.Subscription)
		}
		if item.Kind == domain.TimelineActivity && item.Activity == nil {
			t.Errorf("activity %s without its record", item.ID)
		}
	}

	_, err = s.Timeline(context.Background(), domain.TimelineQuery{AccountID: acct, Window: domain.Window[domain.TimelineCursor]{First: 1,
		After: &domain.TimelineCursor{OccurredAt: ts("2025-01-01T00:00:00Z"), Kind: "meteor", ID: id(1)}}})
	var inputErr *domain.InputError
	if !errors.As(err, &inputErr) {
		t.Errorf("a cursor of an unknown kind: %v, want an InputError", err)
	}
}
