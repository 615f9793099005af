package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

func TestSyncRuns(t *testing.T) {
	s, db := openStore(t)
	a, b, never := id(1), id(2), id(3)
	run := func(n int, source uuid.UUID, started string, streams ...string) domain.SyncRun {
		r := domain.SyncRun{ID: id(n), SourceID: source, Status: domain.RunSucceeded, StartedAt: ts(started)}
		for _, st := range streams {
			r.Streams = append(r.Streams, domain.SyncRunStream{Stream: st, StartedAt: ts(started)})
		}
		return r
	}
	insert(t, db,
		&[]domain.Source{{ID: a, Kind: "csv", Name: "a"}, {ID: b, Kind: "csv", Name: "b"}, {ID: never, Kind: "csv", Name: "never"}},
		&[]domain.SyncRun{
			run(10, a, "2025-01-01T00:00:00Z", "deals"),
			run(11, a, "2025-01-03T00:00:00Z", "tickets", "accounts"),
			run(12, a, "2025-01-02T00:00:00Z"),
			run(13, b, "2025-01-01T00:00:00Z", "accounts"),
		},
		&[]domain.SyncIssue{
			{RunID: id(11), Stream: "tickets", Kind: domain.IssueRejected, Message: "first"},
			{RunID: id(11), Stream: "tickets", Kind: domain.IssueDeferred, Message: "second"},
			{RunID: id(11), Stream: "accounts", Kind: domain.IssueSource, Message: "third"},
		},
	)
	ctx := context.Background()

	pages, err := s.SyncRuns(ctx, []uuid.UUID{a, never}, domain.SyncRunQuery{Window: domain.Window[domain.Cursor]{First: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if p := pages[never]; len(p.Items) != 0 || p.HasNext || p.HasPrevious {
		t.Errorf("a source that never ran: %+v", p)
	}
	if !pages[a].HasNext || pages[a].HasPrevious {
		t.Errorf("a's first page: hasNext %v, hasPrevious %v", pages[a].HasNext, pages[a].HasPrevious)
	}
	var got []string
	for _, r := range pages[a].Items {
		got = append(got, r.ID.String()[24:])
		for _, st := range r.Streams {
			got = append(got, "  "+st.Stream)
		}
	}
	if diff := cmp.Diff([]string{"000000000011", "  accounts", "  tickets", "000000000012"}, got); diff != "" {
		t.Errorf("runs of a, newest first, streams by name (-want +got):\n%s", diff)
	}

	// The last page, back from the end, and the rest before it.
	q := domain.SyncRunQuery{Window: domain.Window[domain.Cursor]{Last: 1}}
	pages, err = s.SyncRuns(ctx, []uuid.UUID{a}, q)
	if err != nil {
		t.Fatal(err)
	}
	if p := pages[a]; len(p.Items) != 1 || p.Items[0].ID != id(10) || !p.HasPrevious || p.HasNext || len(p.Items[0].Streams) != 1 {
		t.Errorf("last run of a: %+v", p)
	}
	q.Before = &pages[a].Cursors[0]
	q.Last = 5
	pages, err = s.SyncRuns(ctx, []uuid.UUID{a}, q)
	if err != nil {
		t.Fatal(err)
	}
	if p := pages[a]; len(p.Items) != 2 || p.Items[0].ID != id(11) || p.Items[1].ID != id(12) || p.HasPrevious || !p.HasNext {
		t.Errorf("the runs before it: %+v", p)
	}

	counts, err := s.CountSyncRuns(ctx, []uuid.UUID{a, b, never}, domain.SyncRunFilter{StartedAt: domain.TimeRange{From: ptr(ts("2025-01-02T00:00:00Z"))}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[uuid.UUID]int{a: 2, b: 0, never: 0}, counts); diff != "" {
		t.Errorf("runs from 01-02 (-want +got):\n%s", diff)
	}

	last, err := s.LastSyncRuns(ctx, []uuid.UUID{a, b, never})
	if err != nil {
		t.Fatal(err)
	}
	if len(last) != 2 || last[a].ID != id(11) || last[b].ID != id(13) || len(last[a].Streams) != 2 || last[a].Streams[0].Stream != "accounts" {
		t.Errorf("last runs: %+v", last)
	}

	one, err := s.SyncRun(ctx, id(11))
	if err != nil {
		t.Fatal(err)
	}
	if one.SourceID != a || len(one.Streams) != 2 || one.Streams[0].Stream != "accounts" {
		t.Errorf("run 11: %+v", one)
	}
	if _, err := s.SyncRun(ctx, id(99)); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("a missing run: %v, want ErrNotFound", err)
	}

	issues, err := s.SyncIssues(ctx, id(11), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) != 2 || issues[0].Message != "first" || issues[1].Message != "second" {
		t.Errorf("issues: %+v", issues)
	}
}
